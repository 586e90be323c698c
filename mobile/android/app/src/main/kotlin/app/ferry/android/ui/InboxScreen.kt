package app.ferry.android.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.outlined.Inbox
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.ferry.android.R
import app.ferry.android.logic.FerryApp
import app.ferry.android.logic.OfferCard
import app.ferry.android.logic.OfferStatus
import app.ferry.android.logic.formatBytes

/** Names listed on a card before "and N more". */
private const val NAMES_SHOWN = 5

/**
 * What paired devices offer: Accept or Reject while an offer waits, progress
 * (and Cancel) while it arrives, then where it went; text and links as
 * cards with Copy and Open. Newest first.
 */
@Composable
fun InboxScreen(app: FerryApp) {
    val cards by app.inbox.cards.collectAsStateWithLifecycle()

    if (cards.isEmpty()) {
        EmptyState(
            icon = Icons.Outlined.Inbox,
            title = stringResource(R.string.inbox_empty_title),
            text = stringResource(R.string.inbox_empty_text),
            modifier = Modifier.padding(top = 48.dp),
        )
        return
    }

    val finished = cards.any { it.status !is OfferStatus.Waiting && it.status !is OfferStatus.Receiving }
    LazyColumn(
        modifier = Modifier.fillMaxSize(),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        if (finished) {
            item(key = "clear") {
                Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.End) {
                    TextButton(onClick = { app.inbox.clearFinished() }) {
                        Text(stringResource(R.string.action_clear_finished))
                    }
                }
            }
        }
        items(cards.asReversed(), key = { it.offerId }) { card ->
            OfferCardView(
                card = card,
                onAccept = { app.inbox.accept(card.offerId) },
                onReject = { app.inbox.reject(card.offerId) },
                onCancel = { app.inbox.cancel(card.offerId) },
            )
        }
    }
}

@Composable
private fun OfferCardView(card: OfferCard, onAccept: () -> Unit, onReject: () -> Unit, onCancel: () -> Unit) {
    Card(modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(
                stringResource(R.string.offer_from, card.fromName),
                style = MaterialTheme.typography.titleMedium,
                maxLines = 1,
                overflow = TextOverflow.Ellipsis,
            )
            if (card.summary.isNotEmpty()) {
                Text(card.summary, style = MaterialTheme.typography.bodyMedium)
            }
            card.names.take(NAMES_SHOWN).forEach { name ->
                Text(
                    "• $name",
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                    maxLines = 1,
                    overflow = TextOverflow.Ellipsis,
                )
            }
            if (card.names.size > NAMES_SHOWN) {
                Text(
                    stringResource(R.string.and_more, card.names.size - NAMES_SHOWN),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
            card.text?.let { text ->
                // Copy and Open once the offer is accepted.
                val accepted = card.status is OfferStatus.Receiving || card.status is OfferStatus.Done
                ReceivedText(text, card.isLink, showActions = accepted)
            }
            when (val status = card.status) {
                OfferStatus.Waiting -> Row(
                    modifier = Modifier.fillMaxWidth(),
                    horizontalArrangement = Arrangement.spacedBy(8.dp, Alignment.End),
                ) {
                    OutlinedButton(onClick = onReject) { Text(stringResource(R.string.action_reject)) }
                    Button(onClick = onAccept) { Text(stringResource(R.string.action_accept)) }
                }
                is OfferStatus.Receiving -> {
                    LinearProgressIndicator(progress = { status.progress.fraction }, modifier = Modifier.fillMaxWidth())
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Text(
                            status.progress.label,
                            style = MaterialTheme.typography.bodySmall,
                            modifier = Modifier.weight(1f),
                            maxLines = 2,
                            overflow = TextOverflow.Ellipsis,
                        )
                        TextButton(onClick = onCancel) { Text(stringResource(R.string.action_cancel)) }
                    }
                }
                is OfferStatus.Done -> Text(
                    if (status.files > 0) {
                        stringResource(
                            R.string.offer_done,
                            plural(R.plurals.files, status.files.toInt()),
                            formatBytes(status.bytes),
                            status.folder,
                        )
                    } else {
                        stringResource(R.string.offer_done_text)
                    },
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.primary,
                    maxLines = 3,
                    overflow = TextOverflow.Ellipsis,
                )
                is OfferStatus.Rejected -> Text(
                    stringResource(R.string.offer_rejected, status.reason),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                    maxLines = 3,
                    overflow = TextOverflow.Ellipsis,
                )
                is OfferStatus.Failed -> Text(
                    stringResource(R.string.offer_failed, status.message),
                    style = MaterialTheme.typography.bodySmall,
                    color = MaterialTheme.colorScheme.error,
                    maxLines = 4,
                    overflow = TextOverflow.Ellipsis,
                )
            }
        }
    }
}
