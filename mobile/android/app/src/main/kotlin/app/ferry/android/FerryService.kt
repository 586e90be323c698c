package app.ferry.android

import android.Manifest
import android.annotation.SuppressLint
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.content.pm.ServiceInfo
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.net.NetworkRequest
import android.net.wifi.WifiManager
import android.os.Build
import android.os.Environment
import android.os.IBinder
import androidx.core.app.NotificationManagerCompat
import androidx.core.app.ServiceCompat
import androidx.core.content.ContextCompat
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.OfferCard
import app.ferry.android.logic.OfferStatus
import app.ferry.android.logic.Settings
import app.ferry.android.logic.SettingsStore
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.io.File

/** Where the node stands, as the screens show it. */
enum class Phase { STOPPED, STARTING, RUNNING, FAILED }

/**
 * The running app, shared by [FerryService] (which starts and stops it) and
 * the screens (which show its models). One per process.
 */
object Ferry {
    private val _app = MutableStateFlow<FerryApp?>(null)

    /** The running app; null while starting, stopped or failed. */
    val app: StateFlow<FerryApp?> = _app.asStateFlow()

    private val _phase = MutableStateFlow(Phase.STOPPED)
    val phase: StateFlow<Phase> = _phase.asStateFlow()

    private val _problem = MutableStateFlow<String?>(null)

    /** Why the node could not start, when it could not. */
    val problem: StateFlow<String?> = _problem.asStateFlow()

    /** The saved settings. Accept policy and download folder apply at once; the rest on restart. */
    val settings = MutableStateFlow<Settings?>(null)

    /** What the send screen will send: picked or shared files, and text. */
    val draft = MutableStateFlow(Draft())

    /** A ferry:// link that arrived, waiting to be handed to the scan model. */
    val pendingLink = MutableStateFlow<String?>(null)

    /** Work that must outlive a screen, such as copying shared files. */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)

    /** The file FerryApp.start reads its settings from, in [dataDir]. */
    private const val SETTINGS_FILE = "app-settings.properties"

    fun dataDir(context: Context) = File(context.filesDir, "ferry")

    /** Where files opened from collections are written (see res/xml/file_paths.xml). */
    fun collectionsCache(context: Context) = File(context.cacheDir, "collections")

    /** Settings for a fresh install: the phone's model name, Downloads/Ferry. */
    fun defaults(context: Context) = Settings(
        deviceName = Build.MODEL?.takeIf { it.isNotBlank() }?.take(64) ?: "Android phone",
        downloadDir = defaultDownloadDir(context).path,
    )

    /**
     * Downloads/Ferry where the app may write there (Android 11 and later),
     * else the app's own Download folder, which needs no permission.
     */
    @Suppress("DEPRECATION")
    fun defaultDownloadDir(context: Context): File {
        val shared = File(Environment.getExternalStoragePublicDirectory(Environment.DIRECTORY_DOWNLOADS), "Ferry")
        if ((shared.isDirectory || shared.mkdirs()) && shared.canWrite()) return shared
        val own = context.getExternalFilesDir(Environment.DIRECTORY_DOWNLOADS) ?: File(context.filesDir, "Download")
        return File(own, "Ferry")
    }

    fun settingsStore(context: Context) =
        SettingsStore(File(dataDir(context), SETTINGS_FILE)) { defaults(context) }

    /** The shutdown of a node whose service ended; a new node waits for it. */
    internal var stopping: Job? = null

    /** Starts the service and the node, if they are not running. */
    fun start(context: Context) {
        if (_phase.value == Phase.FAILED || _phase.value == Phase.STOPPED) {
            _problem.value = null
            _phase.value = Phase.STARTING
        }
        ContextCompat.startForegroundService(context, FerryService.intent(context, FerryService.ACTION_START))
    }

    /** Stops the node and starts it again (a new name or relay applies then). */
    fun restart(context: Context) {
        ContextCompat.startForegroundService(context, FerryService.intent(context, FerryService.ACTION_RESTART))
    }

    /** Stops the node and the service; nothing is received until the app is opened again. */
    fun quit(context: Context) {
        context.startService(FerryService.intent(context, FerryService.ACTION_QUIT))
    }

    internal fun starting() {
        _problem.value = null
        _phase.value = Phase.STARTING
    }

    internal fun running(app: FerryApp) {
        settings.value = app.settings
        _app.value = app
        _phase.value = Phase.RUNNING
    }

    internal fun stopped() {
        _app.value = null
        _phase.value = Phase.STOPPED
    }

    internal fun failed(message: String) {
        _app.value = null
        _problem.value = message
        _phase.value = Phase.FAILED
    }
}

/**
 * Keeps the node running while the app is in use and after it is left, so
 * paired devices can send and collections stay in sync: a foreground
 * service (data sync) with an ongoing notification showing transfers, one
 * notification per incoming offer (Accept / Reject), the multicast lock mDNS
 * needs, and network change reports (iroh cannot watch them on Android).
 */
