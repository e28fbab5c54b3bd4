//! Correcting goals and milestones: `/goal edit`, `/deadline edit`, `/deadline remove`.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::Tx;

/// A goal's corrected fields (the current value is never touched).
pub struct GoalFields<'a> {
    pub title: &'a str,
    pub metric: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub target: Option<f64>,
    pub due_at: Option<i64>,
}

/// Writes a goal's fields; returns whether the goal is still there.
pub async fn update_goal(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: GoalId,
    g: &GoalFields<'_>,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE goals SET title = ?, metric = ?, unit = ?, target = ?, due_at = ? WHERE coalition_id = ? AND id = ?",
    )
    .bind(g.title)
    .bind(g.metric)
    .bind(g.unit)
    .bind(g.target)
    .bind(g.due_at)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes a milestone's title and due date and when its next ping is; only while it is open.
pub async fn update_deadline(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: DeadlineId,
    title: &str,
    due_at: i64,
    next_ping_at: Option<i64>,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE deadlines SET title = ?, due_at = ?, next_ping_at = ?
         WHERE coalition_id = ? AND id = ? AND status = 'open'",
    )
    .bind(title)
    .bind(due_at)
    .bind(next_ping_at)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a milestone; returns whether it was still there.
pub async fn delete_deadline(tx: &mut Tx, coalition: CoalitionId, id: DeadlineId) -> Result<bool> {
    let done = sql::query("DELETE FROM deadlines WHERE coalition_id = ? AND id = ?")
        .bind(coalition)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels the pings about a milestone that have not gone out; returns how many.
pub async fn cancel_deadline_pings(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: DeadlineId,
    why: &str,
) -> Result<u64> {
    let done = sql::query(
        "UPDATE deliveries SET status = 'cancelled', last_error = ?
         WHERE coalition_id = ? AND kind = 'deadline_ping' AND subject_id = ? AND status = 'pending'",
    )
    .bind(why)
    .bind(coalition)
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
