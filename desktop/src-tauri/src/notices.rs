//! What deserves the user's attention while the window is not looked at:
//! the system notifications to show for the node's events, and the status
//! line of the tray. Pure bookkeeping over core events, so it is tested
//! without a desktop.

use std::collections::BTreeMap;

use ferry_core::{DeviceRef, Event};

/// One system notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// What an offer was, remembered until it ends.
#[derive(Debug, Clone)]
struct Offer {
    from: String,
    what: String,
    answered: bool,
}

/// Offers seen and not yet finished.
#[derive(Debug, Default)]
pub struct Attention {
    offers: BTreeMap<u64, Offer>,
}

impl Attention {
    /// Takes in one event; the notification it calls for, if any.
    /// `waits_for_answer` says whether an offer from that device waits for
    /// the user (it does not when the device is auto-accepted, or when
    /// every offer is refused).
    pub fn observe(
        &mut self,
        event: &Event,
        waits_for_answer: impl Fn(&DeviceRef) -> bool,
    ) -> Option<Notice> {
        match event {
            Event::OfferReceived {
                offer_id,
                from,
                files,
                bytes,
                names,
                text,
                ..
            } => {
                let what = describe(*files, *bytes, names, text.as_deref());
                let waits = waits_for_answer(from);
                self.offers.insert(
                    *offer_id,
                    Offer {
                        from: from.name.clone(),
                        what: what.clone(),
                        answered: !waits,
                    },
                );
                waits.then(|| Notice {
                    title: format!("{} wants to send you {what}", from.name),
                    body: "Open Ferry to accept or reject it.".into(),
                })
            }
            Event::OfferAccepted { offer_id } => {
                if let Some(o) = self.offers.get_mut(offer_id) {
                    o.answered = true;
                }
                None
            }
            Event::OfferRejected { offer_id, .. } => {
                self.offers.remove(offer_id);
                None
            }
            Event::TextReceived {
                from,
                text,
                is_link,
                ..
            } => Some(Notice {
                title: if *is_link {
                    format!("Link from {}", from.name)
                } else {
                    format!("Text from {}", from.name)
                },
                body: shorten(text, 200),
            }),
            Event::OfferDone {
                offer_id,
                files,
                out,
                ..
            } => {
                let offer = self.offers.remove(offer_id)?;
                // Text-only offers were announced by TextReceived.
                (*files > 0).then(|| Notice {
                    title: format!("Received {} from {}", offer.what, offer.from),
                    body: format!("Saved in {out}"),
                })
            }
            Event::OfferFailed { offer_id, message } => {
                let offer = self.offers.remove(offer_id)?;
                Some(Notice {
                    title: format!("{} from {} did not arrive", cap(&offer.what), offer.from),
                    body: cap(message),
                })
            }
            _ => None,
        }
    }

    /// Offers waiting for an answer.
    pub fn waiting(&self) -> usize {
        self.offers.values().filter(|o| !o.answered).count()
    }

    /// Accepted offers still arriving.
    pub fn receiving(&self) -> usize {
        self.offers.values().filter(|o| o.answered).count()
    }

    /// The tray's one-line status.
    pub fn status(&self) -> String {
        match (self.waiting(), self.receiving()) {
            (0, 0) => "Ready to receive".into(),
            (0, n) => format!("Receiving {}", count(n, "transfer")),
            (w, 0) => format!("{} waiting", count(w, "offer")),
            (w, n) => format!("{} waiting · receiving {n}", count(w, "offer")),
        }
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// "report.pdf", "3 files (12.4 MB)", "a link", "report.pdf and a note".
fn describe(files: u64, bytes: u64, names: &[String], text: Option<&str>) -> String {
    let files_part = match (files, names) {
        (0, _) => None,
        (1, [name, ..]) => Some(name.trim_end_matches('/').to_string()),
        (n, _) => Some(format!("{n} files ({})", size(bytes))),
    };
    let text_part = text.map(|t| {
        let t = t.trim();
        if (t.starts_with("https://") || t.starts_with("http://"))
            && !t.contains(char::is_whitespace)
        {
            "a link"
        } else {
            "a note"
        }
    });
    match (files_part, text_part) {
        (Some(f), Some(t)) => format!("{f} and {t}"),
        (Some(f), None) => f,
        (None, Some(t)) => t.to_string(),
        (None, None) => "an empty offer".into(),
    }
}

/// A size in bytes for people: "980 B", "12.4 MB", "3.1 GB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn cap(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn laptop() -> DeviceRef {
        DeviceRef {
            id: "a1".into(),
            name: "laptop".into(),
        }
    }

