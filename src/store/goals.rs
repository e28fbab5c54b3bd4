//! Shared, measurable goals.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// `SELECT … FROM goals` with every column of [`Goal`], to extend with `concat!`.
macro_rules! select_goal {
    () => {
        "SELECT id, coalition_id, number, title, metric, unit, target, current, due_at, status,
                created_by, created_at, closed_at
         FROM goals "
    };
}

/// Fields of a new goal.
pub struct NewGoal<'a> {
    pub coalition: CoalitionId,
    pub title: &'a str,
    pub metric: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub target: Option<f64>,
    pub due_at: Option<i64>,
    pub created_by: UserId,
}

/// Inserts a goal with the coalition's next number and records its starting value (0) in its
/// history; returns its id and number.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut Tx, g: &NewGoal<'_>, now: i64) -> Result<(GoalId, i64)> {
    let (id, number): (GoalId, i64) = sql::query_as(
        "INSERT INTO goals (coalition_id, number, title, metric, unit, target, due_at, created_by, created_at)
         VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM goals WHERE coalition_id = ?), ?, ?, ?, ?, ?, ?, ?)
         RETURNING id, number",
    )
    .bind(g.coalition)
    .bind(g.coalition)
    .bind(g.title)
    .bind(g.metric)
    .bind(g.unit)
    .bind(g.target)
    .bind(g.due_at)
    .bind(g.created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    record_value(tx, g.coalition, id, 0.0, now, GoalValueCause::Created).await?;
    Ok((id, number))
}

/// Appends a goal's value after a change to its history (`goal_values`), in the change's own
/// write transaction. Every change of `goals.current` goes through here.
pub async fn record_value(
    tx: &mut Tx,
    coalition: CoalitionId,
    goal: GoalId,
    value: f64,
    at: i64,
    cause: GoalValueCause,
) -> Result<()> {
    sql::query("INSERT INTO goal_values (goal_id, coalition_id, value, at, cause) VALUES (?, ?, ?, ?, ?)")
        .bind(goal)
        .bind(coalition)
        .bind(value)
        .bind(at)
        .bind(cause)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A goal of `coalition` by row id.
pub async fn get(store: &Store, coalition: CoalitionId, id: GoalId) -> Result<Option<Goal>> {
    Ok(
        sql::query_as(concat!(select_goal!(), "WHERE coalition_id = ? AND id = ?"))
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A goal of `coalition` by its number, whatever its status.
pub async fn by_number(store: &Store, coalition: CoalitionId, number: i64) -> Result<Option<Goal>> {
    Ok(
        sql::query_as(concat!(select_goal!(), "WHERE coalition_id = ? AND number = ?"))
            .bind(coalition)
            .bind(number)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Active goals of `coalition` whose title starts with `prefix` (case-insensitive), at most
/// [`super::TITLE_MATCH_LIMIT`].
pub async fn active_by_title(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Goal>> {
    Ok(sql::query_as(concat!(
        select_goal!(),
        "WHERE coalition_id = ? AND status = 'active' AND title LIKE ? ESCAPE '\\'
         ORDER BY number LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("{}%", super::escape_like(prefix)))
    .bind(super::TITLE_MATCH_LIMIT)
    .fetch_all(store.pool())
    .await?)
}

/// Every goal of `coalition`: active ones first (by due date, undated last), then closed ones,
/// most recently closed first.
#[tracing::instrument(skip_all)]
pub async fn list(store: &Store, coalition: CoalitionId) -> Result<Vec<Goal>> {
    Ok(sql::query_as(concat!(
        select_goal!(),
        "WHERE coalition_id = ?
         ORDER BY status <> 'active', due_at IS NULL, due_at, closed_at DESC, number"
    ))
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// Sets an active goal's current value and records it in the goal's history; returns whether
/// it was updated.
pub async fn set_current(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: GoalId,
    value: f64,
    now: i64,
) -> Result<bool> {
    let done =
        sql::query("UPDATE goals SET current = ? WHERE coalition_id = ? AND id = ? AND status = 'active'")
            .bind(value)
            .bind(coalition)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    record_value(tx, coalition, id, value, now, GoalValueCause::Progress).await?;
    Ok(true)
}

/// Adds a win's `amount` to an active goal's current value and records the new value in the
/// goal's history; returns whether it was updated.
pub async fn add_to_current(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: GoalId,
    amount: f64,
    now: i64,
) -> Result<bool> {
    let after: Option<f64> = sql::query_scalar(
        "UPDATE goals SET current = current + ? WHERE coalition_id = ? AND id = ? AND status = 'active'
         RETURNING current",
    )
    .bind(amount)
    .bind(coalition)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(after) = after else {
        return Ok(false);
    };
    record_value(tx, coalition, id, after, now, GoalValueCause::Win).await?;
    Ok(true)
}

/// Closes an active goal as achieved or dropped; returns whether it was updated.
pub async fn close(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: GoalId,
    status: GoalStatus,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE goals SET status = ?, closed_at = ?
         WHERE coalition_id = ? AND id = ? AND status = 'active'",
    )
    .bind(status)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active goals for autocomplete: title containing `typed`, or number starting with it.
pub async fn suggest(store: &Store, coalition: CoalitionId, typed: &str, limit: i64) -> Result<Vec<Goal>> {
    let typed = typed.trim().trim_start_matches('#');
    Ok(sql::query_as(concat!(
        select_goal!(),
        "WHERE coalition_id = ? AND status = 'active'
           AND (title LIKE ? ESCAPE '\\' OR CAST(number AS TEXT) LIKE ? ESCAPE '\\')
         ORDER BY number LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("%{}%", super::escape_like(typed)))
    .bind(format!("{}%", super::escape_like(typed)))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
