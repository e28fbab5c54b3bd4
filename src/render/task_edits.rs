//! Replies to `/task edit`, `/task cancel` and `/task repeat`. The posted card itself is redrawn
//! with [`super::tasks::task_card_with`].

use super::safe;
use crate::actions::tasks::{TaskCancelled, TaskEdited, TaskRepeatSet};
use crate::domain::message::{Embed, Message, colors};
use crate::domain::text::truncate;
use crate::domain::when::{Shown, show};

fn tz_of(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `/task edit` (ephemeral): what changed.
pub fn edited(out: &TaskEdited) -> Message {
    let lines: Vec<String> = out
        .changes
        .iter()
        .map(|c| format!("• {}", safe(&truncate(c, 450))))
        .collect();
    let e = Embed::new(format!("✏️ Task #{} edited", out.task.number), colors::INFO)
        .description(format!(
            "**#{}** {}\n{}",
            out.task.number,
            safe(&truncate(&out.task.title, 200)),
            lines.join("\n")
        ))
        .footer("The posted card shows the change.");
    Message::embed(e).ephemeral().fit()
}

/// `/task cancel` (public): the task is closed, not done.
pub fn cancelled(out: &TaskCancelled) -> Message {
    let mut d = format!(
        "**#{}** {}\nwas {} · now 🚫 cancelled — it doesn't count as done.",
        out.task.number,
        safe(&truncate(&out.task.title, 200)),
        out.previous.label()
    );
    if let Some(r) = out.task.cancel_reason.as_deref().filter(|r| !r.trim().is_empty()) {
        d.push_str(&format!("\nReason: {}", safe(&truncate(r, 900))));
    }
    if out.pings_cancelled > 0 {
        d.push_str(&format!(
            "\n{} pending ping{} cancelled.",
            out.pings_cancelled,
            if out.pings_cancelled == 1 { "" } else { "s" }
        ));
    }
    if let Some(rule) = &out.repeats {
        d.push_str(&format!(
            "\n🔁 It repeats {rule}: the next copy is being created."
        ));
    }
    let e = Embed::new(format!("🚫 Task #{} cancelled", out.task.number), colors::MUTED)
        .description(d)
        .footer(super::tasks::plain_name(&out.coalition_name));
    Message::embed(e).fit()
}

/// `/task repeat` (ephemeral): the rule and when the next copy would be due.
pub fn repeat_set(out: &TaskRepeatSet) -> Message {
    let tz = tz_of(&out.timezone);
    let text = match (&out.every, out.next_due) {
        (Some(every), Some(next)) => format!(
            "🔁 Task **#{}** repeats {every}. When it's done or cancelled, the next copy (same assignee and goal, a new number) is created, due {}.",
            out.task.number,
            show(next, tz, Shown::Full)
        ),
        (Some(every), None) => format!("🔁 Task **#{}** repeats {every}.", out.task.number),
        (None, _) => format!(
            "Task **#{}** no longer repeats — closing it creates no copy.",
            out.task.number
        ),
    };
    Message::text(text).ephemeral().fit()
}
