//! The outbox: pushes that wait for their device to come online, and the
//! one call every front end uses to push ("deliver now, or queue it").

use std::{sync::atomic::Ordering, time::Duration};

use serde::Serialize;

use super::{PushError, PushReport, PushRequest};
use crate::{
    events::{DeviceRef, Event},
    node::Node,
    shares::ShareError,
    store::{OutboxEntry, OutboxStatus},
};

/// How long a push waits for an offline device unless told otherwise.
pub const QUEUE_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// How often a running outbox retries waiting pushes.
const OUTBOX_RETRY: Duration = Duration::from_secs(3);

/// How a push asked of [`Node::push_or_queue`] ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// The device received it.
    Delivered(PushReport),
    /// The device did not answer: the push waits in the outbox.
    Queued {
        /// The outbox entry.
        entry: OutboxEntry,
        /// Why it could not go now.
        reason: String,
    },
}

/// What one delivery attempt of a queued push leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NextStep {
    /// The device received it: the entry is done.
    Done,
    /// The device is still out of reach: try again next round.
    TryAgain,
    /// It ends here, undelivered.
    GiveUp(OutboxStatus),
    /// This node is stopping: leave the entry for the next run.
    Stop,
}

/// What happens to a queued push after one attempt: unreachable devices
/// are tried again, a refusal or a failure ends it, and a node that is
/// stopping blames nobody.
fn next_step(attempt: &Result<PushReport, PushError>, stopping: bool) -> NextStep {
    match attempt {
        Ok(_) => NextStep::Done,
        Err(PushError::Offline(_) | PushError::Network { .. }) => NextStep::TryAgain,
        Err(_) if stopping => NextStep::Stop,
        Err(PushError::Rejected { .. }) => NextStep::GiveUp(OutboxStatus::Rejected),
        Err(_) => NextStep::GiveUp(OutboxStatus::Failed),
    }
}

impl Node {
    /// Pushes to a paired device now. If it does not answer, or the
    /// connection is lost on the way, and `queue_for` is given, the push
    /// waits in the outbox for that long instead (delivered by
    /// [`Node::start_outbox`], here or in a later process on the same data
    /// dir; the device resumes from what it has verified); without
    /// `queue_for` those are [`PushError::Offline`] and
    /// [`PushError::Network`]. Every other failure (a refusal, the files)
    /// is an error either way.
    pub async fn push_or_queue(
        &self,
        device: &str,
        request: PushRequest,
        queue_for: Option<Duration>,
    ) -> Result<PushOutcome, PushError> {
        if queue_for == Some(Duration::ZERO) {
            return Err(PushError::NoTimeToWait);
        }
        let reason = match self.push(device, request.clone()).await {
            Ok(report) => return Ok(PushOutcome::Delivered(report)),
            Err(PushError::Offline(reason)) if queue_for.is_some() => reason,
            // The connection was lost on the way (the device changed
            // network, the link went down): the outbox tries again, and the
            // device resumes from the verified bytes it has.
            Err(e @ PushError::Network { .. }) if queue_for.is_some() => e.to_string(),
            Err(e) => return Err(e),
        };
        let keep_for = queue_for.unwrap_or(Duration::ZERO);
        let entry = self.queue_push(device, request, keep_for)?;
        Ok(PushOutcome::Queued { entry, reason })
    }

    /// Queues a push for a paired device that is offline. It is delivered
    /// by [`Node::start_outbox`] (in this or a later process on the same
    /// data dir) once the device answers, or gives up after `keep_for`.
    pub fn queue_push(
        &self,
        device: &str,
        request: PushRequest,
        keep_for: Duration,
    ) -> Result<OutboxEntry, PushError> {
        if keep_for.is_zero() {
            return Err(PushError::NoTimeToWait);
        }
        if request.paths.is_empty() && request.text.is_none() {
            return Err(ShareError::Empty.into());
        }
        let device = self.devices().find(device)?;
        let mut paths = Vec::with_capacity(request.paths.len());
        for p in &request.paths {
            let abs = std::path::absolute(p).map_err(|source| ShareError::Io {
                path: p.clone(),
                source,
            })?;
            if !abs.exists() {
                return Err(ShareError::NotFound(p.clone()).into());
            }
            paths.push(abs);
        }
        let keep_ms = i64::try_from(keep_for.as_millis()).unwrap_or(i64::MAX);
        let entry = self
            .inner
            .db
            .insert_outbox(
                &device.id,
                &device.name,
                &paths,
                request.text.as_deref(),
                crate::store::now_ms().saturating_add(keep_ms),
            )
            .map_err(|e| ShareError::Store(e.to_string()))?;
        self.inner.events.emit(Event::PushQueued {
            outbox_id: entry.id,
            to: DeviceRef {
                id: device.id,
                name: device.name,
            },
            expires_at_ms: entry.expires_at_ms,
        });
        Ok(entry)
    }

