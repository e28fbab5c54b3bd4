//! End-to-end through the real binary, as a user runs it: `backbone run` in an empty directory with
//! only environment variables, against the fake Discord (see `fake_discord/`). It connects, registers
//! its commands, answers a slash command, and on SIGTERM finishes, logs that it stopped and exits
//! 0 with the data on disk. With a command in flight, SIGTERM waits for its answer. With
//! `metrics_addr` set, /healthz and /metrics answer real HTTP requests and the counters move. Its
//! whole log, at debug level, holds no token even when interaction answers meet 429s and timeouts.

#![recursion_limit = "256"]
mod fake_discord;

use std::process::Command;
use std::time::{Duration, Instant};

use backbone::domain::{ChannelId, GuildId};
use backbone::store::coalitions;

use fake_discord::*;

/// Generous: the binary starts cold on a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// `backbone run` with nothing but environment variables: connects, registers, logs READY, runs
/// `/coalition create`, and on SIGTERM logs "shutting down" then "stopped" and exits 0, the
/// coalition saved in its SQLite file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_a_command_and_stops_cleanly_on_sigterm() {
    let started = Instant::now();
    let bot = Bot::without_bot(start_time()).await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbone"));
    cmd.arg("run")
        .current_dir(bot.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_GUILD_ID", GUILD.to_string())
        .env("DISCORD_API_BASE", bot.fake.api_base())
        .env("BACKBONE_DATABASE_URL", &bot.db_url)
        .env("RUST_LOG", "info");
    let mut proc = Process::spawn(cmd);

    // Connected, identified, commands registered in the guild, and READY logged (poise is set up).
    bot.registered(START_TIMEOUT).await;
    let name = bot.fake.bot_name().to_string();
    proc.wait_log("READY", START_TIMEOUT, |l| {
        l.contains("READY") && l.contains(&name)
    })
    .await;
    let ready_after = started.elapsed();

    let r = bot.slash(ADMIN, "coalition create", &[("name", "Test")]).await;
    assert!(!r.ephemeral(), "expected a public reply:\n{}", r.text());
    assert!(r.text().contains("Test"), "{}", r.text());
    bot.fake.assert_no_violations();

    let pid = proc.child.id();
    let term = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -TERM {pid}: {kill}");
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    let exit_after = term.elapsed();
    let err = proc.stderr();
    assert_eq!(status.code(), Some(0), "exit status {status}; stderr:\n{err}");

    // The bot's own lines (`backbone::discord: …`), not serenity's or the scheduler's.
    let line = |what: &str, pred: &dyn Fn(&str) -> bool| {
        err.lines()
            .position(|l| l.contains("backbone::discord:") && pred(l))
            .unwrap_or_else(|| panic!("stderr lacks the {what} line:\n{err}"))
    };
    let ready = line("READY", &|l| l.contains("READY") && l.contains(&name));
    let shutting = line("shutting down", &|l| l.contains("shutting down"));
    let stopped = line("stopped", &|l| l.trim_end().ends_with(": stopped"));
    assert!(
        ready < shutting && shutting < stopped,
        "READY, then shutting down, then stopped:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.contains("gateway connection ended"),
        "the stop came from the signal:\n{err}"
    );

    // The coalition is on disk.
    let store = bot.store().await;
    let saved = coalitions::list_in_guild(&store, GuildId(GUILD as i64))
        .await
        .expect("list coalitions");
    store.close().await;
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(saved[0].name, "Test");
    assert_eq!(saved[0].home_channel_id, ChannelId(HOME as i64));

    eprintln!(
        "binary e2e: READY after {ready_after:?}, exit {exit_after:?} after SIGTERM, {:?} in all",
        started.elapsed()
    );
}

/// `backbone run` against `bot`'s fake Discord, with `extra` environment variables.
fn spawn_bot(bot: &Bot, extra: &[(&str, String)]) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbone"));
    cmd.arg("run")
        .current_dir(bot.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_GUILD_ID", GUILD.to_string())
        .env("DISCORD_API_BASE", bot.fake.api_base())
        .env("BACKBONE_DATABASE_URL", &bot.db_url)
        .env("BACKBONE_TICK_SECONDS", "1")
        .env("RUST_LOG", "info");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Process::spawn(cmd)
}

