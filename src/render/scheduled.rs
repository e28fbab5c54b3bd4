//! Messages the scheduler sends: check-in prompts, nudges, deadline pings, blocker alerts, task
//! assignments, win celebrations and channel warnings. Pure: data in, [`Message`] out, always fitted.

use chrono_tz::Tz;

use super::clip;
use super::tasks::card_buttons;
use crate::domain::message::{Button, ButtonStyle, Embed, Message, colors};
use crate::domain::text::number;
use crate::domain::when::{Shown, show};
use crate::domain::{Audience, ChannelId, DeadlineId, RoundId, Task, UserId};

/// A time as Discord shows it (in each reader's own zone), with the coalition's local time.
pub fn when_text(at: i64, tz: Tz) -> String {
    format!("<t:{at}:R> — {}", show(at, tz, Shown::Full))
}

/// The button that opens the check-in form of `round`.
pub fn checkin_button(round: RoundId) -> Button {
    Button {
        custom_id: format!("checkin:open:{round}"),
        label: "Check in".into(),
        style: ButtonStyle::Primary,
    }
}

/// The check-in prompt posted in the home channel when a round opens.
pub fn checkin_prompt(
    coalition: &str,
    round: RoundId,
    opens_at: i64,
    nudge_at: Option<i64>,
    tz: Tz,
) -> Message {
    let mut e = Embed::new(format!("Check-in time — {}", clip(coalition, 100)), colors::INFO).description(
        "What did you get done, what's next, and is anything in your way?\n\
         Press **Check in** (or use `/checkin submit`) — it takes a minute.",
    );
    if let Some(n) = nudge_at {
        e = e.field(
            "Reminders",
            format!("Members who haven't answered get a DM {}.", when_text(n, tz)),
            false,
        );
    }
    let e = e.footer(format!("Round of {}", show(opens_at, tz, Shown::Full)));
    Message {
        embeds: vec![e],
        buttons: vec![checkin_button(round), super::checkin_posts::edit_button(round)],
        ..Default::default()
    }
    .fit()
}

/// The DM to a member who hasn't answered the round.
pub fn nudge(coalition: &str, round: RoundId, opens_at: i64, tz: Tz) -> Message {
    let e = Embed::new(
        format!("Quick reminder — {} check-in", clip(coalition, 100)),
        colors::WARNING,
    )
    .description(format!(
        "The check-in that opened {} is still waiting for your answer. Press **Check in** \
             (or use `/checkin submit` in the server).",
        when_text(opens_at, tz)
    ));
    Message {
        embeds: vec![e],
        buttons: vec![checkin_button(round)],
        ..Default::default()
    }
    .fit()
}

fn due_phrase(offset: i64) -> String {
    match offset {
        0 => "is **overdue**".to_string(),
        s if s % 86_400 == 0 => format!(
            "is due in {} day{}",
            s / 86_400,
            if s == 86_400 { "" } else { "s" }
        ),
        s if s % 3600 == 0 => format!("is due in {} hours", s / 3600),
        s => format!("is due in {} minutes", s / 60),
    }
}

/// A task card: title, assignee, due date, status, with its buttons.
fn task_embed(task: &Task, assignee: Option<&str>, tz: Tz, title: String, color: u32) -> Embed {
    let mut e =
        Embed::new(title, color).description(format!("**#{}** {}", task.number, clip(&task.title, 200)));
    if let Some(who) = assignee {
        e = e.field("Assignee", clip(who, 100), true);
    }
    if let Some(due) = task.due_at {
        e = e.field("Due", when_text(due, tz), true);
    }
    e = e.field("Status", task.status.label(), true);
    if let Some(reason) = &task.blocked_reason {
        e = e.field("Blocked by", clip(reason, 900), false);
    }
    e
}

