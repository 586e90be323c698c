package app.ferry.android.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.Ferry
import app.ferry.android.R
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.Settings
import app.ferry.core.AcceptPolicy
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File
import java.io.IOException

private const val RELAY_DEFAULT = "default"
private const val RELAY_DISABLED = "disabled"
private const val RELAY_CUSTOM = "custom"

/**
 * This device's name, where received files go, how offers are answered and
 * which relay to use. Saved with the logic module's SettingsStore; the
 * accept policy and folder apply at once, a new name or relay on restart.
 */
@Composable
fun SettingsScreen(app: FerryApp) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    val snackbar = LocalSnackbar.current
    val saved by Ferry.settings.collectAsStateWithLifecycle()
    val current = saved ?: app.settings

    var name by rememberSaveable(current) { mutableStateOf(current.deviceName) }
    var folder by rememberSaveable(current) { mutableStateOf(current.downloadDir) }
    var policy by rememberSaveable(current) { mutableStateOf(current.acceptPolicy) }
    var relayMode by rememberSaveable(current) {
        mutableStateOf(
            when (current.relay) {
                RELAY_DEFAULT, RELAY_DISABLED -> current.relay
                else -> RELAY_CUSTOM
            },
        )
    }
    var relayUrl by rememberSaveable(current) {
        mutableStateOf(if (current.relay == RELAY_DEFAULT || current.relay == RELAY_DISABLED) "" else current.relay)
    }
    var saving by remember { mutableStateOf(false) }
    var saveError by remember { mutableStateOf<String?>(null) }

    val candidate = Settings(
        deviceName = name.trim(),
        downloadDir = folder.trim(),
        acceptPolicy = policy,
        relay = if (relayMode == RELAY_CUSTOM) relayUrl.trim() else relayMode,
    )
    val problem = candidate.problem()
    val changed = candidate != current
    // The running node started with app.settings; name and relay need a restart.
    val restartNeeded = current.deviceName != app.settings.deviceName || current.relay != app.settings.relay

    val savedMessage = stringResource(R.string.settings_saved)
    val cannotCreate = stringResource(R.string.folder_cannot_create)

    Column(
        modifier = Modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        SectionTitle(stringResource(R.string.settings_device))
        OutlinedTextField(
            value = name,
            onValueChange = { name = it },
            label = { Text(stringResource(R.string.device_name_label)) },
            supportingText = { Text(stringResource(R.string.device_name_help)) },
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )

        SectionTitle(stringResource(R.string.settings_receiving))
        OutlinedTextField(
            value = folder,
            onValueChange = { folder = it },
            label = { Text(stringResource(R.string.download_folder_label)) },
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
        TextButton(onClick = { folder = Ferry.defaultDownloadDir(context).path }) {
            Text(stringResource(R.string.action_use_default_folder))
        }
        Column(Modifier.selectableGroup()) {
            AcceptPolicy.entries.forEach { option ->
                Choice(
                    selected = policy == option,
                    title = stringResource(policyTitle(option)),
                    text = stringResource(policyText(option)),
                    onClick = { policy = option },
                )
            }
        }

        SectionTitle(stringResource(R.string.settings_relay))
        Column(Modifier.selectableGroup()) {
            Choice(
                selected = relayMode == RELAY_DEFAULT,
                title = stringResource(R.string.relay_default),
                text = stringResource(R.string.relay_default_text),
                onClick = { relayMode = RELAY_DEFAULT },
            )
            Choice(
                selected = relayMode == RELAY_DISABLED,
                title = stringResource(R.string.relay_disabled),
                text = stringResource(R.string.relay_disabled_text),
                onClick = { relayMode = RELAY_DISABLED },
            )
            Choice(
                selected = relayMode == RELAY_CUSTOM,
                title = stringResource(R.string.relay_custom),
                text = stringResource(R.string.relay_custom_text),
                onClick = { relayMode = RELAY_CUSTOM },
            )
        }
        if (relayMode == RELAY_CUSTOM) {
            OutlinedTextField(
                value = relayUrl,
                onValueChange = { relayUrl = it },
                label = { Text(stringResource(R.string.relay_url_label)) },
                placeholder = { Text("https://relay.example.com") },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
        }

        // What is wrong with the values, if anything, before saving.
        if (changed && problem != null) ErrorBanner(problem)
        saveError?.let { ErrorBanner(it) }
        Button(
            onClick = {
                saving = true
                saveError = null
                scope.launch {
                    val error = withContext(Dispatchers.IO) { save(context, candidate, cannotCreate) }
                    saving = false
                    if (error != null) {
                        saveError = error
                    } else {
                        app.inbox.configure(candidate.acceptPolicy, candidate.downloadDir)
                        Ferry.settings.value = candidate
                        snackbar.showSnackbar(savedMessage)
                    }
                }
            },
            enabled = changed && problem == null && !saving,
        ) { Text(stringResource(R.string.action_save)) }
        Text(
            stringResource(R.string.settings_restart_note),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
        )
        if (restartNeeded) {
            OutlinedButton(onClick = { Ferry.restart(context) }) { Text(stringResource(R.string.action_restart_now)) }
        }

        HorizontalDivider(Modifier.padding(vertical = 8.dp))
        SectionTitle(stringResource(R.string.settings_about))
        Text(
            stringResource(R.string.this_device_id, app.node.id()),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
            maxLines = 3,
            overflow = TextOverflow.Ellipsis,
        )
        Text(
            stringResource(R.string.quit_text),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
        )
        OutlinedButton(onClick = { Ferry.quit(context) }) { Text(stringResource(R.string.action_quit)) }
    }
}

/** A radio button row: the whole row is the target. */
@Composable
private fun Choice(selected: Boolean, title: String, text: String, onClick: () -> Unit) {
    Row(
        modifier = Modifier
            .fillMaxWidth()
            .selectable(selected = selected, onClick = onClick, role = Role.RadioButton)
            .padding(vertical = 8.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        RadioButton(selected = selected, onClick = null)
        Spacer(Modifier.width(12.dp))
        Column {
            Text(title, style = MaterialTheme.typography.bodyLarge)
            Text(text, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
    }
}

/** Saves [settings] after making sure the folder exists; the problem in words, or null. */
private fun save(context: android.content.Context, settings: Settings, cannotCreate: String): String? {
    val dir = File(settings.downloadDir)
    if (!dir.isDirectory && !dir.mkdirs()) return cannotCreate
    return try {
        Ferry.settingsStore(context).save(settings)
        null
    } catch (e: IllegalArgumentException) {
        e.message
    } catch (e: IOException) {
        e.message ?: e.javaClass.simpleName
    }
}

private fun policyTitle(policy: AcceptPolicy): Int = when (policy) {
    AcceptPolicy.ASK -> R.string.policy_ask
    AcceptPolicy.TRUSTED -> R.string.policy_trusted
    AcceptPolicy.NEVER -> R.string.policy_never
}

private fun policyText(policy: AcceptPolicy): Int = when (policy) {
    AcceptPolicy.ASK -> R.string.policy_ask_text
    AcceptPolicy.TRUSTED -> R.string.policy_trusted_text
    AcceptPolicy.NEVER -> R.string.policy_never_text
}
