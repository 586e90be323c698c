package app.ferry.android.ui

import android.Manifest
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.provider.Settings as AndroidSettings
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.outlined.CameraAlt
import androidx.compose.material.icons.outlined.CheckCircle
import androidx.compose.material.icons.outlined.Description
import androidx.compose.material.icons.outlined.Folder
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Icon
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.Ferry
import app.ferry.android.R
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.QrScanner
import app.ferry.android.logic.ScanState
import app.ferry.android.logic.formatBytes
import app.ferry.core.OfferInfo
import app.ferry.core.OfferedEntry
import app.ferry.core.ReceiveSummary
import app.ferry.core.types.PathKind
import java.io.File
import java.util.concurrent.Executors

/** Entries of an offer listed before "and N more". */
private const val ENTRIES_SHOWN = 100

/**
 * Scanning a code with the camera (or pasting one): a pairing code pairs, a
 * share code shows what it offers and receives it. Each step of the scan
 * model has its own view.
 */
@Composable
fun ScanScreen(app: FerryApp, onDone: () -> Unit) {
    val state by app.scan.state.collectAsStateWithLifecycle()
    val settings by Ferry.settings.collectAsStateWithLifecycle()
    val downloadDir = (settings ?: app.settings).downloadDir

    // A scan that ended (or an offer left unanswered) starts over next time;
    // one in progress goes on and shows again when the screen comes back.
    DisposableEffect(app) {
        onDispose {
            when (app.scan.state.value) {
                is ScanState.Paired, is ScanState.Received, is ScanState.Failed, is ScanState.Offered -> app.scan.reset()
                else -> {}
            }
        }
    }

    when (val s = state) {
        ScanState.Scanning -> Scanner(onText = { app.scan.onScanned(it) })
        ScanState.Pairing -> Busy(stringResource(R.string.scan_pairing))
        ScanState.Opening -> Busy(stringResource(R.string.scan_opening))
        is ScanState.Paired -> PairedDone(s.deviceName, onDone = {
            app.scan.reset()
            onDone()
        })
        is ScanState.Offered -> Offered(
            offer = s.offer,
            downloadDir = downloadDir,
            onReceive = { app.scan.receive(downloadDir) },
            onCancel = { app.scan.reset() },
        )
        is ScanState.Receiving -> Page {
            Text(stringResource(R.string.scan_receiving), style = MaterialTheme.typography.titleLarge)
            OfferSummary(s.offer)
            LinearProgressIndicator(progress = { s.progress.fraction }, modifier = Modifier.fillMaxWidth())
            Text(s.progress.label, style = MaterialTheme.typography.bodyMedium)
            OutlinedButton(onClick = { app.scan.reset() }) { Text(stringResource(R.string.action_stop)) }
            Text(
                stringResource(R.string.scan_stop_hint),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
        }
        is ScanState.Received -> Received(
            summary = s.summary,
            onDone = {
                app.scan.reset()
                onDone()
            },
            onScanAgain = { app.scan.reset() },
        )
        is ScanState.Failed -> Page {
            ErrorBanner(s.message)
            Button(onClick = { app.scan.reset() }) { Text(stringResource(R.string.action_scan_again)) }
        }
    }
}

/** A scrolling column with the screen's padding. */
@Composable
private fun Page(content: @Composable () -> Unit) {
    Column(
        modifier = Modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        content()
    }
}

/** The camera, or why it is not there; and a field to paste a code instead. */
@Composable
private fun Scanner(onText: (String) -> Unit) {
    val context = LocalContext.current
    var granted by remember { mutableStateOf(hasCamera(context)) }
    var asked by rememberSaveable { mutableStateOf(false) }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { ok ->
        granted = ok
        asked = true
    }
    LaunchedEffect(Unit) {
        if (!granted && !asked) ask.launch(Manifest.permission.CAMERA)
    }
    var pasted by rememberSaveable { mutableStateOf("") }

    Page {
        if (granted) {
            CameraPreview(
                onText = onText,
                modifier = Modifier
                    .fillMaxWidth()
                    .widthIn(max = 480.dp)
                    .aspectRatio(3f / 4f)
                    .clip(RoundedCornerShape(16.dp)),
            )
            Text(
                stringResource(R.string.scan_point),
                style = MaterialTheme.typography.bodyMedium,
                textAlign = TextAlign.Center,
                modifier = Modifier.fillMaxWidth(),
            )
        } else {
            Card(modifier = Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                    Icon(Icons.Outlined.CameraAlt, contentDescription = null)
                    Text(stringResource(R.string.camera_needed), style = MaterialTheme.typography.bodyMedium)
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Button(onClick = { ask.launch(Manifest.permission.CAMERA) }) {
                            Text(stringResource(R.string.action_allow_camera))
                        }
                        if (asked) {
                            OutlinedButton(onClick = { openAppSettings(context) }) {
                                Text(stringResource(R.string.action_app_settings))
                            }
                        }
                    }
                }
            }
        }
        OutlinedTextField(
            value = pasted,
            onValueChange = { pasted = it },
            label = { Text(stringResource(R.string.paste_code)) },
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
        Button(onClick = { onText(pasted.trim()) }, enabled = pasted.isNotBlank()) {
            Text(stringResource(R.string.action_open_code))
        }
    }
}

