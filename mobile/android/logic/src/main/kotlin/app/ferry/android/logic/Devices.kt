package app.ferry.android.logic

import app.ferry.core.DeviceHealth
import app.ferry.core.DeviceInfo
import app.ferry.core.types.Event
import app.ferry.core.types.Route
import app.ferry.core.FerryException
import app.ferry.core.FerryNode
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** A paired device as the devices screen shows it. */
data class DeviceRow(
    val id: String,
    val name: String,
    val autoAccept: Boolean,
    /** null until probed. */
    val online: Boolean? = null,
    /** How it is reached; null until probed or while offline. */
    val route: Route? = null,
    val rttMs: Long? = null,
) {
    /** "Online · Wi-Fi · 4 ms", "Offline", "Checking…". */
    val statusLabel: String
        get() = when (online) {
            null -> "Checking…"
            false -> "Offline"
            true -> buildString {
                append("Online")
                when (route) {
                    Route.DIRECT_LAN -> append(" · same network")
                    Route.DIRECT_INTERNET -> append(" · direct")
                    Route.RELAY -> append(" · relayed")
                    Route.LOCAL -> append(" · this device")
                    null -> {}
                }
                rttMs?.let { append(" · $it ms") }
            }
        }
}

/** A Ferry device on the same network that is not necessarily paired. */
data class NearbyRow(val id: String, val name: String, val paired: Boolean)

data class DevicesState(
    val paired: List<DeviceRow> = emptyList(),
    val nearby: List<NearbyRow> = emptyList(),
    val error: String? = null,
)

/** The devices screen: paired devices with their status, nearby devices. */
class DevicesModel(
    private val node: FerryNode,
    private val events: Flow<Event>,
    private val scope: CoroutineScope,
) {
    private val _state = MutableStateFlow(DevicesState())
    val state: StateFlow<DevicesState> = _state.asStateFlow()

    init {
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            events.collect { event ->
                when (event) {
                    is Event.Paired, is Event.DeviceRemoved -> reload()
                    is Event.DeviceStatus -> _state.update { s ->
                        s.copy(paired = s.paired.map {
                            if (it.id != event.id) it
                            else it.copy(online = event.online, route = event.route, rttMs = event.rttMs?.toLong())
                        })
                    }
                    is Event.NearbyFound -> _state.update { s ->
                        s.copy(nearby = s.nearby.filter { it.id != event.id } +
                            NearbyRow(event.id, event.name, event.paired))
                    }
                    is Event.NearbyLost -> _state.update { s ->
                        s.copy(nearby = s.nearby.filter { it.id != event.id })
                    }
                    else -> {}
                }
            }
        }
        reload()
    }

    /** Reads the paired devices again, keeping known online states. */
    fun reload() {
        val devices = guard { node.devices() } ?: return
        _state.update { s ->
            val known = s.paired.associateBy { it.id }
            s.copy(
                paired = devices.map { d -> row(d, known[d.id]) }.sortedBy { it.name.lowercase() },
                nearby = node.nearby().map { NearbyRow(it.id, it.name, it.paired) },
                error = null,
            )
        }
    }

    /** Dials every paired device once; rows update as answers come in. */
    suspend fun probe(): List<DeviceHealth> =
        try {
            node.probeDevices()
        } catch (e: FerryException) {
            _state.update { it.copy(error = e.message) }
            emptyList()
        }

    fun rename(id: String, name: String) = change { node.renameDevice(id, name) }

    fun setAutoAccept(id: String, on: Boolean) = change { node.setAutoAccept(id, on) }

    fun remove(id: String) = change { node.removeDevice(id) }

    private fun change(action: () -> DeviceInfo) {
        guard(action) ?: return
        reload()
    }

    private fun <T> guard(action: () -> T): T? =
        try {
            action()
        } catch (e: FerryException) {
            _state.update { it.copy(error = e.message) }
            null
        }

    private fun row(d: DeviceInfo, known: DeviceRow?) = DeviceRow(
        id = d.id,
        name = d.name,
        autoAccept = d.autoAccept,
        online = known?.online,
        route = known?.route,
        rttMs = known?.rttMs,
    )
}
