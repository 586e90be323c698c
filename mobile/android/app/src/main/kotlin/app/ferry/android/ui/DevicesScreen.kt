package app.ferry.android.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.outlined.Delete
import androidx.compose.material.icons.outlined.Devices
import androidx.compose.material.icons.outlined.MoreVert
import androidx.compose.material.icons.outlined.QrCode
import androidx.compose.material.icons.outlined.QrCodeScanner
import androidx.compose.material.icons.outlined.Refresh
import androidx.compose.material.icons.outlined.Wifi
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.ModalBottomSheet
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.rememberModalBottomSheetState
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
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.R
import app.ferry.android.logic.DeviceRow
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.NearbyRow
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Paired devices with their status, devices seen on this network, and the
 * two ways to pair: show this phone's code, or scan another device's.
 */
@Composable
fun DevicesScreen(app: FerryApp, onPair: () -> Unit, onScan: () -> Unit) {
    val state by app.devices.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    var probing by remember { mutableStateOf(false) }
    var editing by rememberSaveable { mutableStateOf<String?>(null) }

    fun probe() {
        if (probing) return
        scope.launch {
            probing = true
            try {
                app.devices.probe()
            } finally {
                probing = false
            }
        }
    }

    LaunchedEffect(app) {
        withContext(Dispatchers.IO) { app.devices.reload() }
        probe()
    }

    LazyColumn(
        modifier = Modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(4.dp),
    ) {
        item(key = "actions") {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.fillMaxWidth()) {
                Button(onClick = onPair, modifier = Modifier.weight(1f)) {
                    Icon(Icons.Outlined.QrCode, contentDescription = null, modifier = Modifier.size(18.dp))
                    Spacer(Modifier.width(8.dp))
                    Text(stringResource(R.string.pair_device), maxLines = 1, overflow = TextOverflow.Ellipsis)
                }
                FilledTonalButton(onClick = onScan, modifier = Modifier.weight(1f)) {
                    Icon(Icons.Outlined.QrCodeScanner, contentDescription = null, modifier = Modifier.size(18.dp))
                    Spacer(Modifier.width(8.dp))
                    Text(stringResource(R.string.scan_code), maxLines = 1, overflow = TextOverflow.Ellipsis)
                }
            }
        }
        state.error?.let { message ->
            item(key = "error") { ErrorBanner(message, Modifier.padding(top = 8.dp)) }
        }
        item(key = "paired-title") {
            Row(verticalAlignment = Alignment.CenterVertically, modifier = Modifier.padding(top = 8.dp)) {
                SectionTitle(stringResource(R.string.paired_devices), Modifier.weight(1f))
                if (probing) {
                    CircularProgressIndicator(modifier = Modifier.size(20.dp), strokeWidth = 2.dp)
                    Spacer(Modifier.width(14.dp))
                } else {
                    IconButton(onClick = { probe() }) {
                        Icon(Icons.Outlined.Refresh, contentDescription = stringResource(R.string.check_again))
                    }
                }
            }
        }
        if (state.paired.isEmpty()) {
            item(key = "paired-empty") {
                EmptyState(
                    icon = Icons.Outlined.Devices,
                    title = stringResource(R.string.no_devices_title),
                    text = stringResource(R.string.no_devices_text),
                )
            }
        } else {
            items(state.paired, key = { "paired-" + it.id }) { row ->
                PairedItem(row, onClick = { editing = row.id })
            }
        }
        item(key = "nearby-title") { SectionTitle(stringResource(R.string.nearby_devices), Modifier.padding(top = 8.dp)) }
        if (state.nearby.isEmpty()) {
            item(key = "nearby-empty") {
                Text(
                    stringResource(R.string.nearby_empty),
                    style = MaterialTheme.typography.bodyMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                    modifier = Modifier.padding(vertical = 8.dp),
                )
            }
        } else {
            items(state.nearby, key = { "nearby-" + it.id }) { row -> NearbyItem(row) }
        }
    }

    val editingRow = state.paired.find { it.id == editing }
    if (editingRow != null) {
        DeviceSheet(
            row = editingRow,
            onDismiss = { editing = null },
            onRename = { name -> scope.launch(Dispatchers.IO) { app.devices.rename(editingRow.id, name) } },
            onAutoAccept = { on -> scope.launch(Dispatchers.IO) { app.devices.setAutoAccept(editingRow.id, on) } },
            onRemove = {
                editing = null
                scope.launch(Dispatchers.IO) { app.devices.remove(editingRow.id) }
            },
        )
    }
}