/// A deadline ping about a task, to its assignee or a lead (`offset` 0 = overdue).
pub fn task_ping(coalition: &str, task: &Task, assignee: Option<&str>, offset: i64, tz: Tz) -> Message {
    let title = format!(
        "Task #{} {} — {}",
        task.number,
        due_phrase(offset).replace("**", ""),
        clip(coalition, 80)
    );
    let color = if offset == 0 {
        colors::DANGER
    } else {
        colors::WARNING
    };
    let e = task_embed(task, assignee, tz, title, color)
        .footer("Mark it done or blocked with the buttons below.");
    Message {
        embeds: vec![e],
        buttons: card_buttons(task, false),
        ..Default::default()
    }
    .fit()
}

/// The DM to a member who was just assigned a task.
pub fn task_assigned(coalition: &str, task: &Task, assigned_by: Option<&str>, tz: Tz) -> Message {
    let by = assigned_by
        .map(|b| format!(" by {}", clip(b, 100)))
        .unwrap_or_default();
    let title = format!("New task for you{by} — {}", clip(coalition, 80));
    let e = task_embed(task, None, tz, title, colors::INFO)
        .footer("Use the buttons to start it, finish it, or say what blocks it.");
    Message {
        embeds: vec![e],
        buttons: card_buttons(task, false),
        ..Default::default()
    }
    .fit()
}

/// A deadline ping about a milestone, to a lead.
pub fn deadline_ping(
    coalition: &str,
    id: DeadlineId,
    number: i64,
    title: &str,
    due_at: i64,
    offset: i64,
    tz: Tz,
) -> Message {
    let color = if offset == 0 {
        colors::DANGER
    } else {
        colors::WARNING
    };
    let e = Embed::new(
        format!("Milestone #{number} {}", due_phrase(offset).replace("**", "")),
        color,
    )
    .description(format!(
        "**#{number}** {} — {}",
        clip(title, 200),
        clip(coalition, 100)
    ))
    .field("Due", when_text(due_at, tz), false)
    .footer(format!(
        "Mark it met with /deadline done deadline:#{number} (deadline {id})."
    ));
    Message::embed(e).fit()
}

/// A blocker alert to a lead: a task was marked blocked.
pub fn blocker_alert_task(coalition: &str, task: &Task, who: Option<&str>, tz: Tz) -> Message {
    let title = format!("Blocked: task #{} — {}", task.number, clip(coalition, 80));
    let e = task_embed(task, who, tz, title, colors::DANGER).footer("Can you help unblock it?");
    Message {
        embeds: vec![e],
        buttons: card_buttons(task, false),
        audience: Audience::Leads,
        ..Default::default()
    }
    .fit()
}

/// A blocker alert to a lead: a check-in answer reported a blocker.
pub fn blocker_alert_checkin(coalition: &str, who: &str, user: UserId, blockers: &str) -> Message {
    let e = Embed::new(
        format!("Blocker reported — {}", clip(coalition, 100)),
        colors::DANGER,
    )
    .description(format!(
        "{} (<@{user}>) reported in their check-in:\n>>> {}",
        clip(who, 100),
        clip(blockers, 1500)
    ))
    .footer("Reach out to help, or see `/checkin status`.");
    Message::embed(e).for_audience(Audience::Leads).fit()
}

/// A win's goal, as a celebration shows it.
pub struct WinGoal<'a> {
    pub title: &'a str,
    pub current: f64,
    pub target: Option<f64>,
    pub unit: Option<&'a str>,
}

