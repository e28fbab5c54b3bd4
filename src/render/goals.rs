//! Goals with progress bars, and the milestones (deadlines) that lead up to them.

use chrono_tz::Tz;

use super::safe;
use super::tasks::plain_name;
use crate::actions::deadlines::{DeadlineAdded, DeadlineList, DeadlineMet, RECENTLY_MET_DAYS};
use crate::actions::goals::{GoalAdded, GoalClosed, GoalList, GoalProgressed};
use crate::actions::plan_edits::{DeadlineEdited, DeadlineRemoved, GoalEdited};
use crate::domain::digest::progress_bar;
use crate::domain::message::{Embed, Message, bounded_list, colors};
use crate::domain::text::{number, truncate};
use crate::domain::when::{Shown, show};
use crate::domain::{Deadline, Goal, GoalStatus};

/// Cells of a progress bar.
const BAR: usize = 10;
/// Characters of a title on one line of a list.
const LINE_TITLE: usize = 90;
/// Characters the list in an embed description may use (Discord allows 4096).
const LIST_BUDGET: usize = 3500;
/// Characters a list in a field may use (Discord allows 1024).
const FIELD_BUDGET: usize = 1000;

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

fn unit_of(goal: &Goal) -> String {
    goal.unit
        .as_deref()
        .map(|u| format!(" {}", safe(&truncate(u, 30))))
        .unwrap_or_default()
}

/// A goal's progress: `▓▓▓▓▓░░░░░ 50% — 250/500 people`, or just `250 people` without a target.
pub fn progress_line(goal: &Goal) -> String {
    let unit = unit_of(goal);
    match goal.target.filter(|t| *t > 0.0) {
        Some(target) => {
            let f = (goal.current / target).clamp(0.0, 1.0);
            format!(
                "{} {:.0}% — {}/{}{unit}",
                progress_bar(f, BAR),
                (f * 100.0).floor(),
                number(goal.current),
                number(target)
            )
        }
        None => format!("{}{unit} so far (no target)", number(goal.current)),
    }
}

/// `/goal add` (public): the new goal.
pub fn goal_added(out: &GoalAdded) -> Message {
    let g = &out.goal;
    let tz = tz_of(&out.timezone);
    let mut e = Embed::new(format!("🎯 New goal #{}", g.number), colors::INFO).description(safe(&g.title));
    if let Some(metric) = g.metric.as_deref() {
        e = e.field("Measured as", safe(&truncate(metric, 100)), true);
    }
    if let Some(target) = g.target {
        e = e.field("Target", format!("{}{}", number(target), unit_of(g)), true);
    }
    if let Some(due) = g.due_at {
        e = e.field("Due", show(due, tz, Shown::Full), true);
    }
    let e = e.field("Progress", progress_line(g), false).footer(format!(
        "{} · leads update it with /goal progress {}; wins with an amount add to it",
        plain_name(&out.coalition_name),
        g.number
    ));
    Message::embed(e).fit()
}

/// `/goal progress` (public): the goal's new value and bar.
pub fn goal_progressed(out: &GoalProgressed) -> Message {
    let g = &out.goal;
    let reached = g.target.is_some_and(|t| g.current >= t);
    let icon = if reached { "🏆" } else { "📈" };
    let mut d = format!("{}\n{}", safe(&g.title), progress_line(g));
    d.push_str(&format!("\n(was {}{})", number(out.previous), unit_of(g)));
    if reached {
        d.push_str(&format!(
            "\nTarget reached — a lead can close it with `/goal close goal:#{}`.",
            g.number
        ));
    }
    let color = if reached { colors::CELEBRATE } else { colors::INFO };
    let e = Embed::new(format!("{icon} Goal #{} progress", g.number), color)
        .description(d)
        .footer(plain_name(&out.coalition_name));
    Message::embed(e).fit()
}

/// `/goal close` (public): achieved or dropped.
pub fn goal_closed(out: &GoalClosed) -> Message {
    let g = &out.goal;
    let (title, color) = match g.status {
        GoalStatus::Achieved => (format!("🏆 Goal #{} achieved!", g.number), colors::CELEBRATE),
        GoalStatus::Dropped => (format!("Goal #{} dropped", g.number), colors::WARNING),
        GoalStatus::Active => (format!("Goal #{}", g.number), colors::INFO),
    };
    let e = Embed::new(title, color)
        .description(format!("{}\n{}", safe(&g.title), progress_line(g)))
        .footer(plain_name(&out.coalition_name));
    Message::embed(e).fit()
}

