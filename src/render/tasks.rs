//! Task cards (the message with Start / Done / Blocked buttons) and task lists.

use chrono_tz::Tz;

use super::{mention, safe};
use crate::actions::tasks::{
    TaskAssigned, TaskCancelled, TaskDueSet, TaskEdited, TaskList, TaskReassigned, TaskRepeatSet, TaskUpdated,
};
use crate::domain::message::{Button, ButtonStyle, Embed, Message, bounded_list, colors};
use crate::domain::text::{defuse_mentions, truncate};
use crate::domain::when::{Shown, show};
use crate::domain::{Audience, Task, TaskId, TaskStatus};

/// Most lines a task list shows before "… and N more".
pub const LIST_LINES: usize = 20;
/// Characters of a task title on one line of a list.
const LINE_TITLE: usize = 80;
/// Characters a list description may use (Discord allows 4096).
const LIST_BUDGET: usize = 3800;

/// A status with its marker, for people: `🔵 in progress`.
pub fn status_label(s: TaskStatus) -> String {
    format!("{} {}", status_icon(s), s.label())
}

fn status_icon(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "⚪",
        TaskStatus::InProgress => "🔵",
        TaskStatus::Blocked => "🔴",
        TaskStatus::Done => "✅",
        TaskStatus::Cancelled => "🚫",
    }
}

fn button(custom_id: String, label: &str, style: ButtonStyle) -> Button {
    Button {
        custom_id,
        label: label.into(),
        style,
    }
}

/// The "Log as win" button of a done task.
pub fn win_button(task: TaskId) -> Button {
    button(format!("win:log-task:{task}"), "Log as win", ButtonStyle::Primary)
}

/// The buttons a card shows for the task's status: what can happen next. A done card offers to
/// log the task as a win (when `offer_win`), or nothing.
pub fn card_buttons(task: &Task, offer_win: bool) -> Vec<Button> {
    let id = task.id;
    let start = |label| button(format!("task:start:{id}"), label, ButtonStyle::Secondary);
    let done = button(format!("task:done:{id}"), "Done", ButtonStyle::Success);
    let block = button(format!("task:block:{id}"), "Blocked", ButtonStyle::Danger);
    match task.status {
        TaskStatus::Open => vec![start("Start"), done, block],
        TaskStatus::InProgress => vec![done, block],
        TaskStatus::Blocked => vec![start("Unblocked — resume"), done],
        TaskStatus::Done if offer_win => vec![win_button(id)],
        TaskStatus::Done | TaskStatus::Cancelled => vec![],
    }
}

/// The task card: `#N title`, assignee (mentioned, never pinged), due date in the coalition's
/// time zone, goal and status, with the buttons for its status. A done card offers "Log as win".
pub fn task_card(
    task: &Task,
    coalition_name: &str,
    tz: Tz,
    assignee: Option<&str>,
    goal_title: Option<&str>,
    now: i64,
) -> Message {
    task_card_with(
        task,
        coalition_name,
        tz,
        assignee,
        goal_title,
        now,
        task.status == TaskStatus::Done,
    )
}

