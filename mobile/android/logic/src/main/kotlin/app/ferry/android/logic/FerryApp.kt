package app.ferry.android.logic

import app.ferry.core.FerryNode
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import java.io.File

/**
 * Everything the app's screens hold, over one running node. The Android
 * layer creates it in its foreground service (which keeps transfers alive)
 * and hands the models to the Compose screens.
 */
class FerryApp private constructor(
    val node: FerryNode,
    val settings: Settings,
    private val scope: CoroutineScope,
    cacheDir: File,
) {
    private val hub = EventHub(node)

    /** Every event of the node, for screens that show more than the models. */
    val events = hub.events
    val devices = DevicesModel(node, events, scope)
    val scan = ScanModel(node, events, scope)
    val showCode = ShowCodeModel(node, events, scope)
    val inbox = InboxModel(node, events, scope)
    val send = SendModel(node, events, scope)
    val collections = CollectionsModel(node, events, scope, cacheDir)

    /** Call from the network callback: Wi-Fi joined or lost, VPN up or down. */
    suspend fun networkChanged() = node.networkChanged()

    private var stopped = false

    /** Stops every model and the node; later calls do nothing. */
    suspend fun stop() {
        if (stopped) return
        stopped = true
        scope.cancel()
        hub.close()
        node.shutdown()
        node.close()
    }

    companion object {
        /**
         * Starts the node in [dataDir] with the saved settings (or
         * [defaults]) and its services: the inbox, the outbox, collection
         * sync.
         */
        suspend fun start(
            dataDir: File,
            cacheDir: File,
            defaults: () -> Settings,
            bindAddr: String? = null,
        ): FerryApp {
            val settings = SettingsStore(File(dataDir, "app-settings.properties"), defaults).load()
            val node = FerryNode.start(settings.config(dataDir, bindAddr))
            node.startServices(settings.acceptPolicy, settings.downloadDir, null, null)
            return FerryApp(node, settings, CoroutineScope(SupervisorJob() + Dispatchers.Default), cacheDir)
        }
    }
}
