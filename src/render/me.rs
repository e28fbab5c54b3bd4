//! Replies to `/me settings|away|back`, and the DMs a member's preferences turn into channel
//! mentions. Times are shown in the member's own zone.

use chrono_tz::Tz;

use super::clip;
use crate::actions::me::{AwayChanged, MySettings};
use crate::domain::UserId;
use crate::domain::message::{Embed, Message, colors};
use crate::domain::when::{Shown, show};

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `/me settings`: what is set now (and what changed).
pub fn settings(s: &MySettings) -> Message {
    let tz = tz_of(&s.shown_tz);
    let title = if s.changed.is_empty() {
        "Your settings".to_string()
    } else {
        format!("Updated: {}", s.changed.join(", "))
    };
    let zone = match &s.prefs.timezone {
        Some(t) => format!("{t} — it's {} for you now", show(s.now, tz, Shown::Full)),
        None => format!(
            "not set — times are shown in {} (your coalition's zone, or UTC); set yours with `/me settings timezone:`",
            s.shown_tz
        ),
    };
    let quiet = match s.prefs.quiet {
        Some(q) => format!(
            "{} ({}) — DMs wait until they end",
            q.label(),
            if s.own_tz {
                s.shown_tz.as_str()
            } else {
                "your coalition's zone until you set yours"
            }
        ),
        None => "off".into(),
    };
    let mut e = Embed::new(title, colors::SUCCESS)
        .field("Time zone", zone, false)
        .field("Quiet hours", quiet, false)
        .field(
            "DMs",
            format!("`{}` — {}", s.prefs.dms.as_str(), s.prefs.dms.describe()),
            false,
        );
    let away = match (s.away, s.prefs.away_until) {
        (true, Some(u)) => format!(
            "away until {} — `/me back` ends it early",
            show(u, tz, Shown::Full)
        ),
        _ => "not away — `/me away until:…` pauses nudges and deadline DMs".into(),
    };
    e = e.field("Away", away, false).footer(
        "These settings cover every coalition in this server. Change one with `/me settings timezone: quiet_hours: dms:`.",
    );
    Message::embed(e).ephemeral().fit()
}

/// `/me away`: confirmed.
pub fn away(a: &AwayChanged) -> Message {
    let tz = tz_of(&a.tz);
    let mut d = format!(
        "You're away until **{}**. Until then you get no check-in nudges or deadline DMs; the leads see \
         \"away until …\" and your tasks' deadline pings go to them only. It ends by itself — or use `/me back`.",
        show(a.until, tz, Shown::Full)
    );
    if let Some(n) = &a.note {
        d.push_str(&format!("\nNote for the leads: {}", clip(n, 200)));
    }
    Message::embed(Embed::new("Away", colors::INFO).description(d))
        .ephemeral()
        .fit()
}

/// `/me back`: confirmed.
pub fn back(a: &AwayChanged) -> Message {
    let tz = tz_of(&a.tz);
    Message::text(format!(
        "Welcome back — your away period (until {}) has ended; nudges and deadline DMs reach you again.",
        show(a.until, tz, Shown::Full)
    ))
    .ephemeral()
}

/// A DM that couldn't go out (DMs closed, or turned off when `off`), posted instead where its
/// audience may read it (the sender decides where: see `scheduler::route`), mentioning its reader.
/// Keeps the DM's audience.
pub fn dm_as_mention(user: UserId, dm: &Message, off: bool) -> Message {
    let mut m = dm.clone();
    let note = if off {
        format!("<@{user}> (you asked for no DMs, so here it is):")
    } else {
        format!("<@{user}> (I couldn't DM you, so here it is):")
    };
    m.content = if m.content.is_empty() {
        note
    } else {
        format!("{note}\n{}", m.content)
    };
    m.ping_users = vec![user];
    m.ephemeral = false;
    m.fit()
}
