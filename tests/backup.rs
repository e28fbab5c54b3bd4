//! Backups and restore: a scheduled backup round-trips through `restore`; retention deletes only
//! Backbone's own backup files; restore refuses a running bot, a damaged file and a newer schema;
//! a failed backup shows in /healthz's reason and in the metrics, and stops nothing.

mod harness;
use harness::*;

use std::path::Path;

use backbone::ops::backup;
use backbone::ops::health::Health;
use backbone::ops::lock::RunLock;
use backbone::ops::metrics::Metrics;
use backbone::ops::restore;
use backbone::store::Store;
use chrono::{Duration, TimeZone, Utc};

async fn coalition_names(db: &Path) -> Vec<String> {
    let store = Store::open_file(db).await.unwrap();
    let names = backbone::store::sql::query_scalar("SELECT name FROM coalitions ORDER BY name")
        .fetch_all(store.pool())
        .await
        .unwrap();
    store.close().await;
    names
}

#[tokio::test]
async fn a_backup_restores_the_database_as_it_was_and_keeps_the_old_one() {
    let w = World::new().await;
    w.coalition("Before Backup").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    backup::write(&w.store, &db).await.unwrap();

    let live = Store::open_file(&db).await.unwrap();
    let backups = dir.path().join("backups");
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    let file = backup::backup_now(&live, &backups, at).await.unwrap();
    assert_eq!(file, backups.join("backbone-20260302-030000.db"));
    backbone::store::sql::query("UPDATE coalitions SET name = 'After Backup'")
        .execute(live.pool())
        .await
        .unwrap();
    live.close().await;
    assert_eq!(coalition_names(&db).await, ["After Backup"]);

    let done = restore::restore(&db, &file, at + Duration::hours(5))
        .await
        .unwrap();
    assert_eq!(coalition_names(&db).await, ["Before Backup"]);
    let kept = done.kept.expect("the old database is kept");
    assert_eq!(kept, dir.path().join("live.db.before-restore-20260302-080000"));
    assert_eq!(coalition_names(&kept).await, ["After Backup"]);
    assert!(done.migration > 0);
}

#[tokio::test]
async fn restore_refuses_while_the_bot_runs_and_refuses_bad_files() {
    let w = World::new().await;
    w.coalition("Kept").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    backup::write(&w.store, &db).await.unwrap();
    let good = dir.path().join("good.db");
    backup::write(&w.store, &good).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();

    let lock = RunLock::acquire(&db).unwrap();
    let e = restore::restore(&db, &good, now).await.unwrap_err();
    assert!(e.to_string().contains("Backbone is running"), "{e}");
    assert!(
        e.to_string().contains(&format!("pid {}", std::process::id())),
        "{e}"
    );
    drop(lock);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database at all, just some text").unwrap();
    let e = restore::restore(&db, &junk, now).await.unwrap_err();
    assert!(e.to_string().contains("give a backup file"), "{e}");

    let newer = dir.path().join("newer.db");
    backup::write(&w.store, &newer).await.unwrap();
    let s = Store::open_file(&newer).await.unwrap();
    backbone::store::sql::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', 1, x'00', 0)",
    )
    .execute(s.pool())
    .await
    .unwrap();
    s.close().await;
    let e = restore::restore(&db, &newer, now).await.unwrap_err();
    assert!(e.to_string().contains("newer Backbone"), "{e}");

    let e = restore::restore(&db, &dir.path().join("missing.db"), now)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is not a file"), "{e}");
    // Nothing was replaced by the refused attempts.
    assert_eq!(coalition_names(&db).await, ["Kept"]);
    assert!(!dir.path().join("live.db.before-restore-20260302-120000").exists());
}

#[tokio::test]
async fn retention_deletes_only_the_oldest_of_our_own_backups() {
    let w = World::new().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
    for day in 0..5 {
        backup::backup_now(&w.store, d, start + Duration::days(day))
            .await
            .unwrap();
    }
    let foreign = [
        "notes.txt",
        "backbone.db",
        "backbone-20260101-030000.db.bak",
        "my-backbone-20260101-030000.db",
        "backbone-20260101-0300.db",
        "backbone-backup-20260101-030000.db",
    ];
    for f in foreign {
        std::fs::write(d.join(f), b"keep me").unwrap();
    }
    std::fs::create_dir(d.join("backbone-20200101-000000.db")).unwrap();

    let deleted = backup::prune(d, 2).unwrap();
    let names: Vec<String> = deleted
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "backbone-20260301-030000.db",
            "backbone-20260302-030000.db",
            "backbone-20260303-030000.db"
        ]
    );
    let left: Vec<_> = backup::list(d).unwrap();
    assert_eq!(
        left,
        [
            d.join("backbone-20260304-030000.db"),
            d.join("backbone-20260305-030000.db")
        ]
    );
    for f in foreign {
        assert!(d.join(f).exists(), "{f} was deleted");
    }
    assert!(d.join("backbone-20200101-000000.db").is_dir());
}

