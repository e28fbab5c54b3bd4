//! A fake Discord for end-to-end tests: the REST API (see `rest.rs`) and gateway v10 (see
//! `gateway.rs`) on two loopback ports, sharing one state. It records every request the bot makes,
//! keeps the messages it posted (so edits, button clicks and follow-ups work like on Discord), and
//! checks every payload against Discord's limits (`validate.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::world::WorldSpec;

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// Order of arrival.
    pub seq: usize,
    pub method: String,
    /// The path after `/api/v10`, without the query: `/channels/1/messages`.
    pub path: String,
    pub query: String,
    /// The JSON body (for multipart requests: `payload_json`); `Null` when there was none.
    pub body: Value,
    /// File names of multipart uploads.
    pub files: Vec<String>,
    /// The files themselves.
    pub uploads: Vec<Upload>,
    pub status: u16,
    pub response: Value,
    /// When it arrived.
    pub at: Instant,
}

/// A file uploaded as the `files[index]` part of a multipart request.
#[derive(Debug, Clone)]
pub struct Upload {
    pub index: u64,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A message as the fake stores it: the Discord message object plus what the test wants to know.
#[derive(Debug, Clone)]
pub struct Msg {
    pub id: u64,
    pub channel_id: u64,
    /// The recipient when the channel is a DM.
    pub dm_user: Option<u64>,
    /// The message object as Discord would return it (current version after edits).
    pub json: Value,
    /// The payload the bot sent last (create or edit), with `allowed_mentions`.
    pub sent: Value,
    /// Users this message notified (mentioned in `content` and allowed by `allowed_mentions`).
    pub pinged: Vec<u64>,
    /// Whether it pinged @everyone or @here.
    pub pinged_everyone: bool,
    pub ephemeral: bool,
    /// The interaction this message answers (reply or follow-up), by token.
    pub interaction_token: Option<String>,
    /// How many times it was edited.
    pub edits: usize,
}

impl Msg {
    /// Content, embed titles, descriptions, fields and footers, and button labels, one per line.
    pub fn text(&self) -> String {
        message_text(&self.json)
    }

    /// The custom ids of its buttons.
    pub fn buttons(&self) -> Vec<String> {
        custom_ids(&self.json)
    }

    /// The custom id of its button that starts with `prefix`; panics if none.
    pub fn button(&self, prefix: &str) -> String {
        let all = self.buttons();
        all.iter()
            .find(|b| b.starts_with(prefix))
            .cloned()
            .unwrap_or_else(|| panic!("no `{prefix}…` button in {all:?}:\n{}", self.text()))
    }
}

/// Content, embeds and button labels of a message-shaped JSON value, one item per line.
pub fn message_text(m: &Value) -> String {
    let mut out = Vec::new();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    out.push(s(m.get("content")));
    for e in m.get("embeds").and_then(Value::as_array).into_iter().flatten() {
        out.push(s(e.get("title")));
        out.push(s(e.get("description")));
        for f in e.get("fields").and_then(Value::as_array).into_iter().flatten() {
            out.push(format!("{}: {}", s(f.get("name")), s(f.get("value"))));
        }
        out.push(s(e.get("footer").and_then(|f| f.get("text"))));
    }
    for row in m
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for c in row
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(format!("[{}]", s(c.get("label"))));
        }
    }
    out.retain(|l| !l.is_empty());
    out.join("\n")
}

/// The custom ids of the buttons in a message-shaped JSON value.
pub fn custom_ids(m: &Value) -> Vec<String> {
    m.get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|row| {
            row.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|c| c.get("custom_id").and_then(Value::as_str).map(String::from))
        .collect()
}

/// The interaction response (callback) the bot gave.
#[derive(Debug, Clone)]
pub struct Callback {
    /// 4 message, 5 deferred message, 6 deferred update, 7 update message, 8 autocomplete, 9 modal.
    pub kind: u64,
    pub data: Value,
    /// Time from dispatch to this answer.
    pub after: Duration,
}

