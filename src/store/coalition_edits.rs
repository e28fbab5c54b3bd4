//! Renaming, archiving and restoring coalitions.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// A coalition of the guild by name (case-insensitive), archived or not: a name stays taken while
/// its archive exists.
pub async fn any_by_name(db: impl sql::Conn<'_>, guild: GuildId, name: &str) -> Result<Option<Coalition>> {
    Ok(
        sql::query_as(concat!(select_coalition!(), "WHERE guild_id = ? AND name = ?"))
            .bind(guild)
            .bind(name.trim())
            .fetch_optional(db)
            .await?,
    )
}

/// The guild's archived coalitions whose name contains `typed`, by name (for autocomplete).
pub async fn archived(store: &Store, guild: GuildId, typed: &str, limit: i64) -> Result<Vec<Coalition>> {
    let pattern = format!("%{}%", super::escape_like(typed.trim()));
    Ok(sql::query_as(concat!(
        select_coalition!(),
        "WHERE guild_id = ? AND archived_at IS NOT NULL AND name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?"
    ))
    .bind(guild)
    .bind(pattern)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Renames a coalition still called `from`; `None` when another coalition of the guild (archived
/// or not) has the name, `Some(false)` when it was renamed meanwhile.
pub async fn rename(tx: &mut Tx, id: CoalitionId, from: &str, to: &str) -> Result<Option<bool>> {
    // Only when no other coalition of the guild has the name (the write lock holds it so).
    let done = sql::query(
        "UPDATE coalitions SET name = ?1 WHERE id = ?2 AND name = ?3
           AND NOT EXISTS (SELECT 1 FROM coalitions o
                            WHERE o.guild_id = coalitions.guild_id AND o.id <> ?2 AND o.name = ?1)",
    )
    .bind(to)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Some(true));
    }
    // Nothing changed: either the name is taken or it moved.
    let current: Option<String> = sql::query_scalar("SELECT name FROM coalitions WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match current {
        Some(name) if name == from => None,
        _ => Some(false),
    })
}

/// Archives an active coalition: its schedules stop (the planner skips archived coalitions) and
/// every message still waiting to go out is cancelled. Returns how many were.
pub async fn archive(tx: &mut Tx, id: CoalitionId, now: i64) -> Result<Option<u64>> {
    let done = sql::query("UPDATE coalitions SET archived_at = ? WHERE id = ? AND archived_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let cancelled = sql::query(
        "UPDATE deliveries SET status = 'cancelled', last_error = 'coalition archived'
         WHERE coalition_id = ? AND status = 'pending'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(Some(cancelled.rows_affected()))
}

/// Brings an archived coalition back with its schedules' next occurrences (from now on: nothing
/// missed is replayed). Returns whether it was archived.
pub async fn restore(
    tx: &mut Tx,
    id: CoalitionId,
    next_checkin_at: Option<i64>,
    next_digest_at: Option<i64>,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE coalitions SET archived_at = NULL, next_checkin_at = ?, next_digest_at = ?
         WHERE id = ? AND archived_at IS NOT NULL",
    )
    .bind(next_checkin_at)
    .bind(next_digest_at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
