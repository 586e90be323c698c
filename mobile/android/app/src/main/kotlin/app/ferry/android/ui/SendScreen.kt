package app.ferry.android.ui

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.outlined.Send
import androidx.compose.material.icons.outlined.AttachFile
import androidx.compose.material.icons.outlined.Close
import androidx.compose.material.icons.outlined.Description
import androidx.compose.material.icons.outlined.Devices
import androidx.compose.material.icons.outlined.QrCode
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.Draft
import app.ferry.android.Ferry
import app.ferry.android.OutgoingFiles
import app.ferry.android.PickedFile
import app.ferry.android.R
import app.ferry.android.logic.DeviceRow
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.SendState
import app.ferry.android.logic.formatBytes
import kotlinx.coroutines.flow.update

/**
 * Choose files (system picker, or another app's share sheet) and text, then
 * a paired device to push them to, or a QR code anyone with Ferry can scan.
 */
@Composable
fun SendScreen(app: FerryApp, onPair: () -> Unit) {
    val draft by Ferry.draft.collectAsStateWithLifecycle()
    val sendState by app.send.state.collectAsStateWithLifecycle()
    val devices by app.devices.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val pick = rememberLauncherForActivityResult(ActivityResultContracts.OpenMultipleDocuments()) { uris ->
        OutgoingFiles.addPicked(context, uris)
    }
    val outgoing = if (draft.preparing) null else draft.outgoing()
    val busy = sendState is SendState.Waiting || sendState is SendState.Sending

    LazyColumn(
        modifier = Modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        if (sendState !is SendState.Idle) item(key = "status") {
            SendStatus(
                state = sendState,
                onCancel = { app.send.cancel() },
                onDismiss = { app.send.cancel() },
                onSendMore = {
                    app.send.cancel()
                    Ferry.draft.value = Draft()
                },
            )
        }

        item(key = "what-title") {
            Row(verticalAlignment = Alignment.CenterVertically) {
                SectionTitle(stringResource(R.string.send_what), Modifier.weight(1f))
                if (!draft.isEmpty) {
                    TextButton(onClick = { Ferry.draft.value = Draft() }, enabled = !busy) {
                        Text(stringResource(R.string.action_clear))
                    }
                }
            }
        }
        item(key = "pick") {
            FilledTonalButton(onClick = { pick.launch(arrayOf("*/*")) }, enabled = !busy) {
                Icon(Icons.Outlined.AttachFile, contentDescription = null, modifier = Modifier.size(18.dp))
                Spacer(Modifier.width(8.dp))
                Text(stringResource(R.string.action_choose_files))
            }
        }
        if (draft.preparing) {
            item(key = "preparing") {
                Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
                    Text(stringResource(R.string.preparing_files), style = MaterialTheme.typography.bodySmall)
                }
            }
        }
        if (draft.unreadable > 0) {
            item(key = "unreadable") {
                ErrorBanner(plural(R.plurals.unreadable_items, draft.unreadable))
            }
        }
        items(draft.files, key = { "file-" + it.path }) { file ->
            PickedRow(file, enabled = !busy, onRemove = {
                Ferry.draft.update { d -> d.copy(files = d.files.filterNot { it.path == file.path }) }
            })
        }
        item(key = "text") {
            OutlinedTextField(
                value = draft.text,
                onValueChange = { text -> Ferry.draft.update { it.copy(text = text) } },
                label = { Text(stringResource(R.string.send_text_label)) },
                enabled = !busy,
                maxLines = 5,
                modifier = Modifier.fillMaxWidth(),
            )
        }

        item(key = "to-title") { SectionTitle(stringResource(R.string.send_to), Modifier.padding(top = 8.dp)) }
        if (devices.paired.isEmpty()) {
            item(key = "no-devices") {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(
                        stringResource(R.string.send_no_devices),
                        style = MaterialTheme.typography.bodyMedium,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                    )
                    TextButton(onClick = onPair) { Text(stringResource(R.string.pair_device)) }
                }
            }
        } else {
            items(devices.paired, key = { "device-" + it.id }) { row ->
                val what = outgoing
                DeviceTarget(
                    row = row,
                    enabled = what != null && !busy,
                    onClick = { if (what != null) app.send.send(row.id, row.name, what) },
                )
            }
        }
        item(key = "qr") {
            val what = outgoing
            OutlinedButton(
                onClick = { if (what != null) app.send.shareByQr(what) },
                enabled = what != null && !busy,
                modifier = Modifier.padding(top = 8.dp),
            ) {
                Icon(Icons.Outlined.QrCode, contentDescription = null, modifier = Modifier.size(18.dp))
                Spacer(Modifier.width(8.dp))
                Text(stringResource(R.string.action_share_by_qr))
            }
        }
        if (outgoing == null && !draft.preparing) {
            item(key = "hint") {
                Text(
                    stringResource(R.string.send_pick_first),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
        }
    }
}

