//! Chaos: three copies of the real `backbone serve` share one PostgreSQL database behind a
//! round-robin load balancer, while 40 coalitions' digests (and their wins' celebrations) fan out
//! and 200 signed commands arrive over HTTP. A copy is killed with SIGKILL three times, the
//! scheduler lease holder first, and started again as systemd would. Expected, for each of three
//! seeds (which copies die, and when):
//!
//! * no scheduled message lost or doubled: every digest and celebration is sent, and shows once in
//!   its channel (a resend after a takeover carries the same nonce, which Discord deduplicates);
//! * every command the balancer got to a live copy is answered;
//! * the lease moves to a live copy within its time plus 2 s of the holder's death.
//!
//! And PostgreSQL itself stopping (every connection cut) in the middle of a fan-out and coming
//! back: the copies reconnect, nothing sent is lost or doubled, and commands are answered again.

#![recursion_limit = "256"]
mod fake_discord;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backbone::store::{Store, sql};
use chrono::Utc;
use tokio::net::{TcpListener, TcpStream};

use fake_discord::*;

const COPIES: usize = 3;
const COALITIONS: u64 = 40;
const COMMANDS: usize = 200;
/// `scheduler_lease_seconds` of every copy.
const LEASE: Duration = Duration::from_secs(3);
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The first hub channel.
const FIRST_HUB: u64 = 1_300_000_000_000_002_200;

fn hub(i: u64) -> u64 {
    FIRST_HUB + i
}

fn world() -> WorldSpec {
    hub_world(FIRST_HUB, COALITIONS)
}

/// A small deterministic generator: the seed decides the victims and the pauses.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A round-robin TCP load balancer: each connection goes to the next copy marked up, skipping
/// one that refuses (as a balancer's health check would).
#[derive(Clone)]
struct Balancer {
    backends: Arc<Mutex<Vec<(SocketAddr, bool)>>>,
    next: Arc<AtomicUsize>,
}

