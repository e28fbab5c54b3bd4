//! The impact report's numbers against a quarter built by hand on a real database, its HTML, and
//! `/report`'s reply.

mod harness;

use backbone::actions::report::ReportInput;
use backbone::actions::{self, goals, orgs, report, wins};
use backbone::domain::report::{DeadlineOutcome, GoalStanding, PeriodInput, ReportPeriod};
use backbone::domain::*;
use backbone::render;
use chrono::{TimeZone, Utc};
use harness::*;

fn at(m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

const SCRIPT: &str = "<script>alert(1)</script>";

/// `/report period:<period>` in the coalition of this channel.
fn asked(period: &str) -> ReportInput {
    ReportInput {
        coalition: None,
        period: PeriodInput::period(period),
    }
}

/// Climate Coalition (Europe/Berlin) from 20 Sep to 23 Nov 2026: two partner orgs, a goal moved by
/// a win and by `/goal progress`, tasks, milestones and two check-in rounds. Returns the world at
/// 23 Nov 10:00 UTC.
async fn quarter() -> (World, Coalition) {
    let mut w = World::new().await;
    w.now = at(9, 20, 10);
    let c = w.climate().await;
    let lead = w.actor(LEAD);
    for name in ["Green Org", "Blue Org"] {
        orgs::add(
            &w.store,
            &lead,
            w.now,
            orgs::AddOrg {
                coalition: None,
                name: name.into(),
            },
        )
        .await
        .expect("org");
    }
    for (user, org) in [(MEMBER, "Green Org"), (MEMBER2, "Blue Org")] {
        actions::members::add(
            &w.store,
            &w.actor(ADMIN),
            w.now,
            actions::members::AddMember {
                coalition: None,
                user,
                user_name: format!("user{}", user.0),
                role: Some(Role::Member),
                org: Some(org.into()),
            },
        )
        .await
        .expect("member org");
    }
    goals::add(
        &w.store,
        &lead,
        w.now,
        goals::AddGoal {
            title: "Plant trees".into(),
            target: Some(100.0),
            unit: Some("trees".into()),
            due: Some("2026-12-31".into()),
            ..Default::default()
        },
    )
    .await
    .expect("goal");
    let win = |text: &str, amount: Option<f64>| wins::LogWin {
        text: text.into(),
        goal: amount.map(|_| "1".to_string()),
        amount,
        ..Default::default()
    };
    // Last quarter: counts toward the goal's starting value only.
    w.now = at(9, 25, 10);
    wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        win("September planting", Some(10.0)),
    )
    .await
    .unwrap();
    w.now = at(10, 10, 10);
    wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        win("Planted 20 oaks", Some(20.0)),
    )
    .await
    .unwrap();
    w.now = at(10, 20, 10);
    goals::progress(
        &w.store,
        &lead,
        w.now,
        goals::SetProgress {
            goal: "1".into(),
            value: 50.0,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    w.now = at(11, 5, 10);
    wins::log(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        win(&format!("{SCRIPT} newsletter"), None),
    )
    .await
    .unwrap();
    w.now = at(11, 20, 10);
    wins::log(&w.store, &lead, w.now, win("Council meeting", None))
        .await
        .unwrap();

    let ts = |t: chrono::DateTime<Utc>| t.timestamp();
    // Tasks: done in October (Green), done in November (Blue), overdue (Blue), not yet due, and
    // one done last quarter.
    for (title, who, status, due, done) in [
        (
            "Draft letter",
            MEMBER,
            "done",
            at(10, 15, 10),
            Some(at(10, 12, 10)),
        ),
        (SCRIPT, MEMBER2, "done", at(11, 30, 10), Some(at(11, 10, 10))),
        ("Overdue flyer", MEMBER2, "open", at(11, 1, 10), None),
        ("Future plan", MEMBER, "in_progress", at(12, 15, 10), None),
        ("Old task", MEMBER, "done", at(9, 26, 10), Some(at(9, 26, 10))),
    ] {
        w.raw_task(
            &c,
            RawTask {
                title,
                assignee: Some(who),
                status,
                due_at: Some(ts(due)),
                completed_at: done.map(ts),
                ..Default::default()
            },
        )
        .await;
    }
    // Milestones: met on time, met late, missed, due last quarter, due next month.
    for (title, due, met) in [
        ("Report to funder", at(10, 31, 10), Some(at(10, 30, 10))),
        ("Town hall", at(11, 15, 10), Some(at(11, 17, 10))),
        ("Budget", at(11, 20, 10), None),
        ("Kick-off", at(9, 28, 10), Some(at(9, 28, 10))),
        ("Year end", at(12, 10, 10), None),
    ] {
        let id = w
            .raw_deadline(&c, title, ts(due), if met.is_some() { "met" } else { "open" })
            .await;
        backbone::store::sql::query("UPDATE deadlines SET met_at = ? WHERE id = ?")
            .bind(met.map(ts))
            .bind(id)
            .execute(w.store.pool())
            .await
            .unwrap();
    }
    // Check-in rounds on Fridays 13 and 20 Nov: 2 of 4 answered, then 1 of 4.
    for (opens, users) in [
        (at(11, 13, 9), vec![MEMBER, MEMBER2]),
        (at(11, 20, 9), vec![MEMBER]),
    ] {
        let round: i64 = backbone::store::sql::query_scalar(
            "INSERT INTO checkin_rounds (coalition_id, opens_at, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(c.id)
        .bind(ts(opens))
        .bind(ts(opens))
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        for u in users {
            backbone::store::sql::query(
                "INSERT INTO checkins (round_id, coalition_id, user_id, done, submitted_at, updated_at)
                 VALUES (?, ?, ?, 'done', ?, ?)",
            )
            .bind(round)
            .bind(c.id)
            .bind(u)
            .bind(ts(opens))
            .bind(ts(opens))
            .execute(w.store.pool())
            .await
            .unwrap();
        }
    }
    w.now = at(11, 23, 10);
    (w, c)
}

#[tokio::test]
async fn quarter_report_matches_the_hand_counted_numbers() {
    let (w, _) = quarter().await;
    let r = report::report(&w.store, &w.actor(OUTSIDER), w.now, asked("quarter"))
        .await
        .expect("anyone may ask");
    // Q4 starts at midnight on 1 Oct in Berlin (22:00 UTC the day before) and runs to now.
    assert_eq!(r.bounds.name, "2026 Q4");
    assert_eq!(r.bounds.title, "2026 Q4 (1 Oct – 23 Nov 2026, to date)");
    assert_eq!(
        r.bounds.start,
        Utc.with_ymd_and_hms(2026, 9, 30, 22, 0, 0).unwrap().timestamp()
    );
    assert_eq!(r.bounds.end, w.now.timestamp());
    // The admin who created it is its first lead, then LEAD, MEMBER and MEMBER2.
    assert_eq!(r.members, 4);

    let orgs: Vec<(Option<&str>, i64, i64, i64, i64)> = r
        .orgs
        .iter()
        .map(|o| {
            (
                o.name.as_deref(),
                o.members,
                o.wins,
                o.tasks_completed,
                o.tasks_overdue,
            )
        })
        .collect();
    assert_eq!(
        orgs,
        [
            (Some("Blue Org"), 1, 1, 1, 1),
            (Some("Green Org"), 1, 1, 1, 0),
            (None, 2, 1, 0, 0),
        ]
    );
    assert_eq!((r.wins_total, r.tasks_completed, r.tasks_overdue), (3, 2, 1));
    assert_eq!(
        r.wins_by_month,
        [("Oct 2026".to_string(), 1), ("Nov 2026".to_string(), 2)]
    );

    assert_eq!(r.goals.len(), 1);
    let g = &r.goals[0];
    let values: Vec<(i64, f64)> = g.points.clone();
    assert_eq!(
        values,
        [
            (r.bounds.start, 10.0),
            (at(10, 10, 10).timestamp(), 30.0),
            (at(10, 20, 10).timestamp(), 50.0),
            (w.now.timestamp(), 50.0),
        ]
    );
    // 50 % done with 64 of 102 days gone (63 %): behind.
    assert_eq!(g.standing, GoalStanding::Behind);

    let deadlines: Vec<(&str, DeadlineOutcome)> = r
        .deadlines
        .iter()
        .map(|d| (d.title.as_str(), d.outcome))
        .collect();
    assert_eq!(
        deadlines,
        [
            ("Report to funder", DeadlineOutcome::Met),
            ("Town hall", DeadlineOutcome::MetLate),
            ("Budget", DeadlineOutcome::Missed),
        ]
    );

    let weeks: Vec<(i64, i64, i64, i64)> = r
        .checkins
        .iter()
        .map(|k| (k.week_start, k.rounds, k.answered, k.expected))
        .collect();
    // Weeks start on Monday at midnight in Berlin (23:00 UTC on Sunday).
    assert_eq!(
        weeks,
        [
            (
                Utc.with_ymd_and_hms(2026, 11, 8, 23, 0, 0).unwrap().timestamp(),
                1,
                2,
                4
            ),
            (
                Utc.with_ymd_and_hms(2026, 11, 15, 23, 0, 0).unwrap().timestamp(),
                1,
                1,
                4
            ),
        ]
    );

    let top: Vec<&str> = r.top_wins.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(
        top,
        [
            "Planted 20 oaks",
            "Council meeting",
            "<script>alert(1)</script> newsletter"
        ]
    );
    assert_eq!(r.top_wins[0].org.as_deref(), Some("Green Org"));
    let done: Vec<&str> = r.recent_tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(done, [SCRIPT, "Draft letter"]);
}

#[tokio::test]
async fn month_and_year_cover_their_own_periods() {
    let (w, _) = quarter().await;
    let month = report::report(&w.store, &w.actor(MEMBER), w.now, asked("month"))
        .await
        .unwrap();
    assert_eq!(month.bounds.name, "November 2026");
    assert_eq!((month.wins_total, month.tasks_completed), (2, 1));
    assert_eq!(month.wins_by_month, [("Nov 2026".to_string(), 2)]);
    let year = report::report(&w.store, &w.actor(MEMBER), w.now, asked("year"))
        .await
        .unwrap();
    assert_eq!(year.bounds.name, "2026");
    assert_eq!((year.wins_total, year.tasks_completed), (4, 3));
    assert_eq!(year.deadlines.len(), 4);
    assert_eq!(
        year.goals[0].points.first().map(|p| p.1),
        Some(0.0),
        "the goal started at 0"
    );
}

#[tokio::test]
async fn a_past_quarter_holds_its_wins_and_not_later_ones() {
    let (w, c) = quarter().await;
    for asked_for in ["2026-Q3", "last quarter", "q3 2026"] {
        let r = report::report(&w.store, &w.actor(MEMBER), w.now, asked(asked_for))
            .await
            .unwrap();
        assert_eq!(r.bounds.title, "2026 Q3 (1 Jul – 30 Sep 2026)", "{asked_for}");
        assert!(!r.bounds.to_date);
        // Q3 ends at midnight starting 1 Oct in Berlin, the second before Q4 starts.
        assert_eq!(
            r.bounds.end,
            Utc.with_ymd_and_hms(2026, 9, 30, 21, 59, 59).unwrap().timestamp()
        );
        let top: Vec<&str> = r.top_wins.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(top, ["September planting"], "only the quarter's win");
        assert_eq!(r.wins_total, 1);
        assert_eq!(
            r.wins_by_month,
            [
                ("Jul 2026".to_string(), 0),
                ("Aug 2026".to_string(), 0),
                ("Sep 2026".to_string(), 1)
            ]
        );
        let done: Vec<&str> = r.recent_tasks.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(done, ["Old task"]);
        let deadlines: Vec<&str> = r.deadlines.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(deadlines, ["Kick-off"]);
        assert!(r.checkins.is_empty());
        // The goal as it stood then: created on 20 Sep, 10 after the September win.
        let g = &r.goals[0];
        assert_eq!(
            g.points,
            [
                (at(9, 20, 10).timestamp(), 0.0),
                (at(9, 25, 10).timestamp(), 10.0),
                (r.bounds.end, 10.0)
            ]
        );
        assert_eq!(g.current, 10.0);
        assert_eq!(g.standing, GoalStanding::OnTrack);
        // The tasks were written on 20 Nov: none was overdue at the end of September.
        assert_eq!(r.tasks_overdue, 0);
    }
    let r = report::build(
        &w.store,
        &c,
        w.now,
        PeriodInput::period("2026-Q3").resolve(w.now, c.tz()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        report::filename(&r, w.now, c.tz()),
        "climate-coalition-report-2026-q3-2026-11-23.html"
    );
    let html = render::report::html(&r).unwrap();
    assert!(html.contains("<title>Climate Coalition — impact report, 2026 Q3 (1 Jul – 30 Sep 2026)</title>"));
    assert!(html.contains("<p class=\"period\">2026 Q3 (1 Jul – 30 Sep 2026)</p>"));
    assert!(
        html.contains("Generated Mon 23 Nov 2026 11:00"),
        "made now, not at the period's end"
    );
    assert!(html.contains("September planting"));
    assert!(!html.contains("Planted 20 oaks"), "October's win is not in Q3");
    assert!(html.contains("Overdue at the end"));
    let msg = render::report::attached(&r, "r.html", html);
    assert!(
        msg.content
            .contains("**Climate Coalition**, 2026 Q3 (1 Jul – 30 Sep 2026): 1 wins"),
        "{}",
        msg.content
    );
}

#[tokio::test]
async fn a_range_of_days_covers_exactly_those_days() {
    let (w, c) = quarter().await;
    let range = PeriodInput::days("2026-10-10", "2026-10-20");
    let bounds = range.resolve(w.now, c.tz()).unwrap();
    // A win at the very first second of the range counts; one at the first second after doesn't.
    w.raw_win(&c, MEMBER, "first second", bounds.start).await;
    w.raw_win(&c, MEMBER, "just after", bounds.end + 1).await;
    w.raw_win(&c, MEMBER, "just before", bounds.start - 1).await;
    let input = ReportInput {
        coalition: None,
        period: range,
    };
    let r = report::report(&w.store, &w.actor(MEMBER), w.now, input)
        .await
        .unwrap();
    assert_eq!(r.bounds.title, "10–20 Oct 2026");
    let mut wins: Vec<&str> = r.top_wins.iter().map(|q| q.text.as_str()).collect();
    wins.sort();
    assert_eq!(wins, ["Planted 20 oaks", "first second"]);
    assert_eq!(r.wins_by_month, [("Oct 2026".to_string(), 2)]);
    let done: Vec<&str> = r.recent_tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(done, ["Draft letter"]);
    assert_eq!(
        r.goals[0].points,
        [
            (bounds.start, 10.0),
            (at(10, 10, 10).timestamp(), 30.0),
            (at(10, 20, 10).timestamp(), 50.0),
            (bounds.end, 50.0)
        ]
    );
    assert_eq!(
        report::filename(&r, w.now, c.tz()),
        "climate-coalition-report-2026-10-10-to-2026-10-20-2026-11-23.html"
    );
}

#[tokio::test]
async fn a_period_that_cannot_be_read_or_has_not_begun_is_refused() {
    let (w, _) = quarter().await;
    let member = w.actor(MEMBER);
    let fails = |input: ReportInput| report::report(&w.store, &member, w.now, input);
    user_err(fails(asked("2027-Q1")).await, "2027 Q1 hasn't started yet");
    user_err(fails(asked("December 2026")).await, "hasn't started yet");
    user_err(
        fails(asked("fortnight")).await,
        "Couldn't read `fortnight` as a period",
    );
    let both = ReportInput {
        coalition: None,
        period: PeriodInput {
            period: Some("quarter".into()),
            from: Some("2026-10-01".into()),
            to: None,
        },
    };
    user_err(fails(both).await, "not both");
    let backwards = ReportInput {
        coalition: None,
        period: PeriodInput::days("2026-10-20", "2026-10-10"),
    };
    user_err(fails(backwards).await, "is after `to`");
    let long = ReportInput {
        coalition: None,
        period: PeriodInput::days("2020-01-01", "2026-01-01"),
    };
    user_err(fails(long).await, "more than 5 years");
}

#[tokio::test]
async fn report_html_shows_user_text_as_text() {
    let (w, c) = quarter().await;
    let r = report::build(&w.store, &c, w.now, ReportPeriod::Quarter.to_date(w.now, c.tz()))
        .await
        .unwrap();
    let html = render::report::html(&r).unwrap();
    assert!(!html.contains("<script"), "user text must not become a script");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the task title is shown escaped"
    );
    // Self-contained: no outside resource of any kind.
    for needle in ["http://", "https://", "src=", "@import", "url("] {
        let outside = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(needle), "found {needle}");
    }
    // Every chart has a title and a data table.
    let charts = html.matches("<svg").count();
    assert_eq!(charts, 1 + 4, "one goal chart and four bar charts");
    assert_eq!(html.matches("<title id=").count(), charts);
    assert_eq!(html.matches("<details>").count(), charts);
    // The seventh and eighth: targets (no targets here, so no chart) and top wins.
    assert_eq!(html.matches("<section").count(), 8);
}

#[tokio::test]
async fn report_reply_attaches_one_html_file() {
    let (w, c) = quarter().await;
    let r = report::build(&w.store, &c, w.now, ReportPeriod::Quarter.to_date(w.now, c.tz()))
        .await
        .unwrap();
    let name = report::filename(&r, w.now, c.tz());
    assert_eq!(name, "climate-coalition-report-quarter-2026-11-23.html");
    let msg = render::report::attached(&r, &name, render::report::html(&r).unwrap());
    assert!(msg.limit_violations().is_empty(), "{:?}", msg.limit_violations());
    assert_eq!(msg.attachments.len(), 1);
    assert_eq!(msg.attachments[0].name, name);
    assert!(
        msg.content.contains("2026 Q4 (1 Oct – 23 Nov 2026, to date)"),
        "{}",
        msg.content
    );
}

#[tokio::test]
async fn another_guild_cannot_read_the_report() {
    let (w, _) = quarter().await;
    let r = report::report(&w.store, &w.foreign(LEAD), w.now, asked("quarter")).await;
    assert!(matches!(r, Err(backbone::Error::User(_))), "{r:?}");
}

/// The one browser test: headless Chromium (Debian's `chromium`) opens the report with the network
/// off, prints it to PDF and takes a screenshot. It must load with no console message and no
/// network request (the network log would show one), print one page per section, and draw
/// something. Skipped, loudly, only when Chromium is missing outside CI; in CI it must run.
#[tokio::test]
async fn report_opens_prints_and_screenshots_in_headless_chromium() {
    let Some(chromium) = browser::find() else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(
            !ci,
            "CI is set but Chromium is missing: .ci/run installs it with apt-get install chromium"
        );
        eprintln!(
            "\n\n!!!!! SKIPPED report_opens_prints_and_screenshots_in_headless_chromium: no `chromium` on PATH."
        );
        eprintln!(
            "!!!!! Install it (apt-get install chromium) to run the browser test; CI always runs it.\n\n"
        );
        return;
    };
    let (w, c) = quarter().await;
    let r = report::build(&w.store, &c, w.now, ReportPeriod::Quarter.to_date(w.now, c.tz()))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, render::report::html(&r).unwrap()).unwrap();

    // The detectors work here: a page that logs an error and fetches an image is caught.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>c</title><img src=\"http://example.invalid/x.png\"><script>console.error('boom')</script>",
    )
    .unwrap();
    let control_shot = format!("--screenshot={}", dir.path().join("control.png").display());
    let run = browser::open(&chromium, dir.path(), &control, &[control_shot.as_str()]);
    assert!(
        run.console.iter().any(|l| l.contains("boom")),
        "console not captured: {run:?}"
    );
    assert!(
        run.requests.iter().any(|u| u.contains("example.invalid")),
        "requests not captured: {run:?}"
    );

    let pdf = dir.path().join("report.pdf");
    let print = format!("--print-to-pdf={}", pdf.display());
    let run = browser::open(
        &chromium,
        dir.path(),
        &page,
        &[print.as_str(), "--no-pdf-header-footer"],
    );
    assert!(run.console.is_empty(), "console messages: {:#?}", run.console);
    assert!(run.requests.is_empty(), "network requests: {:#?}", run.requests);
    let pdf = std::fs::read(&pdf).expect("a PDF");
    let pages = browser::count(&pdf, b"/Type /Page") - browser::count(&pdf, b"/Type /Pages");
    assert_eq!(pages, 8, "one page per section");

    let shot = dir.path().join("report.png");
    let screenshot = format!("--screenshot={}", shot.display());
    let run = browser::open(
        &chromium,
        dir.path(),
        &page,
        &[
            screenshot.as_str(),
            "--window-size=1000,1400",
            "--hide-scrollbars",
        ],
    );
    assert!(run.console.is_empty() && run.requests.is_empty(), "{run:?}");
    let (w, h, pixels, bpp) = browser::decode(&std::fs::read(&shot).expect("a screenshot"));
    assert_eq!((w, h), (1000, 1400));
    let inked = pixels
        .chunks(bpp)
        .filter(|p| p[..3].iter().any(|v| *v < 200))
        .count();
    let colors: std::collections::HashSet<&[u8]> = pixels.chunks(bpp).collect();
    assert!(inked > (w * h) as usize / 50, "mostly blank: {inked} dark pixels");
    assert!(colors.len() > 16, "{} colours", colors.len());
}

