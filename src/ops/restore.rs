//! `backbone restore FILE`: check a backup (integrity, migration level) and put it in place of the
//! database — only while the bot is not running (its run lock is free), keeping the old database
//! (and its WAL files) beside it as `<database>.before-restore-<time>`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::lock::RunLock;
use crate::error::{Error, Result};
use crate::store::maintenance;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the previous database went (None when there was none).
    pub kept: Option<PathBuf>,
    /// The migration level of the restored database.
    pub migration: i64,
}

/// Replaces the database at `db` with the backup at `backup`, at `now`.
pub async fn restore(db: &Path, backup: &Path, now: DateTime<Utc>) -> Result<Restored> {
    if !backup.is_file() {
        return Err(Error::user(format!(
            "`{}` is not a file — give the path of a backup (e.g. backups/backbone-20260302-030000.db).",
            backup.display()
        )));
    }
    if same_file(db, backup) {
        return Err(Error::user(
            "That backup is the database itself — give a backup file.",
        ));
    }
    let check = maintenance::check_file(backup).await?;
    if !check.intact {
        return Err(Error::user(format!(
            "`{}` is damaged (integrity check: {}) — pick an older backup.",
            backup.display(),
            check.problems.join("; ")
        )));
    }
    let Some(migration) = check.migration else {
        return Err(Error::user(format!(
            "`{}` is not a Backbone database (no migrations table) — give a backup file written by Backbone.",
            backup.display()
        )));
    };
    let known = maintenance::latest_migration();
    if migration > known {
        return Err(Error::user(format!(
            "`{}` comes from a newer Backbone (migration {migration}; this one knows up to {known}) — upgrade Backbone first.",
            backup.display()
        )));
    }
    // Held until the new file is in place, so `backbone run` cannot start halfway through.
    let _lock = RunLock::acquire(db)?;
    let kept = if db.exists() {
        let kept = sibling(db, &format!(".before-restore-{}", now.format("%Y%m%d-%H%M%S")));
        std::fs::rename(db, &kept)?;
        for suffix in ["-wal", "-shm"] {
            let from = sibling(db, suffix);
            if from.exists() {
                std::fs::rename(&from, sibling(&kept, suffix))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    let partial = sibling(db, ".restoring");
    std::fs::copy(backup, &partial)?;
    std::fs::rename(&partial, db)?;
    Ok(Restored { kept, migration })
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
