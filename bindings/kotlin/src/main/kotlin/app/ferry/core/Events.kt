package app.ferry.core

import app.ferry.core.types.Event
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.channels.BufferOverflow

/**
 * The node's events as a cold [Flow]: each collector gets its own
 * subscription, opened when collection starts and closed when it stops.
 *
 * Events are buffered (up to [capacity]); a collector that falls further
 * behind slows the node's event delivery rather than losing events, and
 * the node itself reports a [Event.Lagged] if it had to drop any.
 */
fun FerryNode.events(capacity: Int = 1024): Flow<Event> = callbackFlow {
    val subscription = subscribe(object : EventListener {
        override fun onEvent(event: Event) {
            trySendBlocking(event)
        }
    })
    awaitClose { subscription.close() }
}.buffer(capacity, BufferOverflow.SUSPEND)
