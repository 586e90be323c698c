package app.ferry.android.logic

import app.ferry.core.types.Event
import app.ferry.core.FerryException
import app.ferry.core.FerryNode
import app.ferry.core.PushOutcome
import app.ferry.core.types.PushReport
import app.ferry.core.ShareInfo
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.launch

/** What the user picked to send: files (from the picker or the share sheet) and text. */
data class Outgoing(val paths: List<String>, val text: String? = null) {
    init {
        require(paths.isNotEmpty() || !text.isNullOrEmpty()) { "nothing to send" }
    }

    companion object {
        /**
         * What an ACTION_SEND / ACTION_SEND_MULTIPLE intent carries, once the
         * app has copied its content URIs to files: [files], plus EXTRA_TEXT
         * (a link or a note) if any.
         */
        fun fromShareSheet(files: List<String>, extraText: String?): Outgoing =
            Outgoing(files, extraText?.trim()?.takeIf { it.isNotEmpty() })
    }
}

sealed interface SendState {
    data object Idle : SendState

    /** Offered; the other device decides. */
    data class Waiting(val deviceName: String) : SendState
    data class Sending(val deviceName: String, val progress: Progress) : SendState
    data class Sent(val deviceName: String, val summary: PushReport) : SendState

    /** The device was offline: the push waits in the outbox. */
    data class Queued(val deviceName: String) : SendState
    data class Failed(val deviceName: String, val message: String, val declined: Boolean) : SendState

    /** A one-shot share: show [share]'s ticket as a QR code. */
    data class Shared(val share: ShareInfo) : SendState
}

/**
 * The send screen: push to a paired device, or share by QR. A device that
 * does not answer gets the push later: core queues it (for core's default
 * time, or [queueForSecs]).
 */
class SendModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
    private val queueForSecs: Long? = null,
) {
    private val _state = MutableStateFlow<SendState>(SendState.Idle)
    val state: StateFlow<SendState> = _state.asStateFlow()
    private var job: Job? = null

    /** Pushes [what] to the paired device [deviceId] (named [deviceName] on screen). */
    fun send(deviceId: String, deviceName: String, what: Outgoing): Job {
        job?.cancel()
        _state.value = SendState.Waiting(deviceName)
        val meter = ProgressMeter()
        return scope.launch {
            val watcher = launch(start = CoroutineStart.UNDISPATCHED) {
                events.collect { event ->
                    when (event) {
                        is Event.PushProgress -> if (event.to.id == deviceId) {
                            _state.value = SendState.Sending(
                                deviceName,
                                meter.sample(event.bytesDone.toLong(), event.bytesTotal.toLong()),
                            )
                        }
                        else -> {}
                    }
                }
            }
            _state.value = try {
                when (val outcome = node.pushOrQueue(deviceId, what.paths, what.text, queueForSecs?.toULong())) {
                    is PushOutcome.Delivered -> SendState.Sent(deviceName, outcome.summary)
                    is PushOutcome.Queued -> SendState.Queued(deviceName)
                }
            } catch (e: FerryException.Rejected) {
                SendState.Failed(deviceName, e.message ?: "declined", declined = true)
            } catch (e: FerryException) {
                SendState.Failed(deviceName, e.message ?: "failed", declined = false)
            } catch (e: CancellationException) {
                _state.value = SendState.Idle
                throw e
            } finally {
                watcher.cancel()
            }
        }.also { job = it }
    }

    /** Makes a one-shot share of [what] for a QR code (anyone holding it can receive). */
    fun shareByQr(what: Outgoing): Job {
        job?.cancel()
        return scope.launch {
            _state.value = try {
                SendState.Shared(node.share(what.paths, what.text))
            } catch (e: FerryException) {
                SendState.Failed("", e.message ?: "failed", declined = false)
            }
        }.also { job = it }
    }

    /** Stops a push in progress (the other device is told). */
    fun cancel() {
        job?.cancel()
        job = null
        _state.value = SendState.Idle
    }
}
