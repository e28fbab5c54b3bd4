//! The weekly digest: what a coalition did and what is coming, as plain data plus a text rendering.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::ids::*;
use super::{text, when};

/// Most items listed in any one section; counts say how many there are in all.
pub const MAX_ITEMS: usize = 10;
/// Most goals shown.
pub const MAX_GOALS: usize = 25;
/// Most contributors shown.
pub const MAX_CONTRIBUTORS: usize = 5;
/// How far ahead "coming up" looks.
pub const UPCOMING_DAYS: i64 = 14;
/// Periods of wins the digest chart shows, this one included.
pub const WIN_PERIODS: usize = 8;

/// A week of a coalition, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub coalition_id: CoalitionId,
    pub coalition: String,
    /// IANA name of the coalition's time zone; times below are UTC seconds.
    pub timezone: String,
    pub period_start: i64,
    pub period_end: i64,
    pub wins_count: i64,
    /// Wins in each of the last [`WIN_PERIODS`] periods of the same length, oldest first; the
    /// last is this period.
    pub wins_per_period: Vec<i64>,
    /// Most recent first.
    pub wins: Vec<DigestWin>,
    pub tasks_completed: i64,
    /// Tasks cancelled in the period: closed, but not counted as completed.
    pub tasks_cancelled: i64,
    pub overdue_count: i64,
    /// Most overdue first.
    pub overdue: Vec<DigestTask>,
    /// Open tasks and milestones due within [`UPCOMING_DAYS`].
    pub upcoming_count: i64,
    /// Soonest first.
    pub upcoming: Vec<DigestDue>,
    pub goals_active: i64,
    pub goals: Vec<DigestGoal>,
    pub participation: Option<Participation>,
    pub blockers_count: i64,
    pub blockers: Vec<DigestBlocker>,
    /// Members with the most wins in the period, most first.
    pub top_contributors: Vec<Contributor>,
    /// Members away when the digest is made, soonest back first (not counted as missing).
    pub away: Vec<DigestAway>,
    /// Feedback received in the period (a count only: its text never appears in the digest).
    pub feedback_new: i64,
    /// Feedback acknowledged by a lead in the period.
    pub feedback_acknowledged: i64,
    /// Check-in answers of the current round that report a blocker (counted in `blockers_count`).
    pub checkin_blockers_count: i64,
    /// Open blockers from check-ins that only the leads may read (answers in `leads` report mode):
    /// counted here, not in `blockers_count`, and never listed. 0 in the leads' view.
    pub blockers_for_leads: i64,
    /// Targets whose stance moved and the library's new resources (public).
    pub advocacy: super::targets::DigestAdvocacy,
    /// The last meeting's decisions and actions, and the next meeting.
    pub meetings: DigestMeetings,
}

/// Meetings in the digest: the last one held (its decisions, how many of its actions are done)
/// and the next one planned.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestMeetings {
    /// The last meeting held by the digest's end: (title, when it started).
    pub last: Option<(String, i64)>,
    /// Its decisions, first taken first (at most [`MAX_ITEMS`]).
    pub decisions: Vec<String>,
    /// Its action items, and how many of their tasks are done.
    pub actions: i64,
    pub actions_done: i64,
    /// The next meeting planned: (title, start).
    pub next: Option<(String, i64)>,
}

impl Digest {
    /// The digest as anyone in the server may read it. Blocker reasons and who is away are for the
    /// leads; check-in blockers are listed (names, no reasons) only when the answers themselves
    /// are public (`answers_public`), and otherwise only counted.
    pub fn public(mut self, answers_public: bool) -> Digest {
        if !answers_public {
            self.blockers
                .retain(|b| matches!(b.source, BlockerSource::Task { .. }));
            self.blockers_count -= self.checkin_blockers_count;
            self.blockers_for_leads = self.checkin_blockers_count;
        }
        for b in &mut self.blockers {
            b.reason.clear();
        }
        self.away.clear();
        self
    }

    /// Whether the leads' view holds anything the public one does not.
    pub fn has_leads_part(&self) -> bool {
        !self.away.is_empty() || self.blockers.iter().any(|b| !b.reason.trim().is_empty())
    }
}

/// A member who is away.
#[derive(Debug, Clone, Serialize)]
pub struct DigestAway {
    pub who: String,
    /// Back at (UTC seconds).
    pub until: i64,
}

/// A win in the digest.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DigestWin {
    pub text: String,
    pub user_id: UserId,
    pub who: String,
    pub org: Option<String>,
    pub created_at: i64,
}

/// An overdue task.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DigestTask {
    pub number: i64,
    pub title: String,
    pub assignee: Option<String>,
    pub due_at: i64,
}

