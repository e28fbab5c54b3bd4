//! Benchmark (not a timed test): how long Backbone's commands take to answer through the fake
//! Discord, against a bare bot — the smallest poise + serenity bot, one `/ping` answering "pong"
//! (`benches/common/bare_bot.rs`), built from the same crates and driven the same way. Each sample
//! is the time from the fake dispatching INTERACTION_CREATE to it receiving the bot's initial
//! response (the interaction callback), on the fake's clock. Commands are sampled in turn, so
//! drift hits every command alike.
//!
//! Targets: reads (`/coalition info`, `/task list` with 300 open tasks) within 1.5× and writes
//! (`/task assign`, `/win log`) within 2× the bare bot's p50. `/help` is shown for comparison.
//!
//! `BENCH_PHASES=1` adds a breakdown: another round of samples with the phase spans of
//! `backbone::telemetry::phase` timed (`benches/common/phases.rs`), as the mean ms per command in
//! the scope lookup, SQL, rendering, the answer's HTTP request, and the rest.
//!
//! `BENCH_HTTP=1` measures the same commands once more with interactions posted, signed, to
//! `backbone serve` instead of dispatched on the gateway.
//!
//! `BACKBONE_TEST_DATABASE=postgres` runs Backbone on a PostgreSQL database (a throwaway cluster
//! started for the run) instead of a SQLite file, to compare the two stores.
//!
//! Run with `cargo bench --bench commands`.

#![recursion_limit = "256"]
#[path = "common/bare_bot.rs"]
mod bare_bot;
#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;
#[path = "common/phases.rs"]
mod phases;

use std::time::{Duration, Instant};

use fake_discord::*;

/// Samples per command (`BENCH_ROUNDS` overrides it, e.g. for a quick check).
const ROUNDS: usize = 150;
/// Samples per command of the breakdown (`BENCH_ROUNDS` too).
const PHASE_ROUNDS: usize = 100;

/// `BENCH_ROUNDS`, or `default`.
fn rounds(default: usize) -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
        .max(1)
}
/// Open tasks when `/task list` runs.
const OPEN_TASKS: usize = 300;

/// A measured command.
struct Case<'a> {
    label: &'a str,
    /// Name of its `command` span (the breakdown's key).
    span: &'a str,
    /// The bare bot or Backbone.
    bot: &'a Bot,
    user: u64,
    command: &'a str,
    options: Vec<(&'a str, String)>,
    /// At most this many times the bare bot's p50.
    target: Option<f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// One run of a command as the fake saw it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// From the dispatch to the initial response's arrival.
    took: Duration,
    /// The interaction's id.
    id: u64,
    dispatched: Instant,
}

/// One run of `case`.
async fn sample(case: &Case<'_>) -> Sample {
    let options: Vec<(&str, &str)> = case.options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = case.bot;
    let token = bot.send_slash_in(GUILD, HOME, case.user, case.command, &options);
    let reply = bot.reply(&token).await;
    assert!(!reply.text().contains("⚠️"), "{}: {}", case.command, reply.text());
    let s = bot.fake.state();
    let rec = &s.interactions[&token];
    Sample {
        took: rec.callback.as_ref().expect("answered").after,
        id: rec.id,
        dispatched: rec.dispatched_at,
    }
}

