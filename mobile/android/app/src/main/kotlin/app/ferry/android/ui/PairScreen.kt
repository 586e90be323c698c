package app.ferry.android.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.outlined.CheckCircle
import androidx.compose.material3.Button
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.R
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.ShowCodeState
import kotlinx.coroutines.delay

/** How long a pairing code works, in seconds. */
private const val CODE_SECONDS = 300

/**
 * "Pair a device": this phone's pairing code as a large QR code, for the
 * other device to scan; then who paired. The code stops working when the
 * screen is left.
 */
@Composable
fun PairScreen(app: FerryApp, onDone: () -> Unit) {
    val state by app.showCode.state.collectAsStateWithLifecycle()
    var attempt by remember { mutableIntStateOf(0) }

    LaunchedEffect(app, attempt) { app.showCode.show(CODE_SECONDS) }
    DisposableEffect(app) {
        onDispose { app.showCode.stop() }
    }

    when (val s = state) {
        ShowCodeState.Idle -> Busy(stringResource(R.string.making_code))
        is ShowCodeState.Showing -> Showing(s, onNewCode = { attempt++ })
        is ShowCodeState.Paired -> PairedDone(s.deviceName, onDone)
    }
}

@Composable
private fun Showing(state: ShowCodeState.Showing, onNewCode: () -> Unit) {
    if (state.ticket.isBlank()) {
        // The node could not make a code (it answers with an empty one).
        Column(Modifier.padding(24.dp)) {
            ErrorBanner(
                stringResource(R.string.code_failed),
                actionLabel = stringResource(R.string.action_try_again),
                onAction = onNewCode,
            )
        }
    } else {
        ShowingCode(state, onNewCode)
    }
}

@Composable
private fun ShowingCode(state: ShowCodeState.Showing, onNewCode: () -> Unit) {
    val copy = rememberCopy()
    val now by produceState(System.currentTimeMillis(), state.expiresAtMs) {
        while (true) {
            value = System.currentTimeMillis()
            delay(1000)
        }
    }
    val secondsLeft = ((state.expiresAtMs - now) / 1000).coerceAtLeast(0)

    Column(
        modifier = Modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        Text(
            stringResource(R.string.pair_instructions),
            style = MaterialTheme.typography.bodyLarge,
            textAlign = TextAlign.Center,
        )
        QrCode(
            state.ticket,
            Modifier
                .fillMaxWidth()
                .widthIn(max = 480.dp)
                .aspectRatio(1f),
        )
        if (secondsLeft > 0) {
            Text(
                stringResource(R.string.code_valid_for, secondsLeft / 60, secondsLeft % 60),
                style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
        } else {
            Text(stringResource(R.string.code_expired), style = MaterialTheme.typography.bodyMedium)
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { copy(state.ticket) }) { Text(stringResource(R.string.action_copy_code)) }
            if (secondsLeft <= 0) {
                Button(onClick = onNewCode) { Text(stringResource(R.string.action_new_code)) }
            }
        }
        Text(
            stringResource(R.string.pair_cli_hint),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
            textAlign = TextAlign.Center,
        )
    }
}

/** Both devices trust each other now. */
@Composable
fun PairedDone(deviceName: String, onDone: () -> Unit) {
    Column(
        modifier = Modifier
            .fillMaxSize()
            .padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
    ) {
        Icon(
            Icons.Outlined.CheckCircle,
            contentDescription = null,
            modifier = Modifier.size(72.dp),
            tint = MaterialTheme.colorScheme.primary,
        )
        Text(
            stringResource(R.string.paired_with, deviceName),
            style = MaterialTheme.typography.headlineSmall,
            textAlign = TextAlign.Center,
            maxLines = 3,
            overflow = TextOverflow.Ellipsis,
        )
        Text(
            stringResource(R.string.paired_text),
            style = MaterialTheme.typography.bodyMedium,
            textAlign = TextAlign.Center,
        )
        Button(onClick = onDone) { Text(stringResource(R.string.action_done)) }
    }
}
