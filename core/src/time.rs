//! Calendar dates in UTC, for names and listings that must read the same on
//! every device.

use time::{OffsetDateTime, PrimitiveDateTime};

/// A moment split into its UTC calendar parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    /// Year (proleptic Gregorian), -9999 to 9999.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour, 0 to 23.
    pub hour: u32,
    /// Minute, 0 to 59.
    pub minute: u32,
}

impl Utc {
    /// The UTC parts of a time given in milliseconds since the Unix epoch.
    /// Times beyond the years ±9999 (a peer's clock can say anything) are
    /// taken as the first or last minute of that range.
    pub fn from_ms(ms: i64) -> Self {
        let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or_else(|_| {
                let edge = if ms < 0 {
                    PrimitiveDateTime::MIN
                } else {
                    PrimitiveDateTime::MAX
                };
                edge.assume_utc()
            });
        Self {
            year: i64::from(t.year()),
            month: u32::from(u8::from(t.month())),
            day: u32::from(t.day()),
            hour: u32::from(t.hour()),
            minute: u32::from(t.minute()),
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_utc_times() {
        const DAY_MS: i64 = 86_400_000;
        assert_eq!(Utc::from_ms(19_723 * DAY_MS).date(), "2024-01-01");
        assert_eq!(Utc::from_ms(11_016 * DAY_MS).date(), "2000-02-29");
        let t = Utc::from_ms(1_795_550_400_000);
        assert_eq!((t.date(), t.hour, t.minute), ("2026-11-24".into(), 20, 0));
        assert_eq!(Utc::from_ms(-1).date(), "1969-12-31");
        let t = Utc::from_ms(-1);
        assert_eq!((t.hour, t.minute), (23, 59));
    }

    #[test]
    fn times_beyond_the_calendar_are_its_edges() {
        let last = Utc::from_ms(i64::MAX);
        assert_eq!(
            (last.date(), last.hour, last.minute),
            ("9999-12-31".into(), 23, 59)
        );
        assert_eq!(Utc::from_ms(i64::MIN).year, -9999);
    }
}
