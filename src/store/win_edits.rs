//! Withdrawing wins: the row, its amount on the goal, and its celebration post.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// Deletes a win; returns whether it was still there (two removals at once remove it once).
pub async fn delete(tx: &mut Tx, coalition: CoalitionId, id: WinId) -> Result<bool> {
    let done = sql::query("DELETE FROM wins WHERE coalition_id = ? AND id = ?")
        .bind(coalition)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `amount` off a goal's current value (never below zero, whatever its status) and records
/// the new value in the goal's history; returns the new value, `None` if the goal is gone.
pub async fn subtract_from_goal(
    tx: &mut Tx,
    coalition: CoalitionId,
    goal: GoalId,
    amount: f64,
    now: i64,
) -> Result<Option<f64>> {
    let after: Option<f64> = sql::query_scalar(
        "UPDATE goals SET current = MAX(current - ?, 0) WHERE coalition_id = ? AND id = ? RETURNING current",
    )
    .bind(amount)
    .bind(coalition)
    .bind(goal)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(value) = after {
        super::goals::record_value(tx, coalition, goal, value, now, GoalValueCause::WinRemoved).await?;
    }
    Ok(after)
}

/// Where a win's celebration stands: posted at (channel, message), being posted right now, or
/// neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Celebration {
    Posted(ChannelId, MessageId),
    Sending,
    None,
}

/// Where a win's celebration stands.
pub async fn celebration(db: impl sql::Conn<'_>, coalition: CoalitionId, id: WinId) -> Result<Celebration> {
    let row: Option<(String, Option<ChannelId>, Option<MessageId>)> = sql::query_as(
        "SELECT status, channel_id, message_id FROM deliveries
         WHERE coalition_id = ? AND kind = 'win_celebration' AND subject_id = ? AND status IN ('sent', 'sending')
         ORDER BY id DESC LIMIT 1",
    )
    .bind(coalition)
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((status, Some(c), Some(m))) if status == "sent" => Celebration::Posted(c, m),
        Some((status, _, _)) if status == "sending" => Celebration::Sending,
        _ => Celebration::None,
    })
}

/// Cancels a win's celebration if it has not gone out yet; returns whether it did.
pub async fn cancel_celebration(tx: &mut Tx, coalition: CoalitionId, id: WinId) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET status = 'cancelled', last_error = 'win withdrawn'
         WHERE coalition_id = ? AND kind = 'win_celebration' AND subject_id = ? AND status = 'pending'",
    )
    .bind(coalition)
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Recent wins for autocomplete, newest first: `user`'s own, or everyone's when `None`;
/// `typed` matches the start of a word of the text (or the id).
pub async fn suggest(
    store: &Store,
    coalition: CoalitionId,
    user: Option<UserId>,
    typed: &str,
    limit: i64,
) -> Result<Vec<Win>> {
    let pattern = format!("%{}%", super::escape_like(typed.trim().trim_start_matches('#')));
    Ok(sql::query_as(
        "SELECT id, coalition_id, user_id, text, org_id, goal_id, task_id, amount, created_at
         FROM wins
         WHERE coalition_id = ? AND (? IS NULL OR user_id = ?)
           AND (text LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) LIKE ? ESCAPE '\\')
         ORDER BY created_at DESC, id DESC LIMIT ?",
    )
    .bind(coalition)
    .bind(user)
    .bind(user)
    .bind(&pattern)
    .bind(&pattern)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
