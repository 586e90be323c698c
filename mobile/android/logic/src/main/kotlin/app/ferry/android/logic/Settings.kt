package app.ferry.android.logic

import app.ferry.core.AcceptPolicy
import app.ferry.core.FerryConfig
import app.ferry.core.deviceNameProblem
import app.ferry.core.discoveryProblem
import app.ferry.core.relayProblem
import java.io.File
import java.util.Properties

/** The settings screen's values, kept in the app's data dir. */
data class Settings(
    /** The name other devices see. */
    val deviceName: String,
    /** Where received files go. */
    val downloadDir: String,
    /** How offers from paired devices are answered. */
    val acceptPolicy: AcceptPolicy = AcceptPolicy.ASK,
    /** `default`, `disabled`, or relay URLs (separated by commas). */
    val relay: String = "default",
    /** `default`, `disabled`, or a discovery server's URL: where this phone publishes where it is, so paired devices find it after it changes network. */
    val discovery: String = "default",
) {
    /** The node configuration for these settings. */
    fun config(dataDir: File, bindAddr: String? = null) = FerryConfig(
        dataDir = dataDir.path,
        deviceName = deviceName,
        relay = relay,
        discovery = discovery,
        bindAddr = bindAddr,
    )

    /** Why these settings cannot be saved, or null if they can: core's rules, as a sentence. */
    fun problem(): String? =
        (
            deviceNameProblem(deviceName) ?: relayProblem(relay) ?: discoveryProblem(discovery)
                ?: "pick a folder for received files".takeIf { downloadDir.isBlank() }
            )
            ?.let { it.replaceFirstChar(Char::uppercase) + "." }
}

/** Loads and saves [Settings] as a small properties file (atomically). */
class SettingsStore(private val file: File, private val defaults: () -> Settings) {
    fun load(): Settings {
        val d = defaults()
        if (!file.exists()) return d
        val p = Properties().apply { file.inputStream().use(::load) }
        return Settings(
            deviceName = p.getProperty("deviceName") ?: d.deviceName,
            downloadDir = p.getProperty("downloadDir") ?: d.downloadDir,
            acceptPolicy = p.getProperty("acceptPolicy")
                ?.let { name -> AcceptPolicy.entries.find { it.name == name } } ?: d.acceptPolicy,
            relay = p.getProperty("relay") ?: d.relay,
            discovery = p.getProperty("discovery") ?: d.discovery,
        )
    }

    /** Saves [settings]; throws [IllegalArgumentException] with the problem if they are invalid. */
    fun save(settings: Settings) {
        settings.problem()?.let { throw IllegalArgumentException(it) }
        val p = Properties().apply {
            setProperty("deviceName", settings.deviceName)
            setProperty("downloadDir", settings.downloadDir)
            setProperty("acceptPolicy", settings.acceptPolicy.name)
            setProperty("relay", settings.relay)
            setProperty("discovery", settings.discovery)
        }
        file.parentFile?.mkdirs()
        val tmp = File(file.path + ".tmp")
        tmp.outputStream().use { p.store(it, "Ferry settings") }
        if (!tmp.renameTo(file)) throw java.io.IOException("cannot save ${file.path}")
    }
}
