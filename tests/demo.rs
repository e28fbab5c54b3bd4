//! `backbone demo`: the whole product on a simulated clock, printed. Same seed, same output; and
//! every kind of scheduled message shows up in two weeks.

use backbone::demo::{self, DemoOptions, DemoSummary};

/// Runs that end `days` days after Monday 2 March 2026, 09:30 in New York: they start then.
fn ends(days: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 14, 30, 0).unwrap() + chrono::Duration::days(i64::from(days))
}

async fn run(seed: u64, days: u32) -> (String, DemoSummary) {
    let opts = DemoOptions {
        db: None,
        days,
        seed,
        ends: ends(days),
    };
    let mut out = Vec::new();
    let summary = demo::run(&opts, &mut out).await.expect("demo runs");
    (String::from_utf8(out).expect("utf-8"), summary)
}

#[tokio::test]
async fn the_same_seed_prints_the_same_two_weeks_and_another_seed_does_not() {
    let (a, _) = run(7, 14).await;
    let (b, _) = run(7, 14).await;
    assert!(a == b, "two runs with seed 7 differ");
    let (c, _) = run(8, 14).await;
    assert_ne!(a, c, "another seed should change who does what when");
}

#[tokio::test]
async fn two_weeks_show_every_kind_of_message() {
    for seed in [1, 2] {
        let (out, summary) = run(seed, 14).await;
        for kind in [
            "task_assigned",
            "checkin_prompt",
            "nudge",
            "task_ping",
            "deadline_ping",
            "blocker_alert",
            "win_celebration",
            "digest",
        ] {
            assert!(
                summary.sent.get(kind).copied().unwrap_or(0) > 0,
                "seed {seed}: no {kind} in {:?}",
                summary.sent
            );
            let label = format!("({})", kind.replace('_', " "));
            assert!(out.contains(&label), "seed {seed}: output never shows {label}");
        }
        assert_eq!(summary.sent["digest"], 2, "seed {seed}: a digest each Monday");
        assert_eq!(
            summary.sent["checkin_prompt"], 2,
            "seed {seed}: a check-in each Friday"
        );
        // Task cards with their buttons, check-in answers and a win, as people see them.
        assert!(out.contains("/task assign title:"), "seed {seed}: no task card");
        assert!(out.contains("[ Done ]"), "seed {seed}: no card buttons");
        assert!(
            out.contains("check-in form — done:"),
            "seed {seed}: no check-in answer"
        );
        assert!(out.contains("/win log text:"), "seed {seed}: no win logged");
        // The coalition works its targets: a stance moves, the digest says after whose outreach,
        // and the goal that counts council supporters moves with it.
        assert!(
            out.contains("/target log target:Cllr Reyes"),
            "seed {seed}: no outreach"
        );
        assert!(
            out.contains("Stance moved"),
            "seed {seed}: no stance change shown"
        );
        assert!(
            out.contains("Cllr Reyes: neutral → supportive, after Eastside Pantry's meeting"),
            "seed {seed}: the digest doesn't say who moved"
        );
        assert!(
            out.contains("Goals that count targets"),
            "seed {seed}: the goal didn't move"
        );
        assert!(
            out.contains("→ DM to @"),
            "seed {seed}: no DM shown with its recipient"
        );
        assert!(
            out.contains("→ channel #food-coalition"),
            "seed {seed}: no channel post"
        );
        // Names, not raw mention or time tags.
        assert!(!out.contains("<@"), "seed {seed}: a raw mention tag was printed");
        assert!(!out.contains("<t:"), "seed {seed}: a raw time tag was printed");
        assert!(
            summary.commands > 20,
            "seed {seed}: only {} commands",
            summary.commands
        );
    }
}

#[tokio::test]
async fn a_kept_database_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let opts = DemoOptions {
        db: Some(db.clone()),
        days: 2,
        seed: 1,
        ends: ends(2),
    };
    let mut out = Vec::new();
    demo::run(&opts, &mut out).await.expect("first run");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("The database is kept in"), "{text}");
    assert!(db.exists());
    let e = demo::run(&opts, &mut Vec::new()).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = demo::run(
        &DemoOptions {
            db: None,
            days: 0,
            seed: 1,
            ends: ends(0),
        },
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("1 to 90 days"), "{e}");
}

#[test]
fn the_binary_runs_the_demo_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backbone"))
        .args(["demo", "--days", "3", "--seed", "5"])
        .current_dir(dir.path())
        .env_remove("DISCORD_TOKEN")
        .output()
        .expect("run backbone demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Backbone demo: Riverside Food Coalition for 3 simulated days"),
        "{text}"
    );
    assert!(text.contains("/coalition create"), "{text}");
}

#[test]
fn the_demo_ends_this_week_and_starts_on_a_monday_morning() {
    use chrono::{Datelike, TimeZone, Timelike};
    let ny = chrono_tz::America::New_York;
    for now in [
        chrono::Utc.with_ymd_and_hms(2026, 12, 3, 11, 0, 0).unwrap(),
        chrono::Utc.with_ymd_and_hms(2026, 3, 9, 13, 0, 0).unwrap(),
        chrono::Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap(),
    ] {
        for days in [1, 14, 90] {
            let start = demo::start_for(now, days);
            let local = start.with_timezone(&ny);
            assert_eq!(
                (local.weekday(), local.hour(), local.minute()),
                (chrono::Weekday::Mon, 9, 30),
                "{now} {days}"
            );
            let end = start + chrono::Duration::days(i64::from(days));
            assert!(
                end <= now && now - end < chrono::Duration::days(7),
                "{now} {days}: {end}"
            );
        }
    }
}

#[test]
fn a_kept_demo_database_reports_the_weeks_it_just_played() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_backbone"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DISCORD_TOKEN")
            .env("BACKBONE_DATABASE_URL", "sqlite://demo.db")
            .output()
            .expect("run backbone")
    };
    let o = run(&["demo", "--days", "14", "--seed", "3", "--db", "demo.db"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Every win the simulated people logged, as the demo printed its command.
    let played = String::from_utf8_lossy(&o.stdout).into_owned();
    let logged: Vec<String> = played
        .lines()
        .filter_map(|l| l.split("/win log text:").nth(1))
        .map(|t| {
            t.split(" goal:")
                .next()
                .unwrap_or(t)
                .split("  (")
                .next()
                .unwrap_or(t)
                .to_string()
        })
        .collect();
    assert!(!logged.is_empty(), "{played}");
    // The digest preview covers the days since the last scheduled digest, up to now: the demo's
    // last days, not an empty period in March.
    let who = ["--coalition", "Riverside Food Coalition", "--guild", "7000"];
    let o = run(&[&["digest", "--preview"][..], &who].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let today = chrono::Utc::now().date_naive();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&today.format("%Y").to_string()), "{text}");
    // The report for the last 30 days holds the wins the demo logged.
    let from = (today - chrono::Duration::days(30)).to_string();
    let o = run(&[&["report"][..], &who, &["--from", &from, "--out", "r.html"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        logged.iter().any(|w| html.contains(w.as_str())),
        "none of {logged:?} in the report"
    );
}
