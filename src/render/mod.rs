//! Pure functions from outcomes to [`Message`](crate::domain::message::Message)s within Discord's
//! limits. No serenity here: these are unit-tested as plain data, and the scheduler uses them too.

pub mod chart;
pub mod checkin_posts;
pub mod checkins;
pub mod coalitions;
pub mod digest;
pub mod feedback;
pub mod goals;
pub mod me;
pub mod meetings;
pub mod paging;
pub mod people;
pub mod report;
pub mod resources;
pub mod scheduled;
pub mod target_map;
pub mod targets;
pub mod targets_digest;
pub mod tasks;
pub mod wins;

use crate::domain::UserId;
use crate::domain::message::{Embed, bounded_list, limits};
use crate::domain::text::{defuse_mentions, escape_markdown, truncate};
use crate::store::members::UnassignedTask;

/// Longest name (coalition, org, member, responsibility) on one line of a list.
pub(crate) const NAME: usize = 60;
/// Longest title (task, goal) on one line of a list.
pub(crate) const TITLE: usize = 80;

/// User text made safe to show: markdown escaped and mentions defused.
pub fn safe(text: &str) -> String {
    defuse_mentions(&escape_markdown(text))
}

/// A user mention (renders as a name; pings only if the message lists the user in `ping_users`).
pub fn mention(user: UserId) -> String {
    format!("<@{}>", user.0)
}

/// User text cut to `max` characters, then made safe to show.
pub(crate) fn clip(text: &str, max: usize) -> String {
    safe(&truncate(text, max))
}

pub(crate) fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Names joined by commas within `max` characters, ending with "… and N more" when cut.
pub(crate) fn joined_list(names: &[String], max: usize) -> String {
    let mut out = String::new();
    for (shown, name) in names.iter().enumerate() {
        let rest = names.len() - shown;
        let sep = if out.is_empty() { "" } else { ", " };
        let tail = if rest > 1 {
            format!(" … and {} more", rest - 1).chars().count()
        } else {
            0
        };
        if out.chars().count() + sep.len() + name.chars().count() + tail > max {
            out.push_str(&format!(
                "{}… and {rest} more",
                if out.is_empty() { "" } else { " " }
            ));
            return out;
        }
        out.push_str(sep);
        out.push_str(name);
    }
    out
}

/// Tasks that lost their assignee, as a field for leads to act on.
pub(crate) fn unassigned_field(e: Embed, tasks: &[UnassignedTask]) -> Embed {
    if tasks.is_empty() {
        return e;
    }
    let lines: Vec<String> = tasks
        .iter()
        .map(|t| format!("#{} {}", t.number, clip(&t.title, TITLE)))
        .collect();
    e.field(
        format!("Now unassigned ({})", tasks.len()),
        bounded_list(&lines, lines.len(), limits::FIELD_VALUE),
        false,
    )
    .footer("Leads: hand these on with /task reassign.")
}