/// The celebration post for a win in the home channel.
pub fn win_celebration(
    coalition: &str,
    who: &str,
    text: &str,
    amount: Option<f64>,
    goal: Option<WinGoal<'_>>,
) -> Message {
    let mut e = Embed::new(
        format!("🎉 A win for {}!", clip(coalition, 100)),
        colors::CELEBRATE,
    )
    .description(format!("{}\n— {}", clip(text, 1000), clip(who, 100)));
    if let Some(g) = goal {
        let unit = g.unit.map(|u| format!(" {}", clip(u, 30))).unwrap_or_default();
        let added = amount
            .map(|a| format!("+{}{unit} → ", number(a)))
            .unwrap_or_default();
        let progress = match g.target {
            Some(t) if t > 0.0 => {
                let f = (g.current / t).clamp(0.0, 1.0);
                format!(
                    "{added}{} {}/{}{unit} ({:.0}%)",
                    crate::domain::digest::progress_bar(f, 10),
                    number(g.current),
                    number(t),
                    f * 100.0
                )
            }
            _ => format!("{added}{}{unit}", number(g.current)),
        };
        e = e.field(format!("Goal: {}", clip(g.title, 200)), progress, false);
    }
    Message::embed(e).fit()
}

/// The DM to a lead when the bot can't post in the coalition's home channel.
pub fn channel_warning(coalition: &str, channel: ChannelId, code: u32, error: &str) -> Message {
    let e = Embed::new(format!("I can't post in {}'s home channel", clip(coalition, 100)), colors::DANGER)
        .description(format!(
            "Posting in <#{channel}> failed ({code}: {}). Check-ins and digests can't go out until this is fixed.\n\
             Give me **View Channel**, **Send Messages** and **Embed Links** there, or pick another channel \
             with `/coalition settings channel:`.",
            clip(error, 300)
        ));
    Message::embed(e).fit()
}

/// Which command has what an undelivered DM said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PointerHint {
    /// Task pings and assignments.
    Tasks,
    /// Blocked tasks (blocker alerts for leads).
    Blocked,
    /// A check-in nudge.
    Checkin,
    /// A blocker raised in a check-in.
    CheckinStatus,
    /// Deadline pings.
    Deadlines,
    /// A channel warning.
    Coalition,
    /// Feedback to the leads.
    Feedback,
    /// The leads' part of the digest.
    Digest,
}

impl PointerHint {
    fn text(self) -> &'static str {
        match self {
            PointerHint::Tasks => "`/task mine` has it",
            PointerHint::Blocked => "`/task list status:blocked` has it",
            PointerHint::Checkin => "`/checkin submit` takes your check-in",
            PointerHint::CheckinStatus => "`/checkin status` has it",
            PointerHint::Deadlines => "`/deadline list` has it",
            PointerHint::Coalition => "a channel of this coalition is unreachable; `/coalition info` has it",
            PointerHint::Feedback => "there is new feedback for the leads; `/feedback list` has it",
            PointerHint::Digest => "the leads' part of the digest is in `/digest preview`",
        }
    }
}

/// Stands in for a DM to someone who asked for none (`dms: none`): one short public line that
/// mentions them and says where to look — never the private content.
pub fn dm_off_pointer(user: UserId, hint: PointerHint) -> Message {
    Message {
        content: format!("<@{user}> (no DMs, as you asked) — {}.", hint.text()),
        ping_users: vec![user],
        ..Message::default()
    }
    .fit()
}

/// Stands in for DMs that couldn't be delivered (DMs closed): one short public line per kind of
/// message, mentioning (and pinging) only the people concerned — never the private content.
pub fn dm_pointer(who: &[(UserId, PointerHint)]) -> Message {
    let mut by_hint: std::collections::BTreeMap<PointerHint, Vec<UserId>> = Default::default();
    for (user, hint) in who {
        let users = by_hint.entry(*hint).or_default();
        if !users.contains(user) {
            users.push(*user);
        }
    }
    let mut lines = Vec::new();
    let mut ping = Vec::new();
    for (hint, users) in by_hint {
        let mentions: Vec<String> = users.iter().map(|u| format!("<@{u}>")).collect();
        lines.push(format!(
            "{} I couldn't DM you — {}.",
            mentions.join(" "),
            hint.text()
        ));
        for u in users {
            if !ping.contains(&u) {
                ping.push(u);
            }
        }
    }
    Message {
        content: lines.join("\n"),
        ping_users: ping,
        ..Message::default()
    }
    .fit()
}