/// One round: every case once, then what keeps the data as it was (the assigned task is cancelled,
/// so `/task list` keeps listing the same open tasks) and a pause for the scheduler to send the DMs
/// the writes queued.
async fn round(cases: &[Case<'_>], bot: &Bot, next_task: &mut u64) -> Vec<Sample> {
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        out.push(sample(case).await);
        if case.command == "task assign" {
            let n = format!("#{next_task}");
            *next_task += 1;
            let r = bot.slash(LEAD, "task cancel", &[("task", n.as_str())]).await;
            assert!(!r.text().contains("⚠️"), "cancel {n}: {}", r.text());
        }
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    out
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let phases = phases::Phases::default();
    // Logged as `backbone run` logs without RUST_LOG.
    let filter = format!(
        "{},{}",
        backbone::telemetry::DEFAULT_FILTER,
        backbone::telemetry::SERENITY_HTTP
    );
    fake_discord::init_logs(&filter, Box::new(phases.layer()));

    // The bare bot, on a fake Discord of its own.
    let bare = Bot::without_bot(start_time()).await;
    let bare_bot = bare_bot::BareBot::spawn(bare.fake.api_base(), TOKEN, GUILD);
    bare.registered(Duration::from_secs(30)).await;

    let bot = Bot::start().await;
    populate(&bot).await;
    let mut next_task = OPEN_TASKS as u64 + 1;
    let cases = cases_on(&bare, &bot);
    let samples = measure(&cases, &bot, &mut next_task, rounds(ROUNDS)).await;
    let base = ms(pct(&samples[0], 0.5));
    println!(
        "time to the initial response through the fake Discord, {} samples each \
         ({OPEN_TASKS} open tasks; ×bare = p50 / the bare bot's p50):",
        samples[0].len()
    );
    println!(
        "{:<24} {:>10} {:>10} {:>7}   target",
        "command", "p50 ms", "p99 ms", "×bare"
    );
    for (case, s) in cases.iter().zip(&samples) {
        let (p50, p99) = (ms(pct(s, 0.5)), ms(pct(s, 0.99)));
        let ratio = p50 / base;
        let target = match case.target {
            Some(t) if ratio <= t => format!("≤ {t:.1}×  met"),
            Some(t) => format!("≤ {t:.1}×  MISSED"),
            None => String::new(),
        };
        println!(
            "{:<24} {p50:>10.3} {p99:>10.3} {ratio:>6.2}×   {target}",
            case.label
        );
    }

    if std::env::var_os("BENCH_PHASES").is_some_and(|v| v != "0") {
        breakdown(&cases, &bot, &phases, &mut next_task).await;
    }

    // One Backbone at a time: the HTTP one below runs on a machine as quiet as this one was.
    bot.stop().await.expect("clean shutdown");

    if std::env::var_os("BENCH_HTTP").is_some_and(|v| v != "0") {
        // The same commands with interactions posted to `backbone serve` (signed, over HTTP)
        // instead of dispatched on the gateway: what the transport adds.
        let over_http = Bot::start_http().await;
        populate(&over_http).await;
        let mut next_http = OPEN_TASKS as u64 + 1;
        let http_cases = cases_on(&bare, &over_http);
        let http_samples = measure(&http_cases, &over_http, &mut next_http, rounds(ROUNDS)).await;
        println!("\nthe same over HTTP (`backbone serve`: signed POST /interactions, answer by callback):");
        println!(
            "{:<24} {:>10} {:>10} {:>12}",
            "command", "p50 ms", "p99 ms", "gateway p50"
        );
        for ((case, s), g) in http_cases.iter().zip(&http_samples).zip(&samples).skip(1) {
            println!(
                "{:<24} {:>10.3} {:>10.3} {:>12.3}",
                case.label,
                ms(pct(s, 0.5)),
                ms(pct(s, 0.99)),
                ms(pct(g, 0.5))
            );
        }
        over_http.stop().await.expect("clean shutdown");
    }
    bare_bot.stop().await;
}

/// Warm-up rounds, then `n` rounds of `cases`: each case's samples, sorted.
async fn measure(cases: &[Case<'_>], bot: &Bot, next_task: &mut u64, n: usize) -> Vec<Vec<Duration>> {
    for _ in 0..3 {
        round(cases, bot, next_task).await;
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(n); cases.len()];
    for _ in 0..n {
        for (i, d) in round(cases, bot, next_task).await.into_iter().enumerate() {
            samples[i].push(d.took);
        }
    }
    for s in &mut samples {
        s.sort();
    }
    samples
}

/// The measured commands: the bare bot's `/ping`, then Backbone's on `bot`.
fn cases_on<'a>(bare: &'a Bot, bot: &'a Bot) -> Vec<Case<'a>> {
    let no_options = Vec::new;
    vec![
        Case {
            label: "bare bot: /ping",
            span: "ping",
            bot: bare,
            user: MEMBER,
            command: "ping",
            options: no_options(),
            target: None,
        },
        Case {
            label: "/help",
            span: "help",
            bot,
            user: NOBODY,
            command: "help",
            options: no_options(),
            target: None,
        },
        Case {
            label: "read: /coalition info",
            span: "coalition info",
            bot,
            user: MEMBER,
            command: "coalition info",
            options: no_options(),
            target: Some(1.5),
        },
        Case {
            label: "read: /task list",
            span: "task list",
            bot,
            user: MEMBER,
            command: "task list",
            options: no_options(),
            target: Some(1.5),
        },
        Case {
            label: "write: /task assign",
            span: "task assign",
            bot,
            user: LEAD,
            command: "task assign",
            options: vec![
                ("title", "Call the council".to_string()),
                ("assignee", MEMBER.to_string()),
            ],
            target: Some(2.0),
        },
        Case {
            label: "write: /win log",
            span: "win log",
            bot,
            user: MEMBER,
            command: "win log",
            options: vec![("text", "The council said yes".to_string())],
            target: Some(2.0),
        },
    ]
}

/// The coalition the commands run in: three people, a goal and `OPEN_TASKS` open tasks.
async fn populate(bot: &Bot) {
    bot.slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    bot.slash(ADMIN, "org add", &[("name", "Green Org")]).await;
    let (lead, member, member2) = (LEAD.to_string(), MEMBER.to_string(), MEMBER2.to_string());
    bot.slash(ADMIN, "member add", &[("user", &lead), ("role", "lead")])
        .await;
    bot.slash(LEAD, "member add", &[("user", &member), ("org", "Green Org")])
        .await;
    bot.slash(LEAD, "member add", &[("user", &member2)]).await;
    bot.slash(
        LEAD,
        "goal add",
        &[("title", "Sign 500 petitions"), ("target", "500")],
    )
    .await;
    // The open tasks `/task list` pages through: three people's, most with a due date in the
    // coming weeks (a DM goes to each assignee other than the lead).
    for i in 0..OPEN_TASKS {
        let assignee = [&lead, &member, &member2][i % 3];
        let title = format!("Task {i}: call the council about the river");
        let due = format!("in {} days", 1 + i % 40);
        let mut options = vec![("title", title.as_str()), ("assignee", assignee.as_str())];
        if i % 5 != 0 {
            options.push(("due", due.as_str()));
        }
        let r = bot.slash(LEAD, "task assign", &options).await;
        assert!(!r.text().contains("⚠️"), "{}", r.text());
    }
    bot.fake
        .settle(Duration::from_millis(500), Duration::from_secs(60))
        .await;
}

/// Another `PHASE_ROUNDS` rounds with the phase spans timed: the mean per command of each part of
/// the time to answer.
async fn breakdown(cases: &[Case<'_>], bot: &Bot, phases: &phases::Phases, next_task: &mut u64) {
    let rounds_n = rounds(PHASE_ROUNDS);
    // Warm-up of the timed spans.
    phases.start();
    round(cases, bot, next_task).await;
    phases.start();
    let mut runs: Vec<Vec<Sample>> = vec![Vec::with_capacity(rounds_n); cases.len()];
    for _ in 0..rounds_n {
        for (i, d) in round(cases, bot, next_task).await.into_iter().enumerate() {
            runs[i].push(d);
        }
    }
    // Let the last commands finish their work after the answer.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let records = phases.stop();
    println!();
    println!(
        "where the time goes: mean ms per command over {rounds_n} more samples with the phase spans \
         timed. to handler = from the dispatch to the command's span (gateway, serenity, poise); \
         http = from the answer's request to its arrival; rest = the handler's other work; after = \
         phases after the answer (not in total):"
    );
    println!(
        "{:<24} {:>7} {:>10} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "command", "total", "to handler", "scope", "sql", "render", "http", "rest", "after"
    );
    for (case, runs) in cases.iter().zip(&runs) {
        // total, to handler, scope, sql, render, http, after
        let mut sum = [0.0f64; 7];
        for run in runs {
            let r = records
                .get(&run.id)
                .unwrap_or_else(|| panic!("{}: no spans recorded for interaction {}", case.label, run.id));
            assert_eq!(
                r.name, case.span,
                "the spans of {} are named {}",
                case.label, r.name
            );
            let began = r.began.expect("the command span's start");
            let answer = r.answer_began.expect("the answer's http span");
            let arrived = run.dispatched + run.took;
            let phase = |p: &str| r.before.get(p).map_or(0.0, |d| ms(*d));
            let parts = [
                ms(run.took),
                ms(began.saturating_duration_since(run.dispatched)),
                phase("scope"),
                phase("sql"),
                phase("render"),
                ms(arrived.saturating_duration_since(answer)),
                ms(r.after),
            ];
            for (s, p) in sum.iter_mut().zip(parts) {
                *s += p;
            }
        }
        let n = runs.len() as f64;
        let [total, handler, scope, sql, render, http, after] = sum.map(|s| s / n);
        let rest = total - handler - scope - sql - render - http;
        println!(
            "{:<24} {total:>7.3} {handler:>10.3} {scope:>7.3} {sql:>7.3} {render:>7.3} {http:>7.3} {rest:>7.3} {after:>7.3}",
            case.label
        );
    }
}
