package app.ferry.android.logic

import app.ferry.core.AcceptPolicy
import app.ferry.core.types.DeviceRef
import app.ferry.core.types.Event
import app.ferry.core.FerryNode
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** Where an incoming offer stands. */
sealed interface OfferStatus {
    /** Waiting for the user: Accept or Reject. */
    data object Waiting : OfferStatus
    data class Receiving(val progress: Progress) : OfferStatus
    data class Done(val files: Long, val bytes: Long, val folder: String) : OfferStatus
    data class Rejected(val reason: String) : OfferStatus
    data class Failed(val message: String) : OfferStatus
}

/** One card of the inbox. */
data class OfferCard(
    val offerId: Long,
    val fromId: String,
    val fromName: String,
    val files: Long,
    val bytes: Long,
    /** The first names offered; folders end in `/`. */
    val names: List<String>,
    /** Text or a link sent with (or instead of) files. */
    val text: String?,
    val isLink: Boolean,
    val status: OfferStatus,
) {
    /** "3 files · 12 MB", "A link", "2 files · 4.1 MB and a note". */
    val summary: String
        get() = buildString {
            if (files > 0) append(if (files == 1L) "1 file" else "$files files").append(" · ").append(formatBytes(bytes))
            if (text != null) {
                if (isNotEmpty()) append(" and ")
                append(if (isLink) "a link" else "a note")
            }
        }.replaceFirstChar { it.uppercase() }
}

/**
 * The inbox: offers from paired devices as cards, answered with [accept] or
 * [reject], with progress while files arrive; text and links arrive as
 * cards too. Offers of devices with auto-accept on are accepted by the
 * node itself and show up already receiving.
 */
class InboxModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
) {
    private val _cards = MutableStateFlow<List<OfferCard>>(emptyList())
    val cards: StateFlow<List<OfferCard>> = _cards.asStateFlow()

    private val meters = mutableMapOf<Long, ProgressMeter>()

    init {
        scope.launch(start = CoroutineStart.UNDISPATCHED) { events.collect(::onEvent) }
        // Offers that arrived before this model listened (the screen came
        // back, the service restarted the UI): the node still holds them.
        val held = node.offers().map { o ->
            card(o.offerId, o.sender, o.files, o.bytes, o.names, o.text,
                if (o.receiving) OfferStatus.Receiving(Progress(0, o.bytes.toLong())) else OfferStatus.Waiting)
        }
        _cards.update { now -> now + held.filter { h -> now.none { it.offerId == h.offerId } } }
    }

    /** Asks about offers (auto-accept devices excepted); files go to [downloadDir]. */
    fun configure(policy: AcceptPolicy, downloadDir: String?) = node.setInbox(policy, downloadDir)

    fun accept(offerId: Long): Boolean = node.respond(offerId.toULong(), true)

    fun reject(offerId: Long): Boolean = node.respond(offerId.toULong(), false)

    /** Stops an offer that is being received; files already in place stay. */
    fun cancel(offerId: Long): Boolean = node.cancelOffer(offerId.toULong())

    /** Removes finished cards. */
    fun clearFinished() = _cards.update { list ->
        list.filter { it.status is OfferStatus.Waiting || it.status is OfferStatus.Receiving }
    }

    private fun onEvent(event: Event) {
        when (event) {
            is Event.OfferReceived -> _cards.update {
                it + card(event.offerId, event.sender, event.files, event.bytes, event.names, event.text, OfferStatus.Waiting)
            }
            is Event.OfferAccepted -> {
                val id = event.offerId.toLong()
                if (_cards.value.none { it.offerId == id }) return
                meters[id] = ProgressMeter()
                set(id) { it.copy(status = OfferStatus.Receiving(Progress(0, it.bytes))) }
            }
            is Event.TextReceived -> set(event.offerId.toLong()) {
                it.copy(text = event.text, isLink = event.isLink)
            }
            is Event.ReceiveProgress -> {
                val id = event.offerId?.toLong() ?: return
                val progress = meters.getOrPut(id) { ProgressMeter() }
                    .sample(event.bytesDone.toLong(), event.bytesTotal.toLong())
                set(id) { it.copy(status = OfferStatus.Receiving(progress)) }
            }
            is Event.OfferDone -> finish(event.offerId.toLong()) {
                OfferStatus.Done(event.files.toLong(), event.bytes.toLong(), event.out)
            }
            is Event.OfferRejected -> finish(event.offerId.toLong()) { OfferStatus.Rejected(event.reason) }
            is Event.OfferFailed -> finish(event.offerId.toLong()) { OfferStatus.Failed(event.message) }
            else -> {}
        }
    }

    private fun finish(offerId: Long, status: () -> OfferStatus) {
        meters.remove(offerId)
        val end = status()
        set(offerId) { card ->
            // A text-only offer is "done" once accepted: no files to show.
            card.copy(status = end)
        }
    }

    /** A card for an offer, from its event or from the offers the node holds. */
    private fun card(
        offerId: ULong,
        sender: DeviceRef,
        files: ULong,
        bytes: ULong,
        names: List<String>,
        text: String?,
        status: OfferStatus,
    ) = OfferCard(
        offerId = offerId.toLong(),
        fromId = sender.id,
        fromName = sender.name,
        files = files.toLong(),
        bytes = bytes.toLong(),
        names = names,
        text = text,
        isLink = false,
        status = status,
    )

    private fun set(offerId: Long, change: (OfferCard) -> OfferCard) = _cards.update { list ->
        list.map { if (it.offerId == offerId) change(it) else it }
    }
}
