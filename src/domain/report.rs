//! The impact report for stakeholders: a coalition's month, quarter or year (the current one to
//! date, or a past one) or any range of days, in its own time zone, as plain data, which
//! `render::report` turns into one HTML file. Reading the period people ask for is here too.

use chrono::{DateTime, Datelike, Month, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::when;
use crate::error::{Error, Result};

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

/// Longest range `from`–`to` a report covers, in months.
pub const MAX_RANGE_MONTHS: u32 = 60;

/// How to ask for a period, at the end of every message about one.
const PERIOD_HINT: &str = "try `quarter` (this one to date), `last month`, `2026-Q1`, `2026-03` or `2026` — or give `from` and `to` dates instead";
/// How to write `from` and `to`.
const DATE_HINT: &str = "write it like `2026-01-15` (or `today`, `yesterday`)";

/// A kind of calendar period, in the coalition's time zone.
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

    fn months(self) -> u32 {
        match self {
            ReportPeriod::Month => 1,
            ReportPeriod::Quarter => 3,
            ReportPeriod::Year => 12,
        }
    }

    /// The first day of the period containing `day`.
    pub fn first_day(self, day: NaiveDate) -> NaiveDate {
        let (y, m) = (day.year(), day.month());
        let month = match self {
            ReportPeriod::Month => m,
            ReportPeriod::Quarter => (m - 1) / 3 * 3 + 1,
            ReportPeriod::Year => 1,
        };
        NaiveDate::from_ymd_opt(y, month, 1).unwrap_or(day)
    }

    /// The current period up to `now`: from local midnight on its first day in `tz` to `now`.
    pub fn to_date(self, now: DateTime<Utc>, tz: Tz) -> PeriodBounds {
        Period::containing(self, now.with_timezone(&tz).date_naive()).span(now, tz)
    }
}

/// A period a report can cover, in the coalition's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The month, quarter or year whose first day is `first`.
    Calendar { kind: ReportPeriod, first: NaiveDate },
    /// From `from` to `to`, both days included.
    Days { from: NaiveDate, to: NaiveDate },
}

impl Period {
    /// The month, quarter or year containing `day`.
    pub fn containing(kind: ReportPeriod, day: NaiveDate) -> Period {
        Period::Calendar {
            kind,
            first: kind.first_day(day),
        }
    }

    /// The month, quarter or year just before this one (`None` for a range of days).
    pub fn previous(self) -> Option<Period> {
        match self {
            Period::Calendar { kind, first } => Some(Period::Calendar {
                kind,
                first: first.checked_sub_months(Months::new(kind.months()))?,
            }),
            Period::Days { .. } => None,
        }
    }

    /// Reads the days `from` to `to` (both included): `from` must not be after `to`, and the
    /// range must be at most [`MAX_RANGE_MONTHS`] long.
    pub fn days(from: NaiveDate, to: NaiveDate) -> Result<Period> {
        if from > to {
            return Err(Error::user(format!(
                "`from` ({}) is after `to` ({}) — give the earlier day as `from`.",
                day_name(from),
                day_name(to)
            )));
        }
        let limit = from.checked_add_months(Months::new(MAX_RANGE_MONTHS));
        if limit.is_none_or(|limit| to >= limit) {
            return Err(Error::user(format!(
                "{} to {} is more than 5 years — ask for at most 5 years at a time (one report per year reads best).",
                day_name(from),
                day_name(to)
            )));
        }
        Ok(Period::Days { from, to })
    }

    /// Reads a period as people type it, relative to `today` (in the coalition's time zone):
    /// `month`, `quarter`, `year` (the current one, to date; also with `this`), `last month`,
    /// `last quarter`, `last year` (or `previous …`), `2026` (a year), `2026-Q1` (also `2026 q1`,
    /// `Q1 2026`), `2026-03` or `March 2026` (a month). Any case.
    pub fn parse(text: &str, today: NaiveDate) -> Result<Period> {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        if words.is_empty() {
            return Err(Error::user(format!("Give a period — {PERIOD_HINT}.")));
        }
        let relative = match words.as_slice() {
            [kind] | ["this" | "current", kind] => {
                ReportPeriod::parse(kind).map(|kind| Period::containing(kind, today))
            }
            ["last" | "previous", kind] => {
                ReportPeriod::parse(kind).and_then(|kind| Period::containing(kind, today).previous())
            }
            _ => None,
        };
        relative.or_else(|| calendar(&words)).ok_or_else(|| {
            Error::user(format!(
                "Couldn't read `{}` as a period — {PERIOD_HINT}.",
                when::echo(text)
            ))
        })
    }

