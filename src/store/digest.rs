//! The digest's numbers: counts and short, LIMITed lists, each answered from an index so a
//! coalition with tens of thousands of tasks and wins costs no more than a small one.

use super::sql;
use crate::domain::digest::{Contributor, DigestGoal, DigestTask, DigestWin};
use crate::domain::*;
use crate::error::Result;

use super::Store;

/// The most recent `limit` wins in `(start, end]`, newest first.
#[tracing::instrument(skip_all)]
pub async fn recent_wins(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<DigestWin>> {
    Ok(sql::query_as(concat!(
        "SELECT w.text, w.user_id, ",
        member_name!("m", "w.user_id"),
        " AS who, COALESCE(o.name, w.org_name) AS org, w.created_at
         FROM wins w
         LEFT JOIN members m ON m.coalition_id = w.coalition_id AND m.user_id = w.user_id
         LEFT JOIN orgs o ON o.id = w.org_id
         WHERE w.coalition_id = ? AND w.created_at > ? AND w.created_at <= ?
         ORDER BY w.created_at DESC, w.id DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(start)
    .bind(end)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The `limit` members with the most wins in `(start, end]`; ties go to whoever won first.
#[tracing::instrument(skip_all)]
pub async fn top_contributors(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
    limit: i64,
) -> Result<Vec<Contributor>> {
    Ok(sql::query_as(concat!(
        "SELECT w.user_id, ",
        member_name!("m", "w.user_id"),
        " AS name, w.wins
         FROM (SELECT user_id, COUNT(*) AS wins, MIN(created_at) AS first_at FROM wins
               WHERE coalition_id = ? AND created_at > ? AND created_at <= ?
               GROUP BY user_id) w
         LEFT JOIN members m ON m.coalition_id = ? AND m.user_id = w.user_id
         ORDER BY w.wins DESC, w.first_at, w.user_id LIMIT ?"
    ))
    .bind(coalition)
    .bind(start)
    .bind(end)
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The `limit` most overdue open tasks.
#[tracing::instrument(skip_all)]
pub async fn overdue(store: &Store, coalition: CoalitionId, now: i64, limit: i64) -> Result<Vec<DigestTask>> {
    Ok(sql::query_as(concat!(
        "SELECT t.number, t.title, CASE WHEN t.assignee_id IS NULL THEN NULL ELSE ",
        member_name!("m", "t.assignee_id"),
        " END AS assignee, t.due_at
         FROM tasks t
         LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
         WHERE t.coalition_id = ? AND ",
        live_task!("t"),
        " AND t.due_at < ?
         ORDER BY t.due_at, t.number LIMIT ?"
    ))
    .bind(coalition)
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// A task or milestone due soon: (number, title, assignee name, due).
pub type DueRow = (i64, String, Option<String>, i64);

/// Open tasks due in `[from, until]`: how many, and the first `limit`.
#[tracing::instrument(skip_all)]
pub async fn tasks_due(
    store: &Store,
    coalition: CoalitionId,
    from: i64,
    until: i64,
    limit: i64,
) -> Result<(i64, Vec<DueRow>)> {
    let count = sql::query_scalar(concat!(
        "SELECT COUNT(*) FROM tasks t WHERE t.coalition_id = ? AND ",
        live_task!("t"),
        " AND t.due_at >= ? AND t.due_at <= ?"
    ))
    .bind(coalition)
    .bind(from)
    .bind(until)
    .fetch_one(store.pool())
    .await?;
    let rows = sql::query_as(concat!(
        "SELECT t.number, t.title, CASE WHEN t.assignee_id IS NULL THEN NULL ELSE ",
        member_name!("m", "t.assignee_id"),
        " END, t.due_at
         FROM tasks t
         LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
         WHERE t.coalition_id = ? AND ",
        live_task!("t"),
        " AND t.due_at >= ? AND t.due_at <= ?
         ORDER BY t.due_at, t.number LIMIT ?"
    ))
    .bind(coalition)
    .bind(from)
    .bind(until)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}

/// Open milestones due in `[from, until]`: how many, and the first `limit`.
#[tracing::instrument(skip_all)]
pub async fn milestones_due(
    store: &Store,
    coalition: CoalitionId,
    from: i64,
    until: i64,
    limit: i64,
) -> Result<(i64, Vec<DueRow>)> {
    let count = sql::query_scalar(
        "SELECT COUNT(*) FROM deadlines WHERE coalition_id = ? AND status = 'open' AND due_at >= ? AND due_at <= ?",
    )
    .bind(coalition)
    .bind(from)
    .bind(until)
    .fetch_one(store.pool())
    .await?;
    let rows = sql::query_as(
        "SELECT number, title, NULL, due_at FROM deadlines
         WHERE coalition_id = ? AND status = 'open' AND due_at >= ? AND due_at <= ?
         ORDER BY due_at, number LIMIT ?",
    )
    .bind(coalition)
    .bind(from)
    .bind(until)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}

/// Active goals: how many, and the first `limit` by number.
#[tracing::instrument(skip_all)]
pub async fn active_goals(
    store: &Store,
    coalition: CoalitionId,
    limit: i64,
) -> Result<(i64, Vec<DigestGoal>)> {
    let count = sql::query_scalar("SELECT COUNT(*) FROM goals WHERE coalition_id = ? AND status = 'active'")
        .bind(coalition)
        .fetch_one(store.pool())
        .await?;
    let rows = sql::query_as(
        "SELECT number, title, current, target, unit, due_at FROM goals
         WHERE coalition_id = ? AND status = 'active' ORDER BY number LIMIT ?",
    )
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}

/// A blocked task: (number, title, assignee name, reason).
pub type BlockedTaskRow = (i64, String, Option<String>, String);

/// Blocked tasks: how many, and the `limit` most recently blocked.
#[tracing::instrument(skip_all)]
pub async fn blocked_tasks(
    store: &Store,
    coalition: CoalitionId,
    limit: i64,
) -> Result<(i64, Vec<BlockedTaskRow>)> {
    let count = sql::query_scalar("SELECT COUNT(*) FROM tasks WHERE coalition_id = ? AND status = 'blocked'")
        .bind(coalition)
        .fetch_one(store.pool())
        .await?;
    let rows = sql::query_as(concat!(
        "SELECT t.number, t.title, CASE WHEN t.assignee_id IS NULL THEN NULL ELSE ",
        member_name!("m", "t.assignee_id"),
        " END, COALESCE(t.blocked_reason, '')
         FROM tasks t
         LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
         WHERE t.coalition_id = ? AND t.status = 'blocked'
         ORDER BY t.updated_at DESC, t.number DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}

/// Check-in answers in `round` that report a blocker: how many, and the `limit` latest as
/// (name, blockers).
#[tracing::instrument(skip_all)]
pub async fn checkin_blockers(
    store: &Store,
    coalition: CoalitionId,
    round: RoundId,
    limit: i64,
) -> Result<(i64, Vec<(String, String)>)> {
    let count = sql::query_scalar(
        "SELECT COUNT(*) FROM checkins WHERE round_id = ? AND coalition_id = ? AND blockers <> ''",
    )
    .bind(round)
    .bind(coalition)
    .fetch_one(store.pool())
    .await?;
    let rows = sql::query_as(concat!(
        "SELECT ",
        member_name!("m", "k.user_id"),
        ", k.blockers
         FROM checkins k
         LEFT JOIN members m ON m.coalition_id = k.coalition_id AND m.user_id = k.user_id
         WHERE k.round_id = ? AND k.coalition_id = ? AND k.blockers <> ''
         ORDER BY k.updated_at DESC, k.id DESC LIMIT ?"
    ))
    .bind(round)
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok((count, rows))
}
