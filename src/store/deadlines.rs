//! Deadlines: milestones with a due date, numbered per coalition.

use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// `SELECT … FROM deadlines` with every column of [`Deadline`], to extend with `concat!`.
macro_rules! select_deadline {
    () => {
        "SELECT id, coalition_id, number, title, goal_id, due_at, status, created_by, created_at,
                met_at, next_ping_at
         FROM deadlines "
    };
}

/// Fields of a new deadline.
pub struct NewDeadline<'a> {
    pub coalition: CoalitionId,
    pub title: &'a str,
    pub goal: Option<GoalId>,
    pub due_at: i64,
    pub next_ping_at: Option<i64>,
    pub created_by: UserId,
}

/// Inserts a deadline with the coalition's next number; returns its id and number.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut Tx, d: &NewDeadline<'_>, now: i64) -> Result<(DeadlineId, i64)> {
    Ok(sqlx::query_as(
        "INSERT INTO deadlines (coalition_id, number, title, goal_id, due_at, next_ping_at, created_by, created_at)
         VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM deadlines WHERE coalition_id = ?), ?, ?, ?, ?, ?, ?)
         RETURNING id, number",
    )
    .bind(d.coalition)
    .bind(d.coalition)
    .bind(d.title)
    .bind(d.goal)
    .bind(d.due_at)
    .bind(d.next_ping_at)
    .bind(d.created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// A deadline of `coalition` by row id.
pub async fn get(store: &Store, coalition: CoalitionId, id: DeadlineId) -> Result<Option<Deadline>> {
    Ok(
        sqlx::query_as(concat!(select_deadline!(), "WHERE coalition_id = ? AND id = ?"))
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A deadline of `coalition` by its number, whatever its status.
pub async fn by_number(store: &Store, coalition: CoalitionId, number: i64) -> Result<Option<Deadline>> {
    Ok(sqlx::query_as(concat!(
        select_deadline!(),
        "WHERE coalition_id = ? AND number = ?"
    ))
    .bind(coalition)
    .bind(number)
    .fetch_optional(store.pool())
    .await?)
}

/// Open deadlines of `coalition` whose title starts with `prefix` (case-insensitive), at most
/// [`super::TITLE_MATCH_LIMIT`].
pub async fn open_by_title(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Deadline>> {
    Ok(sqlx::query_as(concat!(
        select_deadline!(),
        "WHERE coalition_id = ? AND status = 'open' AND title LIKE ? ESCAPE '\\'
         ORDER BY number LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("{}%", super::escape_like(prefix)))
    .bind(super::TITLE_MATCH_LIMIT)
    .fetch_all(store.pool())
    .await?)
}

/// Open deadlines due at or after `now` (`upcoming`) or before it (missed), soonest/oldest first.
#[tracing::instrument(skip_all)]
pub async fn open(
    store: &Store,
    coalition: CoalitionId,
    now: i64,
    upcoming: bool,
    limit: i64,
) -> Result<Vec<Deadline>> {
    let sql = if upcoming {
        concat!(
            select_deadline!(),
            "WHERE coalition_id = ? AND status = 'open' AND due_at >= ? ORDER BY due_at, number LIMIT ?"
        )
    } else {
        concat!(
            select_deadline!(),
            "WHERE coalition_id = ? AND status = 'open' AND due_at < ? ORDER BY due_at, number LIMIT ?"
        )
    };
    Ok(sqlx::query_as(sql)
        .bind(coalition)
        .bind(now)
        .bind(limit)
        .fetch_all(store.pool())
        .await?)
}

/// How many open deadlines are upcoming (due at or after `now`) and how many are missed.
pub async fn count_open(store: &Store, coalition: CoalitionId, now: i64) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COALESCE(SUM(due_at >= ?), 0), COALESCE(SUM(due_at < ?), 0)
         FROM deadlines WHERE coalition_id = ? AND status = 'open'",
    )
    .bind(now)
    .bind(now)
    .bind(coalition)
    .fetch_one(store.pool())
    .await?)
}

/// Deadlines met since `since`, most recent first.
pub async fn met_since(
    store: &Store,
    coalition: CoalitionId,
    since: i64,
    limit: i64,
) -> Result<Vec<Deadline>> {
    Ok(sqlx::query_as(concat!(
        select_deadline!(),
        "WHERE coalition_id = ? AND status = 'met' AND met_at >= ? ORDER BY met_at DESC, number LIMIT ?"
    ))
    .bind(coalition)
    .bind(since)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Marks an open deadline met and stops its pings; returns whether it was updated.
pub async fn mark_met(tx: &mut Tx, coalition: CoalitionId, id: DeadlineId, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE deadlines SET status = 'met', met_at = ?, next_ping_at = NULL
         WHERE coalition_id = ? AND id = ? AND status = 'open'",
    )
    .bind(now)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open deadlines for autocomplete: title containing `typed`, or number starting with it.
pub async fn suggest(
    store: &Store,
    coalition: CoalitionId,
    typed: &str,
    limit: i64,
) -> Result<Vec<Deadline>> {
    let typed = typed.trim().trim_start_matches('#');
    Ok(sqlx::query_as(concat!(
        select_deadline!(),
        "WHERE coalition_id = ? AND status = 'open'
           AND (title LIKE ? ESCAPE '\\' OR CAST(number AS TEXT) LIKE ? ESCAPE '\\')
         ORDER BY due_at, number LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("%{}%", super::escape_like(typed)))
    .bind(format!("{}%", super::escape_like(typed)))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