mod browser {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::Value;

    /// What a page did while Chromium had it open.
    #[derive(Debug)]
    pub struct Run {
        /// Console messages (errors, CSP violations, logs).
        pub console: Vec<String>,
        /// Network requests the page made (URLs), all of which fail with the network off.
        pub requests: Vec<String>,
    }

    /// Chromium on PATH.
    pub fn find() -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
            .find(|p| p.is_file())
    }

    /// Opens `page` headless with the network off and a fresh profile; `extra` says what to make.
    pub fn open(chromium: &Path, dir: &Path, page: &Path, extra: &[&str]) -> Run {
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let profile = dir.join(format!("profile-{n}"));
        let netlog = dir.join(format!("netlog-{n}.json"));
        let mut cmd = Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            // The network is off: no name resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start chromium");
        let stderr = child.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
        let started = Instant::now();
        loop {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(40) {
                let _ = child.kill();
                panic!("chromium took more than 40 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = reader.join().unwrap_or_default();
        let console = log
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
            .map(str::to_string)
            .collect();
        let netlog: Value = std::fs::read_to_string(&netlog)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null);
        Run {
            console,
            requests: page_requests(&netlog),
        }
    }

    /// URLs the page (not the browser itself) asked the network for: requests whose network
    /// isolation key is the page's file:// origin.
    fn page_requests(netlog: &Value) -> Vec<String> {
        let Some(start) = netlog["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64() else {
            return Vec::new();
        };
        netlog["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["type"].as_u64() == Some(start))
            .filter(|e| {
                e["params"]["network_isolation_key"]
                    .as_str()
                    .is_some_and(|k| k.starts_with("file://"))
            })
            .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
            .collect()
    }

    /// Occurrences of `needle` in `hay`.
    pub fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// (width, height, pixels, bytes per pixel) of a PNG.
    pub fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf, info.color_type.samples())
    }
}

