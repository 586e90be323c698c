//! The retention options of `ferry collection create`, `accept` and
//! `keep`: `--keep-versions DAYS|off`, `--keep-size PERCENT%|SIZE`.

use clap::Args;
use ferry_core::KeepPolicy;

/// How much old content a collection keeps on this device.
#[derive(Debug, Clone, Default, Args)]
pub(super) struct KeepArgs {
    /// Keep old versions (files another member replaced or deleted) this
    /// many days, or `off` to keep none on this device [default: 30].
    #[arg(long, value_name = "DAYS|off", value_parser = parse_days)]
    keep_versions: Option<u32>,
    /// Keep at most this much old content: a share of the folder (`10%`)
    /// or a size (`500MB`, `2GiB`) [default: 10%].
    #[arg(long, value_name = "PERCENT%|SIZE", value_parser = parse_size)]
    keep_size: Option<Limit>,
}

/// A size limit as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    Percent(u32),
    Bytes(u64),
}

impl KeepArgs {
    /// Whether any option was given.
    pub(super) fn given(&self) -> bool {
        self.keep_versions.is_some() || self.keep_size.is_some()
    }

    /// `base` with the options given applied.
    pub(super) fn apply(&self, base: KeepPolicy) -> KeepPolicy {
        let mut policy = base;
        if let Some(days) = self.keep_versions {
            policy.days = days;
            // Turning history back on from off starts from the default
            // size limit, unless one is given.
            if days > 0 && base.is_off() && self.keep_size.is_none() {
                let default = KeepPolicy::default();
                policy.max_percent = default.max_percent;
                policy.max_bytes = default.max_bytes;
            }
        }
        match self.keep_size {
            Some(Limit::Percent(p)) => {
                policy.max_percent = Some(p);
                policy.max_bytes = None;
            }
            Some(Limit::Bytes(b)) => {
                policy.max_percent = None;
                policy.max_bytes = Some(b);
            }
            None => {}
        }
        // A size limit alone turns history on again.
        if self.keep_versions.is_none() && self.keep_size.is_some() && policy.is_off() {
            policy.days = KeepPolicy::default().days;
        }
        policy
    }
}

fn parse_days(text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    let days: u32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days or `off`"))?;
    if days > ferry_core::MAX_KEEP_DAYS {
        return Err(format!(
            "at most {} days (or `off`)",
            ferry_core::MAX_KEEP_DAYS
        ));
    }
    Ok(days)
}

fn parse_size(text: &str) -> Result<Limit, String> {
    let text = text.trim();
    if let Some(p) = text.strip_suffix('%') {
        let p: u32 = p
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a percentage like 10%"))?;
        if !(1..=100).contains(&p) {
            return Err("a share of the folder is 1% to 100%".into());
        }
        return Ok(Limit::Percent(p));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 500MB, 2GiB or a share like 10%"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "k" | "kib" => 1 << 10,
        "mb" => 1000 * 1000,
        "m" | "mib" => 1 << 20,
        "gb" => 1000 * 1000 * 1000,
        "g" | "gib" => 1 << 30,
        "tb" => 1000 * 1000 * 1000 * 1000,
        "t" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KB, MB, GB, TB or KiB, MiB, GiB, TiB"
            ));
        }
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(Limit::Bytes(bytes as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_sizes_parse() {
        assert_eq!(parse_days("7"), Ok(7));
        assert_eq!(parse_days("OFF"), Ok(0));
        assert!(parse_days("-1").is_err());
        assert!(parse_days("36501").is_err());
        assert_eq!(parse_size("10%"), Ok(Limit::Percent(10)));
        assert!(parse_size("0%").is_err());
        assert!(parse_size("101%").is_err());
        assert_eq!(parse_size("500MB"), Ok(Limit::Bytes(500_000_000)));
        assert_eq!(parse_size("2GiB"), Ok(Limit::Bytes(2 << 30)));
        assert_eq!(parse_size("1.5 MiB"), Ok(Limit::Bytes(3 << 19)));
        assert_eq!(parse_size("4096"), Ok(Limit::Bytes(4096)));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn options_apply_over_a_policy() {
        let default = KeepPolicy::default();
        let none = KeepArgs::default();
        assert!(!none.given());
        assert_eq!(none.apply(default), default);
        let off = KeepArgs {
            keep_versions: Some(0),
            keep_size: None,
        };
        assert!(off.apply(default).is_off());
        let week = KeepArgs {
            keep_versions: Some(7),
            keep_size: None,
        };
        // Back on from off: the default size limit.
        assert_eq!(
            week.apply(KeepPolicy::OFF),
            KeepPolicy { days: 7, ..default }
        );
        let bytes = KeepArgs {
            keep_versions: None,
            keep_size: Some(Limit::Bytes(1 << 30)),
        };
        assert_eq!(
            bytes.apply(default),
            KeepPolicy {
                days: 30,
                max_percent: None,
                max_bytes: Some(1 << 30)
            }
        );
        // A size alone on an off policy turns it on for the default days.
        assert_eq!(bytes.apply(KeepPolicy::OFF).days, 30);
    }
}
