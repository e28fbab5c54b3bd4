//! Benchmarks (not timed tests): an idle scheduler tick over 10,000 coalitions and 100,000 open
//! tasks, and building + rendering one digest for a coalition with 1,000 members, 50,000 tasks
//! and 20,000 wins (chart included), plus that coalition's chart alone and its impact report.
//! Targets: tick < 10 ms when nothing is due, digest < 50 ms; the PNG and HTML sizes are printed.
//!
//! Run with `cargo bench --bench scheduler`.

use std::time::{Duration, Instant};

use backbone::domain::message::Message;
use backbone::domain::{ChannelId, MessageId, UserId};
use backbone::render::digest as render_digest;
use backbone::scheduler::{self, Notifier, SchedulerSettings, SendError};
use backbone::store::Store;
use chrono::{TimeZone, Utc};

/// Accepts every message (the benchmarks measure Backbone, not Discord).
struct NullNotifier;

impl Notifier for NullNotifier {
    async fn send_channel(&self, _: ChannelId, _: &Message, _: &str) -> Result<MessageId, SendError> {
        Ok(MessageId(1))
    }

    async fn send_dm(&self, _: UserId, _: &Message, _: &str) -> Result<MessageId, SendError> {
        Ok(MessageId(1))
    }

    async fn edit_message(&self, _: ChannelId, _: MessageId, _: &Message) -> Result<(), SendError> {
        Ok(())
    }