/// [`task_card`], saying whether a done task still offers to be logged as a win.
pub fn task_card_with(
    task: &Task,
    coalition_name: &str,
    tz: Tz,
    assignee: Option<&str>,
    goal_title: Option<&str>,
    now: i64,
    offer_win: bool,
) -> Message {
    let status = task.status;
    let overdue = task.is_overdue(now);
    let color = match status {
        TaskStatus::Done => colors::SUCCESS,
        TaskStatus::Cancelled => colors::MUTED,
        TaskStatus::Blocked => colors::DANGER,
        _ if overdue => colors::WARNING,
        _ => colors::INFO,
    };
    let mut e = Embed::new(
        truncate(&format!("#{} {}", task.number, safe(&task.title)), 256),
        color,
    );
    let who = match (
        task.assignee_id,
        assignee.map(str::trim).filter(|a| !a.is_empty()),
    ) {
        (Some(id), Some(name)) => format!("{} ({})", mention(id), safe(&truncate(name, 80))),
        (Some(id), None) => mention(id),
        (None, _) => "unassigned — `/task reassign` gives it to someone".into(),
    };
    e = e.field("Assignee", who, true);
    let due = match task.due_at {
        Some(d) => {
            let flag = if overdue { "⚠️ **overdue** · " } else { "" };
            format!("{flag}{}\n<t:{d}:R>", show(d, tz, Shown::Full))
        }
        None => "no due date".into(),
    };
    e = e.field("Due", due, true);
    e = e.field("Status", status_label(status), true);
    if let Some(goal) = goal_title.filter(|g| !g.trim().is_empty()) {
        e = e.field("Goal", safe(&truncate(goal, 200)), false);
    }
    if status == TaskStatus::Blocked {
        // The card is public; why it is blocked is for the leads (and the assignee) alone.
        e = e.field(
            "Blocked",
            "The leads have the reason; `/task update` unblocks it.",
            false,
        );
    }
    if status == TaskStatus::Cancelled {
        let why = task
            .cancel_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| safe(&truncate(r, 900)))
            .unwrap_or_else(|| "no reason given".into());
        e = e.field("Cancelled", why, false);
    }
    if let Some(rule) = task.repeat_every.as_deref().filter(|r| !r.trim().is_empty()) {
        e = e.field("Repeats", repeat_label(rule), false);
    }
    let e = e.footer(plain_name(coalition_name));
    Message {
        embeds: vec![e],
        buttons: card_buttons(task, offer_win),
        ..Default::default()
    }
    .fit()
}

/// "repeats every Monday at 09:00", from a stored repeat rule.
pub fn repeat_label(rule: &str) -> String {
    match crate::domain::repeat::Repeat::parse(rule) {
        Ok(Some(r)) => format!("🔁 repeats {}", r.describe()),
        _ => format!("🔁 repeats {}", safe(&truncate(rule, 100))),
    }
}

/// A coalition name for a footer: footers show no markdown, so it goes in unescaped, cut to 100
/// characters and with mention syntax defused all the same.
pub fn plain_name(name: &str) -> String {
    defuse_mentions(&truncate(name, 100))
}

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

fn add_footer(mut msg: Message, note: &str) -> Message {
    if let Some(e) = msg.embeds.first_mut() {
        e.footer = if e.footer.is_empty() {
            note.to_string()
        } else {
            format!("{} · {note}", e.footer)
        };
    }
    msg.fit()
}

/// A done card after the "Log as win" click: the button is gone (the win is logged, once) and the
/// footer says so, for everyone who sees the card.
pub fn logged_as_win(mut card: Message) -> Message {
    card.buttons.retain(|b| !b.custom_id.starts_with("win:log-task:"));
    add_footer(card, "🎉 logged as a win")
}

/// `/task assign`: the public card of the new task.
pub fn assigned(out: &TaskAssigned, now: i64) -> Message {
    let card = task_card(
        &out.task,
        &out.coalition_name,
        tz_of(&out.timezone),
        Some(&out.assignee_name),
        out.goal_title.as_deref(),
        now,
    );
    if out.notified {
        add_footer(card, "the assignee gets a DM")
    } else {
        card
    }
}

/// A status change (`/task update`, `/task done`, the card's buttons): the re-rendered card.
pub fn updated(out: &TaskUpdated, goal_title: Option<&str>, now: i64) -> Message {
    let card = task_card_with(
        &out.task,
        &out.coalition_name,
        tz_of(&out.timezone),
        out.assignee_name.as_deref(),
        goal_title,
        now,
        out.offer_win,
    );
    match out.task.status {
        TaskStatus::Blocked if out.leads_alerted > 0 => add_footer(
            card,
            &format!(
                "{} lead{} alerted",
                out.leads_alerted,
                if out.leads_alerted == 1 { "" } else { "s" }
            ),
        ),
        TaskStatus::Done if out.offer_win => add_footer(card, "log it as a win with the button below"),
        _ => card,
    }
}

