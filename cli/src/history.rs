//! `ferry history`: past transfers, newest first.

use clap::Args;

use ferry_core::api::{call, params::History};

use crate::{CliResult, Globals, backend::Backend, output};

/// Options of `ferry history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many transfers to list.
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn run(globals: &Globals, args: HistoryArgs) -> CliResult {
    let limit = Some(args.limit);
    let rows = Backend::run(globals, async |node| {
        node.ask(call::TransfersHistory, History { limit }).await
    })
    .await??;
    if globals.json {
        for row in rows {
            output::json_line(output::tagged(&row, "transfer"));
        }
        return Ok(());
    }
    if rows.is_empty() {
        println!("No transfers yet.");
        return Ok(());
    }
    for row in rows {
        let when = format_time(row.started_at_ms);
        let dir = match row.direction {
            ferry_core::Direction::Send => "sent    ",
            ferry_core::Direction::Receive => "received",
        };
        let status = match row.status {
            ferry_core::TransferStatus::Complete => "ok".to_string(),
            ferry_core::TransferStatus::Running => "running".to_string(),
            ferry_core::TransferStatus::Failed => format!("failed: {}", row.error),
        };
        println!(
            "{when}  {dir}  {:>9}  {:>12}  {}  [{status}]",
            output::count(row.files, "file", "files"),
            output::bytes(row.bytes),
            row.label,
        );
    }
    Ok(())
}

/// Formats milliseconds since the epoch as `YYYY-MM-DD HH:MM` (UTC).
pub fn format_time(ms: i64) -> String {
    let t = ferry_core::time::Utc::from_ms(ms);
    format!("{} {:02}:{:02}", t.date(), t.hour, t.minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(1_795_550_400_000), "2026-11-24 20:00");
    }
}
