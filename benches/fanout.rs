//! Fan-out benchmark (not a timed test): the real bot (`discord::serve`) against the fake Discord
//! of the end-to-end tests, posting one digest to each of 1,000 home channels at the configured
//! 40 sends/s — once with no 429s, once with every 10th channel post answered 429 the way Discord
//! does (`retry_after: 1.0`, `Retry-After` and `X-RateLimit-*` headers). Meanwhile a command
//! arrives every 100 ms and its acknowledgement time is measured.
//!
//! Target: with 10 % of posts answered 429, ≥ 90 % of the configured send rate, and every digest
//! posted exactly once (checked; the run fails otherwise).
//!
//! Run with `cargo bench --bench fanout`.

#![recursion_limit = "256"]
#![allow(dead_code)]

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backbone::store::Store;
use fake_discord::*;

const CHANNELS: u64 = 1000;
const FIRST_CHANNEL: u64 = 1_300_000_000_000_010_000;
const CONFIGURED_RATE: f64 = 40.0;

struct Run {
    rate: f64,
    /// The rate while first attempts were still going out: without the tail in which only the
    /// last limited digests wait out their `retry_after`.
    steady: f64,
    limited: usize,
    wait_p50: Duration,
    wait_p99: Duration,
    ack_p50: Duration,
    ack_p99: Duration,
    acks: usize,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bench_channel(path: &str) -> Option<u64> {
    let id: u64 = path
        .strip_prefix("/channels/")?
        .strip_suffix("/messages")?
        .parse()
        .ok()?;
    (FIRST_CHANNEL..FIRST_CHANNEL + CHANNELS)
        .contains(&id)
        .then_some(id)
}

async fn run(every: Option<usize>) -> Run {
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(!r.ephemeral(), "{}", r.text());

    // The bot's clock follows real time from here on, so retry_after means real seconds.
    let clock = bot.clock.clone();
    let base = bot.now();
    let t0 = Instant::now();
    let driver = tokio::spawn(async move {
        loop {
            clock.set(base + chrono::Duration::from_std(t0.elapsed()).unwrap_or_default());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });

    bot.fake.add_channels((0..CHANNELS).map(|i| FIRST_CHANNEL + i));
    if let Some(every) = every {
        bot.fake.rate_limit_posts(every, 1.0, false);
    }
    // 400 coalitions, each with its own home channel, and a digest due now for each.
    let store = Store::open_file(&bot.db_path())
        .await
        .expect("open the bot's database");
    let now = bot.now().timestamp();
    let far = now + 30 * 86_400;
    backbone::store::sql::query(
        "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1 - 1)
         INSERT INTO coalitions (guild_id, name, home_channel_id, timezone, checkin_schedule, digest_schedule,
                                 next_checkin_at, next_digest_at, created_by, created_at)
         SELECT ?2, 'bench ' || i, ?3 + i, 'UTC', 'fridays 10:00', 'mondays 9:00', ?4, ?4, ?5, ?6 FROM seq",
    )
    .bind(CHANNELS as i64)
    .bind(GUILD as i64)
    .bind(FIRST_CHANNEL as i64)
    .bind(far)
    .bind(ADMIN as i64)
    .bind(now)
    .execute(store.pool())
    .await
    .expect("coalitions");
    backbone::store::sql::query(
        "INSERT INTO deliveries (coalition_id, kind, dedupe_key, target_kind, target_id, subject_id,
                                 payload, due_at, next_attempt_at, created_at)
         SELECT id, 'digest', 'bench:digest:' || id, 'channel', home_channel_id, NULL,
                json_object('from', ?1 - 7 * 86400, 'to', ?1, 'at', ?1), ?1, ?1, ?1
         FROM coalitions WHERE name LIKE 'bench %'",
    )
    .bind(now)
    .execute(store.pool())
    .await
    .expect("deliveries");

    // Commands during the fan-out: one every 100 ms until the last digest is out.
    let mut tokens = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let posted = bot
            .fake
            .state()
            .messages
            .values()
            .filter(|m| (FIRST_CHANNEL..FIRST_CHANNEL + CHANNELS).contains(&m.channel_id))
            .count();
        if posted as u64 >= CHANNELS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fan-out stalled at {posted}/{CHANNELS}"
        );
        if posted > 0 {
            tokens.push(bot.send_slash_in(GUILD, HOME, ADMIN, "task list", &[]));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut acks = Vec::new();
    for t in &tokens {
        bot.reply(t).await;
        let after = bot.fake.state().interactions[t]
            .callback
            .as_ref()
            .map(|c| c.after);
        acks.extend(after);
    }
    bot.fake
        .settle(Duration::from_millis(500), Duration::from_secs(10))
        .await;
    driver.abort();

    // Nothing lost, nothing doubled: one digest per channel, every delivery recorded as sent.
    let (posts, limited) = {
        let s = bot.fake.state();
        let mut per_channel: HashMap<u64, usize> = HashMap::new();
        for m in s.messages.values() {
            if (FIRST_CHANNEL..FIRST_CHANNEL + CHANNELS).contains(&m.channel_id) {
                *per_channel.entry(m.channel_id).or_default() += 1;
            }
        }
        assert_eq!(per_channel.len() as u64, CHANNELS, "a digest in every channel");
        assert!(per_channel.values().all(|n| *n == 1), "a channel got two digests");
        let posts: Vec<(u64, u16, Instant)> = s
            .requests
            .iter()
            .filter(|r| r.method == "POST")
            .filter_map(|r| bench_channel(&r.path).map(|c| (c, r.status, r.at)))
            .collect();
        (posts, s.rate_limited)
    };
    let sent: i64 =
        backbone::store::sql::query_scalar("SELECT COUNT(*) FROM deliveries WHERE kind = 'digest' AND status = 'sent' AND dedupe_key LIKE 'bench:%'")
            .fetch_one(store.pool())
            .await
            .expect("count");
    assert_eq!(sent as u64, CHANNELS, "every delivery recorded as sent once");

    let ok: Vec<Instant> = posts.iter().filter(|p| p.1 == 200).map(|p| p.2).collect();
    let first = *ok.iter().min().expect("posts");
    let last = *ok.iter().max().expect("posts");
    let rate = (ok.len() as f64 - 1.0) / last.duration_since(first).as_secs_f64();
    // The last first attempt (a channel's first POST), and the posts that succeeded by then.
    let mut seen = std::collections::HashSet::new();
    let last_first = posts
        .iter()
        .filter(|p| seen.insert(p.0))
        .map(|p| p.2)
        .max()
        .expect("posts");
    let by_then = ok.iter().filter(|at| **at <= last_first).count();
    let steady = (by_then as f64 - 1.0) / last_first.duration_since(first).as_secs_f64();
    // How long each limited digest waited between its 429 and its post.
    let mut waits: Vec<Duration> = posts
        .iter()
        .filter(|p| p.1 == 429)
        .filter_map(|(c, _, at)| {
            posts
                .iter()
                .find(|q| q.0 == *c && q.1 == 200 && q.2 > *at)
                .map(|q| q.2.duration_since(*at))
        })
        .collect();
    waits.sort();
    acks.sort();
    store.close().await;
    bot.stop().await.expect("clean shutdown");
    Run {
        rate,
        steady,
        limited,
        wait_p50: pct(&waits, 0.5),
        wait_p99: pct(&waits, 0.99),
        ack_p50: pct(&acks, 0.5),
        ack_p99: pct(&acks, 0.99),
        acks: acks.len(),
    }
}

fn report(name: &str, r: &Run) {
    println!(
        "{name:<28} {:>5.1} digests/s ({:>5.1} % of {CONFIGURED_RATE}/s; {:>5.1} % before the retry tail)  429s {:>3}  limited waited p50 {:>5} ms p99 {:>5} ms  \
         command ack p50 {:>4} ms p99 {:>4} ms (n={})",
        r.rate,
        100.0 * r.rate / CONFIGURED_RATE,
        100.0 * r.steady / CONFIGURED_RATE,
        r.limited,
        r.wait_p50.as_millis(),
        r.wait_p99.as_millis(),
        r.ack_p50.as_millis(),
        r.ack_p99.as_millis(),
        r.acks,
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let clean = run(None).await;
        report("fan-out, no 429s", &clean);
        let limited = run(Some(10)).await;
        report("fan-out, 10 % answered 429", &limited);
        let share = limited.rate / CONFIGURED_RATE;
        println!(
            "target ≥ 90 % of the configured rate with 10 % 429s: {}",
            if share >= 0.9 { "met" } else { "NOT met" }
        );
    });
}
