//! Interaction ids taken by `backbone serve`, shared by every copy on the database, so a request
//! replayed within its five minutes is refused whichever copy it reaches. Interaction ids are
//! Discord's own and unique across guilds, so this table belongs to no coalition.

use super::{Store, sql};
use crate::error::Result;

/// Records interaction `id` as taken at `now` (unix seconds); false when it was taken already.
pub async fn first_time(store: &Store, id: i64, now: i64) -> Result<bool> {
    let done =
        sql::query("INSERT INTO interactions_seen (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(now)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the ids taken before `before` (their requests are refused by their timestamp by then);
/// returns how many.
pub async fn forget_before(store: &Store, before: i64) -> Result<u64> {
    let done = sql::query("DELETE FROM interactions_seen WHERE seen_at < ?")
        .bind(before)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
