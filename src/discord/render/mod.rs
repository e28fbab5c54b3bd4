//! Pure functions from outcomes to [`Message`](crate::domain::message::Message)s within Discord's
//! limits. No serenity here: these are unit-tested as plain data, and the scheduler uses them too.

pub mod checkins;
pub mod coalitions;
pub mod digest;
pub mod goals;
pub mod scheduled;
pub mod tasks;
pub mod wins;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::text::{defuse_mentions, escape_markdown};
use crate::domain::{UserId, when};

/// User text made safe to show: markdown escaped and mentions defused.
pub fn safe(text: &str) -> String {
    defuse_mentions(&escape_markdown(text))
}

/// A user mention (renders as a name; pings only if the message lists the user in `ping_users`).
pub fn mention(user: UserId) -> String {
    format!("<@{}>", user.0)
}

/// A UTC timestamp shown in the coalition's time zone, e.g. `Fri 4 Dec 2026 17:00 (Europe/Berlin)`.
pub fn local(ts: i64, tz: Tz) -> String {
    match Utc.timestamp_opt(ts, 0).single() {
        Some(t) => when::describe(t, tz),
        None => "—".into(),
    }
}

/// A Discord timestamp tag that each reader sees in their own time zone, plus "in 3 days".
pub fn discord_time(ts: i64) -> String {
    format!("<t:{ts}:f> (<t:{ts}:R>)")
}
