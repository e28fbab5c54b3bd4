//! The scheduler lease: one row saying which copy of Backbone plans and sends, until when.
//! Times are unix milliseconds, passed in by the caller (nothing here reads the clock).

use super::sql;
use sqlx::FromRow;

use crate::error::Result;

use super::Store;

/// The lease as one copy found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseState {
    /// Whether `holder` (the asking copy) holds it now.
    pub held: bool,
    /// Who holds it (None: nobody has yet, or it was handed back).
    pub holder: Option<String>,
    /// When it runs out unless renewed (unix ms; 0 with no holder).
    pub expires_at: i64,
    /// When its holder took it (unix ms; 0 with no holder): unchanged by renewals.
    pub acquired_at: i64,
}

/// Takes the lease for `holder` until `now + lease_ms`, or renews it if `holder` has it already —
/// unless another copy holds it and it hasn't expired. One statement: two copies asking at once
/// can't both get it.
pub async fn acquire(store: &Store, holder: &str, now_ms: i64, lease_ms: i64) -> Result<LeaseState> {
    let row: Option<LeaseRow> = sql::query_as(
        "INSERT INTO scheduler_lease (id, holder, acquired_at, expires_at) VALUES (1, ?1, ?2, ?2 + ?3)
         ON CONFLICT (id) DO UPDATE SET
             acquired_at = CASE WHEN scheduler_lease.holder = excluded.holder
                                THEN scheduler_lease.acquired_at ELSE excluded.acquired_at END,
             holder = excluded.holder,
             expires_at = excluded.expires_at
           WHERE scheduler_lease.holder = excluded.holder OR scheduler_lease.expires_at <= ?2
         RETURNING holder, acquired_at, expires_at",
    )
    .bind(holder)
    .bind(now_ms)
    .bind(lease_ms.max(1))
    .fetch_optional(store.pool())
    .await?;
    match row {
        Some(row) => Ok(row.seen_by(holder)),
        None => current(store, holder).await,
    }
}

/// The lease row as stored.
#[derive(FromRow)]
struct LeaseRow {
    holder: String,
    acquired_at: i64,
    expires_at: i64,
}

impl LeaseRow {
    fn seen_by(self, asking: &str) -> LeaseState {
        LeaseState {
            held: self.holder == asking,
            holder: Some(self.holder),
            expires_at: self.expires_at,
            acquired_at: self.acquired_at,
        }
    }
}

/// The lease as it stands, seen by `holder`.
pub async fn current(store: &Store, holder: &str) -> Result<LeaseState> {
    let row: Option<LeaseRow> =
        sql::query_as("SELECT holder, acquired_at, expires_at FROM scheduler_lease WHERE id = 1")
            .fetch_optional(store.pool())
            .await?;
    Ok(match row {
        Some(row) => row.seen_by(holder),
        None => LeaseState {
            held: false,
            holder: None,
            expires_at: 0,
            acquired_at: 0,
        },
    })
}

/// Hands the lease back if `holder` has it (a clean shutdown), so another copy takes over at
/// once instead of after it expires. Returns whether it was held.
pub async fn release(store: &Store, holder: &str) -> Result<bool> {
    let done = sql::query("DELETE FROM scheduler_lease WHERE id = 1 AND holder = ?")
        .bind(holder)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
