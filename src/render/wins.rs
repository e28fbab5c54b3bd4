//! Wins: the reply to `/win log`, the "Log as win" confirmation, and `/win list`.

use chrono_tz::Tz;

use super::goals::progress_line;
use super::tasks::plain_name;
use super::{clip, mention, safe};
use crate::actions::win_edits::WinRemoved;
use crate::actions::wins::{WinList, WinLogged};
use crate::domain::message::{Embed, Message, bounded_list, colors};
use crate::domain::text::{number, truncate};
use crate::domain::when::{Shown, show};
use crate::store::win_edits::Celebration;

/// Characters of a win's text on one line of a list.
const LINE_TEXT: usize = 150;
/// Characters the list may use (Discord allows 4096 in a description).
const LIST_BUDGET: usize = 3800;
/// Most lines a list shows before "… and N more".
pub const LIST_LINES: usize = 25;

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `/win log` (public): "🎉 Logged", the win, and the goal it moved.
pub fn win_logged(out: &WinLogged) -> Message {
    let w = &out.win;
    let mut e = Embed::new("🎉 Logged", colors::CELEBRATE).description(format!(
        "{}\n— {}",
        safe(&truncate(&w.text, 3000)),
        mention(w.user_id)
    ));
    if let Some(goal) = &out.goal {
        let added = w.amount.map(|a| format!("+{} → ", number(a))).unwrap_or_default();
        e = e.field(
            format!("Goal #{}: {}", goal.number, safe(&truncate(&goal.title, 200))),
            format!("{added}{}", progress_line(goal)),
            false,
        );
    }
    if let Some(org) = out.org_name.as_deref() {
        e = e.field("Organization", safe(&truncate(org, 100)), true);
    }
    let note = if out.celebrated {
        " · celebrating it in the home channel"
    } else {
        ""
    };
    let e = e.footer(format!("{}{note}", plain_name(&out.coalition_name)));
    Message::embed(e).fit()
}

/// The "Log as win" button (ephemeral): the task is logged as a win.
pub fn task_win_logged(out: &WinLogged) -> Message {
    let task = out.win.task_id.map(|_| "This task").unwrap_or("It");
    let goal = out
        .goal
        .as_ref()
        .map(|g| format!(" It counts toward goal **#{}**.", g.number))
        .unwrap_or_default();
    Message::text(format!(
        "🎉 Logged! {task} is now a win of {} — it'll be celebrated in the home channel.{goal}",
        safe(&truncate(&out.coalition_name, 100))
    ))
    .ephemeral()
    .fit()
}

/// `/win list` (ephemeral): recent wins, newest first.
pub fn win_list(list: &WinList) -> Message {
    let tz = tz_of(&list.timezone);
    let period = if list.days == 1 {
        "the last day".to_string()
    } else {
        format!("the last {} days", list.days)
    };
    let e = Embed::new(
        format!(
            "Wins in {period} — {}",
            safe(&truncate(&list.coalition_name, 100))
        ),
        colors::CELEBRATE,
    );
    let total = (list.total.max(0) as usize).max(list.wins.len());
    if total == 0 {
        let e = e.description("No wins logged yet in this period — `/win log` records one (or try `days:`).");
        return Message::embed(e).ephemeral().fit();
    }
    let lines: Vec<String> = list
        .wins
        .iter()
        .take(LIST_LINES)
        .map(|row| {
            let w = &row.win;
            let who = match row.user_name.as_deref().filter(|n| !n.trim().is_empty()) {
                Some(n) => safe(&truncate(n, 40)),
                None => mention(w.user_id),
            };
            let org = row
                .org_name
                .as_deref()
                .map(|o| format!(" ({})", safe(&truncate(o, 40))))
                .unwrap_or_default();
            let goal = match (row.goal_title.as_deref(), w.amount) {
                (Some(g), Some(a)) => format!(" · +{} to {}", number(a), safe(&truncate(g, 40))),
                (Some(g), None) => format!(" · {}", safe(&truncate(g, 40))),
                _ => String::new(),
            };
            // One line each: a multi-line win would break the list.
            let text = w.text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!(
                "• {} — {who}{org}{goal} · {}",
                safe(&truncate(&text, LINE_TEXT)),
                show(w.created_at, tz, Shown::Day)
            )
        })
        .collect();
    let body = bounded_list(&lines, lines.len(), LIST_BUDGET);
    let e = e.description(body).footer(format!(
        "{total} win{} · dates in {}",
        if total == 1 { "" } else { "s" },
        tz.name()
    ));
    super::paging::paginate(Message::embed(e).ephemeral(), &list.key, &list.paged).fit()
}

