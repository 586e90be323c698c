package app.ferry.android.logic

import kotlin.math.roundToLong

/** Where a transfer stands, as a progress bar shows it. */
data class Progress(
    val bytesDone: Long,
    val bytesTotal: Long,
    /** Smoothed speed; 0 until two samples are in. */
    val bytesPerSecond: Long = 0,
) {
    /** 0.0 to 1.0; 1.0 for an empty transfer. */
    val fraction: Float
        get() = if (bytesTotal <= 0) 1f else (bytesDone.toFloat() / bytesTotal).coerceIn(0f, 1f)

    /** Seconds left at the current speed; null while unknown. */
    val etaSeconds: Long?
        get() = if (bytesPerSecond <= 0) null else ((bytesTotal - bytesDone).coerceAtLeast(0) / bytesPerSecond)

    /** "12.5 MB of 40 MB · 8.1 MB/s · 4 s left". */
    val label: String
        get() = buildString {
            append(formatBytes(bytesDone)).append(" of ").append(formatBytes(bytesTotal))
            if (bytesPerSecond > 0) append(" · ").append(formatBytes(bytesPerSecond)).append("/s")
            etaSeconds?.let { append(" · ").append(formatDuration(it)).append(" left") }
        }
}

/**
 * Turns (bytes done, time) samples into a [Progress] with a smoothed speed.
 * [now] is injectable so tests need no sleeping.
 */
class ProgressMeter(private val now: () -> Long = System::currentTimeMillis) {
    private var lastBytes = -1L
    private var lastAt = 0L
    private var speed = 0.0

    fun sample(bytesDone: Long, bytesTotal: Long): Progress {
        val at = now()
        if (lastBytes >= 0 && at > lastAt && bytesDone >= lastBytes) {
            val instant = (bytesDone - lastBytes) * 1000.0 / (at - lastAt)
            speed = if (speed == 0.0) instant else speed * 0.7 + instant * 0.3
        }
        if (lastBytes < 0 || at > lastAt) {
            lastBytes = bytesDone
            lastAt = at
        }
        return Progress(bytesDone, bytesTotal, speed.roundToLong())
    }
}

/** 0 B, 999 B, 1.5 KB, 12 MB, 3.2 GB (decimal units, as phones show sizes). */
fun formatBytes(bytes: Long): String {
    if (bytes < 1000) return "$bytes B"
    val units = listOf("KB", "MB", "GB", "TB")
    var value = bytes / 1000.0
    var unit = 0
    while (value >= 1000 && unit < units.lastIndex) {
        value /= 1000
        unit++
    }
    val text = if (value < 10) "%.1f".format(value) else "%.0f".format(value)
    return "$text ${units[unit]}"
}

/** 45 s, 3 min 20 s, 2 h 5 min. */
fun formatDuration(seconds: Long): String = when {
    seconds < 60 -> "$seconds s"
    seconds < 3600 -> "${seconds / 60} min ${seconds % 60} s"
    else -> "${seconds / 3600} h ${(seconds % 3600) / 60} min"
}
