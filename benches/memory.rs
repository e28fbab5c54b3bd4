//! Benchmark (not a timed test): the memory of the real binary as it runs. `backbone run` (the
//! release build) starts against the fake Discord with only environment variables, as a user runs
//! it; its resident set (`VmRSS` in `/proc/<pid>/status`) is read once it is idle after start, then
//! after a burst of 200 commands (reads and writes, with their scheduled DMs and posts), and its
//! peak (`VmHWM`).
//!
//! Targets: idle under 25 MB; after the burst under 45 MB.
//!
//! Run with `cargo bench --bench memory`.

#![recursion_limit = "256"]
#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::process::{Command, Stdio};
use std::time::Duration;

use fake_discord::*;

/// Commands in the burst.
const BURST: usize = 200;

/// A field of `/proc/<pid>/status` in MB (`VmRSS`, `VmHWM`).
fn status_mb(pid: u32, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let kb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    kb / 1024.0
}

/// What the resident set is made of: the heap and other anonymous memory, and the pages of the
/// binary and libraries that have been read in.
fn split(pid: u32) -> String {
    format!(
        "anonymous {:.1} MB, files {:.1} MB",
        status_mb(pid, "RssAnon"),
        status_mb(pid, "RssFile")
    )
}

/// `BENCH_SMAPS=1`: the largest resident mappings at idle, from `/proc/<pid>/smaps`.
fn print_mappings(pid: u32) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("read smaps");
    let mut maps: Vec<(u64, String)> = Vec::new();
    let mut name = String::new();
    for line in text.lines() {
        if let Some(kb) = line.strip_prefix("Rss:") {
            let kb: u64 = kb.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            maps.push((kb, name.clone()));
        } else if line
            .split_whitespace()
            .next()
            .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
        {
            name = line
                .split_whitespace()
                .nth(5)
                .unwrap_or("[anonymous]")
                .to_string();
        }
    }
    maps.sort_by_key(|m| std::cmp::Reverse(m.0));
    println!("largest resident mappings at idle:");
    for (kb, name) in maps.iter().take(12) {
        println!("  {:>8.1} MB  {name}", *kb as f64 / 1024.0);
    }
}

fn verdict(mb: f64, target: f64) -> &'static str {
    if mb < target { "ok" } else { "MISSED" }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bot = Bot::without_bot(start_time()).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_backbone"))
        .arg("run")
        .current_dir(bot.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_GUILD_ID", GUILD.to_string())
        .env("DISCORD_API_BASE", bot.fake.api_base())
        .env("BACKBONE_DATABASE_URL", &bot.db_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn target/release/backbone");
    let pid = child.id();
    bot.registered(Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = status_mb(pid, "VmRSS");
    let idle_split = split(pid);
    if std::env::var("BENCH_SMAPS").is_ok() {
        print_mappings(pid);
    }

    // The burst: a coalition with members, then commands in turn as fast as they are answered.
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(!r.ephemeral(), "{}", r.text());
    for user in [LEAD, MEMBER, MEMBER2] {
        bot.slash(ADMIN, "member add", &[("user", &user.to_string())])
            .await;
    }
    let member = MEMBER.to_string();
    for i in 0..BURST {
        let title = format!("Burst task {i}");
        let text = format!("Burst win {i}");
        let r = match i % 4 {
            0 => bot.slash(MEMBER, "coalition info", &[]).await,
            1 => {
                bot.slash(
                    LEAD,
                    "task assign",
                    &[("title", &title), ("assignee", &member), ("due", "friday")],
                )
                .await
            }
            2 => bot.slash(MEMBER, "task list", &[]).await,
            _ => bot.slash(MEMBER, "win log", &[("text", &text)]).await,
        };
        assert!(!r.text().is_empty(), "command {i} answered");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = status_mb(pid, "VmRSS");
    let after_split = split(pid);
    let peak = status_mb(pid, "VmHWM");
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "memory of `backbone run` ({} build), resident set from /proc:",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "  idle after start            {idle:>7.1} MB   target < 25 MB  {}   ({idle_split})",
        verdict(idle, 25.0)
    );
    println!(
        "  after {BURST} commands          {after:>7.1} MB   target < 45 MB  {}   ({after_split})",
        verdict(after, 45.0)
    );
    println!("  peak (VmHWM)                {peak:>7.1} MB");
}
