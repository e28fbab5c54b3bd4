//! Wins: small victories, counted in the digest and (with an amount) against a goal.

use super::sql;
use serde::Serialize;
use sqlx::FromRow;

use crate::domain::paging::Page;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// A win with the names a list shows next to it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct WinRow {
    #[sqlx(flatten)]
    pub win: Win,
    /// The author's remembered display name (None when no longer a member).
    pub user_name: Option<String>,
    pub org_name: Option<String>,
    pub goal_title: Option<String>,
}

/// Fields of a new win.
pub struct NewWin<'a> {
    pub coalition: CoalitionId,
    pub user: UserId,
    pub text: &'a str,
    pub org: Option<OrgId>,
    pub goal: Option<GoalId>,
    pub task: Option<TaskId>,
    pub amount: Option<f64>,
}

/// A win as inserted, with the org name it keeps.
#[derive(FromRow)]
struct Inserted {
    #[sqlx(flatten)]
    win: Win,
    org_name: Option<String>,
}

/// Inserts a win with its org's name as it is now (kept if the org is removed); returns the win
/// as stored and that name.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut Tx, w: &NewWin<'_>, now: i64) -> Result<(Win, Option<String>)> {
    let inserted: Inserted = sql::query_as(
        "INSERT INTO wins (coalition_id, user_id, text, org_id, org_name, goal_id, task_id, amount, created_at)
         VALUES (?, ?, ?, ?, (SELECT name FROM orgs WHERE coalition_id = ? AND id = ?), ?, ?, ?, ?)
         RETURNING id, coalition_id, user_id, text, org_id, goal_id, task_id, amount, created_at, org_name",
    )
    .bind(w.coalition)
    .bind(w.user)
    .bind(w.text)
    .bind(w.org)
    .bind(w.coalition)
    .bind(w.org)
    .bind(w.goal)
    .bind(w.task)
    .bind(w.amount)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((inserted.win, inserted.org_name))
}

/// A win of `coalition` by row id.
pub async fn get(store: &Store, coalition: CoalitionId, id: WinId) -> Result<Option<Win>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, user_id, text, org_id, goal_id, task_id, amount, created_at
         FROM wins WHERE coalition_id = ? AND id = ?",
    )
    .bind(coalition)
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// Whether a win was already logged for `task` (read inside the write so two clicks log one).
pub async fn exists_for_task(tx: &mut Tx, coalition: CoalitionId, task: TaskId) -> Result<bool> {
    Ok(
        sql::query_scalar("SELECT EXISTS (SELECT 1 FROM wins WHERE coalition_id = ? AND task_id = ?)")
            .bind(coalition)
            .bind(task)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Whether a win was already logged for `task`, outside a write.
pub async fn logged_for_task(store: &Store, coalition: CoalitionId, task: TaskId) -> Result<bool> {
    Ok(
        sql::query_scalar("SELECT EXISTS (SELECT 1 FROM wins WHERE coalition_id = ? AND task_id = ?)")
            .bind(coalition)
            .bind(task)
            .fetch_one(store.pool())
            .await?,
    )
}

/// A listed win with how many wins matched in all (counted by the same statement).
#[derive(sqlx::FromRow)]
struct Counted {
    #[sqlx(flatten)]
    row: WinRow,
    matching: i64,
}

/// Wins logged since `since`, newest first: the rows of `page`, with how many there are in all —
/// one statement. A page past the end has no row to carry the count: it comes back as 0.
#[tracing::instrument(skip_all)]
pub async fn since(
    store: &Store,
    coalition: CoalitionId,
    since: i64,
    page: Page,
) -> Result<(Vec<WinRow>, i64)> {
    let rows: Vec<Counted> = sql::query_as(
        "SELECT w.id, w.coalition_id, w.user_id, w.text, w.org_id, w.goal_id, w.task_id, w.amount, w.created_at,
                m.display_name AS user_name, COALESCE(o.name, w.org_name) AS org_name, g.title AS goal_title,
                COUNT(*) OVER () AS matching
         FROM wins w
         LEFT JOIN members m ON m.coalition_id = w.coalition_id AND m.user_id = w.user_id
         LEFT JOIN orgs o ON o.id = w.org_id AND o.coalition_id = w.coalition_id
         LEFT JOIN goals g ON g.id = w.goal_id AND g.coalition_id = w.coalition_id
         WHERE w.coalition_id = ? AND w.created_at >= ?
         ORDER BY w.created_at DESC, w.id DESC
         LIMIT ? OFFSET ?",
    )
    .bind(coalition)
    .bind(since)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(store.pool())
    .await?;
    let total = rows.first().map_or(0, |r| r.matching);
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// How many wins were logged since `since`.
pub async fn count_since(store: &Store, coalition: CoalitionId, since: i64) -> Result<i64> {
    Ok(
        sql::query_scalar("SELECT COUNT(*) FROM wins WHERE coalition_id = ? AND created_at >= ?")
            .bind(coalition)
            .bind(since)
            .fetch_one(store.pool())
            .await?,
    )
}