#[tokio::test]
async fn a_failed_backup_is_reported_and_the_next_good_one_clears_it() {
    let w = World::new().await;
    let dir = tempfile::tempdir().unwrap();
    // A file where the backup directory should be: the backup cannot be written.
    let blocked = dir.path().join("backups");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let plan = backup::BackupPlan {
        schedule: backbone::domain::schedule::Schedule::parse("daily 03:00").unwrap(),
        keep: 3,
        dir: blocked.clone(),
    };
    let (health, metrics) = (Health::default(), Metrics::new());
    health.shard(0, 1, true);
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    backup::scheduled_backup(&w.store, &plan, &health, &metrics, at).await;
    let reason = health.problem().expect("unhealthy");
    assert!(
        reason.starts_with("last backup failed at 2026-03-02 03:00 UTC"),
        "{reason}"
    );
    let text = metrics.render(&w.store, &health, at.timestamp()).await.unwrap();
    assert!(text.contains("backbone_backup_failures_total 1"), "{text}");
    assert!(text.contains("backbone_backup_failing 1"), "{text}");

    std::fs::remove_file(&blocked).unwrap();
    backup::scheduled_backup(&w.store, &plan, &health, &metrics, at + Duration::days(1)).await;
    assert_eq!(health.problem(), None);
    assert_eq!(backup::list(&blocked).unwrap().len(), 1);
    let text = metrics.render(&w.store, &health, at.timestamp()).await.unwrap();
    assert!(text.contains("backbone_backup_failing 0"), "{text}");
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_failed_scheduled_backup_never_deletes_a_file_of_the_same_name() {
    let w = World::new().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("backups");
    std::fs::create_dir(&d).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    // A file with the name this backup would take (not written by Backbone).
    let theirs = d.join(backup::file_name(at));
    std::fs::write(&theirs, b"someone else's file").unwrap();
    let plan = backup::BackupPlan {
        schedule: backbone::domain::schedule::Schedule::parse("daily 03:00").unwrap(),
        keep: 3,
        dir: d.clone(),
    };
    let (health, metrics) = (Health::default(), Metrics::new());
    health.shard(0, 1, true);
    backup::scheduled_backup(&w.store, &plan, &health, &metrics, at).await;
    let reason = health.problem().expect("the backup failed");
    assert!(reason.contains("already exists"), "{reason}");
    assert_eq!(std::fs::read(&theirs).unwrap(), b"someone else's file");
    // Nothing else is left behind: no half-written or temporary file.
    assert_eq!(names_in(&d), [backup::file_name(at)]);

    // A symlink with that name is not written through either.
    std::fs::remove_file(&theirs).unwrap();
    let target = dir.path().join("target.txt");
    std::fs::write(&target, b"linked").unwrap();
    std::os::unix::fs::symlink(&target, &theirs).unwrap();
    let e = backup::write(&w.store, &theirs).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read(&target).unwrap(), b"linked");
    assert_eq!(names_in(&d), [backup::file_name(at)]);
}

#[tokio::test]
async fn backups_are_private_and_so_is_the_directory_backbone_creates() {
    let w = World::new().await;
    w.coalition("Private").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("new").join("backups");
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    let file = backup::backup_now(&w.store, &d, at).await.unwrap();
    assert_eq!(mode(&file), 0o600, "the backup file");
    assert_eq!(mode(&d), 0o700, "the backup directory");
    assert_eq!(mode(&dir.path().join("new")), 0o700, "a parent it created");
    assert_eq!(names_in(&d), [backup::file_name(at)]);
    assert_eq!(coalition_names(&file).await, ["Private"]);

    // An existing directory keeps its mode; the file in it is still private.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = backup::backup_now(&w.store, &shared, at).await.unwrap();
    assert_eq!((mode(&shared), mode(&file)), (0o755, 0o600));
}