    /// The pushes waiting in the outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, crate::StoreError> {
        self.inner.db.outbox(false)
    }

    /// One delivery round: expires old entries and tries each waiting one
    /// once. Returns how many were delivered.
    pub async fn deliver_outbox(&self) -> usize {
        let Ok(waiting) = self.inner.db.outbox(false) else {
            return 0;
        };
        let mut delivered = 0;
        for entry in waiting {
            let to = DeviceRef {
                id: entry.device_id.clone(),
                name: entry.device_name.clone(),
            };
            let give_up = |status: OutboxStatus, message: String| {
                let _ = self.inner.db.finish_outbox(entry.id, status, &message);
                self.inner.events.emit(Event::OutboxGaveUp {
                    outbox_id: entry.id,
                    to: to.clone(),
                    status,
                    message,
                });
            };
            if crate::store::now_ms() >= entry.expires_at_ms {
                give_up(
                    OutboxStatus::Expired,
                    format!("{} did not come online in time", to.name),
                );
                continue;
            }
            let request = PushRequest {
                paths: entry.paths.clone(),
                text: entry.text.clone(),
            };
            let attempt = self.push(&entry.device_id, request).await;
            match (next_step(&attempt, self.is_shut_down()), attempt) {
                (NextStep::Done, Ok(report)) => {
                    let _ = self
                        .inner
                        .db
                        .finish_outbox(entry.id, OutboxStatus::Delivered, "");
                    self.inner.events.emit(Event::OutboxDelivered {
                        outbox_id: entry.id,
                        to,
                        report,
                    });
                    delivered += 1;
                }
                (NextStep::GiveUp(status), Err(e)) => give_up(status, e.to_string()),
                (NextStep::Stop, _) => return delivered,
                _ => {}
            }
        }
        delivered
    }

    /// Starts delivering the outbox in the background until the node shuts
    /// down: a round every few seconds. Calling it again does nothing.
    pub fn start_outbox(&self) {
        if self.inner.outbox_running.swap(true, Ordering::SeqCst) {
            return;
        }
        self.repeat(OUTBOX_RETRY, |node| async move {
            node.deliver_outbox().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline() -> Result<PushReport, PushError> {
        Err(PushError::Offline("no answer".into()))
    }

    #[test]
    fn only_an_unreachable_device_is_tried_again() {
        let report = PushReport {
            files: 1,
            bytes: 2,
            bytes_transferred: 2,
        };
        assert_eq!(next_step(&Ok(report), false), NextStep::Done);
        assert_eq!(next_step(&offline(), false), NextStep::TryAgain);
        // A broken connection is the network's fault, not the push's.
        let broken = Err(PushError::Network {
            device: "Phone".into(),
            message: "reset".into(),
        });
        assert_eq!(next_step(&broken, false), NextStep::TryAgain);
        let declined = Err(PushError::Rejected {
            device: "Phone".into(),
            reason: "no".into(),
        });
        assert_eq!(
            next_step(&declined, false),
            NextStep::GiveUp(OutboxStatus::Rejected)
        );
        let untrusted = Err(PushError::NotTrusted("Phone".into()));
        assert_eq!(
            next_step(&untrusted, false),
            NextStep::GiveUp(OutboxStatus::Failed)
        );
        let gone = Err(PushError::Share(ShareError::NotFound("a.txt".into())));
        assert_eq!(
            next_step(&gone, false),
            NextStep::GiveUp(OutboxStatus::Failed)
        );
        // Stopping: nothing is given up on the way out.
        let gone = Err(PushError::Share(ShareError::NotFound("a.txt".into())));
        assert_eq!(next_step(&gone, true), NextStep::Stop);
        assert_eq!(next_step(&offline(), true), NextStep::TryAgain);
    }
}
