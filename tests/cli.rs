//! The binary as a newcomer meets it: clear errors, redacted config, migrate/backup/export/digest.

use std::process::{Command, Output};

fn backbone(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbone"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run backbone")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn run_without_token_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(dir.path(), &["run"], &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("DISCORD_TOKEN is not set"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn run_against_a_closed_port_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    // Bind then drop a listener to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let o = backbone(
        dir.path(),
        &["run"],
        &[("DISCORD_TOKEN", "abc.def.ghi"), ("DISCORD_API_BASE", &base)],
    );
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Cannot reach Discord at"), "{err}");
    assert!(err.contains(&base), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn check_config_redacts_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(
        dir.path(),
        &["check-config"],
        &[
            ("DISCORD_TOKEN", "super-secret-token"),
            ("BACKBONE_TICK_SECONDS", "3"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("super-secret-token"), "{out}");
    assert!(out.contains("<redacted>"), "{out}");
    assert!(out.contains("tick_seconds = 3"), "{out}");
}

#[test]
fn check_config_rejects_a_bad_setting() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(
        dir.path(),
        &["check-config"],
        &[("BACKBONE_TICK_SECONDS", "soon")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("BACKBONE_TICK_SECONDS"), "{}", stderr(&o));
    let o = backbone(dir.path(), &["check-config"], &[("BACKBONE_TICK_SECONDS", "0")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tick_seconds must be at least 1"),
        "{}",
        stderr(&o)
    );
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/local.toml"), "tick_secnds = 5\n").unwrap();
    let o = backbone(dir.path(), &["check-config"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown setting `tick_secnds`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn migrate_then_backup_writes_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(dir.path(), &["migrate"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("backbone.db").exists());
    let o = backbone(dir.path(), &["backup", "--out", "copy.db"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("copy.db").metadata().unwrap().len() > 0);
    // A second backup to the same file refuses rather than overwriting.
    let o = backbone(dir.path(), &["backup", "--out", "copy.db"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
}

#[test]
fn digest_preview_of_an_unknown_coalition_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(
        dir.path(),
        &["digest", "--preview", "--coalition", "Nope", "--guild", "1"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("Nope"), "{}", stderr(&o));
}

#[test]
fn dot_env_in_the_working_directory_wins_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "BACKBONE_TICK_SECONDS=7\n").unwrap();
    let o = backbone(dir.path(), &["check-config"], &[("BACKBONE_TICK_SECONDS", "3")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("tick_seconds = 7"), "{}", stdout(&o));
}

/// A database with one coalition, a win and a task, made through the actions as the bot would.
fn seeded_db(dir: &std::path::Path) {
    use backbone::actions::{self, Actor};
    use backbone::domain::{ChannelId, GuildId, UserId};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = backbone::store::Store::open_file(&dir.join("backbone.db"))
            .await
            .unwrap();
        let admin = Actor {
            user: UserId(1),
            guild: GuildId(42),
            manage_server: true,
            name: "Ada".into(),
            channel: Some(ChannelId(7)),
        };
        // The CLI reads the real clock, so the data is dated "now" too.
        let now = chrono::Utc::now();
        let create = actions::coalitions::CreateCoalition {
            name: "River Alliance".into(),
            ..Default::default()
        };
        actions::coalitions::create(&store, &admin, now, create)
            .await
            .unwrap();
        let win = actions::wins::LogWin {
            text: "Permit approved".into(),
            ..Default::default()
        };
        actions::wins::log(&store, &admin, now, win).await.unwrap();
        let task = actions::tasks::AssignTask {
            title: "Book the hall".into(),
            assignee: UserId(1),
            assignee_name: "Ada".into(),
            due: Some("in 3 days".into()),
            coalition: None,
            goal: None,
        };
        actions::tasks::assign(&store, &admin, now, task).await.unwrap();
        store.close().await;
    });
}

#[test]
fn digest_preview_and_export_work_on_a_real_database() {
    let dir = tempfile::tempdir().unwrap();
    seeded_db(dir.path());
    let o = backbone(
        dir.path(),
        &[
            "digest",
            "--preview",
            "--coalition",
            "river alliance",
            "--guild",
            "42",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("River Alliance"), "{out}");
    assert!(
        out.contains("Wins: 1") && out.contains("Permit approved"),
        "{out}"
    );
    assert!(
        out.contains("Book the hall"),
        "the task due in 3 days is listed: {out}"
    );

    // The same coalition from another guild is not found.
    let o = backbone(
        dir.path(),
        &[
            "digest",
            "--preview",
            "--coalition",
            "River Alliance",
            "--guild",
            "43",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));

    let o = backbone(
        dir.path(),
        &[
            "export",
            "--coalition",
            "River Alliance",
            "--guild",
            "42",
            "--out",
            "x.json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("x.json")).unwrap()).unwrap();
    assert_eq!(json["wins"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["tasks"].as_array().map(Vec::len), Some(1), "{json}");

    let o = backbone(
        dir.path(),
        &[
            "export",
            "--coalition",
            "River Alliance",
            "--guild",
            "42",
            "--format",
            "csv",
            "--out",
            "x.zip",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let zip = std::fs::read(dir.path().join("x.zip")).unwrap();
    assert_eq!(&zip[..2], b"PK", "a zip file");
}

#[test]
fn exports_reports_charts_and_backups_are_written_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    seeded_db(dir.path());
    let coalition = ["--coalition", "River Alliance", "--guild", "42"];
    // An export over an existing file anyone could read: replaced by a private one.
    std::fs::write(dir.path().join("x.json"), b"old").unwrap();
    std::fs::set_permissions(dir.path().join("x.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let runs: [Vec<&str>; 4] = [
        [&["export"][..], &coalition, &["--out", "x.json"]].concat(),
        [&["report"][..], &coalition, &["--out", "r.html"]].concat(),
        [&["digest", "--preview"][..], &coalition, &["--chart", "c.png"]].concat(),
        vec!["backup", "--out", "b.db"],
    ];
    for args in &runs {
        let o = backbone(dir.path(), args, &[]);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    for name in ["x.json", "r.html", "c.png", "b.db"] {
        let meta = std::fs::metadata(dir.path().join(name)).unwrap();
        assert!(meta.len() > 3, "{name} is written");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    // Nothing temporary is left behind.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn report_covers_a_period_or_a_range_of_days() {
    let dir = tempfile::tempdir().unwrap();
    seeded_db(dir.path());
    let base = ["report", "--coalition", "River Alliance", "--guild", "42"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        backbone(dir.path(), &args, &[])
    };
    // This quarter to date by default, with the win logged today.
    let o = run(&["--out", "q.html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(dir.path().join("q.html")).unwrap();
    assert!(html.contains("Permit approved") && html.contains(", to date)"));
    // A range that ends before today holds none of today's data.
    let o = run(&["--from", "2020-01-01", "--to", "2020-03-31", "--out", "r.html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        html.contains("<p class=\"period\">1 Jan – 31 Mar 2020</p>"),
        "{html}"
    );
    assert!(!html.contains("Permit approved"));
    // A past quarter gets a name of its own.
    let o = run(&["--period", "2020-Q1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let name = stdout(&o);
    assert!(name.contains("river-alliance-report-2020-q1-"), "{name}");
    // Bad input: a clear message, exit 2, no file.
    for (extra, says) in [
        (&["--period", "quarter", "--from", "2020-01-01"][..], "not both"),
        (&["--period", "2999"][..], "hasn't started yet"),
        (&["--to", "2020-01-01"][..], "Give `from` as well as `to`"),
        (&["--from", "01/02/2020"][..], "Couldn't read `01/02/2020`"),
    ] {
        let o = run(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{extra:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn serve_needs_the_public_key_and_a_free_address() {
    let dir = tempfile::tempdir().unwrap();
    let o = backbone(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[("DISCORD_TOKEN", "abc.def.ghi")],
    );
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("DISCORD_PUBLIC_KEY is not set"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let o = backbone(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[("DISCORD_TOKEN", "abc.def.ghi"), ("DISCORD_PUBLIC_KEY", "1234")],
    );
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("not 64 hex digits"), "{}", stderr(&o));

    // A taken address.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = backbone(
        dir.path(),
        &["serve", "--listen", &addr],
        &[("DISCORD_TOKEN", "abc.def.ghi")],
    );
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("cannot listen on"), "{}", stderr(&o));

    // Not an address at all: clap says so.
    let o = backbone(dir.path(), &["serve", "--listen", "port 80"], &[]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("--listen"), "{}", stderr(&o));
}
