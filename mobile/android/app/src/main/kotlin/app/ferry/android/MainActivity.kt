package app.ferry.android

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.ContextCompat
import app.ferry.android.ui.FerryRoot
import app.ferry.android.ui.FerryTheme
import app.ferry.android.ui.Routes
import kotlinx.coroutines.flow.MutableStateFlow

/**
 * The one activity: Compose screens over the running app. It starts the
 * service, takes what other apps share (files, text, links) to the send
 * screen, and ferry:// links to the scan screen.
 */
class MainActivity : ComponentActivity() {
    /** A screen to show, asked for by an intent; the navigation takes it and clears it. */
    private val destination = MutableStateFlow<String?>(null)

    private val notificationPermission =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { /* optional */ }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        // A recreated activity (rotation) has handled its intent already.
        if (savedInstanceState == null) {
            handle(intent)
            askForNotifications()
        }
        setContent {
            FerryTheme {
                FerryRoot(
                    destination = destination,
                    onStart = { Ferry.start(this) },
                )
            }
        }
    }

    override fun onStart() {
        super.onStart()
        // Visible now, so the foreground service may start.
        Ferry.start(this)
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        handle(intent)
    }

    private fun handle(intent: Intent?) {
        intent ?: return
        when (intent.action) {
            Intent.ACTION_SEND, Intent.ACTION_SEND_MULTIPLE -> {
                OutgoingFiles.takeShare(this, intent)
                destination.value = Routes.SEND
            }
            Intent.ACTION_VIEW -> {
                val link = intent.data?.takeIf { it.scheme.equals("ferry", ignoreCase = true) } ?: return
                Ferry.pendingLink.value = link.toString()
                destination.value = Routes.SCAN
            }
            else -> intent.getStringExtra(EXTRA_DESTINATION)?.let { destination.value = it }
        }
    }

    /** Offers and progress are notifications; Android 13 and later ask first. */
    private fun askForNotifications() {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            ContextCompat.checkSelfPermission(this, Manifest.permission.POST_NOTIFICATIONS) !=
            PackageManager.PERMISSION_GRANTED
        ) {
            notificationPermission.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }

    companion object {
        /** A route to open, from a notification. */
        const val EXTRA_DESTINATION = "destination"
    }
}