#[tokio::test]
async fn restore_refuses_symlinks_and_changes_nothing() {
    let w = World::new().await;
    w.coalition("Kept").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    backup::write(&w.store, &db).await.unwrap();
    let good = dir.path().join("good.db");
    backup::write(&w.store, &good).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();

    // A symlinked backup.
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let e = restore::restore(&db, &link, now).await.unwrap_err();
    assert!(e.is_user() && e.to_string().contains("symbolic link"), "{e}");

    // A symlinked database: its target is not replaced.
    let real = dir.path().join("real.db");
    backup::write(&w.store, &real).await.unwrap();
    let linked_db = dir.path().join("linked.db");
    std::os::unix::fs::symlink(&real, &linked_db).unwrap();
    let e = restore::restore(&linked_db, &good, now).await.unwrap_err();
    assert!(e.is_user() && e.to_string().contains("symbolic link"), "{e}");
    assert!(e.to_string().contains("database_url"), "{e}");

    let before = names_in(dir.path());
    assert_eq!(before, ["good.db", "link.db", "linked.db", "live.db", "real.db"]);
    assert!(
        std::fs::symlink_metadata(&linked_db)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(coalition_names(&real).await, ["Kept"]);
}

#[tokio::test]
async fn restore_moves_a_stale_write_ahead_log_aside_so_it_is_never_replayed() {
    let w = World::new().await;
    w.coalition("From The Backup").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = d.join("good.db");
    backup::write(&w.store, &good).await.unwrap();

    // A write-ahead log with a change not yet in its database file, saved while it was live.
    let stale_wal = d.join("stale-wal");
    {
        let old = d.join("old.db");
        backup::write(&w.store, &old).await.unwrap();
        let live = Store::open_file(&old).await.unwrap();
        backbone::store::sql::query("UPDATE coalitions SET name = 'From A Stale Log'")
            .execute(live.pool())
            .await
            .unwrap();
        std::fs::copy(d.join("old.db-wal"), &stale_wal).unwrap();
        live.close().await;
        std::fs::remove_file(&old).unwrap();
    }
    // The hazard is real: beside a copy of the backup, that log is replayed.
    let control = d.join("control.db");
    std::fs::copy(&good, &control).unwrap();
    std::fs::copy(&stale_wal, d.join("control.db-wal")).unwrap();
    assert_eq!(coalition_names(&control).await, ["From A Stale Log"]);

    // The database file is gone but its log stayed behind; restore puts the backup in place.
    let db = d.join("live.db");
    std::fs::copy(&stale_wal, d.join("live.db-wal")).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
    let done = restore::restore(&db, &good, at).await.unwrap();
    assert_eq!(done.kept, None, "there was no database file");
    assert_eq!(done.moved, [d.join("live.db.before-restore-20260302-120000-wal")]);
    assert!(!d.join("live.db-wal").exists());
    assert_eq!(mode(&db), 0o600, "the restored database is private");
    assert_eq!(coalition_names(&db).await, ["From The Backup"]);

    // With the database there too, both go aside together (and nothing is overwritten by a
    // second restore in the same second).
    let store = Store::open_file(&db).await.unwrap();
    backbone::store::sql::query("UPDATE coalitions SET name = 'Changed'")
        .execute(store.pool())
        .await
        .unwrap();
    std::fs::copy(d.join("live.db-wal"), d.join("live-wal-copy")).unwrap();
    store.close().await;
    std::fs::copy(d.join("live-wal-copy"), d.join("live.db-wal")).unwrap();
    let e = restore::restore(&db, &good, at).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(coalition_names(&db).await, ["Changed"], "nothing was moved");
    std::fs::copy(&stale_wal, d.join("live.db-wal")).unwrap();
    let later = at + Duration::seconds(1);
    let done = restore::restore(&db, &good, later).await.unwrap();
    let kept = d.join("live.db.before-restore-20260302-120001");
    assert_eq!(done.kept.as_ref(), Some(&kept));
    assert_eq!(
        done.moved[..2],
        [kept.clone(), d.join("live.db.before-restore-20260302-120001-wal")]
    );
    assert_eq!(coalition_names(&db).await, ["From The Backup"]);
    assert!(
        !names_in(d).iter().any(|n| n.ends_with(".tmp")),
        "{:?}",
        names_in(d)
    );
}