async fn wait_ready(bot: &Bot, proc: &mut Process) {
    bot.registered(START_TIMEOUT).await;
    let name = bot.fake.bot_name().to_string();
    proc.wait_log("READY", START_TIMEOUT, |l| {
        l.contains("READY") && l.contains(&name)
    })
    .await;
}

fn sigterm(proc: &Process) {
    let pid = proc.child.id();
    let kill = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -TERM {pid}: {kill}");
}

/// One real HTTP/1.1 GET; returns the status code and the body.
async fn http_get(addr: &str, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to metrics_addr");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// The value of the sample `line_start` (a metric name with its labels) in Prometheus text.
fn sample(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start) && l[line_start.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {line_start} in\n{text}"))
}

/// With `metrics_addr` set, `/healthz` says ok while connected and `/metrics` counts the commands
/// served, the deliveries sent and the scheduler's ticks; after SIGTERM the endpoint is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_health_and_metrics_that_move() {
    let bot = Bot::without_bot(start_time()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut proc = spawn_bot(&bot, &[("BACKBONE_METRICS_ADDR", addr.clone())]);
    wait_ready(&bot, &mut proc).await;

    let (status, body) = http_get(&addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (_, before) = http_get(&addr, "/metrics").await;
    assert!(!before.contains("command=\"coalition create\""), "{before}");

    let r = bot.slash(ADMIN, "coalition create", &[("name", "Metrics")]).await;
    assert!(r.text().contains("Metrics"), "{}", r.text());
    let r = bot.slash(MEMBER, "coalition join", &[]).await;
    assert!(!r.text().contains("⚠️"), "{}", r.text());
    let member = MEMBER.to_string();
    let r = bot
        .slash(
            ADMIN,
            "task assign",
            &[("title", "Count the counters"), ("assignee", &member)],
        )
        .await;
    assert!(r.text().contains("Count the counters"), "{}", r.text());
    let r = bot.slash(NOBODY, "task done", &[("task", "1")]).await;
    assert!(r.ephemeral(), "a refused command answers privately: {}", r.text());
    bot.fake
        .wait_for("the assignment DM", START_TIMEOUT, |s| {
            s.messages
                .values()
                .any(|m| m.dm_user == Some(MEMBER))
                .then_some(())
        })
        .await;

    // The sender records the result right after the send: give the scrape a moment to see it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let (status, text) = http_get(&addr, "/metrics").await;
        assert_eq!(status, 200);
        if text.contains("backbone_deliveries{kind=\"task_assigned\",status=\"sent\"} 1")
            || Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(
            &after,
            "backbone_commands_total{command=\"coalition create\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "backbone_commands_total{command=\"task assign\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "backbone_commands_total{command=\"task done\",outcome=\"user_error\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "backbone_command_duration_seconds_count{command=\"task assign\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "backbone_deliveries{kind=\"task_assigned\",status=\"sent\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&after, "backbone_sends_total{result=\"ok\",target=\"dm\"}"),
        1.0
    );
    assert_eq!(
        sample(&after, "backbone_delivery_outcomes_total{outcome=\"sent\"}"),
        1.0
    );
    assert!(
        sample(&after, "backbone_scheduler_tick_seconds_count") >= 1.0,
        "{after}"
    );
    // The scheduler's last finished round, on the real clock: a live scheduler keeps it recent.
    let round = sample(&after, "backbone_scheduler_last_round_timestamp_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        now - round < 120.0 && round <= now,
        "last round at {round}, now {now}"
    );
    assert_eq!(sample(&after, "backbone_gateway_reconnects_total"), 0.0);
    assert_eq!(sample(&after, "backbone_oldest_due_delivery_age_seconds"), 0.0);
    assert_eq!(
        sample(&after, "backbone_sends_rate_limited_total{source=\"scheduler\"}"),
        0.0
    );
    assert_eq!(
        sample(&after, "backbone_sends_rate_limited_total{source=\"serenity\"}"),
        0.0
    );
    let (status, _) = http_get(&addr, "/nothing").await;
    assert_eq!(status, 404);

    sigterm(&proc);
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proc.stderr());
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "the endpoint stops with the bot"
    );
}

/// A scheduled post answered 429 moves the 429 counter — met by the scheduler's own request, as
/// `DISCORD_API_BASE` turns serenity's ratelimiter off — and the retry counter, once per 429 the
/// fake answered; the post still goes out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_moves_the_rate_limit_and_retry_counters() {
    let bot = Bot::without_bot(start_time()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut proc = spawn_bot(&bot, &[("BACKBONE_METRICS_ADDR", addr.clone())]);
    wait_ready(&bot, &mut proc).await;
    let r = bot.slash(ADMIN, "coalition create", &[("name", "Limits")]).await;
    assert!(r.text().contains("Limits"), "{}", r.text());

    // Channel posts are answered 429 (retry_after 0.2 s) until the first one has been.
    bot.fake.rate_limit_posts(1, 0.2, false);
    let r = bot.slash(ADMIN, "win log", &[("text", "Counted grant")]).await;
    assert!(!r.ephemeral(), "{}", r.text());
    bot.fake
        .wait_for("a 429", START_TIMEOUT, |s| (s.rate_limited >= 1).then_some(()))
        .await;
    bot.fake.state().rate_limit = None;
    bot.wait_message("the celebration", START_TIMEOUT, |m| {
        m.channel_id == HOME && m.interaction_token.is_none() && m.text().contains("Counted grant")
    })
    .await;
    let limited = bot.fake.rate_limited() as f64;

    // Retries are counted when the sender's round ends: give the scrape a moment to see them.
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let (status, text) = http_get(&addr, "/metrics").await;
        assert_eq!(status, 200);
        if sample(&text, "backbone_send_retries_total") >= limited || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(&text, "backbone_sends_rate_limited_total{source=\"scheduler\"}"),
        limited,
        "{text}"
    );
    assert_eq!(
        sample(&text, "backbone_sends_rate_limited_total{source=\"serenity\"}"),
        0.0
    );
    assert_eq!(
        sample(
            &text,
            "backbone_sends_total{result=\"rate_limited\",target=\"channel\"}"
        ),
        limited
    );
    assert_eq!(sample(&text, "backbone_send_retries_total"), limited, "{text}");
    let celebrations = bot
        .fake
        .messages_in(HOME)
        .into_iter()
        .filter(|m| m.interaction_token.is_none() && m.text().contains("Counted grant"))
        .count();
    assert_eq!(celebrations, 1, "posted once");

    sigterm(&proc);
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proc.stderr());
}

/// SIGTERM while a command is in flight (its answer still on its way to Discord): the command is
/// answered, then the bot exits 0 — and a second bot on the same database is refused while the
/// first runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_waits_for_the_command_in_flight() {
    let bot = Bot::without_bot(start_time()).await;
    let mut proc = spawn_bot(&bot, &[]);
    wait_ready(&bot, &mut proc).await;

    // A second bot on the same SQLite file is turned away by the run lock (PostgreSQL takes
    // several copies: see tests/chaos.rs).
    if !on_postgres() {
        let mut second = spawn_bot(&bot, &[]);
        let status = second.wait_exit(START_TIMEOUT).await;
        assert_eq!(status.code(), Some(2), "stderr:\n{}", second.stderr());
        assert!(
            second.stderr().contains("Backbone is running on"),
            "{}",
            second.stderr()
        );
    }

    bot.fake.state().slow_callbacks = Some(Duration::from_millis(1500));
    let token = bot.send_slash_in(GUILD, HOME, ADMIN, "coalition create", &[("name", "In Flight")]);
    bot.fake
        .wait_for("the command's answer to be on its way", START_TIMEOUT, |s| {
            (s.callbacks_received >= 1).then_some(())
        })
        .await;
    let term = Instant::now();
    sigterm(&proc);
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    let err = proc.stderr();
    assert_eq!(status.code(), Some(0), "stderr:\n{err}");
    assert!(
        term.elapsed() >= Duration::from_millis(1000),
        "exited before the answer went out"
    );
    let r = bot.reply(&token).await;
    assert!(r.text().contains("In Flight"), "{}", r.text());
    bot.fake.assert_no_violations();
    let shutting = err.find("shutting down").expect("logged shutting down");
    let stopped = err.rfind(": stopped").expect("logged stopped");
    assert!(shutting < stopped, "{err}");
}

/// Waits until the fake has answered `n` interaction requests 429 in all, then until it is quiet.
async fn wait_interaction_429s(bot: &Bot, n: usize) {
    bot.fake
        .wait_for(&format!("{n} interaction 429s"), START_TIMEOUT, |s| {
            (s.interaction_rate_limited >= n).then_some(())
        })
        .await;
    bot.fake
        .settle(Duration::from_millis(500), Duration::from_secs(10))
        .await;
}

/// The bot's whole log, at debug level, through a run where Discord answers interaction
/// callbacks, follow-ups and edits of the original answer 429 and where callbacks time out (the
/// HTTP client's error then names the URL): no interaction token (which is also the follow-up
/// webhook's token) and not the bot token appears anywhere in it — the routes are logged with
/// `:token` in its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_reaches_the_log_through_429s_and_timeouts() {
    let bot = Bot::without_bot(start_time()).await;
    let mut proc = spawn_bot(
        &bot,
        &[
            ("RUST_LOG", "debug".into()),
            ("BACKBONE_SEND_TIMEOUT_SECONDS", "2".into()),
        ],
    );
    wait_ready(&bot, &mut proc).await;
    let r = bot.slash(ADMIN, "coalition create", &[("name", "Tokens")]).await;
    assert!(r.text().contains("Tokens"), "{}", r.text());
    let member = MEMBER.to_string();
    bot.slash(ADMIN, "member add", &[("user", &member)]).await;
    let r = bot
        .slash(
            ADMIN,
            "task assign",
            &[("title", "Print the flyers"), ("assignee", &member)],
        )
        .await;
    let card = r.message_id();
    let r = bot.click(MEMBER, card, &r.button("task:done:")).await;
    let win = r.button("win:log-task:");

    // `/digest preview`: its deferral goes through, the edit of the original answer is answered
    // 429 (then the error that replaces it goes through).
    bot.fake.rate_limit_interactions(Some((2, 0.1)));
    bot.send_slash_in(GUILD, HOME, MEMBER, "digest preview", &[]);
    wait_interaction_429s(&bot, 1).await;
    // "Log as win": the card's update goes through, the private follow-up is answered 429.
    bot.fake.rate_limit_interactions(Some((2, 0.1)));
    bot.send_click(MEMBER, card, &win);
    wait_interaction_429s(&bot, 2).await;
    // `/win log`: every callback answered 429 (the answer, then the error reply).
    bot.fake.rate_limit_interactions(Some((1, 0.1)));
    bot.send_slash_in(GUILD, HOME, MEMBER, "win log", &[("text", "Flyers printed")]);
    wait_interaction_429s(&bot, 4).await;
    bot.fake.rate_limit_interactions(None);
    // A callback that outlasts the send timeout: the HTTP client's error carries the URL.
    bot.fake.state().slow_callbacks = Some(Duration::from_millis(2500));
    let slow = bot.send_slash_in(GUILD, HOME, MEMBER, "task list", &[]);
    // The fake records a held callback once it has answered it, after the bot gave up on it;
    // the bot then tries again (deferring, then its error reply), and logs why.
    bot.fake
        .wait_for("the held callback", START_TIMEOUT, |s| {
            s.requests
                .iter()
                .any(|r| r.path.contains(&slow) && r.path.ends_with("/callback"))
                .then_some(())
        })
        .await;
    bot.fake.state().slow_callbacks = None;
    bot.fake
        .wait_for("the callbacks after the timeout", START_TIMEOUT, |s| {
            let tries = s
                .requests
                .iter()
                .filter(|r| r.path.contains(&slow) && r.path.ends_with("/callback"))
                .count();
            (tries >= 3).then_some(())
        })
        .await;
    bot.fake
        .settle(Duration::from_millis(500), Duration::from_secs(10))
        .await;

    let limited: Vec<String> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.status == 429)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        limited
            .iter()
            .any(|r| r.starts_with("POST ") && r.ends_with("/callback"))
            && limited
                .iter()
                .any(|r| r.starts_with("PATCH ") && r.ends_with("/messages/@original"))
            && limited
                .iter()
                .any(|r| r.starts_with("POST ") && r.contains("/webhooks/") && !r.contains("/messages")),
        "429s on a callback, an edit of the original and a follow-up: {limited:#?}"
    );

    sigterm(&proc);
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    let log = proc.stderr();
    assert_eq!(status.code(), Some(0), "stderr:\n{log}");
    let tokens: Vec<String> = bot.fake.state().interactions.keys().cloned().collect();
    assert!(tokens.len() >= 8, "{tokens:?}");
    assert!(log.lines().count() > 50, "the log is not empty:\n{log}");
    for token in tokens.iter().map(String::as_str).chain([TOKEN]) {
        let leaks: Vec<&str> = log.lines().filter(|l| l.contains(token)).collect();
        assert!(
            leaks.is_empty(),
            "the token {token} is in the log:\n{}",
            leaks.join("\n")
        );
    }
    // The routes are there, with the token redacted.
    assert!(
        log.lines()
            .any(|l| l.contains("/interactions/") && l.contains("/:token/callback")),
        "the redacted callback route is logged:\n{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("/webhooks/") && l.contains("/:token")),
        "the redacted webhook route is logged:\n{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("error sending request for url") && l.contains("/:token/callback")),
        "the timed-out callback is logged with its route redacted:\n{log}"
    );
}