/// What kind of thing is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DueKind {
    Task,
    Milestone,
}

impl DueKind {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            DueKind::Task => "task",
            DueKind::Milestone => "milestone",
        }
    }
}

/// A task or milestone due soon.
#[derive(Debug, Clone, Serialize)]
pub struct DigestDue {
    pub kind: DueKind,
    pub number: i64,
    pub title: String,
    /// The task's assignee; `None` for milestones and unassigned tasks.
    pub who: Option<String>,
    pub due_at: i64,
}

/// An active goal's progress.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DigestGoal {
    pub number: i64,
    pub title: String,
    pub current: f64,
    pub target: Option<f64>,
    pub unit: Option<String>,
    pub due_at: Option<i64>,
    /// current / target in 0..=1, when there is a target.
    #[sqlx(skip)]
    pub fraction: Option<f64>,
}

/// How many members answered the current check-in round, by the one definition of
/// participation ([`crate::domain::checkin::Participation`]): current members, away ones apart.
#[derive(Debug, Clone, Serialize)]
pub struct Participation {
    pub round_id: RoundId,
    pub opens_at: i64,
    pub answered: i64,
    /// Members expected to answer: current members who are not away.
    pub members: i64,
    /// Current members away (neither expected nor missing).
    pub away: i64,
    /// The figure as `/checkin status` shows it: "7 of 9 answered (78 %) · 2 away".
    pub figure: String,
}

/// The period a digest covers, as its title names it: `16–30 Nov`, `28 Nov – 5 Dec`, or with years
/// when they differ (`28 Dec 2026 – 4 Jan 2027`). Dates are the coalition's local dates.
pub fn period_title(start: i64, end: i64, tz: Tz) -> String {
    use chrono::Datelike;
    let date = |s: i64| {
        Utc.timestamp_opt(s, 0)
            .single()
            .map(|t| t.with_timezone(&tz).date_naive())
    };
    let (Some(a), Some(b)) = (date(start), date(end)) else {
        return String::new();
    };
    if a == b {
        b.format("%-d %b").to_string()
    } else if (a.year(), a.month()) == (b.year(), b.month()) {
        format!("{}–{}", a.day(), b.format("%-d %b"))
    } else if a.year() == b.year() {
        format!("{} – {}", a.format("%-d %b"), b.format("%-d %b"))
    } else {
        format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y"))
    }
}

/// The digest's title: `Digest · 16–30 Nov`.
pub fn title(d: &Digest) -> String {
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    format!("Digest · {}", period_title(d.period_start, d.period_end, tz))
}

/// Where a blocker was reported.
#[derive(Debug, Clone, Serialize)]
pub enum BlockerSource {
    /// A task marked blocked.
    Task { number: i64, title: String },
    /// A check-in answer in the current round.
    Checkin,
}

/// Something standing in someone's way.
#[derive(Debug, Clone, Serialize)]
pub struct DigestBlocker {
    pub source: BlockerSource,
    pub who: Option<String>,
    pub reason: String,
}

/// A member and their wins in the period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Contributor {
    pub user_id: UserId,
    pub name: String,
    pub wins: i64,
}

/// A bar of `width` cells, `▓` for done and `░` for the rest (`fraction` is clamped to 0..=1).
pub fn progress_bar(fraction: f64, width: usize) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = ((f * width as f64).round() as usize).min(width);
    "▓".repeat(filled) + &"░".repeat(width - filled)
}

