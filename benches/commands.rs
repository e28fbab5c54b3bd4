//! Benchmark (not a timed test): how long commands take to answer through the fake Discord, against
//! `/help`, which answers without touching the database (the no-op baseline). Each sample is the
//! time from the interaction's dispatch to the bot's initial response, on the fake's clock.
//! Targets: reads (`/coalition info`, `/task list`) within 1.5× and writes (`/task assign`,
//! `/win log`) within 2× the baseline's p50.
//!
//! Run with `cargo bench --bench commands`.

#![recursion_limit = "256"]
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use support::*;

/// Samples per command (interleaved, so drift hits every command alike).
const ROUNDS: usize = 150;

/// A measured command: label, who runs it, the command, its options.
type Case<'a> = (&'a str, u64, &'a str, Vec<(&'a str, &'a str)>);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

async fn sample(bot: &Bot, user: u64, command: &str, options: &[(&str, &str)]) -> Duration {
    let token = bot.send_slash_in(GUILD, HOME, user, command, options);
    let reply = bot.reply(&token).await;
    assert!(!reply.text().contains("⚠️"), "{command}: {}", reply.text());
    let s = bot.fake.state();
    s.interactions[&token].callback.as_ref().expect("answered").after
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
    let bot = Bot::start().await;
    bot.slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    bot.slash(ADMIN, "org add", &[("name", "Green Org")]).await;
    let (lead, member) = (LEAD.to_string(), MEMBER.to_string());
    bot.slash(ADMIN, "member add", &[("user", &lead), ("role", "lead")])
        .await;
    bot.slash(LEAD, "member add", &[("user", &member), ("org", "Green Org")])
        .await;
    bot.slash(
        LEAD,
        "goal add",
        &[("title", "Sign 500 petitions"), ("target", "500")],
    )
    .await;

    let commands: [Case; 5] = [
        ("no-op (/help)", NOBODY, "help", vec![]),
        ("read: /coalition info", MEMBER, "coalition info", vec![]),
        ("read: /task list", MEMBER, "task list", vec![]),
        (
            "write: /task assign",
            LEAD,
            "task assign",
            vec![("title", "Call the council"), ("assignee", member.as_str())],
        ),
        (
            "write: /win log",
            MEMBER,
            "win log",
            vec![("text", "The council said yes")],
        ),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); commands.len()];
    // Warm-up: connections, statement caches.
    for (_, user, cmd, opts) in &commands {
        sample(&bot, *user, cmd, opts).await;
    }
    for _ in 0..ROUNDS {
        for (i, (_, user, cmd, opts)) in commands.iter().enumerate() {
            samples[i].push(sample(&bot, *user, cmd, opts).await);
        }
        // Let the scheduler send the DMs and celebrations queued by the writes.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for s in &mut samples {
        s.sort();
    }
    let base = ms(pct(&samples[0], 0.5));
    println!("time to the initial response through the fake Discord, {ROUNDS} samples each:");
    for (i, (name, ..)) in commands.iter().enumerate() {
        let p50 = ms(pct(&samples[i], 0.5));
        let p99 = ms(pct(&samples[i], 0.99));
        println!(
            "{name:<24} p50 {p50:>7.3} ms   p99 {p99:>7.3} ms   p50/no-op {:>5.2}×",
            p50 / base
        );
    }
    bot.stop().await.expect("clean shutdown");
}
