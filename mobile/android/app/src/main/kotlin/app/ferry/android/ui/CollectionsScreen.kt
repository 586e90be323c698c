package app.ferry.android.ui

import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.webkit.MimeTypeMap
import androidx.activity.compose.BackHandler
import androidx.compose.foundation.ExperimentalFoundationApi
import androidx.compose.foundation.combinedClickable
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.OfflinePin
import androidx.compose.material.icons.outlined.Cloud
import androidx.compose.material.icons.outlined.Description
import androidx.compose.material.icons.outlined.Folder
import androidx.compose.material.icons.outlined.FolderShared
import androidx.compose.material.icons.outlined.Warning
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.R
import app.ferry.android.logic.BrowserEntry
import app.ferry.android.logic.CollectionsState
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.formatBytes
import app.ferry.core.CollectionInfo
import app.ferry.core.CollectionInvite
import app.ferry.core.CollectionStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File

/**
 * Collections on this phone: invitations to accept, the collections, and a
 * browser of one collection's files. A phone keeps no mirrored folder:
 * tapping a file fetches it and opens it with another app; a long press
 * keeps it (or a whole folder) on the phone, or stops keeping it.
 */
@Composable
fun CollectionsScreen(app: FerryApp) {
    val state by app.collections.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    var browsing by rememberSaveable { mutableStateOf(false) }

    // The model's reads include a few blocking database calls: keep them off the main thread.
    LaunchedEffect(app) { withContext(Dispatchers.IO) { app.collections.reload() } }

    if (browsing && state.open != null) {
        Browser(app, state, onClose = {
            browsing = false
            scope.launch(Dispatchers.IO) { app.collections.reload() }
        })
    } else {
        CollectionList(app, state, onOpen = { name ->
            browsing = true
            scope.launch(Dispatchers.IO) { app.collections.open(name) }
        })
    }
}

@Composable
private fun CollectionList(app: FerryApp, state: CollectionsState, onOpen: (String) -> Unit) {
    val scope = rememberCoroutineScope()
    var accepting by remember { mutableStateOf(setOf<String>()) }

    LazyColumn(
        modifier = Modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        state.error?.let { message -> item(key = "error") { ErrorBanner(message) } }
        if (state.invites.isNotEmpty()) {
            item(key = "invites-title") { SectionTitle(stringResource(R.string.invitations)) }
            items(state.invites, key = { "invite-" + it.name + "-" + it.sender.id }) { invite ->
                InviteCard(
                    invite = invite,
                    busy = invite.name in accepting,
                    onAccept = {
                        accepting = accepting + invite.name
                        scope.launch {
                            try {
                                withContext(Dispatchers.IO) { app.collections.accept(invite.name) }
                            } finally {
                                accepting = accepting - invite.name
                            }
                        }
                    },
                )
            }
        }
        item(key = "collections-title") { SectionTitle(stringResource(R.string.tab_collections)) }
        if (state.collections.isEmpty()) {
            item(key = "empty") {
                EmptyState(
                    icon = Icons.Outlined.FolderShared,
                    title = stringResource(R.string.collections_empty_title),
                    text = stringResource(R.string.collections_empty_text),
                )
            }
        } else {
            items(state.collections, key = { "collection-" + it.name }) { collection ->
                CollectionItem(collection, onClick = { onOpen(collection.name) })
            }
        }
    }
}

@Composable
private fun InviteCard(invite: CollectionInvite, busy: Boolean, onAccept: () -> Unit) {
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(
                invite.name,
                style = MaterialTheme.typography.titleMedium,
                maxLines = 1,
                overflow = TextOverflow.Ellipsis,
            )
            Text(
                stringResource(R.string.invited_by, invite.sender.name),
                style = MaterialTheme.typography.bodyMedium,
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
            )
            if (busy) {
                LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
            } else {
                Button(onClick = onAccept) { Text(stringResource(R.string.action_accept)) }
            }
        }
    }
}