    /// Its first day and the day after its last.
    fn first_and_next(self) -> (NaiveDate, NaiveDate) {
        match self {
            Period::Calendar { kind, first } => (
                first,
                first
                    .checked_add_months(Months::new(kind.months()))
                    .unwrap_or(NaiveDate::MAX),
            ),
            Period::Days { from, to } => (from, to.succ_opt().unwrap_or(NaiveDate::MAX)),
        }
    }

    /// Its name: `2026 Q1`, `March 2026`, `2026`, or `15 Jan – 10 Feb 2026` for days.
    pub fn name(self) -> String {
        match self {
            Period::Calendar { kind, first } => match kind {
                ReportPeriod::Month => first.format("%B %Y").to_string(),
                ReportPeriod::Quarter => format!("{} Q{}", first.year(), first.month0() / 3 + 1),
                ReportPeriod::Year => first.year().to_string(),
            },
            Period::Days { from, to } => day_range(from, to),
        }
    }

    /// A short label for a list: `2026 Q1 (Jan–Mar)`, `March 2026`, `2026`.
    pub fn label(self) -> String {
        match self {
            Period::Calendar {
                kind: ReportPeriod::Quarter,
                first,
            } => {
                let last = first.checked_add_months(Months::new(2)).unwrap_or(first);
                format!("{} ({}–{})", self.name(), first.format("%b"), last.format("%b"))
            }
            _ => self.name(),
        }
    }

    /// The text that reads back as this period: `2026-Q1`, `2026-03`, `2026` (days, which
    /// `from` and `to` give instead: `2026-01-15..2026-02-10`).
    pub fn value(self) -> String {
        match self {
            Period::Calendar { kind, first } => match kind {
                ReportPeriod::Month => first.format("%Y-%m").to_string(),
                ReportPeriod::Quarter => format!("{}-Q{}", first.year(), first.month0() / 3 + 1),
                ReportPeriod::Year => first.year().to_string(),
            },
            Period::Days { from, to } => format!("{from}..{to}"),
        }
    }

    /// Its bounds in `tz` as of `now`, refusing a period that has not begun.
    pub fn bounds(self, now: DateTime<Utc>, tz: Tz) -> Result<PeriodBounds> {
        let (first, _) = self.first_and_next();
        if local_midnight(first, tz) > now.timestamp() {
            return Err(Error::user(match self {
                Period::Calendar { kind, .. } => format!(
                    "{} hasn't started yet (it starts on {}) — pick a period that has begun, like `{}` for this {} to date.",
                    self.name(),
                    day_name(first),
                    kind.as_str(),
                    kind.as_str()
                ),
                Period::Days { .. } => format!(
                    "`from` is {}, which hasn't come yet — a report covers days that have begun.",
                    day_name(first)
                ),
            }));
        }
        Ok(self.span(now, tz))
    }

    /// Its bounds in `tz` as of `now`: from local midnight on its first day to its last second,
    /// or to `now` when it has not ended yet.
    fn span(self, now: DateTime<Utc>, tz: Tz) -> PeriodBounds {
        let (first, next) = self.first_and_next();
        let start = local_midnight(first, tz);
        let now_s = now.timestamp();
        let to_date = local_midnight(next, tz) > now_s;
        let end = if to_date {
            now_s.max(start)
        } else {
            local_midnight(next, tz) - 1
        };
        let last = Utc
            .timestamp_opt(end, 0)
            .single()
            .map_or(first, |t| t.with_timezone(&tz).date_naive());
        let range = day_range(first, last);
        let so_far = if to_date { ", to date" } else { "" };
        let (name, title, slug) = match self {
            Period::Calendar { kind, .. } => {
                let name = self.name();
                let slug = if to_date {
                    kind.as_str().to_string()
                } else {
                    self.value().to_lowercase()
                };
                (name.clone(), format!("{name} ({range}{so_far})"), slug)
            }
            Period::Days { from, .. } => (
                range.clone(),
                format!("{range}{so_far}"),
                format!("{}-to-{}", from.format("%Y-%m-%d"), last.format("%Y-%m-%d")),
            ),
        };
        PeriodBounds {
            name,
            title,
            slug,
            start,
            end,
            to_date,
        }
    }
}