/// An interaction the fake dispatched, and what became of it.
#[derive(Debug, Clone)]
pub struct InteractionRec {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u64,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub user_id: u64,
    /// For a component interaction: the message the component is on.
    pub message_id: Option<u64>,
    pub callback: Option<Callback>,
    /// The message of the original response (reply, deferred placeholder or updated message).
    pub original: Option<u64>,
    pub followups: Vec<u64>,
    pub dispatched_at: Instant,
}

/// Commands to the live gateway connection.
#[derive(Debug)]
pub enum ConnCmd {
    /// A text frame.
    Send(String),
    /// Close the socket with this close code (and reason).
    Close(u16, String),
    /// Drop the TCP connection without a close frame.
    Abort,
}

/// The gateway session (what RESUME continues).
#[derive(Debug, Default)]
pub struct Session {
    pub id: String,
    pub seq: u64,
    /// Every dispatch sent in this session, for replay on RESUME.
    pub log: Vec<(u64, String)>,
}

/// The gateway's side of the state.
#[derive(Debug, Default)]
pub struct GatewayState {
    pub session: Option<Session>,
    pub conn: Option<(u64, mpsc::UnboundedSender<ConnCmd>)>,
    pub connections: u64,
    pub identifies: u64,
    pub resumes: u64,
    pub heartbeats: u64,
    pub closes_sent: Vec<u16>,
    /// Dispatches made while no connection was live (delivered by replay on RESUME).
    pub queued_dispatches: u64,
    /// While true, new connections wait before HELLO (the bot cannot come back yet).
    pub hold: bool,
    /// The IDENTIFY payloads received (token redacted).
    pub identify_payloads: Vec<Value>,
    /// Query strings of the websocket connections (`v=10…`).
    pub queries: Vec<String>,
}

/// Everything the fake knows.
#[derive(Debug, Default)]
pub struct State {
    next_id: u64,
    pub requests: Vec<Request>,
    pub violations: Vec<String>,
    pub messages: BTreeMap<u64, Msg>,
    /// (channel, nonce) → message, for `enforce_nonce`.
    pub nonces: HashMap<(u64, String), u64>,
    /// Registered commands: guild id (0 = global) → the command objects with ids.
    pub commands: HashMap<u64, Vec<Value>>,
    pub interactions: HashMap<String, InteractionRec>,
    /// DM channel per user.
    pub dm_channels: HashMap<u64, u64>,
    /// Users whose DMs are closed (sending them a message fails with 50007).
    pub dm_closed: HashSet<u64>,
    /// (guild, user) of people who left a server: asking for them there is 10007 Unknown Member.
    pub left: HashSet<(u64, u64)>,
    pub gateway: GatewayState,
    /// When set, every interaction callback is held this long before it is answered (a slow
    /// network), so a test can act while a command is in flight.
    pub slow_callbacks: Option<Duration>,
    /// Interaction callbacks received so far (counted on arrival, before any hold).
    pub callbacks_received: usize,
    /// When set, some channel posts are answered 429 (see [`RateLimitRule`]).
    pub rate_limit: Option<RateLimitRule>,
    /// Channel posts (POST …/messages) received, 429s included.
    pub channel_posts: usize,
    /// Channel posts answered 429.
    pub rate_limited: usize,
    /// When set, some interaction requests (callbacks, follow-ups, edits of the original answer)
    /// are answered 429; `every` counts those requests.
    pub interaction_rate_limit: Option<RateLimitRule>,
    /// Interaction requests received while `interaction_rate_limit` was set, 429s included.
    pub interaction_requests: usize,
    /// Interaction requests answered 429.
    pub interaction_rate_limited: usize,
    /// Guild text channels added at run time (benchmarks with many home channels).
    pub extra_channels: HashSet<u64>,
    /// Threads started on messages, by thread id (= the message's id).
    pub threads: BTreeMap<u64, super::threads::ThreadRec>,
    /// Channels where the bot may not start threads (50013).
    pub threads_denied: HashSet<u64>,
    /// Scheduled events, by id.
    pub events: BTreeMap<u64, super::events::EventRec>,
    /// Guilds where the bot lacks Create Events: event requests fail with 403 50013.
    pub events_denied: HashSet<u64>,
    /// The bot's clock (events must start after it); the wall clock when unset.
    pub clock_now: Option<chrono::DateTime<chrono::Utc>>,
    /// The application's Interactions Endpoint URL (developer portal), when one is set.
    pub interactions_endpoint_url: Option<String>,
}