/// The ephemeral confirmation of a blocker reported through the form (when no card was clicked).
pub fn blocked_confirmation(out: &TaskUpdated) -> Message {
    let alerted = match out.leads_alerted {
        0 => "No lead could be alerted — add one with `/member add role:lead`.".to_string(),
        1 => "1 lead was alerted.".to_string(),
        n => format!("{n} leads were alerted."),
    };
    Message::text(format!(
        "🔴 Task **#{}** is marked blocked. {alerted}",
        out.task.number
    ))
    .ephemeral()
    .fit()
}

/// `/task reassign`: who has the task now.
pub fn reassigned(out: &TaskReassigned) -> Message {
    let mut d = format!(
        "**#{}** {}\nnow assigned to {} ({})",
        out.task.number,
        safe(&out.task.title),
        out.task
            .assignee_id
            .map(mention)
            .unwrap_or_else(|| "nobody".into()),
        safe(&truncate(&out.assignee_name, 80))
    );
    if let Some(prev) = out.previous_assignee {
        d.push_str(&format!(", previously {}", mention(prev)));
    }
    let mut e = Embed::new(format!("↪️ Task #{} reassigned", out.task.number), colors::INFO).description(d);
    let mut footer = plain_name(&out.coalition_name);
    if out.notified {
        footer.push_str(" · the new assignee gets a DM");
    }
    e = e.footer(footer);
    Message::embed(e).fit()
}

/// `/task due`: the new due date, and the old one.
pub fn due_set(out: &TaskDueSet) -> Message {
    let tz = tz_of(&out.timezone);
    let mut d = format!(
        "**#{}** {}\nnow due **{}**",
        out.task.number,
        safe(&out.task.title),
        out.due_text
    );
    if let Some(due) = out.task.due_at {
        d.push_str(&format!(" (<t:{due}:R>)"));
    }
    if let Some(prev) = out.previous_due {
        d.push_str(&format!("\nwas {}", show(prev, tz, Shown::Full)));
    }
    let e = Embed::new(
        format!("📅 Task #{} has a new due date", out.task.number),
        colors::INFO,
    )
    .description(d)
    .footer(format!(
        "{} · deadline pings follow the new date",
        plain_name(&out.coalition_name)
    ));
    Message::embed(e).fit()
}