/// `/goal list` (ephemeral): active goals with progress bars and due dates, then closed ones.
pub fn goal_list(list: &GoalList) -> Message {
    let tz = tz_of(&list.timezone);
    let mut e = Embed::new(
        format!("Goals — {}", safe(&truncate(&list.coalition_name, 100))),
        colors::INFO,
    );
    if list.goals.is_empty() {
        let e = e.description("No goals yet — a lead can add one with `/goal add`.");
        return Message::embed(e).ephemeral().fit();
    }
    let active: Vec<String> = list
        .goals
        .iter()
        .filter(|l| l.active)
        .map(|l| {
            let g = &l.goal;
            let due = g
                .due_at
                .map(|d| format!(" · due {}", show(d, tz, Shown::Date)))
                .unwrap_or_default();
            format!(
                "**#{}** {}{due}\n{}",
                g.number,
                safe(&truncate(&g.title, LINE_TITLE)),
                progress_line(g)
            )
        })
        .collect();
    let body = if active.is_empty() {
        "No active goals — a lead can add one with `/goal add`.".to_string()
    } else {
        bounded_list(&active, active.len(), LIST_BUDGET)
    };
    e = e.description(body);
    let closed: Vec<String> = list
        .goals
        .iter()
        .filter(|l| !l.active)
        .map(|l| {
            let g = &l.goal;
            let mark = if g.status == GoalStatus::Achieved {
                "🏆 achieved"
            } else {
                "dropped"
            };
            format!("**#{}** {} — {mark}", g.number, safe(&truncate(&g.title, 60)))
        })
        .collect();
    if !closed.is_empty() {
        e = e.field(
            format!("Closed ({})", closed.len()),
            bounded_list(&closed, closed.len(), FIELD_BUDGET),
            false,
        );
    }
    let e = e.footer(format!(
        "{} active · {} closed · dates in {}",
        list.active,
        list.closed,
        tz.name()
    ));
    Message::embed(e).ephemeral().fit()
}

/// `/deadline add` (public): the milestone and when leads hear about it.
pub fn deadline_added(out: &DeadlineAdded) -> Message {
    let d = &out.deadline;
    let mut e = Embed::new(format!("📌 New milestone #{}", d.number), colors::INFO)
        .description(safe(&d.title))
        .field("Due", format!("{}\n<t:{}:R>", out.due_text, d.due_at), true);
    if let Some(goal) = out.goal_title.as_deref() {
        e = e.field("Goal", safe(&truncate(goal, 200)), true);
    }
    let e = e.footer(format!(
        "{} · leads are pinged before it's due; mark it met with /deadline done {}",
        plain_name(&out.coalition_name),
        d.number
    ));
    Message::embed(e).fit()
}

fn deadline_line(d: &Deadline, tz: Tz) -> String {
    format!(
        "**#{}** {} — {} (<t:{}:R>)",
        d.number,
        safe(&truncate(&d.title, LINE_TITLE)),
        show(d.due_at, tz, Shown::DateTime),
        d.due_at
    )
}

fn section(lines: Vec<String>, total: i64) -> String {
    bounded_list(&lines, (total.max(0) as usize).max(lines.len()), FIELD_BUDGET)
}

/// `/deadline list` (ephemeral): missed, upcoming, and recently met milestones.
pub fn deadline_list(list: &DeadlineList) -> Message {
    let tz = tz_of(&list.timezone);
    let mut e = Embed::new(
        format!("Milestones — {}", safe(&truncate(&list.coalition_name, 100))),
        colors::INFO,
    );
    if list.upcoming.is_empty() && list.missed.is_empty() && list.recently_met.is_empty() {
        let e = e.description("No open milestones — a lead can add one with `/deadline add`.");
        return Message::embed(e).ephemeral().fit();
    }
    if !list.missed.is_empty() {
        e.color = colors::WARNING;
        let lines = list
            .missed
            .iter()
            .map(|d| format!("⚠️ {}", deadline_line(d, tz)))
            .collect();
        e = e.field(
            format!("Missed ({})", list.missed_total),
            section(lines, list.missed_total),
            false,
        );
    }
    let upcoming = if list.upcoming.is_empty() {
        "Nothing upcoming.".to_string()
    } else {
        section(
            list.upcoming.iter().map(|d| deadline_line(d, tz)).collect(),
            list.upcoming_total,
        )
    };
    e = e.field(format!("Upcoming ({})", list.upcoming_total), upcoming, false);
    if !list.recently_met.is_empty() {
        let lines: Vec<String> = list
            .recently_met
            .iter()
            .map(|d| {
                let met = d
                    .met_at
                    .map(|m| format!(" — met {}", show(m, tz, Shown::Date)))
                    .unwrap_or_default();
                format!(
                    "✅ **#{}** {}{met}",
                    d.number,
                    safe(&truncate(&d.title, LINE_TITLE))
                )
            })
            .collect();
        let n = lines.len() as i64;
        e = e.field(
            format!("Met in the last {RECENTLY_MET_DAYS} days"),
            section(lines, n),
            false,
        );
    }
    let e = e.footer(format!("Times in {}", tz.name()));
    Message::embed(e).ephemeral().fit()
}