/// Which channel posts the fake answers 429, the way Discord does: body
/// `{"message": "You are being rate limited.", "retry_after": …, "global": …}` with `Retry-After`
/// and `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitRule {
    /// Every `every`-th channel post (counting retries) is limited.
    pub every: usize,
    /// Seconds, as in the body (the `Retry-After` header rounds up).
    pub retry_after: f64,
    /// A global limit (`X-RateLimit-Global`, scope `global`) rather than the route's.
    pub global: bool,
}

impl State {
    /// A fresh snowflake (increasing).
    pub fn snowflake(&mut self) -> u64 {
        self.next_id += 1;
        1_400_000_000_000_000_000 + self.next_id
    }
}

/// The shared core of the fake.
pub struct Inner {
    pub state: Mutex<State>,
    changed: watch::Sender<u64>,
    pub world: WorldSpec,
    pub http_addr: SocketAddr,
    pub ws_addr: SocketAddr,
    /// The bot token the fake accepts (without the `Bot ` prefix).
    pub token: String,
    pub app_id: u64,
    pub bot_name: String,
    /// Heartbeat interval announced in HELLO, in milliseconds.
    pub heartbeat_ms: u64,
    /// Discord's deadline for the first answer to an interaction (3 s); a later callback gets
    /// 404 10062 Unknown interaction and is recorded as a violation.
    pub ack_deadline: Duration,
}

impl Inner {
    /// Locks the state. Never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes everyone waiting for a change.
    pub fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// The bot user as Discord returns it.
    pub fn bot_user(&self) -> Value {
        json!({
            "id": self.app_id.to_string(),
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "verified": true,
            "mfa_enabled": false,
            "flags": 0,
            "public_flags": 0,
            "email": null,
            "locale": "en-US",
        })
    }
}

/// A running fake Discord. Cheap to clone.
#[derive(Clone)]
pub struct FakeDiscord {
    pub inner: Arc<Inner>,
    tasks: Arc<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        if Arc::strong_count(&self.tasks) == 1 {
            for t in self.tasks.iter() {
                t.abort();
            }
        }
    }
}

