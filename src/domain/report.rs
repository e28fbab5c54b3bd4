//! The impact report for stakeholders: a coalition's period to date (month, quarter or year in
//! its own time zone) as plain data, which `render::report` turns into one HTML file.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// Most goals in a report; more would not make a readable document.
pub const MAX_GOALS: usize = 60;
/// Most partner organizations listed.
pub const MAX_ORGS: usize = 200;
/// Wins quoted in "top wins".
pub const TOP_WINS: usize = 10;
/// Most deadlines listed.
pub const MAX_DEADLINES: usize = 200;
/// Completed tasks listed by name (the counts cover them all).
pub const RECENT_TASKS: usize = 15;

/// Which period a report covers: the current one, to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum ReportPeriod {
    Month,
    #[default]
    Quarter,
    Year,
}

impl ReportPeriod {
    /// Reads `month`, `quarter` or `year`.
    pub fn parse(s: &str) -> Option<ReportPeriod> {
        match s.trim().to_ascii_lowercase().as_str() {
            "month" => Some(ReportPeriod::Month),
            "quarter" => Some(ReportPeriod::Quarter),
            "year" => Some(ReportPeriod::Year),
            _ => None,
        }
    }

    /// The word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportPeriod::Month => "month",
            ReportPeriod::Quarter => "quarter",
            ReportPeriod::Year => "year",
        }
    }

    /// The first day of the period containing `day`.
    fn first_day(self, day: NaiveDate) -> NaiveDate {
        let (y, m) = (day.year(), day.month());
        let month = match self {
            ReportPeriod::Month => m,
            ReportPeriod::Quarter => (m - 1) / 3 * 3 + 1,
            ReportPeriod::Year => 1,
        };
        NaiveDate::from_ymd_opt(y, month, 1).unwrap_or(day)
    }

    /// The current period up to `now`: from local midnight on its first day in `tz` to `now`,
    /// as UTC seconds, with a name such as `Q4 2026`, `November 2026` or `2026`.
    pub fn to_date(self, now: DateTime<Utc>, tz: Tz) -> PeriodBounds {
        let local = now.with_timezone(&tz).date_naive();
        let first = self.first_day(local);
        let start = local_midnight(first, tz).unwrap_or(now.timestamp());
        let name = match self {
            ReportPeriod::Month => first.format("%B %Y").to_string(),
            ReportPeriod::Quarter => format!("Q{} {}", (first.month() - 1) / 3 + 1, first.year()),
            ReportPeriod::Year => first.year().to_string(),
        };
        PeriodBounds {
            period: self,
            name,
            start,
            end: now.timestamp(),
        }
    }
}

/// A period's name and its `(start, end]` in UTC seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodBounds {
    pub period: ReportPeriod,
    pub name: String,
    pub start: i64,
    pub end: i64,
}

/// The UTC instant of local midnight starting `day` in `tz` (the first instant of the day when a
/// DST change skips midnight).
pub fn local_midnight(day: NaiveDate, tz: Tz) -> Option<i64> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| (1..=3).find_map(|h| tz.from_local_datetime(&day.and_hms_opt(h, 0, 0)?).earliest()))
        .map(|t| t.timestamp())
}

/// Calendar months overlapping `(start, end]` in `tz`: (label, start, end) with the first and
/// last clipped to the period.
pub fn months(start: i64, end: i64, tz: Tz) -> Vec<(String, i64, i64)> {
    let Some(first) = Utc.timestamp_opt(start, 0).single() else {
        return Vec::new();
    };
    let mut day = ReportPeriod::Month.first_day(first.with_timezone(&tz).date_naive());
    let mut out = Vec::new();
    while out.len() < 24 {
        let next = day.checked_add_months(chrono::Months::new(1)).unwrap_or(day);
        let (Some(s), Some(e)) = (local_midnight(day, tz), local_midnight(next, tz)) else {
            break;
        };
        if s >= end || next == day {
            break;
        }
        out.push((day.format("%b %Y").to_string(), s.max(start), e.min(end)));
        day = next;
    }
    out
}

/// A partner organization's contributions in the period. `name` is `None` for work not tied to
/// any organization.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OrgContribution {
    pub name: Option<String>,
    pub members: i64,
    pub wins: i64,
    pub tasks_completed: i64,
    /// Open tasks past their due date now.
    pub tasks_overdue: i64,
}

/// How a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GoalStanding {
    Achieved,
    Dropped,
    TargetReached,
    OnTrack,
    Behind,
    /// No target or no due date to judge by.
    InProgress,
}