impl Balancer {
    async fn start(backends: &[SocketAddr]) -> (Balancer, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the balancer");
        let addr = listener.local_addr().expect("balancer address");
        let balancer = Balancer {
            backends: Arc::new(Mutex::new(backends.iter().map(|a| (*a, true)).collect())),
            next: Arc::default(),
        };
        let b = balancer.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let b = b.clone();
                tokio::spawn(async move {
                    if let Some(mut outbound) = b.connect().await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        (balancer, addr)
    }

    async fn connect(&self) -> Option<TcpStream> {
        let n = self.backends.lock().unwrap().len();
        for _ in 0..n {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % n;
            let (addr, up) = self.backends.lock().unwrap()[i];
            if up && let Ok(s) = TcpStream::connect(addr).await {
                return Some(s);
            }
        }
        None
    }

    fn set(&self, i: usize, up: bool) {
        self.backends.lock().unwrap()[i].1 = up;
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// What every copy is started with.
#[derive(Clone)]
struct CopyEnv {
    dir: std::path::PathBuf,
    api_base: String,
    db_url: String,
}

/// `backbone serve` on `addr` against the fake Discord and the shared database.
fn spawn_copy(env: &CopyEnv, addr: SocketAddr) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbone"));
    cmd.args(["serve", "--listen", &addr.to_string()])
        .current_dir(&env.dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_PUBLIC_KEY", HttpTransport::public_key_hex())
        .env("DISCORD_GUILD_ID", GUILD.to_string())
        .env("DISCORD_API_BASE", &env.api_base)
        .env("BACKBONE_DATABASE_URL", &env.db_url)
        .env("BACKBONE_TICK_SECONDS", "1")
        .env("BACKBONE_SCHEDULER_LEASE_SECONDS", LEASE.as_secs().to_string())
        // A killed sender's rows wait out its claim before another takes them: the shortest
        // claim allowed keeps the run short.
        .env("BACKBONE_CLAIM_SECONDS", "30")
        .env("BACKBONE_SEND_TIMEOUT_SECONDS", "10")
        .env("RUST_LOG", "info");
    Process::spawn(cmd)
}

async fn listening(p: &mut Process) {
    p.wait_log("that it serves interactions", START_TIMEOUT, |l| {
        l.contains("serving interactions at POST /interactions")
    })
    .await;
}

/// `n` copies on free ports, each serving interactions; what they were started with, their
/// addresses and processes.
async fn start_copies(bot: &Bot, n: usize) -> (CopyEnv, Vec<SocketAddr>, Vec<Process>) {
    let env = CopyEnv {
        dir: bot.dir().to_path_buf(),
        api_base: bot.fake.api_base(),
        db_url: bot.db_url.clone(),
    };
    let addrs: Vec<SocketAddr> = (0..n).map(|_| free_addr()).collect();
    let mut copies: Vec<Process> = addrs.iter().map(|a| spawn_copy(&env, *a)).collect();
    for c in &mut copies {
        listening(c).await;
    }
    (env, addrs, copies)
}

/// The process id of the copy holding a live scheduler lease.
async fn holder(store: &Store) -> Option<u32> {
    let now_ms = Utc::now().timestamp_millis();
    let holder: Option<String> = sql::query_scalar("SELECT holder FROM scheduler_lease WHERE expires_at > ?")
        .bind(now_ms)
        .fetch_optional(store.pool())
        .await
        .expect("read the lease");
    holder.and_then(|h| h.split(':').nth(1).and_then(|p| p.parse().ok()))
}

/// The coalitions, each with a member and a win, their digests due a few seconds from now.
async fn coalitions_due_soon(store: &Store) {
    let now = Utc::now();
    seed_hubs(store, FIRST_HUB, COALITIONS, now).await;
    sql::query("UPDATE coalitions SET next_digest_at = ?")
        .bind(now.timestamp() + 6)
        .execute(store.pool())
        .await
        .expect("digests due soon");
}

/// Waits until every digest (one per coalition) and celebration is sent, then checks each shows
/// exactly once in its channel; returns how many there are and how many were posted more than
/// once (a resend after a crash, deduplicated by its nonce).
async fn each_sent_and_shown_once(bot: &Bot, store: &Store, run: &str) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let rows: Vec<(i64, String, String, Option<i64>)> = loop {
        let rows: Vec<(i64, String, String, Option<i64>)> = sql::query_as(
            "SELECT id, kind, status, channel_id FROM deliveries
              WHERE kind IN ('digest', 'win_celebration') ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap_or_default();
        let digests = rows.iter().filter(|r| r.1 == "digest").count();
        if digests == COALITIONS as usize && rows.iter().all(|r| r.2 == "sent") {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "{run}: not everything was sent: {:?}",
            rows.iter().filter(|r| r.2 != "sent").collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let resent = {
        let state = bot.fake.state();
        let mut resent = 0;
        for (id, kind, _, _) in &rows {
            let nonce = format!("bb{id}");
            let shown = state
                .messages
                .values()
                .filter(|m| m.interaction_token.is_none() && m.json["nonce"].as_str() == Some(nonce.as_str()))
                .count();
            assert_eq!(shown, 1, "{run}: {kind} #{id} shows {shown} times");
            let posts = state
                .requests
                .iter()
                .filter(|r| r.method == "POST" && r.body["nonce"].as_str() == Some(nonce.as_str()))
                .count();
            resent += posts.saturating_sub(1);
        }
        resent
    };
    for i in 0..COALITIONS {
        let digests = rows
            .iter()
            .filter(|r| r.1 == "digest" && r.3 == Some(hub(i) as i64))
            .count();
        assert_eq!(digests, 1, "{run}: hub {i} got {digests} digests");
    }
    (rows.len(), resent)
}

/// Waits until the first digest has gone out: the fan-out is under way.
async fn fan_out_started(store: &Store) {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let sent: i64 = sql::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE kind = 'digest' AND status = 'sent'",
            )
            .fetch_one(store.pool())
            .await
            .unwrap_or(0);
            if sent > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the fan-out starts");
}

/// One run of the scenario with `seed`.
async fn chaos(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut bot = Bot::without_bot_in(world(), Utc::now()).await;
    let database = pg::Cluster::shared().database();
    bot.db_url = database.url.clone();
    let store = Store::connect(&bot.db_url).await.expect("the shared database");
    coalitions_due_soon(&store).await;

    let (env, addrs, mut copies) = start_copies(&bot, COPIES).await;
    let (balancer, front) = Balancer::start(&addrs).await;
    let transport = HttpTransport::without_keep_alive(front);

    // Three kills, the lease holder first; each copy started again once it is gone.
    let killer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut kills: Vec<Instant> = Vec::new();
            let mut takeovers: Vec<Duration> = Vec::new();
            for k in 0..3 {
                if k == 0 {
                    // The holder dies in the middle of the digests' fan-out.
                    fan_out_started(&store).await;
                } else {
                    tokio::time::sleep(Duration::from_millis(1_500 + 500 * rng.below(4))).await;
                }
                let held = tokio::time::timeout(Duration::from_secs(30), async {
                    loop {
                        if let Some(pid) = holder(&store).await
                            && let Some(i) = copies.iter().position(|c| c.pid() == pid)
                        {
                            return i;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                })
                .await
                .expect("a copy holds the lease");
                let victim = if k == 0 {
                    held
                } else {
                    rng.below(COPIES as u64) as usize
                };
                balancer.set(victim, false);
                let dead = copies[victim].pid();
                copies[victim].kill9();
                let killed = Instant::now();
                kills.push(killed);
                if victim == held {
                    let moved = tokio::time::timeout(LEASE + Duration::from_secs(2), async {
                        loop {
                            if let Some(pid) = holder(&store).await
                                && pid != dead
                            {
                                return killed.elapsed();
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    })
                    .await
                    .unwrap_or_else(|_| {
                        panic!(
                            "seed {seed}: the lease did not move within {LEASE:?} + 2 s of the holder's death"
                        )
                    });
                    takeovers.push(moved);
                }
                copies[victim] = spawn_copy(&env, addrs[victim]);
                listening(&mut copies[victim]).await;
                balancer.set(victim, true);
            }
            (copies, kills, takeovers)
        })
    };

    // 200 commands, reads and writes, one every 50 ms meanwhile (each made just before it is sent,
    // as Discord would).
    let member = MEMBER.to_string();
    let mut sent = Vec::with_capacity(COMMANDS);
    for i in 0..COMMANDS {
        let channel = hub(i as u64 % COALITIONS);
        let title = format!("Chaos task {i}");
        let text = format!("Chaos win {i}");
        let (user, command, options): (u64, &str, Vec<(&str, &str)>) = match i % 4 {
            0 => (
                ADMIN,
                "task assign",
                vec![("title", title.as_str()), ("assignee", member.as_str())],
            ),
            1 => (MEMBER, "task list", vec![]),
            2 => (MEMBER, "coalition info", vec![]),
            _ => (MEMBER, "win log", vec![("text", text.as_str())]),
        };
        let (token, body) = bot.slash_interaction_in(channel, user, command, &options);
        let status = transport.try_post(&body, Utc::now()).await;
        sent.push((token, status, Instant::now()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut copies, kills, takeovers) = killer.await.expect("the kills");

    // Every command that reached a live copy is answered. A copy killed after it acknowledged a
    // command but before its answer is no longer live: those few (within 3 s before a kill) are
    // only counted.
    let mut answered = 0;
    let mut refused_at_dead = 0;
    let mut near_a_kill = 0;
    for (token, status, at) in &sent {
        match status {
            None => refused_at_dead += 1,
            Some(s) => {
                assert!(matches!(s, 200 | 202), "seed {seed}: status {s} for {token}");
                let by_a_kill = kills
                    .iter()
                    .any(|k| *k >= *at && *k - *at < Duration::from_secs(3));
                let reply = tokio::time::timeout(Duration::from_secs(20), bot.reply(token)).await;
                match reply {
                    Ok(r) => {
                        assert!(
                            !r.text().is_empty() && !r.text().contains("went wrong"),
                            "{}",
                            r.text()
                        );
                        answered += 1;
                    }
                    Err(_) if by_a_kill => near_a_kill += 1,
                    Err(_) => {
                        panic!("seed {seed}: command {token} reached a live copy and was never answered")
                    }
                }
            }
        }
    }

    // Every scheduled post of the fan-out is sent, and shows exactly once in its channel.
    let (posts, resent) = each_sent_and_shown_once(&bot, &store, &format!("seed {seed}")).await;
    bot.fake.assert_no_violations();

    eprintln!(
        "chaos seed {seed}: {} scheduled posts each shown once ({resent} resent after a kill, deduplicated by nonce); \
         {answered} commands answered, {refused_at_dead} refused at a dead copy, {near_a_kill} lost with a copy killed after acknowledging; \
         lease moved after {takeovers:?} (limit {:?})",
        posts,
        LEASE + Duration::from_secs(2)
    );
    for c in &mut copies {
        c.kill9();
    }
    store.close().await;
    drop(database);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_copies_survive_three_kills_with_nothing_lost_or_doubled() {
    if !pg::available() {
        return;
    }
    for seed in [1, 2, 3] {
        chaos(seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_mid_fan_out_loses_and_doubles_nothing() {
    // A cluster of its own: it is stopped and started again.
    let Some(cluster) = pg::Cluster::start() else {
        return;
    };
    let mut bot = Bot::without_bot_in(world(), Utc::now()).await;
    bot.db_url = cluster.create_database("restart");
    let store = Store::connect(&bot.db_url).await.expect("the shared database");
    coalitions_due_soon(&store).await;
    let (_env, addrs, mut copies) = start_copies(&bot, 2).await;
    let (_balancer, front) = Balancer::start(&addrs).await;
    let transport = HttpTransport::without_keep_alive(front);

    fan_out_started(&store).await;
    cluster.stop_server();
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.start_server();

    // Commands after the restart are answered (each copy's pool replaces its cut connections).
    let mut answered = 0;
    for i in 0..20u64 {
        let (user, command) = if i % 2 == 0 {
            (MEMBER, "coalition info")
        } else {
            (MEMBER, "task list")
        };
        let (token, body) = bot.slash_interaction_in(hub(i % COALITIONS), user, command, &[]);
        let status = transport.try_post(&body, Utc::now()).await;
        assert!(
            matches!(status, Some(200 | 202)),
            "command {i} after the restart: {status:?}"
        );
        let r = bot.reply(&token).await;
        assert!(
            !r.text().is_empty() && !r.text().contains("went wrong"),
            "{}",
            r.text()
        );
        answered += 1;
    }

    let (posts, resent) = each_sent_and_shown_once(&bot, &store, "restart").await;
    bot.fake.assert_no_violations();
    for c in &mut copies {
        let log = c.stderr();
        assert!(!log.contains("panicked"), "{log}");
        c.kill9();
    }
    eprintln!(
        "PostgreSQL restart mid fan-out: {posts} scheduled posts each shown once ({resent} resent, deduplicated by nonce); {answered} commands answered after it"
    );
    store.close().await;
}

/// A signed interaction replayed to another copy within its five minutes is refused there too:
/// the ids taken are in the shared database, not only in the memory of the copy that took it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_to_another_copy_is_refused() {
    if !pg::available() {
        return;
    }
    let database = pg::Cluster::shared().database();
    let mut bot = Bot::without_bot_in(world(), Utc::now()).await;
    bot.db_url = database.url.clone();
    let (_env, addrs, mut copies) = start_copies(&bot, 2).await;
    let (a, b) = (HttpTransport::new(addrs[0]), HttpTransport::new(addrs[1]));
    let (token, body) = bot.slash_interaction(ADMIN, "coalition create", &[("name", "Replayed")]);
    assert_eq!(a.try_post(&body, Utc::now()).await, Some(202));
    let r = bot.reply(&token).await;
    assert!(r.text().contains("Replayed"), "{}", r.text());
    assert_eq!(
        b.try_post(&body, Utc::now()).await,
        Some(401),
        "the replay at the other copy"
    );
    assert_eq!(
        a.try_post(&body, Utc::now()).await,
        Some(401),
        "the replay at the same copy"
    );
    let store = Store::connect(&bot.db_url).await.expect("the shared database");
    let created: i64 = sql::query_scalar("SELECT COUNT(*) FROM coalitions")
        .fetch_one(store.pool())
        .await
        .expect("count coalitions");
    assert_eq!(created, 1, "the replays changed nothing");
    for c in &mut copies {
        c.kill9();
    }
    store.close().await;
}