class FerryService : Service() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    /** Starting and stopping the node take turns (one data dir, one node). */
    private val transitions = Mutex()

    /** Whether the node should run: false after Quit, and before any start. */
    private var wanted = false
    private var watchers: Job? = null
    private var multicastLock: WifiManager.MulticastLock? = null
    private var networkCallback: ConnectivityManager.NetworkCallback? = null
    private val networkChanges = Channel<Unit>(Channel.CONFLATED)

    /** Offers that have a notification now. */
    private val offerNotifications = mutableSetOf<Long>()

    /** What the ongoing notification shows. */
    private var nowDoing: NowDoing? = null

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onCreate() {
        super.onCreate()
        Notifications.createChannels(this)
        scope.launch { forwardNetworkChanges() }
    }

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        when (intent?.action) {
            ACTION_ACCEPT -> answer(intent, accept = true, startId)
            ACTION_REJECT -> answer(intent, accept = false, startId)
            ACTION_QUIT -> quit(startId)
            ACTION_RESTART -> {
                goForeground()
                wanted = true
                scope.launch {
                    transitions.withLock {
                        stopNode()
                        startNode(startId)
                    }
                }
            }
            else -> {
                goForeground()
                wanted = true
                scope.launch { transitions.withLock { startNode(startId) } }
            }
        }
        // Restarted by the user opening the app, never in the background.
        return START_NOT_STICKY
    }

    /** Android 15 limits data sync services to six hours a day; stop when told. */
    override fun onTimeout(startId: Int, fgsType: Int) {
        wanted = false
        stopSelf()
    }

    override fun onDestroy() {
        releaseNetwork()
        cancelOfferNotifications()
        val app = Ferry.app.value
        if (app != null) {
            Ferry.stopped()
            // The service's scope ends here; the node still shuts down cleanly.
            Ferry.stopping = CoroutineScope(Dispatchers.IO).launch { app.stop() }
        }
        scope.cancel()
        super.onDestroy()
    }

    // ---- starting and stopping the node ----

    private fun goForeground() {
        ServiceCompat.startForeground(
            this,
            Notifications.RUNNING_ID,
            Notifications.running(this, nowDoing ?: NowDoing.ready(this)),
            ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC,
        )
    }

    /** Starts the node unless it runs; on failure tells the screens and stops. */
    private suspend fun startNode(startId: Int) {
        if (Ferry.app.value != null || !wanted) return
        Ferry.starting()
        Ferry.stopping?.join()
        holdNetwork()
        try {
            val context = this
            val app = withContext(Dispatchers.IO) {
                FerryApp.start(
                    dataDir = Ferry.dataDir(context),
                    cacheDir = Ferry.collectionsCache(context),
                    defaults = { Ferry.defaults(context) },
                )
            }
            Ferry.running(app)
            watchers = scope.launch { watch(app) }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            // FerryException (a data dir in use, a bad relay URL), or a
            // native library that failed to load.
            Ferry.failed(e.message ?: e.javaClass.simpleName)
            stopSelfResult(startId)
        }
    }

    private suspend fun stopNode() {
        watchers?.cancelAndJoin()
        watchers = null
        cancelOfferNotifications()
        val app = Ferry.app.value ?: return
        Ferry.stopped()
        withContext(NonCancellable + Dispatchers.IO) { app.stop() }
    }

    private fun quit(startId: Int) {
        wanted = false
        scope.launch {
            transitions.withLock { stopNode() }
            // Unless the app asked to start again meanwhile.
            if (!wanted) stopSelfResult(startId)
        }
    }

    // ---- offers answered from their notification ----

    private fun answer(intent: Intent, accept: Boolean, startId: Int) {
        val offerId = intent.getLongExtra(EXTRA_OFFER_ID, -1)
        NotificationManagerCompat.from(this).cancel(Notifications.offerNotificationId(offerId))
        offerNotifications.remove(offerId)
        val app = Ferry.app.value
        if (app != null && offerId >= 0) {
            scope.launch(Dispatchers.IO) {
                if (accept) app.inbox.accept(offerId) else app.inbox.reject(offerId)
            }
        }
        // A notification left over from a process that has ended: the offer
        // is gone with it, and this service has nothing to do.
        if (!wanted) stopSelfResult(startId)
    }

    // ---- notifications ----

    private suspend fun watch(app: FerryApp) {
        coroutineScope {
            launch {
                app.inbox.cards.collect { cards -> showOffers(cards) }
            }
            launch {
                combine(app.inbox.cards, app.send.state, app.scan.state) { cards, send, scan ->
                    NowDoing.of(this@FerryService, cards, send, scan)
                }
                    .distinctUntilChanged()
                    .conflate()
                    .collect { doing ->
                        nowDoing = doing
                        post(Notifications.RUNNING_ID, Notifications.running(this@FerryService, doing))
                        // The system drops notification updates that come too often.
                        delay(NOTIFICATION_INTERVAL_MS)
                    }
            }
        }
    }

    private fun showOffers(cards: List<OfferCard>) {
        val waiting = cards.filter { it.status is OfferStatus.Waiting }
        for (card in waiting) {
            if (offerNotifications.add(card.offerId)) {
                post(Notifications.offerNotificationId(card.offerId), Notifications.offer(this, card))
            }
        }
        val stillWaiting = waiting.map { it.offerId }.toSet()
        val answered = offerNotifications.filter { it !in stillWaiting }
        val manager = NotificationManagerCompat.from(this)
        for (offerId in answered) {
            manager.cancel(Notifications.offerNotificationId(offerId))
            offerNotifications.remove(offerId)
        }
    }

    private fun cancelOfferNotifications() {
        val manager = NotificationManagerCompat.from(this)
        offerNotifications.forEach { manager.cancel(Notifications.offerNotificationId(it)) }
        offerNotifications.clear()
    }

    @SuppressLint("MissingPermission")
    private fun post(id: Int, notification: android.app.Notification) {
        val allowed = Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU ||
            ContextCompat.checkSelfPermission(this, Manifest.permission.POST_NOTIFICATIONS) ==
            PackageManager.PERMISSION_GRANTED
        if (allowed) NotificationManagerCompat.from(this).notify(id, notification)
    }

    // ---- the network ----

    /** mDNS needs multicast packets, which Wi-Fi drops without this lock. */
    private fun holdNetwork() {
        if (multicastLock == null) {
            multicastLock = try {
                applicationContext.getSystemService(WifiManager::class.java)
                    ?.createMulticastLock("ferry-mdns")
                    ?.apply {
                        setReferenceCounted(false)
                        acquire()
                    }
            } catch (e: RuntimeException) {
                null
            }
        }
        if (networkCallback == null) {
            val connectivity = getSystemService(ConnectivityManager::class.java) ?: return
            val callback = NetworkWatcher { networkChanges.trySend(Unit) }
            val request = NetworkRequest.Builder()
                .addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                .removeCapability(NetworkCapabilities.NET_CAPABILITY_NOT_VPN)
                .build()
            try {
                connectivity.registerNetworkCallback(request, callback)
                networkCallback = callback
            } catch (e: RuntimeException) {
                // Too many callbacks in this process; discovery still works,
                // only switching networks is noticed later.
            }
        }
    }

    private fun releaseNetwork() {
        multicastLock?.let { if (it.isHeld) it.release() }
        multicastLock = null
        networkCallback?.let { callback ->
            try {
                getSystemService(ConnectivityManager::class.java)?.unregisterNetworkCallback(callback)
            } catch (e: RuntimeException) {
                // Already unregistered.
            }
        }
        networkCallback = null
    }

    /** Reports network changes to the node, a burst of them as one. */
    private suspend fun forwardNetworkChanges() {
        while (true) {
            networkChanges.receive()
            delay(NETWORK_SETTLE_MS)
            networkChanges.tryReceive()
            val app = Ferry.app.value ?: continue
            try {
                app.networkChanged()
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                // The node is shutting down.
            }
        }
    }

    /**
     * Calls [changed] when a network comes or goes, or changes in a way that
     * matters to connections (transport, validation); not for every signal
     * strength update.
     */
    private class NetworkWatcher(private val changed: () -> Unit) : ConnectivityManager.NetworkCallback() {
        // Callbacks arrive one at a time on the connectivity thread.
        private val shapes = HashMap<Network, String>()

        override fun onAvailable(network: Network) {
            changed()
        }

        override fun onLost(network: Network) {
            shapes.remove(network)
            changed()
        }

        override fun onCapabilitiesChanged(network: Network, capabilities: NetworkCapabilities) {
            val shape = buildString {
                for ((transport, letter) in TRANSPORTS) if (capabilities.hasTransport(transport)) append(letter)
                if (capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)) append('v')
            }
            if (shapes.put(network, shape) != shape) changed()
        }

        private companion object {
            val TRANSPORTS = listOf(
                NetworkCapabilities.TRANSPORT_WIFI to 'w',
                NetworkCapabilities.TRANSPORT_CELLULAR to 'c',
                NetworkCapabilities.TRANSPORT_ETHERNET to 'e',
                NetworkCapabilities.TRANSPORT_VPN to 'p',
            )
        }
    }

    companion object {
        const val ACTION_START = "app.ferry.android.action.START"
        const val ACTION_RESTART = "app.ferry.android.action.RESTART"
        const val ACTION_QUIT = "app.ferry.android.action.QUIT"
        const val ACTION_ACCEPT = "app.ferry.android.action.ACCEPT"
        const val ACTION_REJECT = "app.ferry.android.action.REJECT"
        const val EXTRA_OFFER_ID = "offerId"

        private const val NETWORK_SETTLE_MS = 500L
        private const val NOTIFICATION_INTERVAL_MS = 1000L

        fun intent(context: Context, action: String): Intent =
            Intent(context, FerryService::class.java).setAction(action)
    }
}