@Composable
private fun CollectionItem(collection: CollectionInfo, onClick: () -> Unit) {
    ListItem(
        headlineContent = { Text(collection.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = {
            Text(
                stringResource(
                    R.string.collection_line,
                    plural(R.plurals.files, collection.files.toLong().toInt()),
                    formatBytes(collection.bytes.toLong()),
                    plural(R.plurals.members, collection.members.toLong().toInt()),
                ),
                maxLines = 1,
                overflow = TextOverflow.Ellipsis,
            )
        },
        leadingContent = { Icon(Icons.Outlined.FolderShared, contentDescription = null) },
        modifier = Modifier
            .clip(MaterialTheme.shapes.medium)
            .clickable(onClick = onClick),
    )
}

/** One collection's folder: folders first, then files; Back goes up a folder, then out. */
@OptIn(ExperimentalFoundationApi::class)
@Composable
private fun Browser(app: FerryApp, state: CollectionsState, onClose: () -> Unit) {
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    val snackbar = LocalSnackbar.current
    var fetching by remember { mutableStateOf<String?>(null) }
    var dismissedError by remember { mutableStateOf<String?>(null) }
    val cannotOpen = stringResource(R.string.cannot_open_file)
    val kept = stringResource(R.string.pinned)
    val notKept = stringResource(R.string.unpinned)

    fun back() {
        if (state.folder.isNotEmpty()) app.collections.up() else onClose()
    }
    BackHandler { back() }

    Column(Modifier.fillMaxSize()) {
        Row(
            modifier = Modifier
                .fillMaxWidth()
                .padding(horizontal = 4.dp, vertical = 4.dp),
            verticalAlignment = Alignment.CenterVertically,
        ) {
            IconButton(onClick = { back() }) {
                Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_up))
            }
            Column(Modifier.weight(1f)) {
                Text(
                    state.open.orEmpty(),
                    style = MaterialTheme.typography.titleMedium,
                    maxLines = 1,
                    overflow = TextOverflow.Ellipsis,
                )
                if (state.folder.isNotEmpty()) {
                    Text(
                        "/" + state.folder,
                        style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                        maxLines = 1,
                        overflow = TextOverflow.Ellipsis,
                    )
                }
            }
        }
        Column(
            modifier = Modifier.padding(horizontal = 16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            state.status?.let { StatusLine(it) }
            val error = state.error
            if (error != null && error != dismissedError) {
                ErrorBanner(
                    error,
                    actionLabel = stringResource(R.string.action_dismiss),
                    onAction = { dismissedError = error },
                )
            }
            fetching?.let { name ->
                LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
                Text(
                    stringResource(R.string.fetching, name),
                    style = MaterialTheme.typography.bodySmall,
                    maxLines = 1,
                    overflow = TextOverflow.Ellipsis,
                )
            }
        }
        if (state.entries.isEmpty()) {
            EmptyState(
                icon = Icons.Outlined.Folder,
                title = stringResource(R.string.folder_empty_title),
                text = stringResource(R.string.folder_empty_text),
            )
        } else {
            LazyColumn(
                modifier = Modifier
                    .weight(1f)
                    .fillMaxWidth(),
                contentPadding = PaddingValues(horizontal = 8.dp, vertical = 8.dp),
            ) {
                items(state.entries, key = { it.path }) { entry ->
                    EntryItem(
                        entry = entry,
                        onClick = {
                            if (entry.isFolder) {
                                app.collections.browse(entry.path)
                            } else if (fetching == null) {
                                scope.launch {
                                    fetching = entry.name
                                    val file = try {
                                        app.collections.fetch(entry.path)
                                    } finally {
                                        fetching = null
                                    }
                                    if (file != null && !openFile(context, file)) snackbar.showSnackbar(cannotOpen)
                                }
                            }
                        },
                        onLongClick = {
                            scope.launch {
                                val keep = !entry.local
                                app.collections.pin(entry.path, keep)
                                snackbar.showSnackbar(if (keep) kept else notKept)
                            }
                        },
                    )
                }
            }
        }
    }
}

@OptIn(ExperimentalFoundationApi::class)
@Composable
private fun EntryItem(entry: BrowserEntry, onClick: () -> Unit, onLongClick: () -> Unit) {
    val details = buildList {
        add(formatBytes(entry.size))
        add(stringResource(if (entry.local) R.string.on_this_phone else R.string.on_other_devices))
        if (entry.isConflict) add(stringResource(R.string.conflict))
    }.joinToString(" · ")
    ListItem(
        headlineContent = { Text(entry.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = { Text(details, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        leadingContent = {
            Icon(if (entry.isFolder) Icons.Outlined.Folder else Icons.Outlined.Description, contentDescription = null)
        },
        trailingContent = {
            when {
                entry.isConflict -> Icon(
                    Icons.Outlined.Warning,
                    contentDescription = stringResource(R.string.conflict),
                    tint = MaterialTheme.colorScheme.error,
                )
                entry.local -> Icon(
                    Icons.Filled.OfflinePin,
                    contentDescription = stringResource(R.string.on_this_phone),
                    tint = MaterialTheme.colorScheme.primary,
                )
                else -> Icon(
                    Icons.Outlined.Cloud,
                    contentDescription = stringResource(R.string.on_other_devices),
                    tint = MaterialTheme.colorScheme.outline,
                )
            }
        },
        modifier = Modifier
            .clip(MaterialTheme.shapes.medium)
            .combinedClickable(onClick = onClick, onLongClick = onLongClick),
    )
}

/** Members online, files still to come, conflicts. */
@Composable
private fun StatusLine(status: CollectionStatus) {
    val online = status.members.count { it.online && !it.thisDevice }
    val others = status.members.count { !it.thisDevice }
    val parts = buildList {
        add(stringResource(R.string.members_online, online, others))
        if (status.pendingFiles > 0uL) {
            add(
                stringResource(
                    R.string.pending,
                    plural(R.plurals.files, status.pendingFiles.toLong().toInt()),
                    formatBytes(status.pendingBytes.toLong()),
                ),
            )
        }
        if (status.conflicts.isNotEmpty()) add(plural(R.plurals.conflicts, status.conflicts.size))
    }
    Text(
        parts.joinToString(" · "),
        style = MaterialTheme.typography.bodySmall,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
        maxLines = 2,
        overflow = TextOverflow.Ellipsis,
    )
}

/** Opens a fetched file with the app the user picks; false if no app can open it. */
private fun openFile(context: Context, file: File): Boolean {
    val uri = try {
        FileProvider.getUriForFile(context, context.packageName + ".files", file)
    } catch (e: IllegalArgumentException) {
        return false
    }
    val type = MimeTypeMap.getSingleton().getMimeTypeFromExtension(file.extension.lowercase())
        ?: "application/octet-stream"
    val view = Intent(Intent.ACTION_VIEW)
        .setDataAndType(uri, type)
        .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
    return try {
        context.startActivity(Intent.createChooser(view, null))
        true
    } catch (e: ActivityNotFoundException) {
        false
    }
}