/// Renders the digest as plain text for the terminal, times in the coalition's time zone.
pub fn to_text(d: &Digest) -> String {
    let tz: Tz = d.timezone.parse().unwrap_or(chrono_tz::UTC);
    let at = |s: i64| when::show(s, tz, when::Shown::Short);
    let mut out = format!(
        "{} — {}: {} to {} ({})\n",
        d.coalition,
        title(d),
        when::show(d.period_start, tz, when::Shown::DateTime),
        when::show(d.period_end, tz, when::Shown::DateTime),
        d.timezone
    );

    out += &format!("\nWins: {}\n", d.wins_count);
    for w in &d.wins {
        let org = w.org.as_deref().map(|o| format!(" ({o})")).unwrap_or_default();
        out += &format!("  • {} — {}{}\n", text::truncate(&w.text, 200), w.who, org);
    }
    more(&mut out, d.wins_count, d.wins.len());
    if !d.top_contributors.is_empty() {
        let top: Vec<String> = d
            .top_contributors
            .iter()
            .map(|c| format!("{} ({})", c.name, c.wins))
            .collect();
        out += &format!("  Most wins: {}\n", top.join(", "));
    }

    out += &format!("\nTasks completed: {}\n", d.tasks_completed);
    if d.tasks_cancelled > 0 {
        out += &format!("Tasks cancelled: {}\n", d.tasks_cancelled);
    }

    out += &format!("\nOverdue tasks: {}\n", d.overdue_count);
    for t in &d.overdue {
        let who = t.assignee.as_deref().unwrap_or("unassigned");
        out += &format!("  • #{} {} — {}, due {}\n", t.number, t.title, who, at(t.due_at));
    }
    more(&mut out, d.overdue_count, d.overdue.len());

    out += &format!("\nDue in the next {UPCOMING_DAYS} days: {}\n", d.upcoming_count);
    for u in &d.upcoming {
        let who = u.who.as_deref().map(|w| format!(" — {w}")).unwrap_or_default();
        out += &format!(
            "  • {} {} #{} {}{}\n",
            at(u.due_at),
            u.kind.label(),
            u.number,
            u.title,
            who
        );
    }
    more(&mut out, d.upcoming_count, d.upcoming.len());

    out += &format!("\nGoals: {} active\n", d.goals_active);
    for g in &d.goals {
        let unit = g.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        let progress = match (g.target, g.fraction) {
            (Some(t), Some(f)) => format!(
                "{} {}/{}{} ({:.0}%)",
                progress_bar(f, 10),
                text::number(g.current),
                text::number(t),
                unit,
                f * 100.0
            ),
            _ => format!("{}{}", text::number(g.current), unit),
        };
        out += &format!("  • #{} {} {}\n", g.number, g.title, progress);
    }
    more(&mut out, d.goals_active, d.goals.len());

    out += "\nCheck-in: ";
    out += &match &d.participation {
        Some(p) => format!("{} — round of {}\n", p.figure, at(p.opens_at)),
        None => "no round yet\n".to_string(),
    };
    for a in &d.away {
        out += &format!("  • {} — away until {}\n", a.who, at(a.until));
    }
    if d.feedback_new > 0 || d.feedback_acknowledged > 0 {
        out += &format!(
            "\nFeedback to the leads: {} new, {} acknowledged\n",
            d.feedback_new, d.feedback_acknowledged
        );
    }

    out += &super::targets::digest_text(&d.advocacy);
    out += &format!("\nOpen blockers: {}\n", d.blockers_count + d.blockers_for_leads);
    for b in &d.blockers {
        let who = b.who.as_deref().unwrap_or("unassigned");
        let what = match &b.source {
            BlockerSource::Task { number, title } => format!("#{number} {title}"),
            BlockerSource::Checkin => "check-in".to_string(),
        };
        if b.reason.trim().is_empty() {
            out += &format!("  • {what} ({who})\n");
        } else {
            out += &format!("  • {what} ({who}): {}\n", text::truncate(&b.reason, 200));
        }
    }
    more(&mut out, d.blockers_count, d.blockers.len());
    if d.blockers_for_leads > 0 {
        out += &format!(
            "  {} more from check-ins: leads see the details\n",
            d.blockers_for_leads
        );
    }
    out
}

fn more(out: &mut String, total: i64, shown: usize) {
    let rest = total - shown as i64;
    if rest > 0 {
        *out += &format!("  … and {rest} more\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_titles_name_the_dates() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 8, 0, 0).unwrap().timestamp();
        assert_eq!(period_title(at(2026, 11, 16), at(2026, 11, 30), tz), "16–30 Nov");
        assert_eq!(
            period_title(at(2026, 11, 28), at(2026, 12, 5), tz),
            "28 Nov – 5 Dec"
        );
        assert_eq!(
            period_title(at(2026, 12, 28), at(2027, 1, 4), tz),
            "28 Dec 2026 – 4 Jan 2027"
        );
        assert_eq!(period_title(at(2026, 11, 30), at(2026, 11, 30), tz), "30 Nov");
        // 23:30 UTC on the 29th is already the 30th in Berlin.
        let late = Utc.with_ymd_and_hms(2026, 11, 29, 23, 30, 0).unwrap().timestamp();
        assert_eq!(period_title(at(2026, 11, 16), late, tz), "16–30 Nov");
    }

    #[test]
    fn bars_round_and_clamp() {
        assert_eq!(progress_bar(0.4, 10), "▓▓▓▓░░░░░░");
        assert_eq!(progress_bar(0.0, 4), "░░░░");
        assert_eq!(progress_bar(1.7, 4), "▓▓▓▓");
        assert_eq!(progress_bar(-1.0, 3), "░░░");
        assert_eq!(progress_bar(f64::NAN, 2), "░░");
    }
}
