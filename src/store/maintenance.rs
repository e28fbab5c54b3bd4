//! Whole-database maintenance: consistent copies (`VACUUM INTO`), checking a copy's integrity and
//! which migrations it has, and a cheap liveness query for health checks.

use super::sql;
use std::path::Path;
use std::str::FromStr;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::Store;
use crate::error::{Error, Result};

/// The highest migration version this binary knows.
pub fn latest_migration() -> i64 {
    sqlx::migrate!("./migrations")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Answers when the database does (`SELECT 1`).
pub async fn ping(store: &Store) -> Result<()> {
    sql::query("SELECT 1").execute(store.pool()).await?;
    Ok(())
}

/// What a database file holds, as far as restoring it is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// `PRAGMA integrity_check` said `ok`.
    pub intact: bool,
    /// The first problems it reported (empty when intact).
    pub problems: Vec<String>,
    /// The highest migration applied successfully (None: not a Backbone database).
    pub migration: Option<i64>,
}

/// Opens `path` read-only and checks it: integrity, and the migration level it was left at.
pub async fn check_file(path: &Path) -> Result<FileCheck> {
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)
        .map_err(|e| Error::user(format!("`{}` is not a usable file name ({e}).", path.display())))?
        .read_only(true)
        .create_if_missing(false);
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(|e| {
        Error::user(format!(
            "cannot open `{}` as a SQLite database ({e}) — give a backup file written by Backbone.",
            path.display()
        ))
    })?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(5)")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| {
            Error::user(format!(
                "`{}` is not a SQLite database ({e}) — give a backup file written by Backbone.",
                path.display()
            ))
        })?;
    let intact = rows.len() == 1 && rows[0] == "ok";
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut conn)
    .await?;
    let migration = if has_table {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&mut conn)
            .await?
    } else {
        None
    };
    conn.close().await?;
    Ok(FileCheck {
        intact,
        problems: if intact { Vec::new() } else { rows },
        migration,
    })
}

/// How many deliveries there are of each kind and status.
pub async fn delivery_counts(store: &Store) -> Result<Vec<(String, String, i64)>> {
    Ok(sql::query_as(
        "SELECT kind, status, COUNT(*) FROM deliveries GROUP BY kind, status ORDER BY kind, status",
    )
    .fetch_all(store.pool())
    .await?)
}

/// When the longest-waiting due delivery became due (pending or being sent, due at or before `now`).
pub async fn oldest_due(store: &Store, now: i64) -> Result<Option<i64>> {
    Ok(sql::query_scalar(
        "SELECT MIN(due_at) FROM deliveries WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?",
    )
    .bind(now)
    .fetch_one(store.pool())
    .await?)
}