/**
 * The back camera's preview, with every frame's luminance (Y) plane handed
 * to the QR decoder on a worker thread; decoded text goes to [onText] on the
 * main thread.
 */
@Composable
private fun CameraPreview(onText: (String) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val owner = LocalLifecycleOwner.current
    val latestOnText by rememberUpdatedState(onText)
    var failure by remember { mutableStateOf<String?>(null) }
    val previewView = remember {
        PreviewView(context).apply {
            scaleType = PreviewView.ScaleType.FILL_CENTER
            implementationMode = PreviewView.ImplementationMode.COMPATIBLE
        }
    }

    DisposableEffect(owner) {
        val worker = Executors.newSingleThreadExecutor()
        val main = ContextCompat.getMainExecutor(context)
        val scanner = QrScanner()
        var frame = ByteArray(0)
        val preview = Preview.Builder().build()
        val analysis = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .build()
        analysis.setAnalyzer(worker) { image ->
            val text = try {
                val plane = image.planes[0]
                val size = plane.rowStride * image.height
                if (frame.size != size) frame = ByteArray(size)
                val buffer = plane.buffer
                buffer.rewind()
                buffer.get(frame, 0, minOf(buffer.remaining(), size))
                scanner.decode(frame, image.width, image.height, plane.rowStride)
            } catch (e: RuntimeException) {
                null
            } finally {
                image.close()
            }
            if (text != null) main.execute { latestOnText(text) }
        }

        var provider: ProcessCameraProvider? = null
        var disposed = false
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            if (disposed) return@addListener
            try {
                val cameras = future.get()
                provider = cameras
                preview.setSurfaceProvider(previewView.surfaceProvider)
                val selector = if (cameras.hasCamera(CameraSelector.DEFAULT_BACK_CAMERA)) {
                    CameraSelector.DEFAULT_BACK_CAMERA
                } else {
                    CameraSelector.DEFAULT_FRONT_CAMERA
                }
                cameras.unbindAll()
                cameras.bindToLifecycle(owner, selector, preview, analysis)
            } catch (e: Exception) {
                failure = e.message ?: e.javaClass.simpleName
            }
        }, main)

        onDispose {
            disposed = true
            provider?.unbind(preview, analysis)
            analysis.clearAnalyzer()
            worker.shutdown()
        }
    }

    val problem = failure
    if (problem != null) {
        ErrorBanner(stringResource(R.string.camera_failed, problem))
    } else {
        AndroidView(factory = { previewView }, modifier = modifier)
    }
}

/** What a share code offers: sender, files, sizes, text; Receive or Cancel. */
@Composable
private fun Offered(offer: OfferInfo, downloadDir: String, onReceive: () -> Unit, onCancel: () -> Unit) {
    Page {
        Text(stringResource(R.string.offer_ready), style = MaterialTheme.typography.titleLarge)
        OfferSummary(offer)
        offer.text?.let { ReceivedText(it, looksLikeLink(it), showActions = false) }
        Card(modifier = Modifier.fillMaxWidth()) {
            Column(Modifier.padding(vertical = 8.dp)) {
                if (offer.entries.isEmpty()) {
                    Text(
                        stringResource(R.string.offer_no_files),
                        modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp),
                        style = MaterialTheme.typography.bodyMedium,
                    )
                }
                offer.entries.take(ENTRIES_SHOWN).forEach { EntryRow(it) }
                if (offer.entries.size > ENTRIES_SHOWN) {
                    Text(
                        stringResource(R.string.and_more, offer.entries.size - ENTRIES_SHOWN),
                        modifier = Modifier.padding(horizontal = 16.dp, vertical = 8.dp),
                        style = MaterialTheme.typography.bodySmall,
                    )
                }
            }
        }
        Text(
            stringResource(R.string.offer_saved_to, downloadDir),
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
            maxLines = 2,
            overflow = TextOverflow.Ellipsis,
        )
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) }
            Button(onClick = onReceive) { Text(stringResource(R.string.action_receive)) }
        }
    }
}

