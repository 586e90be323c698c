package app.ferry.android

import android.content.ContentResolver
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.provider.OpenableColumns
import android.webkit.MimeTypeMap
import androidx.core.content.IntentCompat
import app.ferry.android.logic.Outgoing
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.io.File
import java.util.concurrent.atomic.AtomicInteger

/** A file ready to send: a copy in the app's cache, under its original name. */
data class PickedFile(val name: String, val path: String, val size: Long)

/** What the send screen holds before it is sent. */
data class Draft(
    val files: List<PickedFile> = emptyList(),
    val text: String = "",
    /** Files are still being copied. */
    val preparing: Boolean = false,
    /** How many picked or shared items could not be read. */
    val unreadable: Int = 0,
) {
    val isEmpty: Boolean get() = files.isEmpty() && text.isBlank()

    /** The files and text as the send model takes them; null when there is nothing. */
    fun outgoing(): Outgoing? =
        if (isEmpty) null else Outgoing.fromShareSheet(files.map { it.path }, text)
}

/**
 * Content from the system picker and from other apps' share sheets. The core
 * sends files by path, so each content:// URI is copied into
 * cache/outgoing/<batch>/ under its display name first.
 */
object OutgoingFiles {
    /** Copies stay this long: a push queued for an offline device reads them when it is delivered. */
    private const val KEEP_MS = 2L * 24 * 3600 * 1000
    private val batches = AtomicInteger()

    /** Adds picked documents to the draft. */
    fun addPicked(context: Context, uris: List<Uri>) {
        if (uris.isEmpty()) return
        val app = context.applicationContext
        Ferry.draft.update { it.copy(preparing = true, unreadable = 0) }
        Ferry.scope.launch {
            val copied = copy(app, uris)
            Ferry.draft.update {
                it.copy(files = it.files + copied.files, preparing = false, unreadable = copied.failed)
            }
        }
    }

    /** Replaces the draft with what an ACTION_SEND / ACTION_SEND_MULTIPLE intent carries. */
    fun takeShare(context: Context, intent: Intent) {
        val uris = sharedUris(intent)
        val text = intent.getCharSequenceExtra(Intent.EXTRA_TEXT)?.toString().orEmpty()
        val app = context.applicationContext
        Ferry.draft.value = Draft(text = text, preparing = uris.isNotEmpty())
        if (uris.isEmpty()) return
        Ferry.scope.launch {
            val copied = copy(app, uris)
            Ferry.draft.update { it.copy(files = copied.files, preparing = false, unreadable = copied.failed) }
        }
    }

    private fun sharedUris(intent: Intent): List<Uri> {
        val extras = when (intent.action) {
            Intent.ACTION_SEND ->
                listOfNotNull(IntentCompat.getParcelableExtra(intent, Intent.EXTRA_STREAM, Uri::class.java))
            Intent.ACTION_SEND_MULTIPLE ->
                IntentCompat.getParcelableArrayListExtra(intent, Intent.EXTRA_STREAM, Uri::class.java).orEmpty()
            else -> emptyList()
        }
        if (extras.isNotEmpty()) return extras
        val clip = intent.clipData ?: return emptyList()
        return (0 until clip.itemCount).mapNotNull { clip.getItemAt(it).uri }
    }

    private class Copied(val files: List<PickedFile>, val failed: Int)

    /** Copies [uris] into a new batch folder; blocking, call off the main thread. */
    private fun copy(context: Context, uris: List<Uri>): Copied {
        val root = File(context.cacheDir, "outgoing")
        removeOld(root)
        val batch = File(root, "${System.currentTimeMillis()}-${batches.incrementAndGet()}")
        batch.mkdirs()
        val used = mutableSetOf<String>()
        val files = mutableListOf<PickedFile>()
        var failed = 0
        val resolver = context.contentResolver
        for (uri in uris) {
            // Only content from other apps' providers: a file:// URI could
            // point into this app's own private files.
            if (uri.scheme != ContentResolver.SCHEME_CONTENT) {
                failed++
                continue
            }
            val name = unique(nameOf(resolver, uri), used)
            val out = File(batch, name)
            try {
                val input = resolver.openInputStream(uri)
                if (input == null) {
                    failed++
                    continue
                }
                input.use { source -> out.outputStream().use { source.copyTo(it) } }
                files += PickedFile(name, out.path, out.length())
            } catch (e: Exception) {
                // Revoked permission, a provider that died, a full disk.
                out.delete()
                failed++
            }
        }
        return Copied(files, failed)
    }

    private fun removeOld(root: File) {
        val now = System.currentTimeMillis()
        root.listFiles()?.forEach { if (now - it.lastModified() > KEEP_MS) it.deleteRecursively() }
    }

    /** The display name the provider gives, made safe as a file name, with an extension if it lacks one. */
    private fun nameOf(resolver: ContentResolver, uri: Uri): String {
        val display = try {
            resolver.query(uri, arrayOf(OpenableColumns.DISPLAY_NAME), null, null, null)?.use { cursor ->
                val column = cursor.getColumnIndex(OpenableColumns.DISPLAY_NAME)
                if (column >= 0 && cursor.moveToFirst()) cursor.getString(column) else null
            }
        } catch (e: Exception) {
            null
        }
        var name = safeName(display ?: uri.lastPathSegment)
        if (!name.contains('.')) {
            val type = try { resolver.getType(uri) } catch (e: Exception) { null }
            type?.let { MimeTypeMap.getSingleton().getExtensionFromMimeType(it) }?.let { name = "$name.$it" }
        }
        return name
    }

    /** No path separators, control characters or leading dots; at most 80 characters, keeping the end. */
    private fun safeName(raw: String?): String {
        val cleaned = raw.orEmpty()
            .map { c -> if (c == '/' || c == '\\' || c.isISOControl()) '_' else c }
            .joinToString("")
            .trim()
            .trimStart('.')
            .ifEmpty { "shared" }
        return if (cleaned.length <= 80) cleaned else cleaned.take(40) + "…" + cleaned.takeLast(39)
    }

    /** [name], or "name (2).ext" and so on if the batch already has it. */
    private fun unique(name: String, used: MutableSet<String>): String {
        if (used.add(name.lowercase())) return name
        val dot = name.lastIndexOf('.').takeIf { it > 0 } ?: name.length
        var n = 2
        while (true) {
            val candidate = name.substring(0, dot) + " ($n)" + name.substring(dot)
            if (used.add(candidate.lowercase())) return candidate
            n++
        }
    }
}
