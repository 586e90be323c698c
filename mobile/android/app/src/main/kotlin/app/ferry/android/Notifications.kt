package app.ferry.android

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import androidx.core.app.NotificationCompat
import app.ferry.android.logic.OfferCard
import app.ferry.android.logic.OfferStatus
import app.ferry.android.logic.Progress
import app.ferry.android.logic.ScanState
import app.ferry.android.logic.SendState
import app.ferry.android.ui.Routes

/**
 * What the ongoing notification says: the transfer in progress, offers
 * waiting for an answer, or that Ferry is ready. [destination] is the screen
 * a tap opens.
 */
data class NowDoing(
    val title: String,
    val text: String? = null,
    /** 0..1 for a progress bar; null for none. */
    val fraction: Float? = null,
    /** An indeterminate progress bar. */
    val busy: Boolean = false,
    val destination: String? = null,
) {
    companion object {
        fun ready(context: Context) = NowDoing(
            title = context.getString(R.string.doing_ready),
            text = context.getString(R.string.doing_ready_text),
        )

        /** Sending first, then receiving, then offers waiting, else ready. */
        fun of(context: Context, cards: List<OfferCard>, send: SendState, scan: ScanState): NowDoing {
            when (send) {
                is SendState.Waiting -> return NowDoing(
                    title = context.getString(R.string.doing_waiting_for, send.deviceName),
                    busy = true,
                    destination = Routes.SEND,
                )
                is SendState.Sending -> return NowDoing(
                    title = context.getString(R.string.doing_sending_to, send.deviceName),
                    text = send.progress.label,
                    fraction = send.progress.fraction,
                    destination = Routes.SEND,
                )
                else -> {}
            }
            val receiving = cards.mapNotNull { card ->
                (card.status as? OfferStatus.Receiving)?.let { card to it.progress }
            }
            if (receiving.size == 1) {
                val (card, progress) = receiving.single()
                return NowDoing(
                    title = context.getString(R.string.doing_receiving_from, card.fromName),
                    text = progress.label,
                    fraction = progress.fraction,
                    destination = Routes.INBOX,
                )
            }
            if (receiving.size > 1) {
                val total = Progress(
                    bytesDone = receiving.sumOf { it.second.bytesDone },
                    bytesTotal = receiving.sumOf { it.second.bytesTotal },
                    bytesPerSecond = receiving.sumOf { it.second.bytesPerSecond },
                )
                return NowDoing(
                    title = context.resources.getQuantityString(
                        R.plurals.doing_receiving_many, receiving.size, receiving.size,
                    ),
                    text = total.label,
                    fraction = total.fraction,
                    destination = Routes.INBOX,
                )
            }
            if (scan is ScanState.Receiving) {
                return NowDoing(
                    title = context.getString(R.string.doing_receiving_code),
                    text = scan.progress.label,
                    fraction = scan.progress.fraction,
                    destination = Routes.SCAN,
                )
            }
            val waiting = cards.count { it.status is OfferStatus.Waiting }
            if (waiting > 0) {
                return NowDoing(
                    title = context.resources.getQuantityString(R.plurals.doing_offers_waiting, waiting, waiting),
                    text = context.getString(R.string.doing_offers_waiting_text),
                    destination = Routes.INBOX,
                )
            }
            return ready(context)
        }
    }
}

/** The notifications the service shows. */
object Notifications {
    private const val CHANNEL_RUNNING = "running"
    private const val CHANNEL_OFFERS = "offers"

    const val RUNNING_ID = 1

    fun offerNotificationId(offerId: Long): Int = 1000 + (offerId % 1_000_000L).toInt()

    fun createChannels(context: Context) {
        val manager = context.getSystemService(NotificationManager::class.java) ?: return
        val running = NotificationChannel(
            CHANNEL_RUNNING,
            context.getString(R.string.channel_running),
            NotificationManager.IMPORTANCE_LOW,
        ).apply {
            description = context.getString(R.string.channel_running_description)
            setShowBadge(false)
        }
        val offers = NotificationChannel(
            CHANNEL_OFFERS,
            context.getString(R.string.channel_offers),
            NotificationManager.IMPORTANCE_HIGH,
        ).apply {
            description = context.getString(R.string.channel_offers_description)
        }
        manager.createNotificationChannels(listOf(running, offers))
    }

    /** The ongoing notification of the foreground service. */
    fun running(context: Context, doing: NowDoing): Notification =
        NotificationCompat.Builder(context, CHANNEL_RUNNING)
            .setSmallIcon(R.drawable.ic_stat_ferry)
            .setContentTitle(doing.title)
            .setContentText(doing.text)
            .setOngoing(true)
            .setOnlyAlertOnce(true)
            .setSilent(true)
            .setShowWhen(false)
            .setCategory(NotificationCompat.CATEGORY_SERVICE)
            .setForegroundServiceBehavior(NotificationCompat.FOREGROUND_SERVICE_IMMEDIATE)
            .setContentIntent(openApp(context, doing.destination))
            .addAction(0, context.getString(R.string.action_quit), service(context, FerryService.ACTION_QUIT, -1, 1))
            .apply {
                when {
                    doing.fraction != null -> setProgress(PROGRESS_MAX, (doing.fraction * PROGRESS_MAX).toInt(), false)
                    doing.busy -> setProgress(0, 0, true)
                }
            }
            .build()

    /** An offer from a paired device, answered right from the notification. */
    fun offer(context: Context, card: OfferCard): Notification {
        val details = buildList {
            if (card.summary.isNotEmpty()) add(card.summary)
            card.text?.let { add(it.take(TEXT_PREVIEW)) }
            addAll(card.names.take(NAMES_SHOWN))
        }.joinToString("\n")
        return NotificationCompat.Builder(context, CHANNEL_OFFERS)
            .setSmallIcon(R.drawable.ic_stat_ferry)
            .setContentTitle(context.getString(R.string.offer_title, card.fromName))
            .setContentText(card.summary.ifEmpty { null })
            .setStyle(NotificationCompat.BigTextStyle().bigText(details))
            .setPriority(NotificationCompat.PRIORITY_HIGH)
            .setCategory(NotificationCompat.CATEGORY_EVENT)
            .setAutoCancel(true)
            .setContentIntent(openApp(context, Routes.INBOX))
            .addAction(
                0, context.getString(R.string.action_reject),
                service(context, FerryService.ACTION_REJECT, card.offerId, (card.offerId * 2).toInt()),
            )
            .addAction(
                0, context.getString(R.string.action_accept),
                service(context, FerryService.ACTION_ACCEPT, card.offerId, (card.offerId * 2 + 1).toInt()),
            )
            .build()
    }

    private fun openApp(context: Context, destination: String?): PendingIntent {
        val intent = Intent(context, MainActivity::class.java)
            .addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP)
            .putExtra(MainActivity.EXTRA_DESTINATION, destination)
        // One pending intent per destination: they differ only in an extra.
        return PendingIntent.getActivity(
            context,
            destination?.hashCode() ?: 0,
            intent,
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
    }

    private fun service(context: Context, action: String, offerId: Long, requestCode: Int): PendingIntent =
        PendingIntent.getService(
            context,
            requestCode,
            FerryService.intent(context, action).putExtra(FerryService.EXTRA_OFFER_ID, offerId),
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )

    private const val PROGRESS_MAX = 1000
    private const val NAMES_SHOWN = 5
    private const val TEXT_PREVIEW = 200
}