/// `2026`, `2026-03`, `2026-Q1`, `2026 q1`, `Q1 2026`, `March 2026`, `mar 2026` (lowercase words).
fn calendar(words: &[&str]) -> Option<Period> {
    let year = |s: &str| {
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let month_of = |y: i32, m: u32| {
        Some(Period::Calendar {
            kind: ReportPeriod::Month,
            first: NaiveDate::from_ymd_opt(y, m, 1)?,
        })
    };
    let quarter_of = |y: i32, q: &str| {
        let q: u32 = q
            .strip_prefix('q')?
            .parse()
            .ok()
            .filter(|q| (1..=4).contains(q))?;
        Some(Period::Calendar {
            kind: ReportPeriod::Quarter,
            first: NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1)?,
        })
    };
    match words {
        [one] if one.is_ascii() => {
            if let Some(y) = year(one) {
                return Some(Period::Calendar {
                    kind: ReportPeriod::Year,
                    first: NaiveDate::from_ymd_opt(y, 1, 1)?,
                });
            }
            let (a, b) = one.split_once(['-', '/']).or_else(|| {
                // `2026q1`, `q12026`
                let at = one.find('q')?;
                Some(one.split_at(if at == 0 { one.len().min(2) } else { at }))
            })?;
            if let Some(y) = year(a) {
                if b.starts_with('q') {
                    return quarter_of(y, b);
                }
                let m: u32 = (b.len() <= 2 && b.bytes().all(|c| c.is_ascii_digit()))
                    .then(|| b.parse().ok())
                    .flatten()?;
                return month_of(y, m);
            }
            quarter_of(year(b)?, a)
        }
        [a, b] => {
            if let Some(y) = year(a) {
                return quarter_of(y, b).or_else(|| month_of(y, month_name(b)?));
            }
            let y = year(b)?;
            quarter_of(y, a).or_else(|| month_of(y, month_name(a)?))
        }
        _ => None,
    }
}

/// `march`, `mar` → 3.
fn month_name(word: &str) -> Option<u32> {
    word.parse::<Month>().ok().map(|m| m.number_from_month())
}

/// `15 Jan 2026`.
fn day_name(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// `15 Jan 2026`, `1–23 Nov 2026`, `1 Jan – 31 Mar 2026`, `1 Dec 2025 – 31 Jan 2026`.
fn day_range(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        day_name(first)
    } else if (first.year(), first.month()) == (last.year(), last.month()) {
        format!("{}–{}", first.day(), day_name(last))
    } else if first.year() == last.year() {
        format!("{} – {}", first.format("%-d %b"), day_name(last))
    } else {
        format!("{} – {}", day_name(first), day_name(last))
    }
}

/// A day typed for `from` or `to`: `2026-01-15`, `today`, `yesterday` (in the coalition's zone).
fn parse_day(option: &str, text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let typed = text.trim().to_lowercase();
    let day = match typed.as_str() {
        "today" => Some(today),
        "yesterday" => today.pred_opt(),
        _ => NaiveDate::parse_from_str(&typed, "%Y-%m-%d")
            .ok()
            .filter(|d| (1000..=9999).contains(&d.year())),
    };
    day.ok_or_else(|| {
        Error::user(format!(
            "Couldn't read `{}` as a day for `{option}` — {DATE_HINT}.",
            when::echo(text)
        ))
    })
}

/// What a report was asked to cover, as typed: `period`, or `from` and `to`. Blank means not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodInput {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl PeriodInput {
    /// Just `period`.
    pub fn period(text: &str) -> PeriodInput {
        PeriodInput {
            period: Some(text.to_string()),
            ..PeriodInput::default()
        }
    }

    /// Just `from` and `to`.
    pub fn days(from: &str, to: &str) -> PeriodInput {
        PeriodInput {
            period: None,
            from: Some(from.to_string()),
            to: Some(to.to_string()),
        }
    }

    /// Reads it in `tz` as of `now`. Nothing given means this quarter to date; `from` without
    /// `to` runs to today.
    pub fn resolve(&self, now: DateTime<Utc>, tz: Tz) -> Result<PeriodBounds> {
        let given = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let today = now.with_timezone(&tz).date_naive();
        match (given(&self.period), given(&self.from), given(&self.to)) {
            (None, None, None) => Ok(ReportPeriod::default().to_date(now, tz)),
            (Some(period), None, None) => Period::parse(&period, today)?.bounds(now, tz),
            (Some(_), _, _) => Err(Error::user(
                "Give either `period` or `from` and `to`, not both — e.g. `period: 2026-Q1`, or `from: 2026-01-15` `to: 2026-02-10`.",
            )),
            (None, None, Some(_)) => Err(Error::user(
                "Give `from` as well as `to`: the report covers `from` to `to`, both days included — e.g. `from: 2026-01-01` `to: 2026-03-31`.",
            )),
            (None, Some(from), to) => {
                let from = parse_day("from", &from, today)?;
                let to = match to {
                    Some(to) => parse_day("to", &to, today)?,
                    None => today.max(from),
                };
                Period::days(from, to)?.bounds(now, tz)
            }
        }
    }
}

