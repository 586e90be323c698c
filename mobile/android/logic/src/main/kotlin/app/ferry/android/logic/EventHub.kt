package app.ferry.android.logic

import app.ferry.core.EventListener
import app.ferry.core.types.Event
import app.ferry.core.FerryNode
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.runBlocking

/**
 * One subscription to the node's events, shared by every model. Hot: a
 * model that collects it with `CoroutineStart.UNDISPATCHED` is subscribed
 * before its `launch` returns, so it cannot miss an event that follows.
 */
class EventHub(node: FerryNode) : AutoCloseable {
    private val flow = MutableSharedFlow<Event>(extraBufferCapacity = 1024)
    val events: SharedFlow<Event> = flow.asSharedFlow()

    private val subscription = node.subscribe(object : EventListener {
        override fun onEvent(event: Event) {
            // Called on a Ferry thread: a full buffer makes it wait rather
            // than drop the event.
            if (!flow.tryEmit(event)) runBlocking { flow.emit(event) }
        }
    })

    override fun close() = subscription.close()
}
