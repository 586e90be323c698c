package app.ferry.android.ui

import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.consumeWindowInsets
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.automirrored.outlined.Send
import androidx.compose.material.icons.outlined.Devices
import androidx.compose.material.icons.outlined.Folder
import androidx.compose.material.icons.outlined.Inbox
import androidx.compose.material.icons.outlined.Settings
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import app.ferry.android.Ferry
import app.ferry.android.Phase
import app.ferry.android.R
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.OfferStatus
import app.ferry.android.logic.ScanModel
import app.ferry.android.logic.ScanState
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first

/** The screens, by route. */
object Routes {
    const val DEVICES = "devices"
    const val INBOX = "inbox"
    const val SEND = "send"
    const val COLLECTIONS = "collections"
    const val SETTINGS = "settings"
    const val SCAN = "scan"
    const val PAIR = "pair"
}

/** The bottom bar's tabs. */
private enum class Tab(val route: String, @StringRes val label: Int, val icon: ImageVector) {
    DEVICES(Routes.DEVICES, R.string.tab_devices, Icons.Outlined.Devices),
    INBOX(Routes.INBOX, R.string.tab_inbox, Icons.Outlined.Inbox),
    SEND(Routes.SEND, R.string.tab_send, Icons.AutoMirrored.Outlined.Send),
    COLLECTIONS(Routes.COLLECTIONS, R.string.tab_collections, Icons.Outlined.Folder),
    SETTINGS(Routes.SETTINGS, R.string.tab_settings, Icons.Outlined.Settings),
}

/**
 * The whole UI: the screens once the node runs, else what keeps it from
 * running. [destination] carries screens asked for by intents.
 */
@Composable
fun FerryRoot(destination: MutableStateFlow<String?>, onStart: () -> Unit) {
    val app by Ferry.app.collectAsStateWithLifecycle()
    val phase by Ferry.phase.collectAsStateWithLifecycle()
    val problem by Ferry.problem.collectAsStateWithLifecycle()
    val running = app
    if (running != null) {
        FerryNavigation(running, destination)
    } else {
        NotRunning(phase, problem, onStart)
    }
}

/** Starting, stopped (after Quit), or failed to start, with the reason. */
@Composable
private fun NotRunning(phase: Phase, problem: String?, onStart: () -> Unit) {
    Box(
        Modifier
            .fillMaxSize()
            .padding(24.dp),
        contentAlignment = Alignment.Center,
    ) {
        when {
            phase == Phase.FAILED && problem != null -> Column(
                horizontalAlignment = Alignment.CenterHorizontally,
                verticalArrangement = Arrangement.spacedBy(16.dp),
            ) {
                Text(stringResource(R.string.start_failed), style = MaterialTheme.typography.titleLarge)
                ErrorBanner(problem)
                Button(onClick = onStart) { Text(stringResource(R.string.action_try_again)) }
            }
            phase == Phase.STOPPED -> Column(
                horizontalAlignment = Alignment.CenterHorizontally,
                verticalArrangement = Arrangement.spacedBy(16.dp),
            ) {
                Text(stringResource(R.string.stopped_title), style = MaterialTheme.typography.titleLarge)
                Text(
                    stringResource(R.string.stopped_text),
                    style = MaterialTheme.typography.bodyMedium,
                    textAlign = TextAlign.Center,
                )
                Button(onClick = onStart) { Text(stringResource(R.string.action_start)) }
            }
            else -> Busy(stringResource(R.string.starting))
        }
    }
}

