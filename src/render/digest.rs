//! The weekly digest as one embed, within Discord's limits however big the coalition: every list
//! has a character budget and ends with "… and N more". Used by the scheduler, `/digest preview`
//! and `/digest send` alike, with the chart of [`super::chart`] as the embed's image.

use chrono_tz::Tz;

use super::clip;
use crate::domain::Audience;
use crate::domain::digest::{BlockerSource, Digest, UPCOMING_DAYS, progress_bar};
use crate::domain::message::{Embed, Message, bounded_list, colors};
use crate::domain::text::number;
use crate::domain::when::{Shown, show};

/// Characters each list field may use: 7 lists × 700 stay well inside the 6000 total.
const LIST_BUDGET: usize = 700;
/// Longest user text (title, win) on one line of a list.
const LINE_TEXT: usize = 90;

/// The digest embed.
pub fn digest(d: &Digest) -> Message {
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    let title = format!(
        "{} — {}",
        crate::domain::digest::title(d),
        clip(&d.coalition, 100)
    );
    let summary = format!(
        "{} to {}\n**{}** win{} · **{}** task{} completed · **{}** overdue · **{}** due in the next {UPCOMING_DAYS} days",
        show(d.period_start, tz, Shown::Date),
        show(d.period_end, tz, Shown::Date),
        d.wins_count,
        plural(d.wins_count),
        d.tasks_completed,
        plural(d.tasks_completed),
        d.overdue_count,
        d.upcoming_count,
    );
    let summary = if d.tasks_cancelled > 0 {
        // Cancelled work is closed but not done: say so apart from "completed".
        summary.replacen(
            " completed ·",
            &format!(" completed · **{}** cancelled ·", d.tasks_cancelled),
            1,
        )
    } else {
        summary
    };
    let mut e = Embed::new(title, colors::INFO).description(summary);

    let wins: Vec<String> = d
        .wins
        .iter()
        .map(|w| {
            let org = w
                .org
                .as_deref()
                .map(|o| format!(" ({})", clip(o, 40)))
                .unwrap_or_default();
            format!("• {} — {}{org}", clip(&w.text, LINE_TEXT), clip(&w.who, 40))
        })
        .collect();
    e = e.field(
        format!("🏆 Wins ({})", d.wins_count),
        list(&wins, d.wins_count, "No wins logged this week — `/win log` one!"),
        false,
    );

    let overdue: Vec<String> = d
        .overdue
        .iter()
        .map(|t| {
            let who = t
                .assignee
                .as_deref()
                .map(|a| clip(a, 40))
                .unwrap_or_else(|| "unassigned".into());
            format!(
                "• #{} {} — {who}, due <t:{}:d>",
                t.number,
                clip(&t.title, LINE_TEXT),
                t.due_at
            )
        })
        .collect();
    e = e.field(
        format!("⏰ Overdue ({})", d.overdue_count),
        list(&overdue, d.overdue_count, "Nothing overdue."),
        false,
    );

    let upcoming: Vec<String> = d
        .upcoming
        .iter()
        .map(|u| {
            let who = u
                .who
                .as_deref()
                .map(|w| format!(" — {}", clip(w, 40)))
                .unwrap_or_default();
            format!(
                "• <t:{}:d> {} #{} {}{who}",
                u.due_at,
                u.kind.label(),
                u.number,
                clip(&u.title, LINE_TEXT)
            )
        })
        .collect();
    e = e.field(
        format!("📅 Due in the next {UPCOMING_DAYS} days ({})", d.upcoming_count),
        list(&upcoming, d.upcoming_count, "Nothing due."),
        false,
    );

    let goals: Vec<String> = d
        .goals
        .iter()
        .map(|g| {
            let unit = g
                .unit
                .as_deref()
                .map(|u| format!(" {}", clip(u, 20)))
                .unwrap_or_default();
            let progress = match (g.target, g.fraction) {
                (Some(t), Some(f)) => format!(
                    "{} {:.0}% — {}/{}{unit}",
                    progress_bar(f, 10),
                    f * 100.0,
                    number(g.current),
                    number(t)
                ),
                _ => format!("{}{unit}", number(g.current)),
            };
            format!("**#{}** {}\n{progress}", g.number, clip(&g.title, 60))
        })
        .collect();
    e = e.field(
        format!("🎯 Goals ({} active)", d.goals_active),
        list(&goals, d.goals_active, "No active goals — `/goal add` one."),
        false,
    );

    let participation = match &d.participation {
        Some(p) => format!("{} — round of {}", p.figure, show(p.opens_at, tz, Shown::Date)),
        None => "No check-in round yet.".into(),
    };
    e = e.field("📝 Check-in", participation, false);
    if !d.away.is_empty() {
        let away = away_lines(d, tz);
        e = e.field(
            format!("🏖️ Away ({})", d.away.len()),
            list(&away, d.away.len() as i64, ""),
            false,
        );
    }
    if let Some(field) = meetings_field(&d.meetings) {
        e = e.field("🗓️ Meetings", field, false);
    }
    if d.feedback_new > 0 || d.feedback_acknowledged > 0 {
        e = e.field(
            "📣 Feedback to the leads",
            format!("{} new, {} acknowledged", d.feedback_new, d.feedback_acknowledged),
            false,
        );
    }

    e = super::targets_digest::fields(e, &d.advocacy);

    let blockers: Vec<String> = d.blockers.iter().map(blocker_line).collect();
    let mut blocked = list(&blockers, d.blockers_count, "None — nice.");
    if d.blockers_for_leads > 0 {
        let n = d.blockers_for_leads;
        let note = format!("{n} open blocker{} from check-ins; leads see details", plural(n));
        blocked = if d.blockers_count > 0 {
            format!("{blocked}\n{note}")
        } else {
            note
        };
    }
    e = e.field(
        format!("🚧 Open blockers ({})", d.blockers_count + d.blockers_for_leads),
        blocked,
        false,
    );

    if !d.top_contributors.is_empty() {
        let top: Vec<String> = d
            .top_contributors
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{}. {} — {} win{}",
                    i + 1,
                    clip(&c.name, 40),
                    c.wins,
                    plural(c.wins)
                )
            })
            .collect();
        e = e.field("⭐ Top contributors", list(&top, top.len() as i64, "—"), false);
    }
    let e = e.footer(format!("Times in {}", d.timezone));
    let msg = match super::chart::digest_png(d) {
        Some(png) => Message::embed(e.image(png.url())).attach(png).fit(),
        None => Message::embed(e).fit(),
    };
    // The leads' view names who is away and why tasks are blocked: for the leads alone.
    msg.for_audience(if d.has_leads_part() {
        Audience::Leads
    } else {
        Audience::Public
    })
}

