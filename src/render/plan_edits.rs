//! Replies to `/goal edit`, `/deadline edit` and `/deadline remove`.

use super::safe;
use crate::actions::plan_edits::{DeadlineEdited, DeadlineRemoved, GoalEdited};
use crate::domain::message::{Embed, Message, colors};
use crate::domain::text::truncate;
use crate::domain::when::{Shown, show};

fn changes(list: &[String]) -> String {
    list.iter()
        .map(|c| format!("• {}", safe(&truncate(c, 450))))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `/goal edit` (public): the corrections and the goal as it stands.
pub fn goal_edited(out: &GoalEdited) -> Message {
    let g = &out.goal;
    let e = Embed::new(format!("✏️ Goal #{} corrected", g.number), colors::INFO)
        .description(format!(
            "**{}**\n{}\n{}",
            safe(&truncate(&g.title, 200)),
            super::goals::progress_line(g),
            changes(&out.changes)
        ))
        .footer(super::tasks::plain_name(&out.coalition_name));
    Message::embed(e).fit()
}

/// `/deadline edit` (public).
pub fn deadline_edited(out: &DeadlineEdited) -> Message {
    let d = &out.deadline;
    let tz = out.timezone.parse().unwrap_or(chrono_tz::UTC);
    let e = Embed::new(format!("✏️ Milestone #{} corrected", d.number), colors::INFO)
        .description(format!(
            "**{}** — due {}\n{}",
            safe(&truncate(&d.title, 200)),
            show(d.due_at, tz, Shown::Full),
            changes(&out.changes)
        ))
        .footer("Pings follow the new date; ones already past are not sent.");
    Message::embed(e).fit()
}

/// `/deadline remove` (public).
pub fn deadline_removed(out: &DeadlineRemoved) -> Message {
    let mut text = format!(
        "🗑️ Milestone **#{}** {} is removed from **{}**.",
        out.deadline.number,
        safe(&truncate(&out.deadline.title, 200)),
        safe(&truncate(&out.coalition_name, 100))
    );
    if out.pings_cancelled > 0 {
        text.push_str(&format!(
            " {} pending ping{} cancelled.",
            out.pings_cancelled,
            if out.pings_cancelled == 1 { "" } else { "s" }
        ));
    }
    Message::text(text).fit()
}