/// `/task list` and `/task mine` (ephemeral): overdue first, at most [`LIST_LINES`] lines, then
/// "… and N more" with how to narrow the list. `mine` leaves out the assignee on each line.
pub fn task_list(list: &TaskList, mine: bool) -> Message {
    let tz = tz_of(&list.timezone);
    let what = match list.status {
        Some(s) => format!("{} tasks", capitalized(s.label())),
        None => "Open tasks".to_string(),
    };
    let title = if mine {
        format!("Your {}", what.to_lowercase())
    } else {
        what
    };
    let title = format!("{title} — {}", safe(&truncate(&list.coalition_name, 100)));
    let mut e = Embed::new(title, colors::INFO);

    let lines: Vec<String> = list
        .tasks
        .iter()
        .take(LIST_LINES)
        .map(|t| {
            let overdue = if t.is_overdue(list.now) { "⚠️ " } else { "" };
            let mut line = format!(
                "{overdue}{} **#{}** {}",
                status_icon(t.status),
                t.number,
                safe(&truncate(&t.title, LINE_TITLE))
            );
            if !mine {
                let who = match (&t.assignee_name, t.assignee_id) {
                    (Some(name), _) if !name.trim().is_empty() => safe(&truncate(name, 40)),
                    (_, Some(id)) => mention(id),
                    _ => "unassigned".into(),
                };
                line.push_str(&format!(" — {who}"));
            }
            match t.due_at {
                Some(d) if t.is_overdue(list.now) => {
                    line.push_str(&format!(" · **was due {}**", show(d, tz, Shown::Short)))
                }
                Some(d) => line.push_str(&format!(" · due {}", show(d, tz, Shown::Short))),
                None => {}
            }
            // Present only when the viewer may read it (a lead, or the task's own assignee).
            if t.status == TaskStatus::Blocked
                && let Some(reason) = t.blocked_reason.as_deref().filter(|r| !r.trim().is_empty())
            {
                line.push_str(&format!("\n  🚧 {}", safe(&truncate(reason, 120))));
            }
            line
        })
        .collect();
    let total = list.total.max(list.tasks.len() as i64) as usize;
    if total == 0 {
        let hint = if mine {
            "Nothing on your plate. 🎉 Tasks assigned to you with `/task assign` show up here."
        } else if list.status.is_some() {
            "No tasks with that status — try without `status:`."
        } else {
            "No open tasks — `/task assign` creates one."
        };
        return Message::embed(e.description(hint)).ephemeral().fit();
    }
    // The page's rows; only a page too long for the embed ends with "… and N more".
    let body = bounded_list(&lines, lines.len(), LIST_BUDGET);
    let overdue = list.tasks.iter().filter(|r| r.is_overdue(list.now)).count();
    let mut footer = format!("{total} task{}", if total == 1 { "" } else { "s" });
    if overdue > 0 && list.paged.page.number == 1 {
        footer.push_str(&format!(
            " · {overdue}{} overdue, shown first",
            if list.tasks.len() < total { "+" } else { "" }
        ));
    }
    footer.push_str(&format!(" · times in {}", tz.name()));
    e = e.description(body).footer(footer);
    let shows_reasons = list.tasks.iter().any(|r| r.blocked_reason.is_some());
    let audience = if shows_reasons {
        Audience::Members
    } else {
        Audience::Public
    };
    super::paging::paginate(
        Message::embed(e).ephemeral().for_audience(audience),
        &list.key,
        &list.paged,
    )
    .fit()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CoalitionId, UserId};
    use crate::store::tasks::ListedTask;

    const NOW: i64 = 1_800_000_000;

    fn task(id: i64, title: &str, status: TaskStatus, due: Option<i64>) -> Task {
        Task {
            id: TaskId(id),
            coalition_id: CoalitionId(1),
            number: id,
            title: title.into(),
            assignee_id: Some(UserId(42)),
            org_id: None,
            goal_id: None,
            due_at: due,
            status,
            blocked_reason: None,
            created_by: UserId(7),
            created_at: NOW - 1000,
            updated_at: NOW - 1000,
            completed_at: None,
            next_ping_at: None,
            channel_id: None,
            message_id: None,
            cancel_reason: None,
            cancelled_at: None,
            repeat_every: None,
            repeat_of: None,
        }
    }

    #[test]
    fn card_logged_as_win_drops_the_win_button_and_says_so() {
        let done = task(9, "@everyone flyers", TaskStatus::Done, None);
        let card = task_card_with(
            &done,
            "<@&1> C",
            chrono_tz::UTC,
            Some("@here Ann"),
            None,
            NOW,
            true,
        );
        assert!(card.buttons.iter().any(|b| b.custom_id == "win:log-task:9"));
        let after = logged_as_win(card);
        assert!(after.buttons.is_empty(), "{:?}", after.buttons);
        assert!(after.embeds[0].footer.contains("logged as a win"));
        assert!(after.limit_violations().is_empty());
        assert!(after.ping_users.is_empty());
        let t = all_text(&after);
        assert!(
            !t.contains("@everyone") && !t.contains("@here") && !t.contains("<@&"),
            "{t}"
        );
    }

    fn all_text(m: &Message) -> String {
        let mut s = m.content.clone();
        for e in &m.embeds {
            s.push_str(&e.title);
            s.push_str(&e.description);
            s.push_str(&e.footer);
            for f in &e.fields {
                s.push_str(&f.name);
                s.push_str(&f.value);
            }
        }
        s
    }

    #[test]
    fn card_buttons_carry_the_row_id() {
        let t = task(17, "Book the venue", TaskStatus::Open, Some(NOW + 3600));
        let m = task_card(
            &t,
            "Climate",
            chrono_tz::Europe::Berlin,
            Some("Ana"),
            Some("Turnout"),
            NOW,
        );
        let ids: Vec<&str> = m.buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["task:start:17", "task:done:17", "task:block:17"]);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ping_users.is_empty());
        let text = all_text(&m);
        assert!(
            text.contains("#17 Book the venue") && text.contains("<@42>") && text.contains("Europe/Berlin"),
            "{text}"
        );
    }

    #[test]
    fn done_card_offers_a_win_instead() {
        let t = task(5, "Send the letter", TaskStatus::Done, None);
        let m = task_card(&t, "Climate", chrono_tz::UTC, None, None, NOW);
        let ids: Vec<&str> = m.buttons.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(ids, ["win:log-task:5"]);
        let logged = task_card_with(&t, "Climate", chrono_tz::UTC, None, None, NOW, false);
        assert!(logged.buttons.is_empty());
        let blocked = task(6, "x", TaskStatus::Blocked, None);
        let ids: Vec<String> = card_buttons(&blocked, true)
            .into_iter()
            .map(|b| b.custom_id)
            .collect();
        assert_eq!(ids, ["task:start:6", "task:done:6"]);
    }

    #[test]
    fn hostile_title_is_defused() {
        let mut t = task(
            3,
            "@everyone look <@&123> and @here **now**",
            TaskStatus::Blocked,
            Some(NOW - 60),
        );
        t.blocked_reason = Some("<@&999> @everyone".into());
        let m = task_card(
            &t,
            "@everyone club",
            chrono_tz::UTC,
            Some("<@&5> @here"),
            Some("@everyone goal"),
            NOW,
        );
        let text = all_text(&m);
        assert!(
            !text.contains("@everyone") && !text.contains("@here") && !text.contains("<@&"),
            "{text}"
        );
        assert!(m.ping_users.is_empty());
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(text.contains("overdue"));
    }

    fn rows(n: i64) -> Vec<ListedTask> {
        (1..=n)
            .map(|i| {
                // 200 characters, the longest title allowed; the first 24 are overdue.
                let title = format!("{}@everyone <@&1>", "x".repeat(185));
                let t = task(i, &title, TaskStatus::Open, Some(NOW + (i - 25) * 3600));
                ListedTask {
                    id: t.id,
                    number: t.number,
                    title: t.title,
                    status: t.status,
                    assignee_id: t.assignee_id,
                    due_at: t.due_at,
                    blocked_reason: t.blocked_reason,
                    assignee_name: Some("n".repeat(200)),
                }
            })
            .collect()
    }

    fn paged(total: i64) -> (crate::domain::paging::Paged, crate::domain::paging::PageKey) {
        use crate::domain::paging::{Filters, Page, PageKey, Paged};
        (
            Paged::new(Page::new(1, 20), total),
            PageKey::new(
                "tasks",
                crate::domain::UserId(5),
                Filters::new().with('c', Some(1)),
            ),
        )
    }

    #[test]
    fn a_page_of_long_tasks_fits_and_offers_the_next_page() {
        let (paged, key) = paged(50);
        let list = TaskList {
            coalition_name: "c".repeat(100),
            timezone: "America/New_York".into(),
            tasks: rows(50).into_iter().take(20).collect(),
            total: 50,
            status: None,
            now: NOW,
            paged,
            key,
        };
        for mine in [false, true] {
            let m = task_list(&list, mine);
            assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
            assert!(m.ephemeral && m.ping_users.is_empty());
            let d = &m.embeds[0].description;
            assert!(d.lines().filter(|l| l.contains("**#")).count() <= LIST_LINES);
            assert!(m.embeds[0].footer.contains("50 tasks") && m.embeds[0].footer.ends_with("page 1 of 3"));
            assert_eq!(m.buttons.len(), 1, "page 1 only goes forward");
            assert_eq!(m.buttons[0].custom_id, "page:tasks:5:c1:2");
            let text = all_text(&m);
            assert!(!text.contains("@everyone") && !text.contains("<@&"));
            // Overdue rows come first and are flagged.
            assert!(d.lines().next().unwrap().starts_with("⚠️"), "{d}");
        }
    }

    #[test]
    fn empty_list_says_what_to_do() {
        let list = TaskList {
            coalition_name: "Climate".into(),
            timezone: "UTC".into(),
            tasks: vec![],
            total: 0,
            status: Some(TaskStatus::Blocked),
            now: NOW,
            paged: paged(0).0,
            key: paged(0).1,
        };
        let m = task_list(&list, false);
        assert!(m.embeds[0].title.starts_with("Blocked tasks"));
        assert!(m.limit_violations().is_empty());
    }
}