/// Periods to offer while `period` is typed, as (label, value): first what the typed text means
/// (or why it can't be read) when it is not empty, then this and last month, quarter and year
/// and the quarters and months before them, those whose label or value contains the text.
pub fn period_suggestions(typed: &str, now: DateTime<Utc>, tz: Tz, limit: usize) -> Vec<(String, String)> {
    let today = now.with_timezone(&tz).date_naive();
    let mut out: Vec<(String, String)> = Vec::new();
    let typed = typed.trim();
    if !typed.is_empty() {
        let shown = match Period::parse(typed, today).and_then(|p| p.bounds(now, tz)) {
            Ok(b) => b.title,
            Err(e) => e.to_string(),
        };
        out.push((shown, typed.to_string()));
    }
    let current = |k| Period::containing(k, today);
    let mut recent: Vec<(String, String)> = Vec::new();
    for kind in [ReportPeriod::Quarter, ReportPeriod::Month, ReportPeriod::Year] {
        let p = current(kind);
        recent.push((
            format!("This {} to date: {}", kind.as_str(), p.label()),
            kind.as_str().to_string(),
        ));
    }
    for kind in [ReportPeriod::Quarter, ReportPeriod::Month, ReportPeriod::Year] {
        if let Some(p) = current(kind).previous() {
            recent.push((format!("Last {}: {}", kind.as_str(), p.label()), p.value()));
        }
    }
    for (kind, more) in [(ReportPeriod::Quarter, 4), (ReportPeriod::Month, 5)] {
        let mut p = current(kind).previous();
        for _ in 0..more {
            p = p.and_then(Period::previous);
            if let Some(p) = p {
                recent.push((p.label(), p.value()));
            }
        }
    }
    let needle = typed.to_lowercase();
    out.extend(recent.into_iter().filter(|(label, value)| {
        label.to_lowercase().contains(&needle) || value.to_lowercase().contains(&needle)
    }));
    out.truncate(limit);
    out
}

/// A report's period: its name, the line that names it in the report, and its seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodBounds {
    /// `2026 Q1`, `March 2026`, `2026`, `15 Jan – 10 Feb 2026`.
    pub name: String,
    /// `2026 Q1 (1 Jan – 31 Mar 2026)`, `2026 Q4 (1 Oct – 23 Nov 2026, to date)`.
    pub title: String,
    /// For file names: `quarter` (the current one, to date), `2026-q1`, `2026-03`, `2026`,
    /// `2026-01-15-to-2026-02-10`.
    pub slug: String,
    /// The first second: local midnight starting its first day.
    pub start: i64,
    /// The last second: the one before local midnight after its last day, or now.
    pub end: i64,
    /// Whether it has not ended yet (it ends now).
    pub to_date: bool,
}

impl PeriodBounds {
    /// The period as `(after, upto]`, the store's way to ask for what happened in it.
    pub fn window(&self) -> (i64, i64) {
        (self.start - 1, self.end)
    }
}

/// The UTC instant of local midnight starting `day` in `tz` (the first instant of the day when a
/// DST change skips midnight).
pub fn local_midnight(day: NaiveDate, tz: Tz) -> i64 {
    match day.and_hms_opt(0, 0, 0) {
        Some(midnight) => when::resolve_local(midnight, tz).timestamp(),
        None => 0,
    }
}