impl GoalStanding {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            GoalStanding::Achieved => "Achieved",
            GoalStanding::Dropped => "Dropped",
            GoalStanding::TargetReached => "Target reached",
            GoalStanding::OnTrack => "On track",
            GoalStanding::Behind => "Behind schedule",
            GoalStanding::InProgress => "In progress",
        }
    }

    /// Judges an active goal: on track when its progress is at least what a straight line from
    /// creation to due date would have reached by `now` (with 5 points of slack).
    pub fn judge(
        current: f64,
        target: Option<f64>,
        created_at: i64,
        due_at: Option<i64>,
        now: i64,
    ) -> GoalStanding {
        let Some(target) = target.filter(|t| *t > 0.0) else {
            return GoalStanding::InProgress;
        };
        if current >= target {
            return GoalStanding::TargetReached;
        }
        let Some(due) = due_at.filter(|d| *d > created_at) else {
            return GoalStanding::InProgress;
        };
        let expected = ((now - created_at) as f64 / (due - created_at) as f64).clamp(0.0, 1.0);
        if current / target + 0.05 >= expected {
            GoalStanding::OnTrack
        } else {
            GoalStanding::Behind
        }
    }
}

/// A goal and how its value moved during the period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GoalTrajectory {
    pub number: i64,
    pub title: String,
    pub unit: Option<String>,
    pub target: Option<f64>,
    pub current: f64,
    pub due_at: Option<i64>,
    pub standing: GoalStanding,
    /// (time, value) from the period's start to its end, oldest first: the value at the start,
    /// each change, and the value now.
    pub points: Vec<(i64, f64)>,
}

/// A milestone due in the period (to date) and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeadlineOutcome {
    Met,
    MetLate,
    Missed,
}

impl DeadlineOutcome {
    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            DeadlineOutcome::Met => "Met",
            DeadlineOutcome::MetLate => "Met late",
            DeadlineOutcome::Missed => "Missed",
        }
    }
}

/// A milestone in the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeadlineResult {
    pub number: i64,
    pub title: String,
    pub due_at: i64,
    pub outcome: DeadlineOutcome,
}

/// Check-in answers in one week (Monday to Sunday in the coalition's time zone).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekParticipation {
    /// Local midnight of the Monday the week starts.
    pub week_start: i64,
    pub rounds: i64,
    /// Answers by current members.
    pub answered: i64,
    /// Answers that were expected: each round's current members who had joined when it opened.
    pub expected: i64,
}

/// A win quoted in the report.
#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct QuotedWin {
    pub text: String,
    pub who: String,
    pub org: Option<String>,
    pub goal: Option<String>,
    pub amount: Option<f64>,
    pub created_at: i64,
}

/// A task completed in the period.
#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct CompletedTask {
    pub number: i64,
    pub title: String,
    pub who: Option<String>,
    pub org: Option<String>,
    pub completed_at: i64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub coalition: String,
    pub timezone: String,
    pub bounds: PeriodBounds,
    pub members: i64,
    /// Partner organizations by name, then one entry (name `None`) for the rest, if it has anything.
    pub orgs: Vec<OrgContribution>,
    pub goals: Vec<GoalTrajectory>,
    pub goals_total: i64,
    pub wins_total: i64,
    /// (month label, wins).
    pub wins_by_month: Vec<(String, i64)>,
    pub tasks_completed: i64,
    pub tasks_overdue: i64,
    /// The latest [`RECENT_TASKS`] completed, newest first.
    pub recent_tasks: Vec<CompletedTask>,
    pub deadlines: Vec<DeadlineResult>,
    pub checkins: Vec<WeekParticipation>,
    pub top_wins: Vec<QuotedWin>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_to_date_starts_at_local_midnight() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let b = ReportPeriod::Quarter.to_date(now, tz);
        assert_eq!(b.name, "Q4 2026");
        // 1 Oct 2026 00:00 in Berlin (CEST, UTC+2) is 30 Sep 22:00 UTC.
        assert_eq!(
            b.start,
            Utc.with_ymd_and_hms(2026, 9, 30, 22, 0, 0).unwrap().timestamp()
        );
        assert_eq!(b.end, now.timestamp());
        assert_eq!(ReportPeriod::Month.to_date(now, tz).name, "November 2026");
        assert_eq!(ReportPeriod::Year.to_date(now, tz).name, "2026");
    }

    #[test]
    fn months_are_clipped_to_the_period() {
        let tz = chrono_tz::UTC;
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap().timestamp();
        let end = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap().timestamp();
        let m = months(start, end, tz);
        let labels: Vec<&str> = m.iter().map(|(l, _, _)| l.as_str()).collect();
        assert_eq!(labels, ["Oct 2026", "Nov 2026"]);
        assert_eq!(m[1].2, end);
    }

    #[test]
    fn goals_are_judged_against_a_straight_line() {
        let day = 86_400;
        assert_eq!(
            GoalStanding::judge(50.0, Some(100.0), 0, Some(10 * day), 5 * day),
            GoalStanding::OnTrack
        );
        assert_eq!(
            GoalStanding::judge(20.0, Some(100.0), 0, Some(10 * day), 5 * day),
            GoalStanding::Behind
        );
        assert_eq!(
            GoalStanding::judge(100.0, Some(100.0), 0, None, 5 * day),
            GoalStanding::TargetReached
        );
        assert_eq!(
            GoalStanding::judge(1.0, None, 0, None, 5 * day),
            GoalStanding::InProgress
        );
    }
}
