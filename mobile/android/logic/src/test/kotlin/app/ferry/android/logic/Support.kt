package app.ferry.android.logic

import app.ferry.core.AcceptPolicy
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.random.Random

/** Temp folders and running apps of one test, cleaned up at the end. */
class Fixture {
    private val dirs = mutableListOf<File>()
    private val apps = mutableListOf<FerryApp>()

    fun dir(prefix: String): File = Files.createTempDirectory("ferry-app-$prefix").toFile().also { dirs += it }

    /** An app on loopback with relays off, as a phone or laptop named [name]. */
    suspend fun app(name: String, policy: AcceptPolicy = AcceptPolicy.ASK): FerryApp {
        val downloads = dir("$name-downloads")
        return FerryApp.start(dir("$name-data"), dir("$name-cache"), {
            Settings(deviceName = name, downloadDir = downloads.path, acceptPolicy = policy, relay = "disabled")
        }, bindAddr = "127.0.0.1:0").also { apps += it }
    }

    suspend fun close() {
        apps.forEach { it.stop() }
        dirs.forEach { it.deleteRecursively() }
    }
}

fun randomFile(dir: File, name: String, size: Int, seed: Int = size): File =
    File(dir, name).apply {
        parentFile.mkdirs()
        writeBytes(Random(seed).nextBytes(size))
    }

/** Waits (up to [ms]) until the state satisfies [check]; returns that state. */
suspend fun <T> StateFlow<T>.awaitState(ms: Long = 60_000, check: (T) -> Boolean): T =
    withTimeout(ms) { first(check) }

/** The luminance (Y) plane of a PNG, as a camera frame would carry it. */
fun luminanceOf(png: File): Triple<ByteArray, Int, Int> {
    val image = ImageIO.read(png) ?: error("not an image: $png")
    val w = image.width
    val h = image.height
    val y = ByteArray(w * h)
    for (row in 0 until h) for (col in 0 until w) {
        val rgb = image.getRGB(col, row)
        val r = (rgb shr 16) and 0xff
        val g = (rgb shr 8) and 0xff
        val b = rgb and 0xff
        y[row * w + col] = ((r * 299 + g * 587 + b * 114) / 1000).toByte()
    }
    return Triple(y, w, h)
}
