//! Deadline pings: how long before a due date leads are reminded, and which reminder is next.
//!
//! The ping stages of a due date are `due_at - offset` for each offset, then `due_at` itself
//! (the overdue ping). All times are Unix seconds.

use crate::domain::when::echo;
use crate::error::{Error, Result};

const HINT: &str = "use hours or days like `72h,24h` (also `90m`, `3d`, `1w`)";
/// The shortest offset: pings closer to the due date than this are noise.
const MIN_OFFSET: i64 = 10 * 60;
/// The longest offset.
const MAX_OFFSET: i64 = 30 * 24 * 3600;
/// At most this many pings before each due date.
const MAX_OFFSETS: usize = 5;

/// Reads offsets like `72h,24h`, `3d, 1d`, `90m` or `1w` into seconds, longest first, no repeats.
pub fn parse_offsets(text: &str) -> Result<Vec<i64>> {
    let mut offsets = Vec::new();
    for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let shown = echo(piece);
        let seconds = parse_offset(piece).ok_or_else(|| {
            Error::user(format!(
                "Couldn't read `{shown}` as a time before the due date — {HINT}."
            ))
        })?;
        if !(MIN_OFFSET..=MAX_OFFSET).contains(&seconds) {
            return Err(Error::user(format!(
                "`{shown}` is out of range — each ping must be between 10 minutes and 30 days \
                 before the due date, like `72h,24h`."
            )));
        }
        offsets.push(seconds);
    }
    if offsets.is_empty() {
        return Err(Error::user(format!("Give at least one ping offset — {HINT}.")));
    }
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets.dedup();
    if offsets.len() > MAX_OFFSETS {
        return Err(Error::user(format!(
            "That is {} pings — give at most {MAX_OFFSETS}, like `72h,24h`.",
            offsets.len()
        )));
    }
    Ok(offsets)
}

/// One duration like `72h`, `3 d`, `90min` or `1 week`, in seconds.
fn parse_offset(piece: &str) -> Option<i64> {
    let lower = piece.to_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit())?;
    let (count, unit) = lower.split_at(split);
    if count.is_empty() || count.len() > 6 {
        return None;
    }
    let count: i64 = count.parse().ok()?;
    let unit_seconds = match unit.trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 24 * 3600,
        "w" | "wk" | "week" | "weeks" => 7 * 24 * 3600,
        _ => return None,
    };
    Some(count * unit_seconds)
}

/// Offsets in canonical form, e.g. `72h,24h`: whole hours as hours, anything else as minutes.
pub fn format_offsets(offsets: &[i64]) -> String {
    let parts: Vec<String> = offsets
        .iter()
        .map(|&s| match s % 3600 {
            0 => format!("{}h", s / 3600),
            _ => format!("{}m", s / 60),
        })
        .collect();
    parts.join(",")
}

/// All stages of a due date as `(time, offset)`, the overdue stage having offset 0.
fn stages(due_at: i64, offsets: &[i64]) -> impl Iterator<Item = (i64, i64)> + '_ {
    offsets
        .iter()
        .map(move |&offset| (due_at - offset, offset))
        .chain(std::iter::once((due_at, 0)))
}

/// The earliest ping stage strictly after `after`, or None when every ping is behind it.
pub fn next_ping_at(due_at: i64, offsets: &[i64], after: i64) -> Option<i64> {
    stages(due_at, offsets)
        .map(|(at, _)| at)
        .filter(|&at| at > after)
        .min()
}

/// The latest stage at or before `now` as `(stage time, offset)`; offset 0 means overdue.
pub fn latest_stage_at_or_before(due_at: i64, offsets: &[i64], now: i64) -> Option<(i64, i64)> {
    stages(due_at, offsets)
        .filter(|&(at, _)| at <= now)
        .max_by_key(|&(at, offset)| (at, -offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;
    const D: i64 = 24 * H;

    #[test]
    fn reads_hours_days_weeks_and_minutes() {
        assert_eq!(parse_offsets("72h,24h").unwrap(), vec![72 * H, 24 * H]);
        assert_eq!(parse_offsets(" 1d, 3d ").unwrap(), vec![3 * D, D]);
        assert_eq!(parse_offsets("90m").unwrap(), vec![90 * 60]);
        assert_eq!(
            parse_offsets("1w,2 hours,30 min").unwrap(),
            vec![7 * D, 2 * H, 1800]
        );
        assert_eq!(parse_offsets("72H, 3d ,24h,1d").unwrap(), vec![72 * H, 24 * H]);
    }

    #[test]
    fn refuses_bad_offsets_and_says_how_to_fix() {
        for bad in ["", " , ", "soon", "h", "24", "-3h", "1.5d", "3 fortnights"] {
            let err = parse_offsets(bad).unwrap_err();
            assert!(err.is_user(), "{bad}");
            assert!(err.to_string().contains("`72h,24h`"), "{bad}: {err}");
        }
        let err = parse_offsets("5m").unwrap_err().to_string();
        assert!(err.contains("between 10 minutes and 30 days"), "{err}");
        assert!(parse_offsets("31d").is_err());
        assert!(parse_offsets("10m,30d").is_ok());
        let err = parse_offsets("1h,2h,3h,4h,5h,6h").unwrap_err().to_string();
        assert!(err.contains("at most 5"), "{err}");
        assert!(parse_offsets("1h,2h,3h,4h,5h,5h,60m").is_ok());
    }

    #[test]
    fn formats_canonically_and_round_trips() {
        assert_eq!(format_offsets(&[72 * H, 24 * H]), "72h,24h");
        assert_eq!(format_offsets(&[7 * D, 90 * 60]), "168h,90m");
        assert_eq!(format_offsets(&[]), "");
        let offsets = parse_offsets("3d, 90m, 1d").unwrap();
        assert_eq!(parse_offsets(&format_offsets(&offsets)).unwrap(), offsets);
    }

    #[test]
    fn next_ping_walks_the_stages_then_stops() {
        let due = 1_000 * D;
        let offsets = [72 * H, 24 * H];
        assert_eq!(next_ping_at(due, &offsets, 0), Some(due - 72 * H));
        assert_eq!(next_ping_at(due, &offsets, due - 72 * H), Some(due - 24 * H));
        assert_eq!(next_ping_at(due, &offsets, due - 24 * H), Some(due));
        assert_eq!(next_ping_at(due, &offsets, due - 1), Some(due));
        assert_eq!(next_ping_at(due, &offsets, due), None);
        assert_eq!(next_ping_at(due, &[], 0), Some(due));
        assert_eq!(next_ping_at(due, &[24 * H, 72 * H], 0), Some(due - 72 * H));
    }

    #[test]
    fn latest_stage_is_the_one_to_send_after_downtime() {
        let due = 1_000 * D;
        let offsets = [72 * H, 24 * H];
        assert_eq!(latest_stage_at_or_before(due, &offsets, due - 73 * H), None);
        assert_eq!(
            latest_stage_at_or_before(due, &offsets, due - 72 * H),
            Some((due - 72 * H, 72 * H))
        );
        assert_eq!(
            latest_stage_at_or_before(due, &offsets, due - H),
            Some((due - 24 * H, 24 * H))
        );
        assert_eq!(latest_stage_at_or_before(due, &offsets, due), Some((due, 0)));
        assert_eq!(
            latest_stage_at_or_before(due, &offsets, due + 9 * D),
            Some((due, 0))
        );
        assert_eq!(latest_stage_at_or_before(due, &[], due - 1), None);
    }
}