/// A coalition of 1,000 members in 40 partner organizations with 50,000 tasks, 20,000 wins, 60
/// goals, 200 milestones and a year of weekly check-ins still makes a file Discord accepts.
#[tokio::test]
async fn a_big_coalitions_year_fits_discords_upload_limit() {
    if sqlite_only("bulk rows made with SQLite's randomblob") {
        return;
    }
    let w = World::new().await;
    let c = w.climate().await;
    let n = w.now.timestamp();
    let year = 330 * 86_400;
    for sql in [
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 40)
         INSERT INTO orgs (coalition_id, name, created_at) SELECT ?1, 'Partner organization number ' || i, ?2 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 1000)
         INSERT INTO members (coalition_id, user_id, role, org_id, display_name, joined_at)
         SELECT ?1, 100000 + i, 'member', (SELECT MIN(id) FROM orgs WHERE coalition_id = ?1) + i % 40,
                'member ' || i, ?2 - ?3 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 50000)
         INSERT INTO tasks (coalition_id, number, title, assignee_id, due_at, status, created_by, created_at, updated_at, completed_at)
         SELECT ?1, 1000 + i, 'task ' || i || ' <b>with</b> a long & reasonably descriptive title', 100000 + i % 1000,
                ?2 - (i % 300) * 86400 + 86400 * 20, CASE i % 3 WHEN 0 THEN 'done' ELSE 'open' END,
                2, ?2 - ?3, ?2, CASE i % 3 WHEN 0 THEN ?2 - (i % 300) * 86400 ELSE NULL END FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20000)
         INSERT INTO wins (coalition_id, user_id, text, amount, created_at)
         SELECT ?1, 100000 + i % 1000, 'win ' || i || ': ' || hex(randomblob(200)), NULLIF(i % 7, 0), ?2 - (i % 300) * 86400 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 60)
         INSERT INTO goals (coalition_id, number, title, unit, target, current, due_at, created_by, created_at)
         SELECT ?1, i, 'goal ' || i || ' ' || hex(randomblob(60)), 'people', 1000, i * 10, ?2 + 86400 * 30, 2, ?2 - ?3 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 300)
         INSERT INTO deadlines (coalition_id, number, title, due_at, status, created_by, created_at)
         SELECT ?1, i, 'milestone ' || i || ' ' || hex(randomblob(60)), ?2 - i * 86400, 'open', 2, ?2 - ?3 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 47)
         INSERT INTO checkin_rounds (coalition_id, opens_at, created_at) SELECT ?1, ?2 - i * 7 * 86400, ?2 FROM seq",
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000)
         INSERT INTO goal_values (goal_id, coalition_id, value, at, cause)
         SELECT (SELECT MIN(id) FROM goals WHERE coalition_id = ?1) + i % 60, ?1, i % 50 + 1,
                ?2 - (i % 300) * 86400, 'progress' FROM seq",
    ] {
        backbone::store::sql::query(sql).bind(c.id).bind(n).bind(year).execute(w.store.pool()).await.expect(sql);
    }
    let r = report::build(&w.store, &c, w.now, ReportPeriod::Year.to_date(w.now, c.tz()))
        .await
        .unwrap();
    assert_eq!(r.members, 1004);
    assert_eq!(r.goals.len(), 60);
    let html = render::report::html(&r).unwrap();
    eprintln!(
        "report for 1,000 members and 50,000 tasks, a year: {} bytes",
        html.len()
    );
    assert!(
        html.len() < backbone::domain::message::limits::ATTACHMENT_BYTES,
        "{} bytes",
        html.len()
    );
}