/// `backbone serve --listen ADDR` as a user runs it: no gateway connection; a PING gets its PONG,
/// a signed slash command is answered, a forged one is refused; SIGTERM stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_interactions_over_http() {
    let mut bot = Bot::without_bot(start_time()).await;
    // The binary runs on the system clock: sign with it.
    bot.set_time(chrono::Utc::now());
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbone"));
    cmd.args(["serve", "--listen", &addr.to_string()])
        .current_dir(bot.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_PUBLIC_KEY", HttpTransport::public_key_hex())
        .env("DISCORD_GUILD_ID", GUILD.to_string())
        .env("DISCORD_API_BASE", bot.fake.api_base())
        .env("BACKBONE_DATABASE_URL", &bot.db_url)
        .env("RUST_LOG", "info");
    let mut proc = Process::spawn(cmd);
    bot.http = Some(HttpTransport::new(addr));
    wait_ready(&bot, &mut proc).await;
    proc.wait_log("listening", START_TIMEOUT, |l| {
        l.contains("serving interactions at POST /interactions")
    })
    .await;

    let http = bot.http.clone().expect("http");
    let ping = serde_json::json!({
        "id": "1300000000000009002", "application_id": APP_ID.to_string(), "type": 1,
        "token": "cGluZw", "version": 1,
    });
    let (status, _, body) = http.post(&ping, bot.now()).await;
    assert_eq!((status, body.as_str()), (200, r#"{"type":1}"#));
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "Over HTTP")])
        .await;
    assert!(!r.ephemeral() && r.text().contains("Over HTTP"), "{}", r.text());
    let (status, _, _) = http
        .post_raw(b"{\"type\":1}".to_vec(), Some(&"0".repeat(128)), Some("1"))
        .await;
    assert_eq!(status, 401, "a forged request");
    assert_eq!(bot.fake.state().gateway.identifies, 0, "no gateway connection");
    bot.fake.assert_no_violations();

    sigterm(&proc);
    let status = proc.wait_exit(EXIT_TIMEOUT).await;
    let err = proc.stderr();
    assert_eq!(status.code(), Some(0), "exit status {status}; stderr:\n{err}");
    assert!(err.contains("stopped") && !err.contains("panicked"), "{err}");
}
