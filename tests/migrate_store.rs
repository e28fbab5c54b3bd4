//! `backbone migrate-store`: a SQLite deployment moves into PostgreSQL whole. The demo's two
//! simulated weeks are the deployment; `backbone export` of the coalition gives the same JSON from
//! either database afterwards, and the PostgreSQL copy keeps working (new rows get new ids).

#[path = "pg/mod.rs"]
mod pg;

use std::process::{Command, Output};

const GUILD: &str = "7000";
const COALITION: &str = "Riverside Food Coalition";

fn backbone(dir: &std::path::Path, args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backbone"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BACKBONE_DATABASE_URL", database_url)
        .output()
        .expect("run backbone")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The coalition's export from `database_url`, without the moment it was taken.
fn export(dir: &std::path::Path, database_url: &str, name: &str) -> serde_json::Value {
    let out = dir.join(name);
    ok(&backbone(
        dir,
        &[
            "export",
            "--coalition",
            COALITION,
            "--guild",
            GUILD,
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
        database_url,
    ));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let root = v.as_object_mut().expect("an object");
    root.remove("exported_at");
    root.remove("exported_at_utc");
    v
}

#[test]
fn a_sqlite_deployment_moves_to_postgres_with_every_row() {
    let Some(cluster) = pg::Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&backbone(
        dir.path(),
        &[
            "demo",
            "--db",
            db.to_str().unwrap(),
            "--days",
            "14",
            "--seed",
            "3",
        ],
        "sqlite://unused.db",
    ));
    let sqlite = format!("sqlite://{}", db.display());
    let postgres = cluster.create_database("moved");

    let said = ok(&backbone(
        dir.path(),
        &["migrate-store", "--from", &sqlite, "--to", &postgres],
        &sqlite,
    ));
    assert!(said.contains("Copied") && said.contains("tasks"), "{said}");

    let before = export(dir.path(), &sqlite, "sqlite.json");
    let after = export(dir.path(), &postgres, "postgres.json");
    let tasks = before["tasks"].as_array().map_or(0, Vec::len);
    assert!(tasks > 5, "the demo made tasks: {before}");
    assert_eq!(before, after, "the same export from both databases");

    // Moving twice would mix two deployments: refused, nothing changed.
    let err = refused(&backbone(
        dir.path(),
        &["migrate-store", "--from", &sqlite, "--to", &postgres],
        &sqlite,
    ));
    assert!(
        err.contains("already holds 1 coalition") && err.contains("createdb"),
        "{err}"
    );
    assert_eq!(export(dir.path(), &postgres, "again.json"), after);

    // A database that does not exist: one line that says to create it.
    let missing = cluster.url("nosuch");
    let err = refused(&backbone(
        dir.path(),
        &["migrate-store", "--from", &sqlite, "--to", &missing],
        &sqlite,
    ));
    assert!(err.contains("createdb") && err.contains("nosuch"), "{err}");

    // The copy is a working store: a new row takes an id after the copied ones.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use backbone::store::{Store, sql};
        let store = Store::connect(&postgres).await.expect("open the moved store");
        let (max,): (i64,) = sql::query_as("SELECT MAX(id) FROM events")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let mut tx = store.write().await.unwrap();
        let coalition = backbone::domain::CoalitionId(1);
        backbone::store::record_event(
            &mut tx,
            coalition,
            backbone::domain::UserId(9),
            "test",
            "x",
            "",
            0,
        )
        .await
        .expect("a new event after the copied ones");
        tx.commit().await.unwrap();
        let (new,): (i64,) = sql::query_as("SELECT MAX(id) FROM events")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(new, max + 1);
    });
}

#[test]
fn migrate_store_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let here = "sqlite://x.db";
    let err = refused(&backbone(
        dir.path(),
        &[
            "migrate-store",
            "--from",
            "sqlite://missing.db",
            "--to",
            "postgres://u:s3cret@127.0.0.1:1/db",
        ],
        here,
    ));
    assert!(
        err.contains("no database at") && err.contains("missing.db"),
        "{err}"
    );
    let err = refused(&backbone(
        dir.path(),
        &[
            "migrate-store",
            "--from",
            "postgres://a/b",
            "--to",
            "postgres://u:s3cret@h/db",
        ],
        here,
    ));
    assert!(err.contains("not a SQLite database file"), "{err}");
    std::fs::write(dir.path().join("x.db"), b"").unwrap();
    let err = refused(&backbone(
        dir.path(),
        &[
            "migrate-store",
            "--from",
            "sqlite://x.db",
            "--to",
            "sqlite://y.db",
        ],
        here,
    ));
    assert!(err.contains("not a PostgreSQL URL"), "{err}");

    // Nothing listens on port 1: one line that says what to check, and never the password.
    let err = refused(&backbone(
        dir.path(),
        &[
            "migrate-store",
            "--from",
            "sqlite://x.db",
            "--to",
            "postgres://u:s3cret@127.0.0.1:1/db",
        ],
        here,
    ));
    assert!(err.contains("postgres://u:***@127.0.0.1:1/db"), "{err}");
    assert!(err.contains("check that PostgreSQL runs"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
