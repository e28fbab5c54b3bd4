//! Feedback to a coalition's leads. An anonymous item is stored with no author at all.

use super::sql;
use serde::Serialize;

use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// A concern or suggestion as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Feedback {
    pub id: FeedbackId,
    pub coalition_id: CoalitionId,
    /// None exactly when anonymous.
    pub author_id: Option<UserId>,
    pub anonymous: bool,
    pub text: String,
    pub created_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<UserId>,
}

/// The columns of [`Feedback`], to extend with `concat!`.
macro_rules! feedback_columns {
    () => {
        "SELECT id, coalition_id, author_id, anonymous, text, created_at, acknowledged_at, acknowledged_by
         FROM feedback "
    };
}

/// Stores a feedback item; `author` is None for anonymous feedback (nothing else marks who).
pub async fn insert(
    tx: &mut Tx,
    coalition: CoalitionId,
    author: Option<UserId>,
    text: &str,
    now: i64,
) -> Result<FeedbackId> {
    Ok(sql::query_scalar(
        "INSERT INTO feedback (coalition_id, author_id, anonymous, text, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(coalition)
    .bind(author)
    .bind(author.is_none())
    .bind(text)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// How many items `author` sent with their name to `coalition` at or after `since`, and when the
/// oldest of those was sent (for the rate limit of named feedback; run inside the write).
pub async fn named_since(
    tx: &mut Tx,
    coalition: CoalitionId,
    author: UserId,
    since: i64,
) -> Result<(i64, Option<i64>)> {
    Ok(sql::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM feedback
         WHERE coalition_id = ? AND author_id = ? AND created_at >= ?",
    )
    .bind(coalition)
    .bind(author)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?)
}

/// One feedback item of `coalition`.
pub async fn get(store: &Store, coalition: CoalitionId, id: FeedbackId) -> Result<Option<Feedback>> {
    Ok(
        sql::query_as(concat!(feedback_columns!(), "WHERE coalition_id = ? AND id = ?"))
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The guild and coalition a feedback item belongs to (buttons are checked against the guild).
pub async fn owner(store: &Store, id: FeedbackId) -> Result<Option<(GuildId, CoalitionId)>> {
    Ok(sql::query_as(
        "SELECT c.guild_id, c.id FROM feedback f JOIN coalitions c ON c.id = f.coalition_id WHERE f.id = ?",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// The most recent feedback of `coalition`, newest first: unacknowledged items before the rest.
pub async fn recent(store: &Store, coalition: CoalitionId, limit: i64) -> Result<Vec<Feedback>> {
    Ok(sql::query_as(concat!(
        feedback_columns!(),
        "WHERE coalition_id = ? ORDER BY acknowledged_at IS NOT NULL, created_at DESC, id DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// How many items `coalition` has in all and how many await acknowledgement.
pub async fn counts(store: &Store, coalition: CoalitionId) -> Result<(i64, i64)> {
    Ok(sql::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) FROM feedback WHERE coalition_id = ?",
    )
    .bind(coalition)
    .fetch_one(store.pool())
    .await?)
}

/// Feedback received and acknowledged in `[from, to)` (for the digest; never the text).
pub async fn period_counts(store: &Store, coalition: CoalitionId, from: i64, to: i64) -> Result<(i64, i64)> {
    Ok(sql::query_as(
        "SELECT COALESCE(SUM(CASE WHEN created_at >= ?2 AND created_at < ?3 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN acknowledged_at >= ?2 AND acknowledged_at < ?3 THEN 1 ELSE 0 END), 0)
         FROM feedback WHERE coalition_id = ?1",
    )
    .bind(coalition)
    .bind(from)
    .bind(to)
    .fetch_one(store.pool())
    .await?)
}

/// Marks an item acknowledged unless it already is; returns whether this call did it.
pub async fn acknowledge(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: FeedbackId,
    by: UserId,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE feedback SET acknowledged_at = ?, acknowledged_by = ?
         WHERE coalition_id = ? AND id = ? AND acknowledged_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