@Composable
private fun PairedItem(row: DeviceRow, onClick: () -> Unit) {
    val status = if (row.autoAccept) {
        stringResource(R.string.status_with_auto_accept, row.statusLabel)
    } else {
        row.statusLabel
    }
    ListItem(
        headlineContent = { Text(row.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = { Text(status, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        leadingContent = {
            Icon(
                Icons.Outlined.Devices,
                contentDescription = null,
                tint = if (row.online == true) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.outline,
            )
        },
        trailingContent = {
            Icon(Icons.Outlined.MoreVert, contentDescription = stringResource(R.string.device_options))
        },
        modifier = Modifier
            .clip(MaterialTheme.shapes.medium)
            .clickable(onClick = onClick),
    )
}

@Composable
private fun NearbyItem(row: NearbyRow) {
    ListItem(
        headlineContent = { Text(row.name, maxLines = 1, overflow = TextOverflow.Ellipsis) },
        supportingContent = {
            Text(
                stringResource(if (row.paired) R.string.nearby_paired else R.string.nearby_not_paired),
                maxLines = 2,
                overflow = TextOverflow.Ellipsis,
            )
        },
        leadingContent = { Icon(Icons.Outlined.Wifi, contentDescription = null) },
    )
}

/** Rename, auto-accept and remove, for one paired device. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun DeviceSheet(
    row: DeviceRow,
    onDismiss: () -> Unit,
    onRename: (String) -> Unit,
    onAutoAccept: (Boolean) -> Unit,
    onRemove: () -> Unit,
) {
    val sheetState = rememberModalBottomSheetState(skipPartiallyExpanded = true)
    var name by rememberSaveable(row.id, row.name) { mutableStateOf(row.name) }
    var confirmRemove by remember { mutableStateOf(false) }
    val trimmed = name.trim()

    ModalBottomSheet(onDismissRequest = onDismiss, sheetState = sheetState) {
        Column(
            modifier = Modifier
                .fillMaxWidth()
                .padding(horizontal = 24.dp)
                .padding(bottom = 32.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(row.name, style = MaterialTheme.typography.titleLarge, maxLines = 2, overflow = TextOverflow.Ellipsis)
            Text(row.statusLabel, style = MaterialTheme.typography.bodyMedium)
            Text(
                stringResource(R.string.device_id, shortId(row.id)),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
                maxLines = 1,
                overflow = TextOverflow.Ellipsis,
            )
            OutlinedTextField(
                value = name,
                onValueChange = { name = it.take(MAX_NAME) },
                label = { Text(stringResource(R.string.device_name_label)) },
                singleLine = true,
                isError = trimmed.isEmpty(),
                supportingText = if (trimmed.isEmpty()) {
                    { Text(stringResource(R.string.name_empty)) }
                } else {
                    null
                },
                modifier = Modifier.fillMaxWidth(),
            )
            Button(
                onClick = { onRename(trimmed) },
                enabled = trimmed.isNotEmpty() && trimmed != row.name,
            ) { Text(stringResource(R.string.action_rename)) }
            Row(verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f)) {
                    Text(stringResource(R.string.auto_accept), style = MaterialTheme.typography.bodyLarge)
                    Text(
                        stringResource(R.string.auto_accept_help),
                        style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                    )
                }
                Spacer(Modifier.width(16.dp))
                Switch(checked = row.autoAccept, onCheckedChange = onAutoAccept)
            }
            OutlinedButton(
                onClick = { confirmRemove = true },
                colors = ButtonDefaults.outlinedButtonColors(contentColor = MaterialTheme.colorScheme.error),
            ) {
                Icon(Icons.Outlined.Delete, contentDescription = null, modifier = Modifier.size(18.dp))
                Spacer(Modifier.width(8.dp))
                Text(stringResource(R.string.action_remove_device))
            }
        }
    }

    if (confirmRemove) {
        AlertDialog(
            onDismissRequest = { confirmRemove = false },
            title = { Text(stringResource(R.string.remove_title, row.name), maxLines = 2, overflow = TextOverflow.Ellipsis) },
            text = { Text(stringResource(R.string.remove_text)) },
            confirmButton = {
                TextButton(onClick = {
                    confirmRemove = false
                    onRemove()
                }) { Text(stringResource(R.string.action_remove)) }
            },
            dismissButton = {
                TextButton(onClick = { confirmRemove = false }) { Text(stringResource(R.string.action_cancel)) }
            },
        )
    }
}

private const val MAX_NAME = 64
