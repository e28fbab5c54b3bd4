//! The impact report: `/report` (anyone) and `backbone report`. Read-only, so no event is written.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use super::{Actor, ts};
use crate::domain::report::{self as r, GoalStanding, GoalTrajectory, OrgContribution, Report, ReportPeriod};
use crate::domain::*;
use crate::error::Result;
use crate::store::Store;
use crate::store::report::{self as q, GoalChange};

/// `/report` (anyone in the guild): the report of `coalition` for the current `period` to date.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn report(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    period: ReportPeriod,
    coalition: Option<&str>,
) -> Result<Report> {
    let scope = super::scope(store, actor, coalition).await?;
    build(store, &scope.coalition, now, period).await
}

/// The report of `coalition` for the current `period` up to `now`. No permission check: the
/// CLI calls it directly.
#[tracing::instrument(skip_all, fields(coalition = %coalition.id))]
pub async fn build(
    store: &Store,
    coalition: &Coalition,
    now: DateTime<Utc>,
    period: ReportPeriod,
) -> Result<Report> {
    let id = coalition.id;
    let tz = coalition.tz();
    let bounds = period.to_date(now, tz);
    let (start, end) = (bounds.start, ts(now));

    let members = q::members_by_org(store, id).await?;
    let wins = q::wins_by_org(store, id, start, end).await?;
    let completed = q::completed_by_org(store, id, start, end).await?;
    let overdue = q::overdue_by_org(store, id, end).await?;
    let get = |m: &q::ByOrg, k: Option<OrgId>| m.get(&k).copied().unwrap_or(0);
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
    let sum = |m: &q::ByOrg| m.values().sum::<i64>();

    let (goals_total, goal_rows) = q::goals(store, id, start, r::MAX_GOALS as i64).await?;
    let changes = q::goal_changes(store, id, start).await?;
    let goals = goal_rows
        .into_iter()
        .map(|g| trajectory(g, &changes, start, end))
        .collect();

    let wins_by_month = {
        let mut out = Vec::new();
        for (label, from, to) in r::months(start, end, tz) {
            out.push((
                label,
                crate::store::digest::wins_count(store, id, from, to).await?,
            ));
        }
        out
    };

    let deadlines = q::deadlines(store, id, start, end, r::MAX_DEADLINES as i64).await?;

    let mut checkins: Vec<r::WeekParticipation> = Vec::new();
    for (opens_at, answered, expected) in q::rounds(store, id, start, end).await? {
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

    let recent_tasks = q::recent_tasks(store, id, start, end, r::RECENT_TASKS as i64).await?;
    let top_wins = q::top_wins(store, id, start, end, r::TOP_WINS as i64).await?;
    Ok(Report {
        coalition: coalition.name.clone(),
        timezone: coalition.timezone.clone(),
        bounds: r::PeriodBounds { end, ..bounds },
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
    })
}

/// Walks a goal's changes back from its current value to the start of the period.
fn trajectory(g: q::GoalRow, changes: &[GoalChange], start: i64, end: i64) -> GoalTrajectory {
    let mine: Vec<(i64, Option<f64>, f64)> = changes
        .iter()
        .filter_map(|c| match *c {
            GoalChange::Added { goal, at, amount } if goal == g.id => Some((at, None, amount)),
            GoalChange::Set { number, at, from, to } if number == g.number => Some((at, Some(from), to)),
            _ => None,
        })
        .collect();
    // Newest first: each change tells what the value was just before it.
    let mut value = g.current;
    let mut back = vec![(end, value)];
    for &(at, from, to) in mine.iter().rev() {
        back.push((at, value));
        value = match from {
            Some(from) => from,
            None => (value - to).max(0.0),
        };
    }
    let first = start.max(g.created_at.min(end));
    back.push((first, value));
    back.reverse();
    let standing = match g.status {
        GoalStatus::Achieved => GoalStanding::Achieved,
        GoalStatus::Dropped => GoalStanding::Dropped,
        GoalStatus::Active => GoalStanding::judge(g.current, g.target, g.created_at, g.due_at, end),
    };
    GoalTrajectory {
        number: g.number,
        title: g.title,
        unit: g.unit,
        target: g.target,
        current: g.current,
        due_at: g.due_at,
        standing,
        points: back,
    }
}

/// Local midnight of the Monday starting the week that contains `at`.
fn week_start(at: i64, tz: chrono_tz::Tz) -> i64 {
    let Some(t) = Utc.timestamp_opt(at, 0).single() else {
        return at;
    };
    let day = t.with_timezone(&tz).date_naive();
    let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
    r::local_midnight(monday, tz).unwrap_or(at)
}

/// The coalition's report file name: `<coalition>-<period>-<date>.html`.
pub fn filename(report: &Report, now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "{}-report-{}-{}.html",
        super::export::slugify(&report.coalition),
        report.bounds.period.as_str(),
        now.with_timezone(&tz).format("%Y-%m-%d")
    )
}
