//! Meetings: their ids, statuses and answers, how long one lasts, where it is held, and the rules
//! of the Discord scheduled event that mirrors each occurrence.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::ids::{ChannelId, CoalitionId, UserId};
use crate::error::{Error, Result};

/// A meeting occurrence row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct MeetingId(pub i64);

/// A stored agenda item row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct ItemId(pub i64);

impl std::fmt::Display for MeetingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Longest meeting title (Discord's limit for an event's name).
pub const MAX_TITLE: usize = 100;
/// Longest agenda item.
pub const MAX_ITEM: usize = 300;
/// A meeting lasts this long unless told otherwise (minutes).
pub const DEFAULT_MINUTES: i64 = 60;
/// How long before a meeting its reminder goes to the home channel (seconds), unless the
/// `meeting_reminder_hours` setting says otherwise.
pub const REMINDER_BEFORE: i64 = 24 * 3600;
/// A meeting not started this long after its end has passed: the series moves on.
pub const PASSED_AFTER: i64 = 3600;

/// Where a meeting is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MeetingStatus {
    Scheduled,
    Running,
    Ended,
    Cancelled,
    /// Its time passed and no one started it.
    Missed,
}

/// An answer to the announcement's Going / Maybe / Can't buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Rsvp {
    Yes,
    Maybe,
    No,
}

impl Rsvp {
    /// Reads the last part of `meeting:rsvp:<id>:yes|maybe|no`.
    pub fn parse(s: &str) -> Option<Rsvp> {
        match s {
            "yes" => Some(Rsvp::Yes),
            "maybe" => Some(Rsvp::Maybe),
            "no" => Some(Rsvp::No),
            _ => None,
        }
    }

    /// The word in custom ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Rsvp::Yes => "yes",
            Rsvp::Maybe => "maybe",
            Rsvp::No => "no",
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Rsvp::Yes => "Going",
            Rsvp::Maybe => "Maybe",
            Rsvp::No => "Can't",
        }
    }
}

/// Where an agenda item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ItemKind {
    /// Proposed by a member (`/meeting propose`).
    Proposed,
    /// Not reached in an earlier meeting.
    Carried,
    /// From the coalition's data, fixed when the meeting started.
    Data,
}

/// What a line of the minutes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MinuteKind {
    Note,
    Decision,
    Action,
}

/// One meeting occurrence.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Meeting {
    pub id: MeetingId,
    pub coalition_id: CoalitionId,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub voice_channel_id: Option<ChannelId>,
    pub location: Option<String>,
    pub series_id: Option<MeetingId>,
    pub every: Option<String>,
    pub status: MeetingStatus,
    pub event_id: Option<i64>,
    pub event_status: Option<i64>,
    pub announce_channel_id: Option<ChannelId>,
    pub announce_message_id: Option<super::MessageId>,
    pub thread_id: Option<ChannelId>,
    pub agenda_message_id: Option<super::MessageId>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_by: UserId,
    pub created_at: i64,
}

impl Meeting {
    /// Where it is held, as a reader sees it.
    pub fn place(&self) -> Option<MeetingPlace> {
        match (self.voice_channel_id, &self.location) {
            (Some(c), _) => Some(MeetingPlace::Voice(c)),
            (None, Some(l)) => Some(MeetingPlace::Text(l.clone())),
            (None, None) => None,
        }
    }
}

/// Where a meeting is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingPlace {
    /// A voice (or stage) channel of the server: a VOICE event.
    Voice(ChannelId),
    /// A place or a link: an EXTERNAL event with this location.
    Text(String),
}

/// Reads `where`: `<#123>` (a channel mention) or a bare channel id is a channel; anything else is
/// a place or link (at most 100 characters, Discord's limit for a location).
pub fn parse_place(text: &str) -> Result<Option<MeetingPlace>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let inner = t.strip_prefix("<#").and_then(|r| r.strip_suffix('>'));
    if let Some(id) = inner.and_then(|i| i.parse::<i64>().ok()) {
        return Ok(Some(MeetingPlace::Voice(ChannelId(id))));
    }
    let place = super::text::single_line("place", t, 100)?;
    Ok(Some(MeetingPlace::Text(place)))
}

/// Reads a duration like `45m`, `1h30`, `1h 30m`, `90 min` or `2h`: 5 minutes to 24 hours, in minutes.
pub fn parse_duration(text: &str) -> Result<i64> {
    let t: String = text.trim().to_lowercase().split_whitespace().collect();
    let bad = || {
        Error::user(format!(
            "Couldn't read `{}` as a duration — use e.g. `45m`, `1h30` or `2h`.",
            super::when::echo(text)
        ))
    };
    if t.is_empty() {
        return Err(bad());
    }
    let t = t
        .replace("hours", "h")
        .replace("hour", "h")
        .replace("hrs", "h")
        .replace("hr", "h")
        .replace("minutes", "m")
        .replace("minute", "m")
        .replace("mins", "m")
        .replace("min", "m");
    let minutes = match t.split_once('h') {
        Some((h, rest)) => {
            let h: i64 = h.parse().map_err(|_| bad())?;
            let rest = rest.strip_suffix('m').unwrap_or(rest);
            let m: i64 = if rest.is_empty() {
                0
            } else {
                rest.parse().map_err(|_| bad())?
            };
            if m >= 60 {
                return Err(bad());
            }
            h * 60 + m
        }
        None => t.strip_suffix('m').unwrap_or(&t).parse().map_err(|_| bad())?,
    };
    if !(5..=24 * 60).contains(&minutes) {
        return Err(Error::user(
            "A meeting lasts from 5 minutes to 24 hours — e.g. `45m` or `1h30`.",
        ));
    }
    Ok(minutes)
}