    async fn create_thread(&self, _: ChannelId, message: MessageId, _: &str) -> Result<ChannelId, SendError> {
        Ok(ChannelId(message.0))
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let min = samples[0];
    let median = samples[samples.len() / 2];
    println!(
        "{name:<48} n={:<4} min {:>9.3} ms   median {:>9.3} ms",
        samples.len(),
        ms(min),
        ms(median)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn exec(store: &Store, sql: &'static str, binds: &[i64]) {
    let mut q = backbone::store::sql::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(store.pool()).await.expect(sql);
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_file(&dir.path().join("bench.db"))
        .await
        .expect("open");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let n = now.timestamp();
    let future = n + 3 * 86_400;

    let setup = Instant::now();
    // 10,000 coalitions in 100 guilds, all with their next check-in and digest in the future.
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 10000)
         INSERT INTO coalitions (guild_id, name, home_channel_id, timezone, checkin_schedule, digest_schedule,
                                 next_checkin_at, next_digest_at, created_by, created_at)
         SELECT 1000 + i % 100, 'coalition ' || i, 5000 + i, 'Europe/Berlin', 'fridays 10:00', 'mondays 9:00',
                ?1 + i, ?1 + 2 * i, 1, ?2 FROM seq",
        &[future, n],
    )
    .await;
    // 100,000 open tasks with due dates and next pings in the future.
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 100000)
         INSERT INTO tasks (coalition_id, number, title, assignee_id, due_at, next_ping_at, created_by, created_at, updated_at)
         SELECT 1 + i % 10000, i, 'task ' || i, 10 + i % 7, ?1 + 86400 * 4 + i, ?1 + i, 1, ?2, ?2 FROM seq",
        &[future, n],
    )
    .await;
    exec(&store, "ANALYZE", &[]).await;
    println!(
        "setup: 10,000 coalitions and 100,000 tasks in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let settings = SchedulerSettings::default();
    let mut samples = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let r = scheduler::tick(&store, &settings, now).await.expect("tick");
        samples.push(t.elapsed());
        assert_eq!(r, scheduler::TickReport::default());
    }
    report("tick, nothing due (target < 10 ms)", samples);

    let notifier = NullNotifier;
    let mut samples = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let r = scheduler::deliver(&store, &notifier, &settings, now)
            .await
            .expect("deliver");
        samples.push(t.elapsed());
        assert_eq!(r.claimed, 0);
    }
    report("deliver, nothing due", samples);

    // One big coalition: 1,000 members, 50,000 tasks, 20,000 wins, 30 goals, a check-in round.
    let setup = Instant::now();
    let big: i64 = 1;
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 1000)
         INSERT INTO members (coalition_id, user_id, role, display_name, joined_at)
         SELECT ?1, 100000 + i, CASE WHEN i <= 5 THEN 'lead' ELSE 'member' END, 'member ' || i, ?2 FROM seq",
        &[big, n],
    )
    .await;
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 50000)
         INSERT INTO tasks (coalition_id, number, title, assignee_id, due_at, status, blocked_reason,
                            created_by, created_at, updated_at, completed_at)
         SELECT ?1, 1000000 + i, 'big task ' || i || ' with a reasonably long title to render', 100000 + i % 1000,
                ?2 + (i % 60 - 30) * 86400,
                CASE i % 5 WHEN 0 THEN 'done' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'blocked' ELSE 'open' END,
                CASE i % 5 WHEN 2 THEN 'waiting on partner ' || i ELSE NULL END,
                100001, ?2 - 90 * 86400, ?2, CASE i % 5 WHEN 0 THEN ?2 - (i % 30) * 86400 ELSE NULL END
         FROM seq",
        &[big, n],
    )
    .await;
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20000)
         INSERT INTO wins (coalition_id, user_id, text, created_at)
         SELECT ?1, 100000 + i % 1000, 'win number ' || i || ': another small step forward', ?2 - (i % 60) * 86400 FROM seq",
        &[big, n],
    )
    .await;
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 30)
         INSERT INTO goals (coalition_id, number, title, unit, target, current, created_by, created_at)
         SELECT ?1, i, 'goal ' || i, 'people', 100, i * 3, 100001, ?2 FROM seq",
        &[big, n],
    )
    .await;
    // Each goal's history, as the actions write it.
    exec(
        &store,
        "INSERT INTO goal_values (goal_id, coalition_id, value, at, cause)
         SELECT id, coalition_id, current, created_at, 'created' FROM goals WHERE coalition_id = ?1",
        &[big],
    )
    .await;
    exec(
        &store,
        "INSERT INTO checkin_rounds (coalition_id, opens_at, created_at) VALUES (?1, ?2 - 86400, ?2)",
        &[big, n],
    )
    .await;
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 600)
         INSERT INTO checkins (round_id, coalition_id, user_id, done, next, blockers, submitted_at, updated_at)
         SELECT (SELECT MAX(id) FROM checkin_rounds), ?1, 100000 + i, 'done', 'next',
                CASE WHEN i % 10 = 0 THEN 'blocked by ' || i ELSE '' END, ?2, ?2 FROM seq",
        &[big, n],
    )
    .await;
    // 20 partner organizations, every member in one.
    exec(
        &store,
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20)
         INSERT INTO orgs (coalition_id, name, created_at) SELECT ?1, 'partner organization ' || i, ?2 FROM seq",
        &[big, n],
    )
    .await;
    exec(
        &store,
        "UPDATE members SET org_id = (SELECT MIN(id) FROM orgs WHERE coalition_id = ?1) + user_id % 20
         WHERE coalition_id = ?1",
        &[big],
    )
    .await;
    exec(&store, "ANALYZE", &[]).await;
    println!("setup: big coalition in {:.1} s", setup.elapsed().as_secs_f64());

    let coalition = backbone::store::coalitions::get_any(&store, backbone::domain::CoalitionId(big))
        .await
        .expect("load")
        .expect("coalition");
    if std::env::var_os("BENCH_SQL").is_some() {
        // Each statement of one digest build with its time (sqlx's debug log), to find slow ones.
        // Global: sqlx-sqlite logs from its worker thread.
        tracing_subscriber::fmt()
            .with_env_filter("sqlx::query=debug")
            .with_ansi(false)
            .init();
        let _ = backbone::actions::digest::build(&store, &coalition, now).await;
    }
    let mut samples = Vec::new();
    let mut render_samples = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let digest = backbone::actions::digest::build(&store, &coalition, now)
            .await
            .expect("digest");
        let msg = render_digest::digest(&digest);
        samples.push(t.elapsed());
        assert!(msg.limit_violations().is_empty());
        let t = Instant::now();
        let _ = render_digest::digest(&digest);
        render_samples.push(t.elapsed());
    }
    report("digest build + render + chart, big coalition (< 50 ms)", samples);
    report("digest render only (chart included)", render_samples);

    // The chart's share: drawing the SVG, rasterising it and encoding the PNG.
    let digest = backbone::actions::digest::build(&store, &coalition, now)
        .await
        .expect("digest");
    let mut chart_samples = Vec::new();
    let mut png_bytes = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let png = backbone::render::chart::digest_png(&digest).expect("chart");
        chart_samples.push(t.elapsed());
        png_bytes = png.bytes.len();
    }
    report("digest chart only (SVG + raster + PNG)", chart_samples);
    println!("digest chart PNG: {png_bytes} bytes");

    // The impact report for the same coalition, a year to date.
    let mut report_samples = Vec::new();
    let mut html_bytes = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let r = backbone::actions::report::build(
            &store,
            &coalition,
            now,
            backbone::domain::report::ReportPeriod::Year.to_date(now, coalition.tz()),
        )
        .await
        .expect("report");
        let html = backbone::render::report::html(&r).expect("html");
        report_samples.push(t.elapsed());
        html_bytes = html.len();
    }
    report("impact report (year), big coalition", report_samples);
    println!("impact report HTML: {html_bytes} bytes (limit 10 MiB)");

    // Each of the period engine's per-organization counts over that year (target < 10 ms each).
    use backbone::store::period;
    let id = coalition.id;
    let year = backbone::domain::report::ReportPeriod::Year.to_date(now, coalition.tz());
    let (after, end) = year.window();
    let window = period::Window::new(after, end);
    let mut by_org: [(&str, Vec<Duration>); 4] = [
        ("  members by org (< 10 ms)", Vec::new()),
        ("  wins by org (< 10 ms)", Vec::new()),
        ("  tasks completed by org (< 10 ms)", Vec::new()),
        ("  tasks overdue by org (< 10 ms)", Vec::new()),
    ];
    for _ in 0..20 {
        for (i, (_, samples)) in by_org.iter_mut().enumerate() {
            let t = Instant::now();
            let counts = match i {
                0 => period::members_by_org(&store, id, end).await,
                1 => period::wins_by_org(&store, id, window).await,
                2 => period::completed_by_org(&store, id, window).await,
                _ => period::overdue_by_org(&store, id, end).await,
            }
            .expect("by org");
            samples.push(t.elapsed());
            assert!(
                counts.values().sum::<i64>() > 0,
                "the big coalition has some of each"
            );
        }
    }
    for (name, samples) in by_org {
        report(name, samples);
    }
}