/// The confirmation (ephemeral): what was removed and where the goal stands now.
pub fn removed(out: &WinRemoved) -> Message {
    let mut text = format!(
        "🗑️ Win withdrawn from **{}**: “{}”.",
        safe(&truncate(&out.coalition_name, 100)),
        safe(&truncate(&out.win.text, 300))
    );
    if let (Some(goal), Some(amount)) = (&out.goal, out.win.amount) {
        text.push_str(&format!(
            "\n−{} from **#{} {}**, now {}.",
            number(amount),
            goal.number,
            safe(&truncate(&goal.title, 100)),
            super::goals::progress_line(goal)
        ));
    }
    if out.celebration != Celebration::None {
        text.push_str("\nThe celebration post now says it was withdrawn.");
    } else if out.celebration_cancelled {
        text.push_str("\nIts celebration hadn't been posted yet and won't be.");
    }
    Message::text(text).ephemeral().fit()
}

/// The celebration post, edited: struck through and marked withdrawn.
pub fn withdrawn_celebration(out: &WinRemoved) -> Message {
    let who = if out.author_name.trim().is_empty() {
        super::mention(out.win.user_id)
    } else {
        clip(&out.author_name, 100)
    };
    let mut e = Embed::new(
        format!("Withdrawn: a win for {}", clip(&out.coalition_name, 100)),
        colors::MUTED,
    )
    .description(format!("~~{}~~\n— {who}", clip(&out.win.text, 1000)));
    if let (Some(goal), Some(amount)) = (&out.goal, out.win.amount) {
        e = e.field(
            format!("Goal: {}", clip(&goal.title, 200)),
            format!("−{} → {}", number(amount), super::goals::progress_line(goal)),
            false,
        );
    }
    Message::embed(e.footer("This win was withdrawn and no longer counts.")).fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::paging::{Filters, Page, PageKey, Paged};
    use crate::domain::{CoalitionId, Goal, GoalId, GoalStatus, TaskId, UserId, Win, WinId};
    use crate::store::wins::WinRow;

    const NOW: i64 = 1_800_000_000;

    fn win(id: i64, text: &str) -> Win {
        Win {
            id: WinId(id),
            coalition_id: CoalitionId(1),
            user_id: UserId(9),
            text: text.into(),
            org_id: None,
            goal_id: Some(GoalId(1)),
            task_id: None,
            amount: Some(5.0),
            created_at: NOW - id * 60,
        }
    }

    fn goal() -> Goal {
        Goal {
            id: GoalId(1),
            coalition_id: CoalitionId(1),
            number: 1,
            title: "@everyone <@&123> goal".into(),
            metric: None,
            unit: Some("signatures".into()),
            target: Some(100.0),
            current: 40.0,
            due_at: None,
            status: GoalStatus::Active,
            created_by: UserId(1),
            created_at: NOW,
            closed_at: None,
        }
    }

    fn texts(m: &Message) -> String {
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
    fn huge_win_fits_and_is_defused() {
        let text = "We did it @everyone <@&123> **bold** ".repeat(120);
        let text = &text[..4000];
        let out = WinLogged {
            win: win(1, text),
            coalition_name: "c".repeat(100),
            goal: Some(goal()),
            org_name: Some("@here org".into()),
            celebrated: true,
        };
        let m = win_logged(&out);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ping_users.is_empty() && !m.ephemeral);
        let t = texts(&m);
        assert!(t.starts_with("🎉 Logged"), "{t}");
        assert!(
            !t.contains("@everyone") && !t.contains("@here") && !t.contains("<@&"),
            "{t}"
        );
        assert!(t.contains("▓▓▓▓░░░░░░ 40%"), "{t}");

        let mut task_win = out.clone();
        task_win.win.task_id = Some(TaskId(3));
        let c = task_win_logged(&task_win);
        assert!(c.ephemeral && c.limit_violations().is_empty());
    }

    #[test]
    fn long_win_list_fits() {
        let text = "big news @everyone <@&123>\nsecond line ".repeat(120);
        let wins: Vec<WinRow> = (1..=100)
            .map(|i| WinRow {
                win: win(i, &text[..4000]),
                user_name: Some("u".repeat(200)),
                org_name: Some("o".repeat(100)),
                goal_title: Some("g".repeat(200)),
            })
            .collect();
        let list = WinList {
            coalition_name: "C".into(),
            timezone: "UTC".into(),
            days: 7,
            since: NOW - 7 * 86_400,
            wins: wins.into_iter().take(15).collect(),
            total: 340,
            paged: Paged::new(Page::new(1, 15), 340),
            key: PageKey::new(
                "wins",
                UserId(3),
                Filters::new().with('c', Some(1)).with('d', Some(7)),
            ),
        };
        let m = win_list(&list);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ephemeral && m.ping_users.is_empty());
        let t = texts(&m);
        assert!(!t.contains("@everyone") && !t.contains("<@&"));
        assert!(m.embeds[0].footer.contains("340 wins") && m.embeds[0].footer.ends_with("page 1 of 23"));
        assert_eq!(m.buttons[0].custom_id, "page:wins:3:c1.d7:2");
        assert!(m.embeds[0].description.lines().count() <= LIST_LINES + 1);
    }
}