/// Calendar months overlapping the seconds `start..=end` in `tz`: (label, after, upto), each
/// month's part of them as `(after, upto]`.
pub fn months(start: i64, end: i64, tz: Tz) -> Vec<(String, i64, i64)> {
    let Some(first) = Utc.timestamp_opt(start, 0).single() else {
        return Vec::new();
    };
    let mut day = ReportPeriod::Month.first_day(first.with_timezone(&tz).date_naive());
    let mut out = Vec::new();
    while out.len() <= MAX_RANGE_MONTHS as usize {
        let Some(next) = day.checked_add_months(Months::new(1)) else {
            break;
        };
        let (s, e) = (local_midnight(day, tz), local_midnight(next, tz));
        if s > end {
            break;
        }
        out.push((
            day.format("%b %Y").to_string(),
            s.max(start) - 1,
            (e - 1).min(end),
        ));
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
    /// Tasks past their due date and unfinished at the end of the period (now, to date).
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
    /// Its value at the end of the period (now, to date).
    pub current: f64,
    pub due_at: Option<i64>,
    /// How it stood at the end of the period.
    pub standing: GoalStanding,
    /// (time, value) from the period's start (or the goal's creation) to its end, oldest first:
    /// the value at the start, each change, and the value at the end.
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
    /// When it was made (UTC seconds).
    pub generated_at: i64,
    /// Members who had joined by the end of the period.
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
    /// Targets: stances at the start and end, who moved, outreach by partner org.
    pub targets: super::targets::ReportTargets,
    /// Meetings held in the period.
    pub meetings: MeetingsHeld,
}

/// Meetings held in a report's period: how many, who came by partner org, what was decided.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MeetingsHeld {
    pub held: i64,
    /// Per org (`None`: members without one): attendances, and members × meetings held.
    pub attendance: Vec<(Option<String>, i64, i64)>,
    /// (when the meeting started, its title, the decision), oldest first.
    pub decisions: Vec<(i64, String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, sec: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, sec).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    #[test]
    fn quarter_to_date_starts_at_local_midnight() {
        let now = utc(2026, 11, 26, 12, 0, 0);
        let b = ReportPeriod::Quarter.to_date(now, berlin());
        assert_eq!(b.name, "2026 Q4");
        assert_eq!(b.title, "2026 Q4 (1 Oct – 26 Nov 2026, to date)");
        assert_eq!(b.slug, "quarter");
        assert!(b.to_date);
        // 1 Oct 2026 00:00 in Berlin (CEST, UTC+2) is 30 Sep 22:00 UTC.
        assert_eq!(b.start, utc(2026, 9, 30, 22, 0, 0).timestamp());
        assert_eq!(b.end, now.timestamp());
        assert_eq!(b.window(), (b.start - 1, b.end));
        assert_eq!(ReportPeriod::Month.to_date(now, berlin()).name, "November 2026");
        assert_eq!(ReportPeriod::Year.to_date(now, berlin()).name, "2026");
    }

    #[test]
    fn periods_are_read_in_every_spelling() {
        let today = day(2026, 11, 23);
        let read = |text: &str| Period::parse(text, today).map(Period::value).ok();
        for (typed, want) in [
            ("month", "2026-11"),
            ("This Quarter", "2026-Q4"),
            ("YEAR", "2026"),
            ("  quarter  ", "2026-Q4"),
            ("last month", "2026-10"),
            ("LAST QUARTER", "2026-Q3"),
            ("previous quarter", "2026-Q3"),
            ("last year", "2025"),
            ("2026-Q1", "2026-Q1"),
            ("2026-q1", "2026-Q1"),
            ("2026 Q1", "2026-Q1"),
            ("q1 2026", "2026-Q1"),
            ("Q1-2026", "2026-Q1"),
            ("2026q1", "2026-Q1"),
            ("Q12026", "2026-Q1"),
            ("2025-Q4", "2025-Q4"),
            ("2026-03", "2026-03"),
            ("2026-3", "2026-03"),
            ("2026/03", "2026-03"),
            ("March 2026", "2026-03"),
            ("mar 2026", "2026-03"),
            ("2026 march", "2026-03"),
            ("2025", "2025"),
        ] {
            assert_eq!(read(typed).as_deref(), Some(want), "{typed}");
        }
        // Every value reads back as itself.
        for v in ["2026-Q1", "2026-03", "2026"] {
            assert_eq!(read(v).as_deref(), Some(v));
        }
        for bad in [
            "",
            "  ",
            "2026-Q5",
            "2026-Q0",
            "2026-13",
            "2026-00",
            "soon",
            "last week",
            "qé",
            "é",
            "20261",
            "26-Q1",
            "march",
            "2026-03-01",
            "q1",
            "q",
            "2q",
            "this decade",
        ] {
            let e = Period::parse(bad, today).expect_err(bad).to_string();
            assert!(
                e.contains("`2026-Q1`") && e.contains("`from` and `to`"),
                "{bad}: {e}"
            );
        }
        assert!(
            Period::parse("2026-Q5", today)
                .unwrap_err()
                .to_string()
                .starts_with("Couldn't read `2026-Q5` as a period")
        );
    }

    #[test]
    fn last_periods_cross_the_year() {
        let today = day(2026, 1, 15);
        let read = |text: &str| Period::parse(text, today).map(Period::value).unwrap();
        assert_eq!(read("last month"), "2025-12");
        assert_eq!(read("last quarter"), "2025-Q4");
        assert_eq!(read("last year"), "2025");
        assert_eq!(read("month"), "2026-01");
    }

    #[test]
    fn a_past_quarter_ends_at_local_midnight_across_a_dst_change() {
        // Berlin moves to summer time on 29 Mar 2026: Q1 starts at UTC+1 and ends at UTC+2.
        let now = utc(2026, 11, 23, 10, 0, 0);
        let b = PeriodInput::period("2026-Q1").resolve(now, berlin()).unwrap();
        assert_eq!(b.name, "2026 Q1");
        assert_eq!(b.title, "2026 Q1 (1 Jan – 31 Mar 2026)");
        assert_eq!(b.slug, "2026-q1");
        assert!(!b.to_date);
        assert_eq!(b.start, utc(2025, 12, 31, 23, 0, 0).timestamp());
        assert_eq!(b.end, utc(2026, 3, 31, 21, 59, 59).timestamp());
        // The next quarter starts the second after.
        let q2 = PeriodInput::period("2026-Q2").resolve(now, berlin()).unwrap();
        assert_eq!(q2.start, b.end + 1);
        assert_eq!(q2.title, "2026 Q2 (1 Apr – 30 Jun 2026)");
        let march = PeriodInput::period("2026-03").resolve(now, berlin()).unwrap();
        assert_eq!(march.title, "March 2026 (1–31 Mar 2026)");
        assert_eq!(
            (march.start, march.end),
            (utc(2026, 2, 28, 23, 0, 0).timestamp(), b.end)
        );
        let year = PeriodInput::period("2025").resolve(now, berlin()).unwrap();
        assert_eq!(year.title, "2025 (1 Jan – 31 Dec 2025)");
        assert_eq!(year.slug, "2025");
        assert_eq!(year.end, utc(2025, 12, 31, 22, 59, 59).timestamp());
    }

    #[test]
    fn a_period_whose_midnight_is_skipped_starts_when_the_day_does() {
        // Paraguay moved its clocks from 00:00 to 01:00 on Sunday 1 Oct 2017: that day began at
        // 01:00 local (UTC-3), 04:00 UTC, and September ended the second before.
        let tz: Tz = "America/Asuncion".parse().unwrap();
        let now = utc(2026, 11, 23, 10, 0, 0);
        let october = PeriodInput::period("2017-10").resolve(now, tz).unwrap();
        assert_eq!(october.start, utc(2017, 10, 1, 4, 0, 0).timestamp());
        let september = PeriodInput::period("2017-09").resolve(now, tz).unwrap();
        assert_eq!(september.end, october.start - 1);
        assert_eq!(september.start, utc(2017, 9, 1, 4, 0, 0).timestamp());
    }

    #[test]
    fn a_period_that_has_not_started_is_refused() {
        let now = utc(2026, 11, 23, 10, 0, 0);
        let e = PeriodInput::period("2026-12")
            .resolve(now, berlin())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "December 2026 hasn't started yet (it starts on 1 Dec 2026) — pick a period that has begun, like `month` for this month to date."
        );
        for future in ["2027", "2027-Q1", "2027-01"] {
            assert!(
                PeriodInput::period(future).resolve(now, berlin()).is_err(),
                "{future}"
            );
        }
        // The current one is to date, however it is named.
        for current in ["2026-Q4", "quarter", "this quarter"] {
            let b = PeriodInput::period(current).resolve(now, berlin()).unwrap();
            assert!(b.to_date && b.end == now.timestamp(), "{current}");
            assert_eq!(b.slug, "quarter");
        }
        // It is still 30 Nov in Los Angeles when December has begun in UTC.
        let now = utc(2026, 12, 1, 3, 0, 0);
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        assert!(PeriodInput::period("2026-12").resolve(now, la).is_err());
        let b = PeriodInput::period("2026-12")
            .resolve(now, chrono_tz::UTC)
            .unwrap();
        assert!(b.to_date);
        assert_eq!(
            PeriodInput::period("month").resolve(now, la).unwrap().name,
            "November 2026"
        );
    }

    #[test]
    fn new_year_comes_first_in_the_east() {
        // 31 Dec 2025 12:00 UTC is 1 Jan 2026 01:00 in Auckland (NZDT, UTC+13).
        let now = utc(2025, 12, 31, 12, 0, 0);
        let nz: Tz = "Pacific/Auckland".parse().unwrap();
        let year = PeriodInput::period("year").resolve(now, nz).unwrap();
        assert_eq!(year.name, "2026");
        assert_eq!(year.start, utc(2025, 12, 31, 11, 0, 0).timestamp());
        assert_eq!(year.title, "2026 (1 Jan 2026, to date)");
        let last = PeriodInput::period("last month").resolve(now, nz).unwrap();
        assert_eq!(last.name, "December 2025");
        assert_eq!(last.end, year.start - 1);
        assert_eq!(
            PeriodInput::period("last month")
                .resolve(now, chrono_tz::UTC)
                .unwrap()
                .name,
            "November 2025"
        );
        assert!(PeriodInput::period("2026").resolve(now, chrono_tz::UTC).is_err());
    }

    #[test]
    fn ranges_of_days_include_the_last_day() {
        let now = utc(2026, 11, 23, 10, 0, 0);
        let b = PeriodInput::days("2026-01-15", "2026-02-10")
            .resolve(now, berlin())
            .unwrap();
        assert_eq!(b.title, "15 Jan – 10 Feb 2026");
        assert_eq!(b.slug, "2026-01-15-to-2026-02-10");
        assert_eq!(b.start, utc(2026, 1, 14, 23, 0, 0).timestamp());
        assert_eq!(b.end, utc(2026, 2, 10, 22, 59, 59).timestamp());
        // The day clocks go back lasts 25 hours, all of it in.
        let long = PeriodInput::days("2026-10-25", "2026-10-25")
            .resolve(now, berlin())
            .unwrap();
        assert_eq!(long.end - long.start + 1, 25 * 3600);
        assert_eq!(long.title, "25 Oct 2026");
        let short = PeriodInput::days("2026-03-29", "2026-03-29")
            .resolve(now, berlin())
            .unwrap();
        assert_eq!(short.end - short.start + 1, 23 * 3600);
        let across = PeriodInput::days("2025-12-15", "2026-01-10")
            .resolve(now, berlin())
            .unwrap();
        assert_eq!(across.title, "15 Dec 2025 – 10 Jan 2026");
        // `to` in the future, or left out: to date.
        let open = PeriodInput::days("2026-11-01", "2026-12-31")
            .resolve(now, berlin())
            .unwrap();
        assert!(open.to_date);
        assert_eq!(open.end, now.timestamp());
        assert_eq!(open.title, "1–23 Nov 2026, to date");
        let from_only = PeriodInput {
            from: Some("2026-11-01".into()),
            ..PeriodInput::default()
        };
        assert_eq!(from_only.resolve(now, berlin()).unwrap(), open);
        // Five years at most.
        assert!(
            PeriodInput::days("2020-01-01", "2024-12-31")
                .resolve(now, berlin())
                .is_ok()
        );
        let e = PeriodInput::days("2020-01-01", "2025-01-01")
            .resolve(now, berlin())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 5 years"), "{e}");
        assert_eq!(
            PeriodInput::days("yesterday", "today")
                .resolve(now, berlin())
                .unwrap()
                .title,
            "22–23 Nov 2026, to date"
        );
    }

    #[test]
    fn bad_ranges_say_how_to_ask() {
        let now = utc(2026, 11, 23, 10, 0, 0);
        let err = |input: PeriodInput| input.resolve(now, berlin()).unwrap_err().to_string();
        let both = PeriodInput {
            period: Some("quarter".into()),
            from: Some("2026-01-01".into()),
            to: None,
        };
        assert!(err(both).starts_with("Give either `period` or `from` and `to`, not both"));
        let to_only = PeriodInput {
            to: Some("2026-01-01".into()),
            ..PeriodInput::default()
        };
        assert!(err(to_only).starts_with("Give `from` as well as `to`"));
        assert_eq!(
            err(PeriodInput::days("2026-02-10", "2026-01-15")),
            "`from` (10 Feb 2026) is after `to` (15 Jan 2026) — give the earlier day as `from`."
        );
        assert_eq!(
            err(PeriodInput::days("2026-02-30", "2026-03-15")),
            "Couldn't read `2026-02-30` as a day for `from` — write it like `2026-01-15` (or `today`, `yesterday`)."
        );
        assert!(err(PeriodInput::days("2026-01-01", "15/01/2026")).contains("for `to`"));
        assert_eq!(
            err(PeriodInput::days("2026-12-01", "2026-12-31")),
            "`from` is 1 Dec 2026, which hasn't come yet — a report covers days that have begun."
        );
        // Blank options count as not given.
        let blank = PeriodInput {
            period: Some(" ".into()),
            from: Some(String::new()),
            to: None,
        };
        assert_eq!(
            blank.resolve(now, berlin()).unwrap(),
            ReportPeriod::Quarter.to_date(now, berlin())
        );
    }

    #[test]
    fn months_are_clipped_to_the_period() {
        let tz = chrono_tz::UTC;
        let start = utc(2026, 10, 1, 0, 0, 0).timestamp();
        let end = utc(2026, 11, 26, 12, 0, 0).timestamp();
        let m = months(start, end, tz);
        let labels: Vec<&str> = m.iter().map(|(l, _, _)| l.as_str()).collect();
        assert_eq!(labels, ["Oct 2026", "Nov 2026"]);
        // As `(after, upto]`: back to back, from the period's first second to its last.
        assert_eq!(m[0].1, start - 1);
        assert_eq!(m[0].2, utc(2026, 11, 1, 0, 0, 0).timestamp() - 1);
        assert_eq!(m[1].1, m[0].2);
        assert_eq!(m[1].2, end);
        // A range in the middle of months.
        let b = PeriodInput::days("2026-01-15", "2026-02-10")
            .resolve(utc(2026, 11, 23, 10, 0, 0), berlin())
            .unwrap();
        let m = months(b.start, b.end, berlin());
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].1, m[1].2), b.window());
    }

    #[test]
    fn suggestions_list_recent_periods_with_labels() {
        let now = utc(2026, 11, 23, 10, 0, 0);
        let all = period_suggestions("", now, berlin(), 25);
        let shown: Vec<(&str, &str)> = all.iter().map(|(l, v)| (l.as_str(), v.as_str())).collect();
        assert_eq!(
            shown[..6],
            [
                ("This quarter to date: 2026 Q4 (Oct–Dec)", "quarter"),
                ("This month to date: November 2026", "month"),
                ("This year to date: 2026", "year"),
                ("Last quarter: 2026 Q3 (Jul–Sep)", "2026-Q3"),
                ("Last month: October 2026", "2026-10"),
                ("Last year: 2025", "2025"),
            ]
        );
        assert!(shown.contains(&("2026 Q1 (Jan–Mar)", "2026-Q1")));
        assert!(shown.contains(&("2025 Q3 (Jul–Sep)", "2025-Q3")));
        assert!(shown.contains(&("May 2026", "2026-05")));
        assert!(all.len() <= 25);
        // Every value reads as a period that has begun.
        for (label, value) in &all {
            assert!(
                PeriodInput::period(value).resolve(now, berlin()).is_ok(),
                "{label}: {value}"
            );
        }
        // What is typed comes first, read; the list narrows to what matches it.
        let typed = period_suggestions("2026-q1", now, berlin(), 25);
        assert_eq!(
            typed[0],
            ("2026 Q1 (1 Jan – 31 Mar 2026)".to_string(), "2026-q1".to_string())
        );
        assert_eq!(typed[1], ("2026 Q1 (Jan–Mar)".to_string(), "2026-Q1".to_string()));
        let last = period_suggestions("last", now, berlin(), 25);
        assert!(last[0].0.starts_with("Couldn't read `last`"), "{:?}", last[0]);
        assert_eq!(last.len(), 4);
        let future = period_suggestions("2027", now, berlin(), 25);
        assert!(future[0].0.contains("hasn't started yet"), "{:?}", future[0]);
        assert_eq!(period_suggestions("", now, berlin(), 3).len(), 3);
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