    fn offer(id: u64, files: u64, bytes: u64, names: &[&str], text: Option<&str>) -> Event {
        Event::OfferReceived {
            offer_id: id,
            from: laptop(),
            files,
            bytes,
            names: names.iter().map(|n| n.to_string()).collect(),
            is_link: text.is_some_and(ferry_core::is_link),
            text: text.map(str::to_string),
        }
    }

    fn done(id: u64, files: u64) -> Event {
        Event::OfferDone {
            offer_id: id,
            files,
            bytes: 1,
            bytes_transferred: 1,
            out: "/home/ana/Downloads".into(),
        }
    }

    #[test]
    fn an_offer_that_waits_is_announced_then_its_arrival() {
        let mut w = Attention::default();
        let n = w
            .observe(&offer(1, 1, 3_000_000, &["report.pdf"], None), |_| true)
            .unwrap();
        assert_eq!(n.title, "laptop wants to send you report.pdf");
        assert_eq!(w.status(), "1 offer waiting");
        assert_eq!(
            w.observe(&Event::OfferAccepted { offer_id: 1 }, |_| true),
            None
        );
        assert_eq!(w.status(), "Receiving 1 transfer");
        let n = w.observe(&done(1, 1), |_| true).unwrap();
        assert_eq!(n.title, "Received report.pdf from laptop");
        assert_eq!(n.body, "Saved in /home/ana/Downloads");
        assert_eq!(w.status(), "Ready to receive");
    }

    #[test]
    fn an_auto_accepted_offer_is_only_announced_when_it_lands() {
        let mut w = Attention::default();
        let seen = w.observe(
            &offer(2, 3, 12_400_000, &["a.jpg", "b.jpg", "c.jpg"], None),
            |_| false,
        );
        assert_eq!(seen, None);
        assert_eq!(w.waiting(), 0);
        assert_eq!(w.receiving(), 1);
        let n = w.observe(&done(2, 3), |_| true).unwrap();
        assert_eq!(n.title, "Received 3 files (12.4 MB) from laptop");
    }

    #[test]
    fn failures_rejections_and_text_read_well() {
        let mut w = Attention::default();
        w.observe(&offer(3, 1, 10, &["Photos/"], Some("for you")), |_| true);
        w.observe(&offer(4, 0, 0, &[], Some("https://example.org/x")), |_| {
            true
        });
        w.observe(&offer(5, 2, 2_000, &["a", "b"], None), |_| true);
        assert_eq!(w.status(), "3 offers waiting");
        assert_eq!(
            w.observe(
                &Event::OfferRejected {
                    offer_id: 5,
                    reason: "declined".into()
                },
                |_| true
            ),
            None
        );
        let n = w
            .observe(
                &Event::OfferFailed {
                    offer_id: 3,
                    message: "the sender went away".into(),
                },
                |_| true,
            )
            .unwrap();
        assert_eq!(n.title, "Photos and a note from laptop did not arrive");
        assert_eq!(n.body, "The sender went away");
        let link = w
            .observe(
                &Event::TextReceived {
                    offer_id: 4,
                    from: laptop(),
                    text: "https://example.org/x".into(),
                    is_link: true,
                },
                |_| true,
            )
            .unwrap();
        assert_eq!(link.title, "Link from laptop");
        // The text was its own notice; the offer's end adds none.
        assert_eq!(w.observe(&done(4, 0), |_| true), None);
        assert_eq!(w.status(), "Ready to receive");
        // Events of offers never seen (before the app started) are ignored.
        assert_eq!(w.observe(&done(99, 1), |_| true), None);
    }

    #[test]
    fn sizes_and_long_texts() {
        assert_eq!(size(980), "980 B");
        assert_eq!(size(12_400_000), "12.4 MB");
        assert_eq!(shorten(&"x".repeat(300), 200).chars().count(), 200);
    }
}