/// A duration in minutes as people say it: `45m`, `1h`, `1h30`.
pub fn show_duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}"),
    }
}

/// A Discord scheduled event's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventStatus {
    Scheduled = 1,
    Active = 2,
    Completed = 3,
    Canceled = 4,
}

impl EventStatus {
    /// The status Discord stores as `n`.
    pub fn from_code(n: i64) -> Option<EventStatus> {
        match n {
            1 => Some(EventStatus::Scheduled),
            2 => Some(EventStatus::Active),
            3 => Some(EventStatus::Completed),
            4 => Some(EventStatus::Canceled),
            _ => None,
        }
    }

    /// Whether Discord allows moving from `self` to `to`: SCHEDULED → ACTIVE or CANCELED, then
    /// ACTIVE → COMPLETED.
    pub fn may_become(self, to: EventStatus) -> bool {
        matches!(
            (self, to),
            (EventStatus::Scheduled, EventStatus::Active)
                | (EventStatus::Scheduled, EventStatus::Canceled)
                | (EventStatus::Active, EventStatus::Completed)
        )
    }
}

/// A Discord scheduled event to create, following Discord's rules (see [`ScheduledEvent::check`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledEvent {
    pub name: String,
    pub description: String,
    pub start: i64,
    pub end: i64,
    /// A VOICE event's channel; `None` makes it EXTERNAL at `location`.
    pub voice_channel: Option<ChannelId>,
    pub location: String,
}

impl ScheduledEvent {
    /// The event for `m`. An EXTERNAL event needs a location: "Discord" when none was given.
    pub fn of(m: &Meeting, description: String) -> ScheduledEvent {
        let (voice_channel, location) = match m.place() {
            Some(MeetingPlace::Voice(c)) => (Some(c), String::new()),
            Some(MeetingPlace::Text(l)) => (None, l),
            None => (None, "Discord".to_string()),
        };
        ScheduledEvent {
            name: super::text::truncate(&m.title, MAX_TITLE),
            description: super::text::truncate(&description, 1000),
            start: m.starts_at,
            end: m.ends_at,
            voice_channel,
            location,
        }
    }

    /// What Discord would refuse, checked before asking it: a name of 1–100 characters, a start
    /// after `now`, an end after the start, and a location for an EXTERNAL event.
    pub fn check(&self, now: i64) -> std::result::Result<(), String> {
        let n = self.name.chars().count();
        if !(1..=100).contains(&n) {
            return Err(format!("name of {n} characters"));
        }
        if self.start <= now {
            return Err("the start has passed".into());
        }
        if self.end <= self.start {
            return Err("the end is not after the start".into());
        }
        if self.voice_channel.is_none() && self.location.trim().is_empty() {
            return Err("an external event needs a location".into());
        }
        Ok(())
    }
}

/// Whether a goal is behind pace: its progress (current / target) is below the share of its time
/// (from creation to due) that has passed by `now`.
pub fn behind_pace(current: f64, target: f64, created_at: i64, due_at: i64, now: i64) -> bool {
    if target <= 0.0 || due_at <= created_at {
        return false;
    }
    let elapsed = ((now - created_at) as f64 / (due_at - created_at) as f64).clamp(0.0, 1.0);
    (current / target) < elapsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("45m").unwrap(), 45);
        assert_eq!(parse_duration("1h30").unwrap(), 90);
        assert_eq!(parse_duration("1h 30m").unwrap(), 90);
        assert_eq!(parse_duration("2h").unwrap(), 120);
        assert_eq!(parse_duration("90 min").unwrap(), 90);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1m").is_err());
        assert!(parse_duration("25h").is_err());
        assert_eq!(show_duration(90), "1h30");
        assert_eq!(show_duration(45), "45m");
    }

    #[test]
    fn event_statuses_move_only_as_discord_allows() {
        use EventStatus::*;
        assert!(Scheduled.may_become(Active));
        assert!(Scheduled.may_become(Canceled));
        assert!(Active.may_become(Completed));
        assert!(!Scheduled.may_become(Completed));
        assert!(!Active.may_become(Canceled));
        assert!(!Completed.may_become(Active));
    }

    #[test]
    fn places_are_channels_or_text() {
        assert_eq!(
            parse_place("<#42>").unwrap(),
            Some(MeetingPlace::Voice(ChannelId(42)))
        );
        assert_eq!(
            parse_place(" Town hall, room 2 ").unwrap(),
            Some(MeetingPlace::Text("Town hall, room 2".into()))
        );
        assert_eq!(parse_place("  ").unwrap(), None);
    }

    #[test]
    fn pace_compares_progress_with_elapsed_time() {
        assert!(behind_pace(10.0, 100.0, 0, 100, 50));
        assert!(!behind_pace(60.0, 100.0, 0, 100, 50));
    }
}
