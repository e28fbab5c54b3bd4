//! Backups that happen by themselves: at each occurrence of `backup_schedule` (UTC) `backbone run`
//! writes a `VACUUM INTO` copy named `backbone-YYYYMMDD-HHMMSS.db` into the backup directory and
//! deletes the oldest of *those* files beyond `backup_keep`. Nothing else in the directory is ever
//! touched. A failure is logged and kept for /healthz and /metrics; it never stops the bot.
//!
//! Every backup ([`write`], also `backbone backup`) is created exclusively: the copy goes into a
//! fresh private file (mode 0600) beside its name, then is hard-linked to that name, which fails
//! rather than replace anything already there. On failure only that temporary file is removed, so
//! a backup never deletes a file it did not write. The directory, when Backbone creates it, is 0700.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use tokio::sync::watch;

use super::files;
use super::health::Health;
use super::metrics::Metrics;
use crate::clock::Clock;
use crate::domain::schedule::Schedule;
use crate::error::{Error, Result};
use crate::store::Store;

const PREFIX: &str = "backbone-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y%m%d-%H%M%S";

/// When and where backups are written, and how many are kept.
#[derive(Debug, Clone)]
pub struct BackupPlan {
    pub schedule: Schedule,
    pub keep: usize,
    pub dir: PathBuf,
}

/// The file name of a backup taken at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format(STAMP))
}

/// When the backup named `name` was taken — only for names Backbone itself writes
/// (`backbone-YYYYMMDD-HHMMSS.db`, nothing more, nothing less).
pub fn taken_at(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let strict = stamp.len() == 15
        && stamp
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() });
    if !strict {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc())
}

/// `backups/` beside the database at `db`.
pub fn default_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join("backups")
}

/// Writes a consistent copy of the database to `path`, which must not exist yet. Safe while the
/// bot runs; the file is private (0600) and appears at `path` complete or not at all.
pub async fn write(store: &Store, path: &Path) -> Result<()> {
    let taken = || {
        Error::user(format!(
            "`{}` already exists — choose a new file name for the backup.",
            path.display()
        ))
    };
    if files::occupied(path) {
        return Err(taken());
    }
    let (file, temp) = files::create_temp_beside(path).map_err(|e| {
        Error::user(format!(
            "cannot write a backup beside `{}`: {e} — choose a directory you can write to.",
            path.display()
        ))
    })?;
    drop(file);
    let result = async {
        store.vacuum_into(&temp).await?;
        files::make_private(&temp)?;
        files::rename_new(&temp, path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => taken(),
            _ => Error::from(e),
        })
    }
    .await;
    // The temporary file is ours alone (created exclusively); whatever is at `path` is not
    // removed here, written by us or not.
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes a backup taken at `now` into `dir` (created, private, if missing); returns its path.
pub async fn backup_now(store: &Store, dir: &Path, now: DateTime<Utc>) -> Result<PathBuf> {
    files::create_private_dir(dir).map_err(|e| {
        Error::internal(format!(
            "cannot create the backup directory `{}`: {e} — set backup_dir to a writable directory",
            dir.display()
        ))
    })?;
    let path = dir.join(file_name(now));
    write(store, &path).await?;
    Ok(path)
}

/// Our own backups in `dir`, oldest first.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut ours: Vec<(DateTime<Utc>, PathBuf)> = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        if let Some(at) = name.to_str().and_then(taken_at) {
            ours.push((at, entry.path()));
        }
    }
    ours.sort();
    Ok(ours.into_iter().map(|(_, p)| p).collect())
}

/// Deletes our oldest backups in `dir` beyond the newest `keep`; returns what it deleted.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let ours = list(dir)?;
    let surplus = ours.len().saturating_sub(keep.max(1));
    let mut deleted = Vec::new();
    for path in ours.into_iter().take(surplus) {
        std::fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// One scheduled backup: write, then prune. Records the outcome in `health` and `metrics`.
pub async fn scheduled_backup(
    store: &Store,
    plan: &BackupPlan,
    health: &Health,
    metrics: &Metrics,
    now: DateTime<Utc>,
) {
    let result = async {
        let path = backup_now(store, &plan.dir, now).await?;
        let deleted = prune(&plan.dir, plan.keep)?;
        Ok::<_, Error>((path, deleted))
    }
    .await;
    match result {
        Ok((path, deleted)) => {
            tracing::info!(path = %path.display(), deleted = deleted.len(), "backup written");
            health.backup_succeeded(now);
        }
        Err(e) => {
            tracing::error!(error = %e, dir = %plan.dir.display(), "backup failed");
            health.backup_failed(now, &e.to_string());
            metrics.backup_failures.inc();
        }
    }
}

/// Takes a backup at each occurrence of the plan's schedule until `shutdown` turns true.
pub async fn run(
    store: Store,
    plan: BackupPlan,
    clock: Arc<dyn Clock>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(schedule = %plan.schedule.describe(), dir = %plan.dir.display(), keep = plan.keep, "backups scheduled");
    loop {
        let now = clock.now();
        let Some(next) = plan.schedule.next_after(now, chrono_tz::UTC) else {
            tracing::warn!("the backup schedule has no next occurrence; no more backups");
            return;
        };
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            r = shutdown.changed() => if r.is_err() || *shutdown.borrow() { return },
        }
        if *shutdown.borrow() {
            return;
        }
        scheduled_backup(&store, &plan, &health, &metrics, next.max(clock.now())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_our_exact_names_count_as_backups() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
        assert_eq!(file_name(at), "backbone-20260302-030000.db");
        assert_eq!(taken_at("backbone-20260302-030000.db"), Some(at));
        for other in [
            "backbone.db",
            "backbone-20260302-030000.db-wal",
            "backbone-20260302-030000.db.bak",
            "my-backbone-20260302-030000.db",
            "backbone-2026030-0300000.db",
            "backbone-20260302-03000x.db",
            "backbone-20261302-030000.db",
            "backbone-20260302_030000.db",
        ] {
            assert_eq!(taken_at(other), None, "{other}");
        }
    }
}