@Composable
private fun PickedRow(file: PickedFile, enabled: Boolean, onRemove: () -> Unit) {
    ListItem(
        headlineContent = { Text(file.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = { Text(formatBytes(file.size)) },
        leadingContent = { Icon(Icons.Outlined.Description, contentDescription = null) },
        trailingContent = {
            IconButton(onClick = onRemove, enabled = enabled) {
                Icon(Icons.Outlined.Close, contentDescription = stringResource(R.string.action_remove))
            }
        },
    )
}

@Composable
private fun DeviceTarget(row: DeviceRow, enabled: Boolean, onClick: () -> Unit) {
    ListItem(
        headlineContent = { Text(row.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = { Text(row.statusLabel, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        leadingContent = {
            Icon(
                Icons.Outlined.Devices,
                contentDescription = null,
                tint = if (row.online == true) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.outline,
            )
        },
        trailingContent = {
            Icon(
                Icons.AutoMirrored.Outlined.Send,
                contentDescription = stringResource(R.string.send_to_device, row.name),
                tint = if (enabled) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.outline,
            )
        },
        modifier = Modifier
            .clip(MaterialTheme.shapes.medium)
            .clickable(enabled = enabled, onClick = onClick),
    )
}

/** Where the last push or share stands; nothing while idle. */
@Composable
private fun SendStatus(state: SendState, onCancel: () -> Unit, onDismiss: () -> Unit, onSendMore: () -> Unit) {
    when (state) {
        SendState.Idle -> {}
        is SendState.Waiting -> StatusCard {
            Text(
                stringResource(R.string.send_waiting, state.deviceName),
                style = MaterialTheme.typography.titleMedium,
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
            )
            LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
            TextButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) }
        }
        is SendState.Sending -> StatusCard {
            Text(
                stringResource(R.string.send_sending, state.deviceName),
                style = MaterialTheme.typography.titleMedium,
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
            )
            LinearProgressIndicator(progress = { state.progress.fraction }, modifier = Modifier.fillMaxWidth())
            Text(state.progress.label, style = MaterialTheme.typography.bodySmall)
            TextButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) }
        }
        is SendState.Sent -> StatusCard {
            val files = state.summary.files.toLong().toInt()
            Text(
                if (files > 0) {
                    stringResource(
                        R.string.send_sent,
                        plural(R.plurals.files, files),
                        formatBytes(state.summary.bytes.toLong()),
                        state.deviceName,
                    )
                } else {
                    stringResource(R.string.send_sent_text, state.deviceName)
                },
                style = MaterialTheme.typography.titleMedium,
                maxLines = 3,
                overflow = TextOverflow.Ellipsis,
            )
            Row {
                TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_ok)) }
                TextButton(onClick = onSendMore) { Text(stringResource(R.string.action_send_more)) }
            }
        }
        is SendState.Queued -> StatusCard {
            Text(
                stringResource(R.string.send_queued, state.deviceName),
                style = MaterialTheme.typography.bodyMedium,
                maxLines = 4,
                overflow = TextOverflow.Ellipsis,
            )
            TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_ok)) }
        }
        is SendState.Failed -> {
            val message = when {
                state.declined -> stringResource(R.string.send_declined, state.deviceName)
                state.deviceName.isEmpty() -> stringResource(R.string.share_failed, state.message)
                else -> stringResource(R.string.send_failed, state.deviceName, state.message)
            }
            ErrorBanner(message, actionLabel = stringResource(R.string.action_ok), onAction = onDismiss)
        }
        is SendState.Shared -> {
            val copy = rememberCopy()
            StatusCard {
                Text(stringResource(R.string.share_title), style = MaterialTheme.typography.titleMedium)
                QrCode(
                    state.share.ticket,
                    Modifier
                        .fillMaxWidth()
                        .widthIn(max = 480.dp)
                        .aspectRatio(1f),
                )
                Text(
                    stringResource(
                        R.string.share_summary,
                        plural(R.plurals.files, state.share.files.toLong().toInt()),
                        formatBytes(state.share.bytes.toLong()),
                    ),
                    style = MaterialTheme.typography.bodyMedium,
                )
                Text(
                    stringResource(R.string.share_hint),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedButton(onClick = { copy(state.share.ticket) }) {
                        Text(stringResource(R.string.action_copy_code))
                    }
                    Button(onClick = onDismiss) { Text(stringResource(R.string.action_hide_code)) }
                }
            }
        }
    }
}

@Composable
private fun StatusCard(content: @Composable () -> Unit) {
    Card(
        modifier = Modifier.fillMaxWidth(),
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            content()
        }
    }
}