@OptIn(ExperimentalMaterial3Api::class, ExperimentalLayoutApi::class)
@Composable
private fun FerryNavigation(app: FerryApp, destination: MutableStateFlow<String?>) {
    val navController = rememberNavController()
    val snackbar = remember { SnackbarHostState() }
    val backStack by navController.currentBackStackEntryAsState()
    val route = backStack?.destination?.route
    val isTab = Tab.entries.any { it.route == route }
    val cards by app.inbox.cards.collectAsStateWithLifecycle()
    val waiting = cards.count { it.status is OfferStatus.Waiting }

    // Screens asked for by intents: a share, a link, a notification.
    val asked by destination.collectAsStateWithLifecycle()
    LaunchedEffect(asked) {
        val target = asked ?: return@LaunchedEffect
        // At a cold start the graph may not be set yet; its first entry says it is.
        navController.currentBackStackEntryFlow.first()
        destination.value = null
        navController.open(target)
    }
    val link by Ferry.pendingLink.collectAsStateWithLifecycle()
    LaunchedEffect(link, app) {
        val text = link ?: return@LaunchedEffect
        Ferry.pendingLink.value = null
        scanLink(app.scan, text)
    }

    CompositionLocalProvider(LocalSnackbar provides snackbar) {
        Scaffold(
            topBar = {
                TopAppBar(
                    title = {
                        Text(
                            stringResource(titleOf(route)),
                            maxLines = 1,
                            overflow = TextOverflow.Ellipsis,
                        )
                    },
                    navigationIcon = {
                        if (!isTab && route != null) {
                            IconButton(onClick = { navController.popBackStack() }) {
                                Icon(
                                    Icons.AutoMirrored.Filled.ArrowBack,
                                    contentDescription = stringResource(R.string.action_back),
                                )
                            }
                        }
                    },
                )
            },
            bottomBar = {
                if (isTab) {
                    NavigationBar {
                        Tab.entries.forEach { tab ->
                            NavigationBarItem(
                                selected = route == tab.route,
                                onClick = { navController.open(tab.route) },
                                icon = {
                                    if (tab == Tab.INBOX && waiting > 0) {
                                        BadgedBox(badge = { Badge { Text(waiting.toString()) } }) {
                                            Icon(tab.icon, contentDescription = null)
                                        }
                                    } else {
                                        Icon(tab.icon, contentDescription = null)
                                    }
                                },
                                label = {
                                    Text(
                                        stringResource(tab.label),
                                        maxLines = 1,
                                        overflow = TextOverflow.Ellipsis,
                                    )
                                },
                            )
                        }
                    }
                }
            },
            snackbarHost = { SnackbarHost(snackbar) },
        ) { padding ->
            NavHost(
                navController = navController,
                startDestination = Routes.DEVICES,
                modifier = Modifier
                    .padding(padding)
                    .consumeWindowInsets(padding)
                    .imePadding(),
            ) {
                composable(Routes.DEVICES) {
                    DevicesScreen(
                        app = app,
                        onPair = { navController.navigate(Routes.PAIR) },
                        onScan = { navController.navigate(Routes.SCAN) },
                    )
                }
                composable(Routes.INBOX) { InboxScreen(app) }
                composable(Routes.SEND) {
                    SendScreen(app = app, onPair = { navController.open(Routes.DEVICES) })
                }
                composable(Routes.COLLECTIONS) { CollectionsScreen(app) }
                composable(Routes.SETTINGS) { SettingsScreen(app) }
                composable(Routes.SCAN) {
                    ScanScreen(app = app, onDone = { navController.popBackStack() })
                }
                composable(Routes.PAIR) {
                    PairScreen(app = app, onDone = { navController.popBackStack() })
                }
            }
        }
    }
}

/** Goes to [route]: tabs keep one copy each and their state; Scan and Pair stack on top. */
private fun NavHostController.open(route: String) {
    if (Tab.entries.any { it.route == route }) {
        navigate(route) {
            popUpTo(graph.findStartDestination().id) { saveState = true }
            launchSingleTop = true
            restoreState = true
        }
    } else {
        navigate(route) { launchSingleTop = true }
    }
}

@StringRes
private fun titleOf(route: String?): Int = when (route) {
    Routes.INBOX -> R.string.tab_inbox
    Routes.SEND -> R.string.tab_send
    Routes.COLLECTIONS -> R.string.tab_collections
    Routes.SETTINGS -> R.string.tab_settings
    Routes.SCAN -> R.string.title_scan
    Routes.PAIR -> R.string.title_pair
    else -> R.string.app_name
}

/**
 * Hands a ferry:// link to the scan model: a finished or offered scan makes
 * way for it; one in progress (pairing, receiving) is left alone.
 */
private fun scanLink(scan: ScanModel, text: String) {
    when (scan.state.value) {
        ScanState.Scanning -> {}
        is ScanState.Paired, is ScanState.Received, is ScanState.Failed, is ScanState.Offered -> scan.reset()
        ScanState.Pairing, ScanState.Opening, is ScanState.Receiving -> return
    }
    scan.onScanned(text)
}