/// The last meeting's decisions and how many of its actions are done, and the next meeting.
fn meetings_field(m: &crate::domain::digest::DigestMeetings) -> Option<String> {
    if m.last.is_none() && m.next.is_none() {
        return None;
    }
    let mut lines = Vec::new();
    if let Some((title, at)) = &m.last {
        lines.push(format!(
            "Last: **{}** (<t:{at}:D>) — {} of {} action{} done",
            clip(title, 80),
            m.actions_done,
            m.actions,
            plural(m.actions)
        ));
        lines.extend(m.decisions.iter().map(|d| format!("✅ {}", clip(d, 150))));
    }
    if let Some((title, at)) = &m.next {
        lines.push(format!("Next: **{}** <t:{at}:F>", clip(title, 80)));
    }
    Some(crate::domain::message::bounded_list(&lines, lines.len(), 1000))
}

/// The leads' part of a digest, sent to them (or their channel) beside the public digest: blocker
/// reasons, leads-only check-in blockers and who is away. `None` when there is nothing of that.
pub fn leads_part(d: &Digest) -> Option<Message> {
    if !d.has_leads_part() {
        return None;
    }
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    let title = format!(
        "{} — {} (for the leads)",
        crate::domain::digest::title(d),
        clip(&d.coalition, 100)
    );
    let mut e = Embed::new(title, colors::WARNING).description(
        "What the public digest leaves out: blocker reasons, check-in blockers and who is away.",
    );
    let blockers: Vec<String> = d.blockers.iter().map(blocker_line).collect();
    if !blockers.is_empty() {
        e = e.field(
            format!("🚧 Open blockers ({})", d.blockers_count),
            list(&blockers, d.blockers_count, ""),
            false,
        );
    }
    if !d.away.is_empty() {
        let away = away_lines(d, tz);
        e = e.field(
            format!("🏖️ Away ({})", d.away.len()),
            list(&away, d.away.len() as i64, ""),
            false,
        );
    }
    Some(
        Message::embed(e.footer(format!("Times in {}", d.timezone)))
            .for_audience(Audience::Leads)
            .fit(),
    )
}

/// One blocker: what, who, and why when the reader may see why.
fn blocker_line(b: &crate::domain::digest::DigestBlocker) -> String {
    let who = b
        .who
        .as_deref()
        .map(|w| clip(w, 40))
        .unwrap_or_else(|| "unassigned".into());
    let what = match &b.source {
        BlockerSource::Task { number, title } => format!("#{number} {}", clip(title, 50)),
        BlockerSource::Checkin => "check-in".into(),
    };
    if b.reason.trim().is_empty() {
        format!("• {what} ({who})")
    } else {
        format!("• {what} ({who}): {}", clip(&b.reason, LINE_TEXT))
    }
}

/// Who is away, and until when (the leads' view only).
fn away_lines(d: &Digest, tz: Tz) -> Vec<String> {
    d.away
        .iter()
        .map(|a| {
            format!(
                "• {} — away until {}",
                clip(&a.who, 40),
                show(a.until, tz, Shown::Date)
            )
        })
        .collect()
}

fn list(lines: &[String], total: i64, empty: &str) -> String {
    if lines.is_empty() && total <= 0 {
        return empty.to_string();
    }
    bounded_list(
        lines,
        usize::try_from(total).unwrap_or(0).max(lines.len()),
        LIST_BUDGET,
    )
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
