//! The impact report's numbers: grouped counts over a period, each one indexed scan, so a
//! coalition with 50,000 tasks costs a handful of queries.

use super::sql;
use crate::domain::report::{CompletedTask, DeadlineOutcome, DeadlineResult, QuotedWin};
use crate::domain::*;
use crate::error::Result;

use super::Store;

/// A partner organization: (id, name).
pub type OrgRow = (OrgId, String);

/// Partner organizations, by name (all of them, for a past period too: members are counted
/// under the organization they are in now).
#[tracing::instrument(skip_all)]
pub async fn orgs(store: &Store, coalition: CoalitionId, limit: i64) -> Result<Vec<OrgRow>> {
    Ok(
        sql::query_as("SELECT id, name FROM orgs WHERE coalition_id = ? ORDER BY name, id LIMIT ?")
            .bind(coalition)
            .bind(limit)
            .fetch_all(store.pool())
            .await?,
    )
}

/// A goal as the report needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GoalRow {
    pub id: GoalId,
    pub number: i64,
    pub title: String,
    pub unit: Option<String>,
    pub target: Option<f64>,
    pub current: f64,
    pub due_at: Option<i64>,
    pub status: GoalStatus,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

/// Goals of the seconds `start..=end`: created by `end`, and active now or closed at `start` or
/// later. How many, and the first `limit` by number.
#[tracing::instrument(skip_all)]
pub async fn goals(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
    limit: i64,
) -> Result<(i64, Vec<GoalRow>)> {
    let count = sql::query_scalar(
        "SELECT COUNT(*) FROM goals
         WHERE coalition_id = ? AND created_at <= ? AND (status = 'active' OR closed_at >= ?)",
    )
    .bind(coalition)
    .bind(end)
    .bind(start)
    .fetch_one(store.pool())
    .await?;
    let rows = sql::query_as(
        "SELECT id, number, title, unit, target, current, due_at, status, created_at, closed_at FROM goals
         WHERE coalition_id = ? AND created_at <= ? AND (status = 'active' OR closed_at >= ?)
         ORDER BY number LIMIT ?",
    )
    .bind(coalition)
    .bind(end)
    .bind(start)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}

/// A recorded value of a goal: (goal, when, value).
pub type GoalValueRow = (GoalId, i64, f64);

/// The recorded values (`goal_values`) of `goals` that a chart of the seconds `start..=end` needs:
/// each goal's last value before `start`, then every value recorded in `start..=end`; by goal,
/// then oldest first. One index range per goal.
#[tracing::instrument(skip_all)]
pub async fn goal_history(
    store: &Store,
    coalition: CoalitionId,
    goals: &[GoalId],
    start: i64,
    end: i64,
) -> Result<Vec<GoalValueRow>> {
    let ids = serde_json::to_string(&goals.iter().map(|g| g.0).collect::<Vec<_>>())
        .map_err(crate::error::Error::internal)?;
    Ok(sql::query_as_for(
        "SELECT goal_id, at, value FROM (
             SELECT v.goal_id, v.at, v.value, v.id FROM json_each(?1) j
             JOIN goal_values v ON v.goal_id = j.value
             WHERE v.coalition_id = ?2 AND v.at >= ?3 AND v.at <= ?4
             UNION ALL
             SELECT v.goal_id, v.at, v.value, v.id FROM json_each(?1) j
             JOIN goal_values v ON v.id = (
                 SELECT b.id FROM goal_values b
                 WHERE b.goal_id = j.value AND b.coalition_id = ?2 AND b.at < ?3
                 ORDER BY b.at DESC, b.id DESC LIMIT 1)
         )
         ORDER BY goal_id, at, id",
        "SELECT goal_id, at, value FROM (
             SELECT v.goal_id, v.at, v.value, v.id
             FROM (SELECT CAST(value AS BIGINT) AS value FROM json_array_elements_text(CAST(?1 AS json))) j
             JOIN goal_values v ON v.goal_id = j.value
             WHERE v.coalition_id = ?2 AND v.at >= ?3 AND v.at <= ?4
             UNION ALL
             SELECT v.goal_id, v.at, v.value, v.id
             FROM (SELECT CAST(value AS BIGINT) AS value FROM json_array_elements_text(CAST(?1 AS json))) j
             JOIN goal_values v ON v.id = (
                 SELECT b.id FROM goal_values b
                 WHERE b.goal_id = j.value AND b.coalition_id = ?2 AND b.at < ?3
                 ORDER BY b.at DESC, b.id DESC LIMIT 1)
         ) h
         ORDER BY goal_id, at, id",
    )
    .bind(ids)
    .bind(coalition)
    .bind(start)
    .bind(end)
    .fetch_all(store.pool())
    .await?)
}

/// Milestones due in `(after, end]` and what became of them, soonest first: one still open
/// after its due date was missed, one met after it was met late.
#[tracing::instrument(skip_all)]
pub async fn deadlines(
    store: &Store,
    coalition: CoalitionId,
    after: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<DeadlineResult>> {
    let rows: Vec<(i64, String, i64, String, Option<i64>)> = sql::query_as(
        "SELECT number, title, due_at, status, met_at FROM deadlines
         WHERE coalition_id = ? AND due_at > ? AND due_at <= ?
         ORDER BY due_at, number LIMIT ?",
    )
    .bind(coalition)
    .bind(after)
    .bind(end)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(number, title, due_at, status, met_at)| {
            let outcome = match (status.as_str(), met_at) {
                ("met", Some(at)) if at > due_at => DeadlineOutcome::MetLate,
                ("met", _) => DeadlineOutcome::Met,
                _ => DeadlineOutcome::Missed,
            };
            DeadlineResult {
                number,
                title,
                due_at,
                outcome,
            }
        })
        .collect())
}

/// The period's top `limit` wins: largest amount first, then newest.
#[tracing::instrument(skip_all)]
pub async fn top_wins(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<QuotedWin>> {
    Ok(sql::query_as(concat!(
        "SELECT w.text, ",
        member_name!("m", "w.user_id"),
        " AS who,
                COALESCE(o.name, w.org_name) AS org, g.title AS goal, w.amount, w.created_at
         FROM wins w
         LEFT JOIN members m ON m.coalition_id = w.coalition_id AND m.user_id = w.user_id
         LEFT JOIN orgs o ON o.id = w.org_id
         LEFT JOIN goals g ON g.id = w.goal_id
         WHERE w.coalition_id = ? AND w.created_at > ? AND w.created_at <= ?
         ORDER BY COALESCE(w.amount, 0) DESC, w.created_at DESC, w.id DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(start)
    .bind(end)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The latest `limit` tasks completed in `(start, end]`, newest first.
#[tracing::instrument(skip_all)]
pub async fn recent_tasks(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<CompletedTask>> {
    Ok(sql::query_as(concat!(
        "SELECT t.number, t.title,
                CASE WHEN t.assignee_id IS NULL THEN NULL
                     ELSE ",
        member_name!("m", "t.assignee_id"),
        " END AS who,
                COALESCE(o.name, mo.name) AS org, t.completed_at
         FROM tasks t
         LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
         LEFT JOIN orgs o ON o.id = t.org_id
         LEFT JOIN orgs mo ON mo.id = m.org_id
         WHERE t.coalition_id = ? AND t.status = 'done' AND t.completed_at > ? AND t.completed_at <= ?
         ORDER BY t.completed_at DESC, t.number DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(start)
    .bind(end)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
