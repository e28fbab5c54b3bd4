//! The newest id of a change table (`scope_changes`, `task_changes`) that SQLite's update hook
//! has shown this process: what the memories of [`super::scope`] and [`super::task_memory`]
//! compare their kept answers with.

use std::sync::atomic::{AtomicI64, Ordering};

use sqlx::sqlite::{SqliteOperation, UpdateHookResult};

#[derive(Debug, Default)]
pub(super) struct Seen(AtomicI64);

impl Seen {
    /// Counts the row `change` inserted, when it is one of `table`'s. Runs on the connection's
    /// thread, inside the statement: it only moves a number.
    pub(super) fn saw(&self, table: &str, change: &UpdateHookResult<'_>) {
        if change.table == table && matches!(change.operation, SqliteOperation::Insert) {
            self.at_least(change.rowid);
        }
    }

    /// Counts `id` as seen (the newest id when the store opened).
    pub(super) fn at_least(&self, id: i64) {
        self.0.fetch_max(id, Ordering::SeqCst);
    }

    /// The newest id seen.
    pub(super) fn newest(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
