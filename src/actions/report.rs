//! The impact report: `/report` (anyone) and `backbone report`. Read-only, so no event is written.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use super::{Actor, ts};
use crate::domain::report::{
    self as r, GoalStanding, GoalTrajectory, OrgContribution, PeriodBounds, PeriodInput, Report,
};
use crate::domain::*;
use crate::error::Result;
use crate::store::Store;
use crate::store::period;
use crate::store::report as q;

/// Input of `/report`.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub coalition: Option<String>,
    /// `period`, or `from` and `to`, as typed (nothing: this quarter to date).
    pub period: PeriodInput,
}

/// `/report` (anyone in the guild): the report of `coalition` for the period asked for, read in
/// the coalition's time zone.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn report(store: &Store, actor: &Actor, now: DateTime<Utc>, input: ReportInput) -> Result<Report> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    let bounds = input.period.resolve(now, scope.coalition.tz())?;
    build(store, &scope.coalition, now, bounds).await
}

/// The report of `coalition` for `bounds` (see [`PeriodInput::resolve`]), made at `now`. No
/// permission check: the CLI calls it directly.
#[tracing::instrument(skip_all, fields(coalition = %coalition.id))]
pub async fn build(
    store: &Store,
    coalition: &Coalition,
    now: DateTime<Utc>,
    bounds: PeriodBounds,
) -> Result<Report> {
    let id = coalition.id;
    let tz = coalition.tz();
    // What happened in the period is what happened in `(after, end]`.
    let (after, end) = bounds.window();
    let start = bounds.start;

    let window = period::Window::new(after, end);
    let members = period::members_by_org(store, id, end).await?;
    let wins = period::wins_by_org(store, id, window).await?;
    let completed = period::completed_by_org(store, id, window).await?;
    let overdue = period::overdue_by_org(store, id, end).await?;
    let get = |m: &period::ByOrg, k: Option<OrgId>| m.get(&k).copied().unwrap_or(0);
    let mut orgs: Vec<OrgContribution> = q::orgs(store, id, r::MAX_ORGS as i64)
        .await?
        .into_iter()
        .map(|(org, name)| OrgContribution {
            name: Some(name),
            members: get(&members, Some(org)),
            wins: get(&wins, Some(org)),
            tasks_completed: get(&completed, Some(org)),
            tasks_overdue: get(&overdue, Some(org)),
        })
        .collect();
    let unaffiliated = OrgContribution {
        name: None,
        members: get(&members, None),
        wins: get(&wins, None),
        tasks_completed: get(&completed, None),
        tasks_overdue: get(&overdue, None),
    };
    if unaffiliated != OrgContribution::default() {
        orgs.push(unaffiliated);
    }
    let sum = |m: &period::ByOrg| m.values().sum::<i64>();

    let (goals_total, goal_rows) = q::goals(store, id, start, end, r::MAX_GOALS as i64).await?;
    let ids: Vec<GoalId> = goal_rows.iter().map(|g| g.id).collect();
    let history = q::goal_history(store, id, &ids, start, end).await?;
    let goals = goal_rows
        .into_iter()
        .map(|g| {
            let mine: Vec<(i64, f64)> = history
                .iter()
                .filter(|h| h.0 == g.id)
                .map(|h| (h.1, h.2))
                .collect();
            trajectory(g, &mine, &bounds)
        })
        .collect();

    let wins_by_month = {
        let months = r::months(start, end, tz);
        // Consecutive months share their bounds: one range read bins them all.
        let mut bounds: Vec<i64> = months.iter().map(|m| m.1).collect();
        bounds.extend(months.last().map(|m| m.2));
        let counts = period::wins_per_period(store, id, &bounds).await?;
        months.into_iter().map(|m| m.0).zip(counts).collect()
    };

    let deadlines = q::deadlines(store, id, after, end, r::MAX_DEADLINES as i64).await?;

    let mut checkins: Vec<r::WeekParticipation> = Vec::new();
    for (opens_at, answered, expected) in period::rounds(store, id, after, end).await? {
        let week_start = week_start(opens_at, tz);
        match checkins.last_mut() {
            Some(w) if w.week_start == week_start => {
                w.rounds += 1;
                w.answered += answered;
                w.expected += expected;
            }
            _ => checkins.push(r::WeekParticipation {
                week_start,
                rounds: 1,
                answered,
                expected,
            }),
        }
    }

    let recent_tasks = q::recent_tasks(store, id, after, end, r::RECENT_TASKS as i64).await?;
    let top_wins = q::top_wins(store, id, after, end, r::TOP_WINS as i64).await?;
    let targets = super::target_views::report_part(store, id, after, end).await?;
    Ok(Report {
        coalition: coalition.name.clone(),
        timezone: coalition.timezone.clone(),
        bounds,
        generated_at: ts(now),
        members: sum(&members),
        orgs,
        goals,
        goals_total,
        wins_total: sum(&wins),
        wins_by_month,
        tasks_completed: sum(&completed),
        tasks_overdue: sum(&overdue),
        recent_tasks,
        deadlines,
        checkins,
        top_wins,
        targets,
        meetings: crate::store::meetings::held(store, id, after, end).await?,
    })
}

/// A goal over the period from its recorded values (`goal_values`): `history` holds its last
/// value before the period began, then each value it took in the period, oldest first.
fn trajectory(g: q::GoalRow, history: &[(i64, f64)], bounds: &PeriodBounds) -> GoalTrajectory {
    let end = bounds.end;
    let first = bounds.start.max(g.created_at).min(end);
    // Values recorded up to the first instant shown give the starting value; a goal with no
    // recorded value at all (written around the actions) stays at its current value.
    let mut value = None;
    let mut points = Vec::new();
    for &(at, v) in history {
        if at <= first {
            value = Some(v);
        } else {
            points.push((at, v));
        }
    }
    let initial = value.or(points.first().map(|p| p.1)).unwrap_or(g.current);
    // To date, the goal's value now is the truth; for a past period, its last recorded value.
    let last = if bounds.to_date {
        g.current
    } else {
        points.last().map_or(initial, |p| p.1)
    };
    points.insert(0, (first, initial));
    points.push((end, last));
    let closed_in_time = g.closed_at.is_some_and(|c| c <= end);
    let standing = match g.status {
        GoalStatus::Achieved if closed_in_time => GoalStanding::Achieved,
        GoalStatus::Dropped if closed_in_time => GoalStanding::Dropped,
        _ => GoalStanding::judge(last, g.target, g.created_at, g.due_at, end),
    };
    GoalTrajectory {
        number: g.number,
        title: g.title,
        unit: g.unit,
        target: g.target,
        current: last,
        due_at: g.due_at,
        standing,
        points,
    }
}

/// Local midnight of the Monday starting the week that contains `at`.
fn week_start(at: i64, tz: chrono_tz::Tz) -> i64 {
    let Some(t) = Utc.timestamp_opt(at, 0).single() else {
        return at;
    };
    let day = t.with_timezone(&tz).date_naive();
    let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
    r::local_midnight(monday, tz)
}

/// The coalition's report file name: `<coalition>-report-<period>-<date made>.html`, e.g.
/// `climate-coalition-report-quarter-2026-11-23.html` or `…-report-2026-q1-2026-11-23.html`.
pub fn filename(report: &Report, now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "{}-report-{}-{}.html",
        super::export::slugify(&report.coalition),
        report.bounds.slug,
        now.with_timezone(&tz).format("%Y-%m-%d")
    )
}
