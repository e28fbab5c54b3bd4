//! Replies to `/coalition rename`, `/coalition archive` and `/coalition restore`.

use super::clip;
use crate::actions::coalition_edits::{CoalitionArchived, CoalitionRenamed, CoalitionRestored};
use crate::domain::message::Message;
use crate::domain::when::{Shown, show};

/// `/coalition rename` (public).
pub fn renamed(r: &CoalitionRenamed) -> Message {
    Message::text(format!(
        "✏️ **{}** is now called **{}**.",
        clip(&r.previous, 100),
        clip(&r.name, 100)
    ))
    .fit()
}

/// `/coalition archive` (public).
pub fn archived(a: &CoalitionArchived) -> Message {
    let mut text = format!(
        "🗄️ **{}** is archived: no more check-ins, digests or pings, and it's hidden from lists. \
         Its data stays (`/export` still works for admins), and `/coalition restore` brings it back.",
        clip(&a.name, 100)
    );
    if a.deliveries_cancelled > 0 {
        text.push_str(&format!(
            "\n{} message{} that were waiting to go out won't.",
            a.deliveries_cancelled,
            if a.deliveries_cancelled == 1 { "" } else { "s" }
        ));
    }
    Message::text(text).fit()
}

/// `/coalition restore` (public): when its schedules pick up again.
pub fn restored(r: &CoalitionRestored) -> Message {
    let when = |at: Option<i64>| {
        at.map_or_else(
            || "not scheduled".to_string(),
            |t| show(t, chrono_tz::UTC, Shown::Tag),
        )
    };
    Message::text(format!(
        "📤 **{}** is back. Nothing missed while archived is sent; the next check-in is {} and the next digest {}.",
        clip(&r.coalition.name, 100),
        when(r.next_checkin_at),
        when(r.next_digest_at)
    ))
    .fit()
}
