//! Deadlines: milestones with a due date, numbered per coalition.

use super::sql;
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
    Ok(sql::query_as(
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
        sql::query_as(concat!(select_deadline!(), "WHERE coalition_id = ? AND id = ?"))
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A deadline of `coalition` by its number, whatever its status.
pub async fn by_number(store: &Store, coalition: CoalitionId, number: i64) -> Result<Option<Deadline>> {
    Ok(sql::query_as(concat!(
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
    Ok(sql::query_as(concat!(
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

/// The open deadlines (upcoming and missed) and the ones met recently, at most `limit` of each,
/// with how many are upcoming and missed in all.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub upcoming: Vec<Deadline>,
    pub upcoming_total: i64,
    pub missed: Vec<Deadline>,
    pub missed_total: i64,
    pub recently_met: Vec<Deadline>,
}

#[derive(sqlx::FromRow)]
struct Grouped {
    #[sqlx(flatten)]
    deadline: Deadline,
    /// 0 upcoming, 1 missed, 2 met recently.
    grp: i64,
    grp_total: i64,
}

/// [`Overview`] of `coalition` at `now`, with met deadlines since `met_since` — one statement:
/// upcoming and missed by due date, met most recent first.
pub async fn overview(
    store: &Store,
    coalition: CoalitionId,
    now: i64,
    met_since: i64,
    limit: i64,
) -> Result<Overview> {
    let rows: Vec<Grouped> = sql::query_as(
        "SELECT * FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY grp
                                        ORDER BY CASE WHEN grp = 2 THEN -met_at ELSE due_at END, number) AS rn,
                     COUNT(*) OVER (PARTITION BY grp) AS grp_total
           FROM (SELECT id, coalition_id, number, title, goal_id, due_at, status, created_by, created_at,
                        met_at, next_ping_at,
                        CAST(CASE WHEN status = 'met' THEN 2 WHEN due_at >= ?1 THEN 0 ELSE 1 END AS INTEGER) AS grp
                 FROM deadlines
                 WHERE coalition_id = ?2
                   AND (status = 'open' OR (status = 'met' AND met_at >= ?3))) AS d) AS ranked
         WHERE rn <= ?4 ORDER BY grp, rn",
    )
    .bind(now)
    .bind(coalition)
    .bind(met_since)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut out = Overview::default();
    for r in rows {
        match r.grp {
            0 => {
                out.upcoming_total = r.grp_total;
                out.upcoming.push(r.deadline);
            }
            1 => {
                out.missed_total = r.grp_total;
                out.missed.push(r.deadline);
            }
            _ => out.recently_met.push(r.deadline),
        }
    }
    Ok(out)
}

/// Marks an open deadline met and stops its pings; returns whether it was updated.
pub async fn mark_met(tx: &mut Tx, coalition: CoalitionId, id: DeadlineId, now: i64) -> Result<bool> {
    let done = sql::query(
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
    Ok(sql::query_as(concat!(
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
