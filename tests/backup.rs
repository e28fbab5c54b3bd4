//! Backups and restore: a scheduled backup round-trips through `restore`; retention deletes only
//! Backbone's own backup files; restore refuses a running bot, a damaged file and a newer schema;
//! a failed backup shows in /healthz's reason and in the metrics, and stops nothing.

mod common;
use common::*;

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
    let names = sqlx::query_scalar("SELECT name FROM coalitions ORDER BY name")
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
    w.store.backup_to(&db).await.unwrap();

    let live = Store::open_file(&db).await.unwrap();
    let backups = dir.path().join("backups");
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    let file = backup::backup_now(&live, &backups, at).await.unwrap();
    assert_eq!(file, backups.join("backbone-20260302-030000.db"));
    sqlx::query("UPDATE coalitions SET name = 'After Backup'")
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
    w.store.backup_to(&db).await.unwrap();
    let good = dir.path().join("good.db");
    w.store.backup_to(&good).await.unwrap();
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
    w.store.backup_to(&newer).await.unwrap();
    let s = Store::open_file(&newer).await.unwrap();
    sqlx::query(
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
