package app.ferry.android.logic

import app.ferry.core.CollectionFile
import app.ferry.core.CollectionInfo
import app.ferry.core.CollectionInvite
import app.ferry.core.CollectionStatus
import app.ferry.core.types.Event
import app.ferry.core.FerryException
import app.ferry.core.FerryNode
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.io.File

/** One entry of the browser: a folder or a file of the current folder. */
data class BrowserEntry(
    val name: String,
    /** The path in the collection. */
    val path: String,
    val isFolder: Boolean,
    val size: Long,
    /** Whether the content is on this phone (pinned or opened). */
    val local: Boolean,
    val isConflict: Boolean,
)

data class CollectionsState(
    val collections: List<CollectionInfo> = emptyList(),
    val invites: List<CollectionInvite> = emptyList(),
    /** The open collection, its status and the folder shown ("" is the top). */
    val open: String? = null,
    val status: CollectionStatus? = null,
    val folder: String = "",
    val entries: List<BrowserEntry> = emptyList(),
    val error: String? = null,
)

/**
 * Collections on a phone: no mirrored folder, files browsed and fetched on
 * demand; pinned files and folders stay on the phone.
 */
class CollectionsModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
    /** Where opened files are written (the app's cache). */
    private val cacheDir: File,
) {
    private val _state = MutableStateFlow(CollectionsState())
    val state: StateFlow<CollectionsState> = _state.asStateFlow()
    private var files: List<CollectionFile> = emptyList()

    init {
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            events.collect { event ->
                when (event) {
                    is Event.CollectionInvited -> reload()
                    is Event.CollectionChanged, is Event.CollectionSynced, is Event.CollectionFetched ->
                        if (event.collectionName() == _state.value.open) refreshOpen() else reload()
                    else -> {}
                }
            }
        }
    }

    suspend fun reload() = guard {
        val list = node.collections()
        _state.update { it.copy(collections = list, invites = node.invites(), error = null) }
    }

    /** Joins a collection without a folder: the file list syncs, content on demand. */
    suspend fun accept(name: String) = guard {
        node.acceptInvite(name, null)
        reload()
    }

    /** Opens a collection at its top folder. */
    suspend fun open(name: String) = guard {
        _state.update { it.copy(open = name, folder = "") }
        refreshOpen()
    }

    /** Shows a folder of the open collection ("" for the top). */
    fun browse(folder: String) {
        _state.update { it.copy(folder = folder.trim('/'), entries = entries(folder.trim('/'))) }
    }

    /** Goes one folder up. */
    fun up() = browse(_state.value.folder.substringBeforeLast('/', ""))

    /**
     * Writes a file of the open collection into the cache (fetching it from
     * a member if needed) and returns it, for an "open with" intent.
     */
    suspend fun fetch(path: String): File? {
        val name = _state.value.open ?: return null
        val out = File(cacheDir, "$name/$path")
        out.parentFile?.mkdirs()
        return guard {
            node.fetchFile(name, path, out.path)
            out
        }
    }

    /** Keeps a file or folder on this phone (or stops keeping it). */
    suspend fun pin(path: String, on: Boolean) {
        val name = _state.value.open ?: return
        guard {
            node.pin(name, path, on)
            refreshOpen()
        }
    }

    private suspend fun refreshOpen() {
        val name = _state.value.open ?: return
        guard {
            files = node.collectionFiles(name)
            val status = node.collectionStatus(name)
            _state.update { it.copy(status = status, entries = entries(it.folder)) }
        }
    }

    private fun entries(folder: String): List<BrowserEntry> {
        val prefix = if (folder.isEmpty()) "" else "$folder/"
        val folders = sortedMapOf<String, MutableList<CollectionFile>>()
        val here = mutableListOf<BrowserEntry>()
        for (f in files) {
            if (!f.path.startsWith(prefix)) continue
            val rest = f.path.removePrefix(prefix)
            val slash = rest.indexOf('/')
            if (slash >= 0) {
                folders.getOrPut(rest.substring(0, slash)) { mutableListOf() } += f
            } else {
                here += BrowserEntry(rest, f.path, false, f.size.toLong(), f.local, f.conflictOf != null)
            }
        }
        val dirs = folders.map { (name, inside) ->
            BrowserEntry(
                name, prefix + name, true,
                inside.sumOf { it.size.toLong() },
                inside.all { it.local },
                inside.any { it.conflictOf != null },
            )
        }
        return dirs + here.sortedBy { it.name.lowercase() }
    }

    private suspend fun <T> guard(action: suspend () -> T): T? =
        try {
            action()
        } catch (e: FerryException) {
            _state.update { it.copy(error = e.message) }
            null
        }
}

private fun Event.collectionName(): String? = when (this) {
    is Event.CollectionChanged -> collection
    is Event.CollectionSynced -> collection
    is Event.CollectionFetched -> collection
    else -> null
}
