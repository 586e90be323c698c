package app.ferry.android.logic

import app.ferry.core.FerryException
import app.ferry.core.FerryNode
import app.ferry.core.OfferInfo
import app.ferry.core.types.Event
import app.ferry.core.IncomingShare
import app.ferry.core.ReceiveSummary
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.launch
import kotlinx.coroutines.CancellationException

/** The scan screen's flow: a scanned code pairs, or opens a share to receive. */
sealed interface ScanState {
    /** The camera is looking for a code. */
    data object Scanning : ScanState

    /** A pairing code was read; joining the device that shows it. */
    data object Pairing : ScanState

    /** Paired: both devices trust each other now. */
    data class Paired(val deviceId: String, val deviceName: String) : ScanState

    /** A share ticket was read; asking the sender what it offers. */
    data object Opening : ScanState

    /** What the share offers; the user receives or goes back. */
    data class Offered(val offer: OfferInfo) : ScanState

    /** Receiving. */
    data class Receiving(val offer: OfferInfo, val progress: Progress) : ScanState

    /** Everything is in place. */
    data class Received(val summary: ReceiveSummary) : ScanState

    /** Something went wrong; [message] says what, in words for the user. */
    data class Failed(val message: String) : ScanState
}

/**
 * Handles what the camera (or a pasted text, or a `ferry://` link) reads:
 * pairing codes pair, share tickets open and receive.
 */
class ScanModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
    private val meter: () -> ProgressMeter = { ProgressMeter() },
) {
    private val _state = MutableStateFlow<ScanState>(ScanState.Scanning)
    val state: StateFlow<ScanState> = _state.asStateFlow()
    private var share: IncomingShare? = null
    private var job: Job? = null

    /** Handles one scanned text; ignored unless the screen is scanning. */
    fun onScanned(text: String): Job? {
        if (_state.value != ScanState.Scanning) return null
        return when (val scanned = Scanned.of(text)) {
            is Scanned.PairCode -> run(ScanState.Pairing) {
                val device = node.join(scanned.text)
                ScanState.Paired(device.id, device.name)
            }
            is Scanned.ShareTicket -> run(ScanState.Opening) {
                val incoming = node.openTicket(scanned.text)
                share = incoming
                ScanState.Offered(incoming.info())
            }
            is Scanned.Unknown -> {
                _state.value = ScanState.Failed("This QR code is not a Ferry code.")
                null
            }
        }
    }

    /** Receives the offered share into [outDir], with progress. */
    fun receive(outDir: String): Job? {
        val offered = _state.value as? ScanState.Offered ?: return null
        val incoming = share ?: return null
        val progress = meter()
        return run(ScanState.Receiving(offered.offer, progress.sample(0, offered.offer.bytes.toLong()))) {
            val watcher = scope.launch(start = CoroutineStart.UNDISPATCHED) {
                events.filterIsInstance<Event.ReceiveProgress>().collect { p ->
                    val current = _state.value
                    if (current is ScanState.Receiving) {
                        _state.value = current.copy(
                            progress = progress.sample(p.bytesDone.toLong(), p.bytesTotal.toLong()),
                        )
                    }
                }
            }
            try {
                ScanState.Received(incoming.receive(outDir))
            } finally {
                watcher.cancel()
            }
        }
    }

    /** Stops what is going on (a receive keeps its verified data) and scans again. */
    fun reset() {
        job?.cancel()
        job = null
        share = null
        _state.value = ScanState.Scanning
    }

    private fun run(busy: ScanState, work: suspend () -> ScanState): Job {
        _state.value = busy
        return scope.launch {
            _state.value = try {
                work()
            } catch (e: FerryException) {
                ScanState.Failed(e.message ?: "Something went wrong.")
            } catch (e: CancellationException) {
                throw e
            }
        }.also { job = it }
    }
}

/** Showing this device's pairing code (the QR the other device scans). */
sealed interface ShowCodeState {
    data object Idle : ShowCodeState

    /** [ticket] is what the QR code encodes; it expires at [expiresAtMs]. */
    data class Showing(val ticket: String, val expiresAtMs: Long) : ShowCodeState

    /** A device scanned the code and paired. */
    data class Paired(val deviceId: String, val deviceName: String) : ShowCodeState
}

/** The "Pair a device" screen: shows a code and reports who joined. */
class ShowCodeModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow<ShowCodeState>(ShowCodeState.Idle)
    val state: StateFlow<ShowCodeState> = _state.asStateFlow()
    private var watcher: Job? = null

    /** Starts showing a fresh code, valid for [validForSecs] (at most 600). */
    suspend fun show(validForSecs: Int = 300) {
        watcher?.cancel()
        watcher = scope.launch(start = CoroutineStart.UNDISPATCHED) {
            events.filterIsInstance<Event.Paired>().collect {
                _state.value = ShowCodeState.Paired(it.id, it.name)
            }
        }
        val ticket = node.startPairing(validForSecs.toUInt())
        _state.value = ShowCodeState.Showing(ticket, System.currentTimeMillis() + validForSecs * 1000L)
    }

    /** Stops showing the code; it no longer works. */
    fun stop() {
        node.stopPairing()
        watcher?.cancel()
        _state.value = ShowCodeState.Idle
    }
}