/// `/deadline done` (public): the milestone was met.
pub fn deadline_met(out: &DeadlineMet) -> Message {
    let d = &out.deadline;
    let late = if out.late { " (after its due date)" } else { "" };
    let e = Embed::new(format!("✅ Milestone #{} met{late}", d.number), colors::SUCCESS)
        .description(safe(&d.title))
        .footer(format!(
            "{} · no more pings for it",
            plain_name(&out.coalition_name)
        ));
    Message::embed(e).fit()
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::goals::GoalLine;
    use crate::domain::{CoalitionId, DeadlineId, DeadlineStatus, GoalId, GoalStatus, UserId};

    const NOW: i64 = 1_800_000_000;

    fn goal(n: i64, title: &str, current: f64, target: Option<f64>, status: GoalStatus) -> Goal {
        Goal {
            id: GoalId(n),
            coalition_id: CoalitionId(1),
            number: n,
            title: title.into(),
            metric: Some("m".repeat(100)),
            unit: Some("people".into()),
            target,
            current,
            due_at: Some(NOW + n * 86_400),
            status,
            created_by: UserId(1),
            created_at: NOW,
            closed_at: None,
        }
    }

    fn texts(m: &Message) -> String {
        m.embeds
            .iter()
            .map(|e| {
                let fields: String = e
                    .fields
                    .iter()
                    .map(|f| format!("{}{}", f.name, f.value))
                    .collect();
                format!("{}{}{}{fields}", e.title, e.description, e.footer)
            })
            .collect()
    }

    #[test]
    fn progress_bar_shows_half() {
        let g = goal(1, "Turnout", 250.0, Some(500.0), GoalStatus::Active);
        assert_eq!(progress_line(&g), "▓▓▓▓▓░░░░░ 50% — 250/500 people");
        let over = goal(2, "x", 900.0, Some(500.0), GoalStatus::Active);
        assert!(progress_line(&over).starts_with("▓▓▓▓▓▓▓▓▓▓ 100%"));
        let none = goal(3, "x", 12.5, None, GoalStatus::Active);
        assert_eq!(progress_line(&none), "12.5 people so far (no target)");
    }

    #[test]
    fn thirty_long_goals_fit() {
        let title = format!("{}@everyone <@&123>", "t".repeat(182));
        let goals: Vec<GoalLine> = (1..=30)
            .map(|i| {
                let status = if i % 10 == 0 {
                    GoalStatus::Dropped
                } else {
                    GoalStatus::Active
                };
                let g = goal(i, &title, i as f64 * 10.0, Some(300.0), status);
                GoalLine {
                    progress: g.progress(),
                    active: status == GoalStatus::Active,
                    goal: g,
                }
            })
            .collect();
        let list = GoalList {
            coalition_name: "c".repeat(100),
            timezone: "Asia/Tokyo".into(),
            goals,
            active: 27,
            closed: 3,
        };
        let m = goal_list(&list);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ephemeral && m.ping_users.is_empty());
        let t = texts(&m);
        assert!(t.contains("▓") && t.contains("… and "), "{t}");
        assert!(!t.contains("@everyone") && !t.contains("<@&"));
    }

    #[test]
    fn goal_outcomes_are_defused_and_fit() {
        let g = goal(
            4,
            &format!("{}@everyone <@&123>", "t".repeat(182)),
            10.0,
            Some(10.0),
            GoalStatus::Achieved,
        );
        let msgs = [
            goal_added(&GoalAdded {
                goal: g.clone(),
                coalition_name: "C".into(),
                timezone: "UTC".into(),
            }),
            goal_progressed(&GoalProgressed {
                goal: g.clone(),
                previous: 3.0,
                coalition_name: "C".into(),
            }),
            goal_closed(&GoalClosed {
                goal: g,
                coalition_name: "C".into(),
            }),
        ];
        for m in msgs {
            assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
            assert!(m.ping_users.is_empty() && !m.ephemeral);
            let t = texts(&m);
            assert!(!t.contains("@everyone") && !t.contains("<@&"), "{t}");
        }
    }

    #[test]
    fn long_deadline_list_fits() {
        let d = |n: i64, due: i64| Deadline {
            id: DeadlineId(n),
            coalition_id: CoalitionId(1),
            number: n,
            title: format!("{}@here <@&1>", "d".repeat(188)),
            goal_id: None,
            due_at: due,
            status: DeadlineStatus::Open,
            created_by: UserId(1),
            created_at: NOW,
            met_at: None,
            next_ping_at: None,
        };
        let list = DeadlineList {
            coalition_name: "C".into(),
            timezone: "Europe/Berlin".into(),
            upcoming: (1..=100).map(|n| d(n, NOW + n * 3600)).collect(),
            upcoming_total: 150,
            missed: (101..=200).map(|n| d(n, NOW - n * 3600)).collect(),
            missed_total: 100,
            recently_met: (201..=300).map(|n| d(n, NOW - n * 3600)).collect(),
            now: NOW,
        };
        let m = deadline_list(&list);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        let t = texts(&m);
        assert!(!t.contains("@here") && !t.contains("<@&") && t.contains("… and "));
    }
}