impl FakeDiscord {
    /// Starts the REST and gateway servers on loopback ports.
    pub async fn start(world: WorldSpec, token: &str) -> FakeDiscord {
        let http = TcpListener::bind("127.0.0.1:0").await.expect("bind REST port");
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway port");
        let http_addr = http.local_addr().expect("REST addr");
        let ws_addr = ws.local_addr().expect("gateway addr");
        let (changed, _) = watch::channel(0);
        let state = State {
            dm_closed: world.dm_closed.iter().copied().collect(),
            ..State::default()
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            changed,
            app_id: world.app_id,
            bot_name: format!("Backbone-e2e-{}", http_addr.port()),
            world,
            http_addr,
            ws_addr,
            token: token.to_string(),
            heartbeat_ms: 2_000,
            ack_deadline: Duration::from_secs(3),
        });
        let rest = tokio::spawn(super::rest::serve(inner.clone(), http));
        let gw = tokio::spawn(super::gateway::serve(inner.clone(), ws));
        FakeDiscord {
            inner,
            tasks: Arc::new(vec![rest, gw]),
        }
    }

    /// The base URL for `DISCORD_API_BASE`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.inner.http_addr)
    }

    /// The bot's user name (unique per fake, so its log lines can be told apart).
    pub fn bot_name(&self) -> &str {
        &self.inner.bot_name
    }

    /// Locks the state (for reading in assertions).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.clone()
    }

    /// Requests from `from` on (by sequence number).
    pub fn requests_since(&self, from: usize) -> Vec<Request> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.seq >= from)
            .cloned()
            .collect()
    }

    /// How many requests there have been (a mark for [`Self::requests_since`]).
    pub fn mark(&self) -> usize {
        self.state().requests.len()
    }

    /// Every payload problem found so far.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Panics if the bot sent anything Discord would refuse.
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(
            v.is_empty(),
            "the bot sent payloads Discord would refuse:\n{}",
            v.join("\n")
        );
    }

    /// Messages in a channel (guild channel or DM channel), oldest first, ephemeral ones included.
    pub fn messages_in(&self, channel: u64) -> Vec<Msg> {
        self.state()
            .messages
            .values()
            .filter(|m| m.channel_id == channel)
            .cloned()
            .collect()
    }

    /// Messages delivered to `user` by DM, oldest first.
    pub fn dms_to(&self, user: u64) -> Vec<Msg> {
        self.state()
            .messages
            .values()
            .filter(|m| m.dm_user == Some(user))
            .cloned()
            .collect()
    }

    /// A stored message.
    pub fn message(&self, id: u64) -> Option<Msg> {
        self.state().messages.get(&id).cloned()
    }

    /// Every stored message, oldest first.
    pub fn messages(&self) -> Vec<Msg> {
        self.state().messages.values().cloned().collect()
    }

    /// Threads started so far, oldest first.
    pub fn threads(&self) -> Vec<super::threads::ThreadRec> {
        self.state().threads.values().cloned().collect()
    }

    /// Scheduled events made so far.
    pub fn events(&self) -> Vec<super::events::EventRec> {
        self.state().events.values().cloned().collect()
    }

    /// Takes away (or gives back) the bot's Create Events permission in `guild`.
    pub fn deny_events(&self, guild: u64, denied: bool) {
        let mut s = self.state();
        if denied {
            s.events_denied.insert(guild);
        } else {
            s.events_denied.remove(&guild);
        }
    }

    /// Forbids (or allows again) starting threads in `channel`, as a missing permission would.
    pub fn deny_threads(&self, channel: u64, denied: bool) {
        let mut s = self.state();
        if denied {
            s.threads_denied.insert(channel);
        } else {
            s.threads_denied.remove(&channel);
        }
    }

    /// Deletes a thread: posting or editing in it fails with 10003 from now on.
    pub fn delete_thread(&self, thread: u64) {
        if let Some(t) = self.state().threads.get_mut(&thread) {
            t.deleted = true;
        }
    }

    /// Closes or opens a user's DMs.
    pub fn set_dm_closed(&self, user: u64, closed: bool) {
        let mut s = self.state();
        if closed {
            s.dm_closed.insert(user);
        } else {
            s.dm_closed.remove(&user);
        }
    }

    /// `user` leaves (or is kicked from) `guild`: from now on Discord answers 10007 Unknown Member
    /// for them there, and a bot that asked for the GUILD_MEMBERS intent gets GUILD_MEMBER_REMOVE.
    pub fn remove_member(&self, guild: u64, user: u64) {
        let members_intent = {
            let mut s = self.state();
            s.left.insert((guild, user));
            s.gateway
                .identify_payloads
                .last()
                .and_then(|p| p.get("intents").and_then(Value::as_u64))
                .is_some_and(|i| i & (1 << 1) != 0)
        };
        if members_intent {
            let person = self.inner.world.person(user).expect("a person of the world");
            super::gateway::dispatch(
                &self.inner,
                "GUILD_MEMBER_REMOVE",
                json!({ "guild_id": guild.to_string(), "user": person.user_json() }),
            );
        }
        self.inner.bump();
    }

    /// Waits until `pred` holds on the state, or panics after `timeout` with `what`.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&State) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.inner.changed.subscribe();
        loop {
            if let Some(t) = pred(&self.state()) {
                return t;
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                // One last look: a change may have raced the timeout.
                if let Some(t) = pred(&self.state()) {
                    return t;
                }
                let tail: Vec<String> = self
                    .requests()
                    .iter()
                    .rev()
                    .take(15)
                    .rev()
                    .map(|r| {
                        format!(
                            "  #{} {} {} -> {} {}",
                            r.seq,
                            r.method,
                            r.path,
                            r.status,
                            short(&r.body)
                        )
                    })
                    .collect();
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nlast requests:\n{}\nviolations: {:?}",
                    tail.join("\n"),
                    self.violations()
                );
            }
        }
    }

    /// Waits until nothing new has been requested for `quiet` (at most `limit` in all).
    pub async fn settle(&self, quiet: Duration, limit: Duration) {
        let end = Instant::now() + limit;
        let mut last = self.mark();
        loop {
            tokio::time::sleep(quiet).await;
            let now = self.mark();
            if now == last || Instant::now() > end {
                return;
            }
            last = now;
        }
    }

    /// Answers every `every`-th channel post from now on 429 with `retry_after` seconds.
    pub fn rate_limit_posts(&self, every: usize, retry_after: f64, global: bool) {
        let mut s = self.state();
        s.rate_limit = Some(RateLimitRule {
            every: every.max(1),
            retry_after,
            global,
        });
        s.channel_posts = 0;
    }

    /// Answers every `every`-th interaction request from now on 429 (its callback, follow-ups and
    /// edits of its original answer) with `retry_after` seconds; `None` stops it.
    pub fn rate_limit_interactions(&self, rule: Option<(usize, f64)>) {
        let mut s = self.state();
        s.interaction_rate_limit = rule.map(|(every, retry_after)| RateLimitRule {
            every: every.max(1),
            retry_after,
            global: false,
        });
        s.interaction_requests = 0;
    }

    /// Adds guild text channels the bot may post in.
    pub fn add_channels(&self, ids: impl IntoIterator<Item = u64>) {
        self.state().extra_channels.extend(ids);
    }

    /// Channel posts answered 429 so far.
    pub fn rate_limited(&self) -> usize {
        self.state().rate_limited
    }

    /// Dispatches a gateway event (`t`, `d`) to the bot, now or, while the bot is disconnected,
    /// when it resumes. Returns the event's sequence number.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        super::gateway::dispatch(&self.inner, t, d)
    }

    /// Closes the gateway connection with `code` (e.g. 4000), as Discord does on an error.
    pub fn close_gateway(&self, code: u16, reason: &str) {
        let mut s = self.state();
        s.gateway.closes_sent.push(code);
        if let Some((_, conn)) = s.gateway.conn.take() {
            let _ = conn.send(ConnCmd::Close(code, reason.to_string()));
        }
    }

    /// Makes new gateway connections wait before HELLO (true) or lets them proceed (false), so a
    /// test can dispatch events while the bot is certainly disconnected.
    pub fn hold_gateway(&self, hold: bool) {
        self.state().gateway.hold = hold;
        self.inner.bump();
    }

    /// Drops the gateway's TCP connection without a close frame.
    pub fn drop_gateway(&self) {
        let mut s = self.state();
        if let Some((_, conn)) = s.gateway.conn.take() {
            let _ = conn.send(ConnCmd::Abort);
        }
    }

    /// Waits until the bot has identified (READY sent) at least `n` times.
    pub async fn wait_identified(&self, n: u64, timeout: Duration) {
        self.wait_for(&format!("IDENTIFY #{n}"), timeout, |s| {
            (s.gateway.identifies >= n && s.gateway.conn.is_some()).then_some(())
        })
        .await;
    }

    /// Waits until a gateway connection is live (identified or resumed).
    pub async fn wait_connected(&self, timeout: Duration) {
        self.wait_for("a live gateway connection", timeout, |s| {
            s.gateway.conn.as_ref().map(|_| ())
        })
        .await;
    }

    /// The registered commands of `guild` (0 = global).
    pub fn commands(&self, guild: u64) -> Vec<Value> {
        self.state().commands.get(&guild).cloned().unwrap_or_default()
    }

    /// Records a violation (the fake answers the request with 400 50035).
    pub fn violation(inner: &Inner, what: String) {
        inner.lock().violations.push(what);
    }
}

/// A body shortened for messages.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// An RFC 3339 timestamp for `at`.
pub fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
