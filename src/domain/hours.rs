//! A member's own hours: quiet hours in their time zone, and which DMs they want.

use chrono::{DateTime, Days, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::when::resolve_local;
use crate::error::{Error, Result};

const QUIET_HINT: &str =
    "write them as from–to on the 24-hour clock, like `21:00-08:00` or `22-7`, or `off` to have none";

/// Quiet hours: a daily window of local time (minutes after midnight) in which no DM is delivered.
/// `start > end` wraps past midnight (`21:00-08:00`); `start == end` is refused when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuietHours {
    pub start: u16,
    pub end: u16,
}

impl QuietHours {
    /// Reads `21:00-08:00`, `21-8`, `9:30 – 7:15`; `Ok(None)` for `off` (or `none`).
    pub fn parse(text: &str) -> Result<Option<QuietHours>> {
        let t = text.trim().to_ascii_lowercase();
        if matches!(t.as_str(), "off" | "none" | "no") {
            return Ok(None);
        }
        let shown = super::text::truncate(text.trim(), 40).replace('`', "'");
        let bad = || Error::user(format!("Couldn't read `{shown}` as quiet hours — {QUIET_HINT}."));
        let t = t.replace(['–', '—'], "-");
        let (from, to) = t.split_once('-').ok_or_else(bad)?;
        let (start, end) = (minutes(from).ok_or_else(bad)?, minutes(to).ok_or_else(bad)?);
        if start == end {
            return Err(Error::user(format!(
                "Quiet hours `{shown}` start and end at the same time — give a window like `21:00-08:00`, or `off`."
            )));
        }
        Ok(Some(QuietHours { start, end }))
    }

    /// Whether the local time of day `minute` (after midnight) is inside the window.
    pub fn contains_minute(&self, minute: u16) -> bool {
        if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }

    /// Whether `at` falls in quiet hours in `tz`.
    pub fn contains(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        self.contains_minute((local.hour() * 60 + local.minute()) as u16)
    }

    /// When the quiet hours around `at` end (the first instant after `at` at the end time, in
    /// `tz`, DST-correct); `None` when `at` isn't in quiet hours.
    pub fn ends_after(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        if !self.contains(at, tz) {
            return None;
        }
        let local = at.with_timezone(&tz).naive_local();
        let end = NaiveTime::from_hms_opt(u32::from(self.end / 60), u32::from(self.end % 60), 0)?;
        // The end is today unless the window wraps midnight and we are before midnight.
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let day = if self.start > self.end && minute >= self.start {
            local.date().checked_add_days(Days::new(1))?
        } else {
            local.date()
        };
        let mut ends = resolve_local(day.and_time(end), tz);
        // A DST change can make the end resolve to or before `at`: the next day's end, then.
        if ends <= at {
            ends = resolve_local(day.checked_add_days(Days::new(1))?.and_time(end), tz);
        }
        Some(ends)
    }

    /// `21:00-08:00`.
    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// `21:00`, `21`, `9:30`, `07` → minutes after midnight (`24:00` counts as midnight).
fn minutes(text: &str) -> Option<u16> {
    let t = text.trim();
    let (h, m) = match t.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None => (t, "0"),
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(0),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Which DMs a member wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum DmPolicy {
    /// Every DM Backbone sends.
    #[default]
    All,
    /// Only deadline pings (task and milestone reminders) and the alerts a lead must act on
    /// (blocker alerts, feedback, channel warnings); no check-in nudges, no "task assigned" notes,
    /// no "your feedback was acknowledged" notes.
    PingsOnly,
    /// No DMs at all: the ones that would have come are mentions in the home channel instead.
    None,
}

impl DmPolicy {
    /// The stored and typed name.
    pub fn as_str(self) -> &'static str {
        match self {
            DmPolicy::All => "all",
            DmPolicy::PingsOnly => "pings_only",
            DmPolicy::None => "none",
        }
    }

    /// Reads a stored name (unknown names read as `all`).
    pub fn parse(s: &str) -> DmPolicy {
        match s {
            "pings_only" => DmPolicy::PingsOnly,
            "none" => DmPolicy::None,
            _ => DmPolicy::All,
        }
    }

    /// What it means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            DmPolicy::All => "all DMs",
            DmPolicy::PingsOnly => {
                "deadline pings and lead alerts only (no check-in nudges, task-assigned or acknowledgement DMs)"
            }
            DmPolicy::None => "no DMs — you're mentioned in the coalition's home channel instead",
        }
    }
}
