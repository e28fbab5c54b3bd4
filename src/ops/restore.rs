//! `backbone restore FILE`: check a backup (integrity, migration level) and put it in place of the
//! database — only while the bot is not running (its run lock is free), keeping the old database
//! beside it as `<database>.before-restore-<time>`.
//!
//! Symlinks are refused, the backup's and the database's alike: restore reads and replaces real
//! files only. The database's `-wal`, `-shm` and `-journal` files are moved aside with it (to
//! `<database>.before-restore-<time>-wal` …) even when the database file itself is missing, so a
//! stale write-ahead log is never replayed over the restored file. The restored file is private
//! (0600) and is copied in under a fresh name first, then moved into place.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::files;
use super::lock::RunLock;
use crate::error::{Error, Result};
use crate::store::maintenance;

/// The files beside a SQLite database that belong to it.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Where the previous database went (None when there was none).
    pub kept: Option<PathBuf>,
    /// Everything moved aside: the previous database and its `-wal`/`-shm`/`-journal` files (a
    /// stale log is moved even when there was no database).
    pub moved: Vec<PathBuf>,
    /// The migration level of the restored database.
    pub migration: i64,
}

/// Replaces the database at `db` with the backup at `backup`, at `now`.
pub async fn restore(db: &Path, backup: &Path, now: DateTime<Utc>) -> Result<Restored> {
    if is_symlink(backup) {
        return Err(Error::user(format!(
            "`{}` is a symbolic link — restore reads real files only: give the path of the backup itself.",
            backup.display()
        )));
    }
    if !backup.is_file() {
        return Err(Error::user(format!(
            "`{}` is not a file — give the path of a backup (e.g. backups/backbone-20260302-030000.db).",
            backup.display()
        )));
    }
    if is_symlink(db) {
        return Err(Error::user(format!(
            "The database `{}` is a symbolic link — restore replaces real files only: set database_url to the file it points to, then restore again.",
            db.display()
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
    // The copy is made first, so a failure (disk full) leaves the database as it was.
    let (temp, source) = copy_beside(backup, db)?;
    let result = put_in_place(db, &temp, now);
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    let (kept, moved) = result?;
    drop(source);
    Ok(Restored {
        kept,
        moved,
        migration,
    })
}

/// Copies `backup` into a fresh private file beside `db`; returns it and the opened backup (kept
/// open until the copy is in place). The backup is opened, then checked to be the very file at
/// its path and no symlink, so it cannot be swapped for a link in between.
fn copy_beside(backup: &Path, db: &Path) -> Result<(PathBuf, File)> {
    let mut source = File::open(backup)?;
    let opened = source.metadata()?;
    let at_path = std::fs::symlink_metadata(backup)?;
    if at_path.file_type().is_symlink()
        || !opened.is_file()
        || (opened.dev(), opened.ino()) != (at_path.dev(), at_path.ino())
    {
        return Err(Error::user(format!(
            "`{}` changed while it was being restored — run the restore again.",
            backup.display()
        )));
    }
    let (mut file, temp) = files::create_temp_beside(db)?;
    let copied = std::io::copy(&mut source, &mut file).and_then(|_| file.sync_all());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&temp);
        return Err(e.into());
    }
    Ok((temp, source))
}

/// Moves the database and its companions aside (never over anything), then `temp` to `db`.
fn put_in_place(db: &Path, temp: &Path, now: DateTime<Utc>) -> Result<(Option<PathBuf>, Vec<PathBuf>)> {
    let kept = sibling(db, &format!(".before-restore-{}", now.format("%Y%m%d-%H%M%S")));
    let mut moves = Vec::new();
    if files::occupied(db) {
        moves.push((db.to_path_buf(), kept.clone()));
    }
    for suffix in COMPANIONS {
        let from = sibling(db, suffix);
        if files::occupied(&from) {
            moves.push((from, sibling(&kept, suffix)));
        }
    }
    if let Some((_, to)) = moves.iter().find(|(_, to)| files::occupied(to)) {
        return Err(Error::user(format!(
            "`{}` already exists (a restore a moment ago?) — wait a second and run the restore again.",
            to.display()
        )));
    }
    let mut moved = Vec::new();
    for (from, to) in &moves {
        files::rename_new(from, to)?;
        moved.push(to.clone());
    }
    files::rename_new(temp, db)?;
    let kept = moved.first().filter(|p| **p == kept).cloned();
    Ok((kept, moved))
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
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
