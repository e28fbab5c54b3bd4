//! End-to-end through the real binary, as a user runs it: `backbone run` in an empty directory with
//! only environment variables, against the fake Discord (see `support/`). It connects, registers
//! its commands, answers a slash command, and on SIGTERM finishes, logs that it stopped and exits
//! 0 with the data on disk.

#![recursion_limit = "256"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backbone::domain::{ChannelId, GuildId};
use backbone::store::{Store, coalitions};

use support::*;

/// Generous: the binary starts cold on a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The running binary: collects its stderr as it comes, and on drop kills it if it still runs
/// (and, when the test failed, prints what it logged).
struct Process {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    fn spawn(mut cmd: Command) -> Process {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn backbone");
        let pipe = child.stderr.take().expect("stderr piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut pipe = BufReader::new(pipe);
            let mut line = Vec::new();
            while pipe.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = strip_ansi(&String::from_utf8_lossy(&line));
                sink.lock().unwrap_or_else(|e| e.into_inner()).push_str(&text);
                line.clear();
            }
        });
        Process {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until a line of stderr satisfies `pred`; panics if the process exits first or after
    /// `timeout`.
    async fn wait_log(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.stderr().lines().any(&pred) {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.join_reader();
                if self.stderr().lines().any(&pred) {
                    return;
                }
                panic!("backbone exited ({status}) before logging {what}");
            }
            assert!(
                Instant::now() < deadline,
                "backbone did not log {what} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the process to exit; panics after `timeout`.
    async fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.join_reader();
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "backbone did not exit within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// After exit: reads stderr to its end.
    fn join_reader(&mut self) {
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.join_reader();
        if std::thread::panicking() {
            eprintln!("---- backbone stderr\n{}", self.stderr());
        }
    }
}

/// Removes terminal colour codes (`ESC [ … m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

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
    let store = Store::open_file(&bot.db_path())
        .await
        .expect("open the bot's database");
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