@Composable
private fun OfferSummary(offer: OfferInfo) {
    val files = offer.files.toLong().toInt()
    Text(
        stringResource(
            R.string.offer_summary,
            plural(R.plurals.files, files),
            formatBytes(offer.bytes.toLong()),
            stringResource(routeLabel(offer.path)),
        ),
        style = MaterialTheme.typography.bodyMedium,
    )
    Text(
        stringResource(R.string.offer_sender, shortId(offer.sender)),
        style = MaterialTheme.typography.bodySmall,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
        maxLines = 1,
        overflow = TextOverflow.Ellipsis,
    )
}

@Composable
private fun EntryRow(entry: OfferedEntry) {
    Row(
        modifier = Modifier
            .fillMaxWidth()
            .padding(horizontal = 16.dp, vertical = 6.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Icon(
            if (entry.isDir) Icons.Outlined.Folder else Icons.Outlined.Description,
            contentDescription = null,
            modifier = Modifier.size(20.dp),
        )
        Spacer(Modifier.width(12.dp))
        Column(Modifier.weight(1f)) {
            Text(entry.name, maxLines = 1, overflow = TextOverflow.Ellipsis, style = MaterialTheme.typography.bodyMedium)
            entry.rejected?.let { reason ->
                Text(
                    stringResource(R.string.entry_skipped, reason),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.error,
                    maxLines = 2,
                    overflow = TextOverflow.Ellipsis,
                )
            }
        }
        if (!entry.isDir) {
            Spacer(Modifier.width(8.dp))
            Text(formatBytes(entry.size.toLong()), style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** Everything arrived: how much, where, the text, and names that were skipped. */
@Composable
private fun Received(summary: ReceiveSummary, onDone: () -> Unit, onScanAgain: () -> Unit) {
    val folder = summary.written.firstOrNull()?.let { File(it).parent }
    Page {
        Icon(
            Icons.Outlined.CheckCircle,
            contentDescription = null,
            modifier = Modifier.size(56.dp),
            tint = MaterialTheme.colorScheme.primary,
        )
        Text(
            stringResource(
                R.string.received_summary,
                plural(R.plurals.files, summary.files.toLong().toInt()),
                formatBytes(summary.bytes.toLong()),
            ),
            style = MaterialTheme.typography.titleLarge,
        )
        if (folder != null) {
            Text(
                stringResource(R.string.received_in, folder),
                style = MaterialTheme.typography.bodyMedium,
                maxLines = 3,
                overflow = TextOverflow.Ellipsis,
            )
        }
        summary.text?.let { ReceivedText(it, looksLikeLink(it)) }
        if (summary.rejected.isNotEmpty()) {
            Text(stringResource(R.string.received_skipped), style = MaterialTheme.typography.titleSmall)
            summary.rejected.take(ENTRIES_SHOWN).forEach { r ->
                Text(
                    stringResource(R.string.skipped_name, r.name, r.reason),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.error,
                    maxLines = 2,
                    overflow = TextOverflow.Ellipsis,
                )
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = onScanAgain) { Text(stringResource(R.string.action_scan_again)) }
            Button(onClick = onDone) { Text(stringResource(R.string.action_done)) }
        }
    }
}

private fun routeLabel(path: PathKind): Int = when (path) {
    PathKind.DIRECT -> R.string.route_direct
    PathKind.RELAY -> R.string.route_relay
    PathKind.LOCAL -> R.string.route_local
}

private fun hasCamera(context: Context) =
    ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED

private fun openAppSettings(context: Context) {
    val intent = Intent(AndroidSettings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", context.packageName, null))
    try {
        context.startActivity(intent)
    } catch (e: android.content.ActivityNotFoundException) {
        // No settings screen to open; the button does nothing.
    }
}
