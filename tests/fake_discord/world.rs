//! The test world (one guild with a home channel and a cast of people, plus a second guild) and the
//! harness that runs the real bot against the fake Discord: `Bot::start()` spawns
//! `backbone::discord::serve` with a manual clock, and `slash` / `autocomplete` / `click` /
//! `submit` send interactions as a given person and wait for the bot's answer.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use backbone::clock::ManualClock;
use backbone::config::Config;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::server::{FakeDiscord, Msg, custom_ids, message_text, timestamp};

pub const APP_ID: u64 = 1_300_000_000_000_000_001;
pub const GUILD: u64 = 1_300_000_000_000_001_000;
pub const OTHER_GUILD: u64 = 1_300_000_000_000_002_000;
/// The coalition's home channel.
pub const HOME: u64 = 1_300_000_000_000_001_100;
/// Another channel of the test guild.
pub const GENERAL: u64 = 1_300_000_000_000_001_101;
/// A channel of the other guild.
pub const OTHER_HOME: u64 = 1_300_000_000_000_002_100;
/// A Discord role of the test guild ("Organizers").
pub const ORGANIZERS_ROLE: u64 = 1_300_000_000_000_001_500;

/// Has Manage Server (and owns the guild).
pub const ADMIN: u64 = 1_300_000_000_000_000_101;
/// Becomes a coalition lead.
pub const LEAD: u64 = 1_300_000_000_000_000_102;
/// Coalition members.
pub const MEMBER: u64 = 1_300_000_000_000_000_103;
pub const MEMBER2: u64 = 1_300_000_000_000_000_104;
/// In the guild, but in no coalition and with no role.
pub const NOBODY: u64 = 1_300_000_000_000_000_105;
/// A member whose DMs are closed (sending them a DM fails with 50007).
pub const CLOSED: u64 = 1_300_000_000_000_000_106;

/// VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY |
/// USE_APPLICATION_COMMANDS.
pub const MEMBER_PERMS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31);
/// MEMBER_PERMS plus MANAGE_GUILD.
pub const ADMIN_PERMS: u64 = MEMBER_PERMS | (1 << 5);
/// The bot's own role in the test guild ("Backbone", as Discord creates it on invite).
pub const BOT_ROLE: u64 = 1_300_000_000_000_001_501;
/// The bot role's permissions: MEMBER_PERMS plus CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS
/// and CREATE_EVENTS.
pub const BOT_PERMS: u64 = MEMBER_PERMS | (1 << 35) | (1 << 38) | (1 << 44);
/// SEND_MESSAGES, for overwrites that deny it.
pub const SEND_MESSAGES: u64 = 1 << 11;

/// A person in the world.
#[derive(Debug, Clone)]
pub struct PersonSpec {
    pub id: u64,
    pub username: String,
    pub display: String,
    /// Guild permissions per guild the person is in.
    pub guilds: Vec<(u64, u64)>,
    pub roles: Vec<u64>,
}

impl PersonSpec {
    /// The user object.
    pub fn user_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.display,
            "avatar": null,
            "public_flags": 0,
        })
    }

    /// The guild member object, with the user and the permissions an interaction carries.
    pub fn member_json(&self, guild: u64, with_user: bool) -> Value {
        let perms = self
            .perms_in(guild)
            .unwrap_or_else(|| panic!("test bug: {} is not in guild {guild}", self.username));
        let mut m = json!({
            "nick": null,
            "avatar": null,
            "roles": if guild == GUILD { self.roles.iter().map(u64::to_string).collect::<Vec<_>>() } else { Vec::new() },
            "joined_at": "2026-01-05T10:00:00.000000+00:00",
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "permissions": perms.to_string(),
            "communication_disabled_until": null,
        });
        if with_user {
            m["user"] = self.user_json();
        }
        m
    }

    /// The person's permissions in `guild`, if they are in it.
    pub fn perms_in(&self, guild: u64) -> Option<u64> {
        self.guilds.iter().find(|(g, _)| *g == guild).map(|(_, p)| *p)
    }
}

/// A guild text channel.
#[derive(Debug, Clone)]
pub struct ChannelSpec {
    pub id: u64,
    pub guild: u64,
    pub name: String,
}

impl ChannelSpec {
    /// The channel object.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "guild_id": self.guild.to_string(),
            "type": 0,
            "name": self.name,
            "position": 0,
            "permission_overwrites": [],
            "topic": null,
            "nsfw": false,
            "last_message_id": null,
            "rate_limit_per_user": 0,
            "parent_id": null,
            "flags": 0,
        })
    }
}

/// The guilds, channels and people the fake serves.
#[derive(Debug, Clone)]
pub struct WorldSpec {
    pub app_id: u64,
    /// The guild the bot is developed in (DISCORD_GUILD_ID); READY lists it as unavailable, then
    /// GUILD_CREATE follows.
    pub guild_id: u64,
    pub other_guild_id: u64,
    pub owner_id: u64,
    pub channels: Vec<ChannelSpec>,
    pub people: Vec<PersonSpec>,
    pub dm_closed: Vec<u64>,
    /// Permission overwrite objects of channels: (channel id, overwrite JSON).
    pub overwrites: Vec<(u64, Value)>,
    /// Whether the application may ask for the privileged GUILD_MEMBERS intent ("Server Members
    /// Intent" switched on in the developer portal).
    pub members_intent: bool,
}

impl WorldSpec {
    /// The standard cast.
    pub fn standard() -> WorldSpec {
        let person =
            |id, username: &str, display: &str, guilds: Vec<(u64, u64)>, roles: Vec<u64>| PersonSpec {
                id,
                username: username.into(),
                display: display.into(),
                guilds,
                roles,
            };
        WorldSpec {
            app_id: APP_ID,
            guild_id: GUILD,
            other_guild_id: OTHER_GUILD,
            owner_id: ADMIN,
            channels: vec![
                ChannelSpec {
                    id: HOME,
                    guild: GUILD,
                    name: "coalition-hub".into(),
                },
                ChannelSpec {
                    id: GENERAL,
                    guild: GUILD,
                    name: "general".into(),
                },
                ChannelSpec {
                    id: OTHER_HOME,
                    guild: OTHER_GUILD,
                    name: "other-hub".into(),
                },
            ],
            people: vec![
                person(
                    ADMIN,
                    "ada",
                    "Ada Admin",
                    vec![(GUILD, ADMIN_PERMS), (OTHER_GUILD, ADMIN_PERMS)],
                    vec![ORGANIZERS_ROLE],
                ),
                person(
                    LEAD,
                    "lena",
                    "Lena Lead",
                    vec![(GUILD, MEMBER_PERMS)],
                    vec![ORGANIZERS_ROLE],
                ),
                person(MEMBER, "milo", "Milo Member", vec![(GUILD, MEMBER_PERMS)], vec![]),
                person(
                    MEMBER2,
                    "nora",
                    "Nora Member",
                    vec![(GUILD, MEMBER_PERMS), (OTHER_GUILD, MEMBER_PERMS)],
                    vec![],
                ),
                person(
                    NOBODY,
                    "otto",
                    "Otto Outsider",
                    vec![(GUILD, MEMBER_PERMS)],
                    vec![],
                ),
                person(CLOSED, "cleo", "Cleo Closed", vec![(GUILD, MEMBER_PERMS)], vec![]),
            ],
            dm_closed: vec![CLOSED],
            overwrites: Vec::new(),
            members_intent: false,
        }
    }

    /// Denies `deny` to @everyone in `channel` (like a lead locking a channel in Discord).
    pub fn deny_everyone(mut self, channel: u64, deny: u64) -> WorldSpec {
        let guild = self.channel(channel).map_or(self.guild_id, |c| c.guild);
        self.overwrites.push((
            channel,
            json!({ "id": guild.to_string(), "type": 0, "allow": "0", "deny": deny.to_string() }),
        ));
        self
    }

    /// Lets the application use the GUILD_MEMBERS intent.
    pub fn with_members_intent(mut self) -> WorldSpec {
        self.members_intent = true;
        self
    }

    /// The channel object of `id`, with its overwrites.
    pub fn channel_json(&self, id: u64) -> Option<Value> {
        let mut c = self.channel(id)?.json();
        c["permission_overwrites"] = Value::Array(
            self.overwrites
                .iter()
                .filter(|(ch, _)| *ch == id)
                .map(|(_, o)| o.clone())
                .collect(),
        );
        Some(c)
    }

    /// The bot's guild member object in `guild` (it holds the Backbone role in the test guild).
    pub fn bot_member_json(&self, guild: u64, app_id: u64) -> Value {
        json!({
            "user": { "id": app_id.to_string(), "username": "backbone", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
            "nick": null, "avatar": null,
            "roles": if guild == self.guild_id { vec![BOT_ROLE.to_string()] } else { Vec::new() },
            "joined_at": "2026-01-05T10:00:00.000000+00:00",
            "premium_since": null, "deaf": false, "mute": false, "flags": 0, "pending": false,
        })
    }

    pub fn person(&self, id: u64) -> Option<&PersonSpec> {
        self.people.iter().find(|p| p.id == id)
    }

    pub fn channel(&self, id: u64) -> Option<&ChannelSpec> {
        self.channels.iter().find(|c| c.id == id)
    }

    pub fn guilds(&self) -> Vec<u64> {
        vec![self.guild_id, self.other_guild_id]
    }

    /// The GUILD_CREATE payload of `guild` (with the bot as a member).
    pub fn guild_create_json(&self, guild: u64, app_id: u64) -> Value {
        let everyone = json!({
            "id": guild.to_string(), "name": "@everyone", "color": 0, "hoist": false, "icon": null,
            "unicode_emoji": null, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null }, "position": 0, "permissions": MEMBER_PERMS.to_string(), "managed": false,
            "mentionable": false, "flags": 0,
        });
        let organizers = json!({
            "id": ORGANIZERS_ROLE.to_string(), "name": "Organizers", "color": 0, "hoist": true, "icon": null,
            "unicode_emoji": null, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null }, "position": 1, "permissions": "0", "managed": false,
            "mentionable": true, "flags": 0,
        });
        let mut members: Vec<Value> = self
            .people
            .iter()
            .filter(|p| p.perms_in(guild).is_some())
            .map(|p| {
                let mut m = p.member_json(guild, true);
                m.as_object_mut().expect("object").remove("permissions");
                m
            })
            .collect();
        members.push(self.bot_member_json(guild, app_id));
        let bot_role = json!({
            "id": BOT_ROLE.to_string(), "name": "Backbone", "color": 0, "hoist": false, "icon": null,
            "unicode_emoji": null, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null }, "position": 2, "permissions": BOT_PERMS.to_string(), "managed": true,
            "mentionable": false, "flags": 0, "tags": { "bot_id": app_id.to_string() },
        });
        json!({
            "id": guild.to_string(),
            "name": if guild == self.guild_id { "River Coalition HQ" } else { "Another Server" },
            "icon": null, "icon_hash": null, "splash": null, "discovery_splash": null,
            "owner_id": self.owner_id.to_string(),
            "afk_channel_id": null, "afk_timeout": 300,
            "widget_enabled": false, "widget_channel_id": null,
            "verification_level": 1, "default_message_notifications": 1, "explicit_content_filter": 2,
            "roles": if guild == self.guild_id { vec![everyone, organizers, bot_role] } else { vec![everyone] },
            "emojis": [], "features": [], "mfa_level": 0, "application_id": null,
            "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
            "max_presences": null, "max_members": 500000, "vanity_url_code": null, "description": null,
            "banner": null, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "public_updates_channel_id": null, "max_video_channel_users": 25, "max_stage_video_channel_users": 50,
            "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null, "incidents_data": null,
            "joined_at": "2026-01-05T10:00:00.000000+00:00", "large": false, "unavailable": false,
            "member_count": members.len(), "voice_states": [], "members": members,
            "channels": self.channels.iter().filter(|c| c.guild == guild).filter_map(|c| self.channel_json(c.id)).collect::<Vec<_>>(),
            "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "embedded_activities": [], "lazy": true,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Logs: one global subscriber collects every log line, so tests can check what the bot logged and
// failures can show it.

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// What the tests log when `RUST_LOG` is not set.
const TEST_FILTER: &str = "info,serenity=info,sqlx=warn";

/// A layer a benchmark adds beside the log buffer (e.g. one that times spans).
pub type ExtraLayer = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| install_logs(TEST_FILTER, None))
}

/// Installs the log buffer with `filter` (when `RUST_LOG` is not set) instead of the tests' own,
/// and `extra` beside it with its own filter. Call before anything logs or starts a bot; later
/// calls do nothing.
pub fn init_logs(filter: &str, extra: ExtraLayer) {
    LOGS.get_or_init(|| install_logs(filter, Some(extra)));
}

fn install_logs(filter: &str, extra: Option<ExtraLayer>) -> Arc<Mutex<Vec<u8>>> {
    use tracing_subscriber::prelude::*;
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = buf.clone();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || LogWriter(writer.clone()))
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(extra).with(logs).try_init();
    buf
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line so far (of every test in this process).
pub fn log_lines() -> Vec<String> {
    let buf = log_buffer().lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&buf).lines().map(String::from).collect()
}

// ---------------------------------------------------------------------------------------------
// The bot's answer to an interaction.

/// What the bot answered to an interaction.
#[derive(Debug, Clone)]
pub struct Reply {
    pub token: String,
    /// The callback type: 4 message, 5 deferred, 6 deferred update, 7 update message, 8
    /// autocomplete, 9 modal.
    pub kind: u64,
    /// The callback's data; after a deferral, the message that replaced the placeholder.
    pub data: Value,
    /// The message shown (reply, updated card, or the deferred response), as the fake stores it.
    pub message: Option<Msg>,
    /// The interaction's type and the message a component was on (for modals opened from it).
    pub from_message: Option<u64>,
}

impl Reply {
    /// Whether only the invoking user sees it.
    pub fn ephemeral(&self) -> bool {
        self.message.as_ref().is_some_and(|m| m.ephemeral)
            || self.data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64 != 0
    }

    /// Content, embeds and button labels, one item per line.
    pub fn text(&self) -> String {
        match (&self.message, self.kind) {
            (Some(m), 5 | 7) => m.text(),
            _ => message_text(&self.data),
        }
    }

    /// The custom ids of its buttons.
    pub fn buttons(&self) -> Vec<String> {
        match (&self.message, self.kind) {
            (Some(m), 5 | 7) => m.buttons(),
            _ => custom_ids(&self.data),
        }
    }

    /// The custom id of its button that starts with `prefix` (`"task:done"`); panics if none.
    pub fn button(&self, prefix: &str) -> String {
        let all = self.buttons();
        all.iter()
            .find(|b| b.starts_with(prefix))
            .cloned()
            .unwrap_or_else(|| panic!("no `{prefix}…` button in {all:?}:\n{}", self.text()))
    }

    /// The id of the message shown.
    pub fn message_id(&self) -> u64 {
        self.message
            .as_ref()
            .map(|m| m.id)
            .unwrap_or_else(|| panic!("reply has no message: {self:?}"))
    }

    /// Panics unless this is a modal; returns its custom id.
    pub fn modal_id(&self) -> String {
        assert_eq!(self.kind, 9, "expected a modal, got {self:?}");
        self.data["custom_id"].as_str().unwrap_or("").to_string()
    }

    /// Autocomplete choices as (name, value).
    pub fn choices(&self) -> Vec<(String, Value)> {
        assert_eq!(self.kind, 8, "expected autocomplete choices, got {self:?}");
        self.data["choices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| (c["name"].as_str().unwrap_or("").to_string(), c["value"].clone()))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The bot under test.

/// How long to wait for the bot to answer an interaction.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the clock starts: Monday 2026-11-23 10:00 UTC.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

/// The token the fake accepts.
pub const TOKEN: &str = "e2e.fake-token.abc123";

/// The real bot, connected to a fake Discord.
pub struct Bot {
    pub fake: FakeDiscord,
    pub clock: Arc<ManualClock>,
    pub db_url: String,
    pub world: WorldSpec,
    /// Where the running bot serves /healthz and /metrics.
    pub metrics_addr: String,
    shutdown: watch::Sender<bool>,
    handle: Option<JoinHandle<backbone::Result<()>>>,
    dir: tempfile::TempDir,
    /// Set when the bot serves interactions over HTTP (`backbone serve`): interactions are posted
    /// to it, signed, instead of dispatched on the gateway.
    pub http: Option<HttpTransport>,
    /// The bot's PostgreSQL database, dropped with the bot (None on SQLite).
    _database: Option<super::pg::Database>,
}

/// Posts interactions to `backbone serve`'s `POST /interactions`, signed as Discord signs them.
#[derive(Clone)]
pub struct HttpTransport {
    /// `http://ADDR/interactions`.
    pub url: String,
    key: Arc<ed25519_dalek::SigningKey>,
    client: reqwest::Client,
    /// The HTTP status of each posted interaction, by its token.
    pub statuses: Arc<Mutex<HashMap<String, u16>>>,
}

/// The seed of the application's test key pair (what the developer portal would hold).
const SIGNING_SEED: [u8; 32] = [42; 32];

impl HttpTransport {
    pub fn new(addr: std::net::SocketAddr) -> HttpTransport {
        HttpTransport {
            url: format!("http://{addr}/interactions"),
            key: Arc::new(ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED)),
            client: reqwest::Client::new(),
            statuses: Arc::default(),
        }
    }

    /// [`Self::new`] opening a new connection for every request, as a load balancer in front of
    /// several copies would spread them (a kept-alive connection sticks to one copy).
    pub fn without_keep_alive(addr: std::net::SocketAddr) -> HttpTransport {
        HttpTransport {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            ..HttpTransport::new(addr)
        }
    }

    /// Posts `body` signed at `at`; the status, or None when the connection failed (the copy it
    /// reached died).
    pub async fn try_post(&self, body: &Value, at: DateTime<Utc>) -> Option<u16> {
        let body = serde_json::to_vec(body).expect("json");
        let ts = at.timestamp().to_string();
        let sig = self.sign(&ts, &body);
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("X-Signature-Ed25519", sig)
            .header("X-Signature-Timestamp", ts)
            .body(body)
            .send()
            .await
            .ok()?;
        Some(resp.status().as_u16())
    }

    /// The application's public key in hex (`DISCORD_PUBLIC_KEY`).
    pub fn public_key_hex() -> String {
        let key = ed25519_dalek::SigningKey::from_bytes(&SIGNING_SEED);
        hex(&key.verifying_key().to_bytes())
    }

    /// Discord's signature of `body` sent at `timestamp` (hex of Ed25519 over timestamp + body).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        use ed25519_dalek::Signer;
        let message = [timestamp.as_bytes(), body].concat();
        hex(&self.key.sign(&message).to_bytes())
    }

    /// Posts `body` with these signature headers (either may be left out); returns the status,
    /// the content type and the body of the answer.
    pub async fn post_raw(
        &self,
        body: Vec<u8>,
        signature: Option<&str>,
        timestamp: Option<&str>,
    ) -> (u16, String, String) {
        let mut req = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            req = req.header("X-Signature-Ed25519", s);
        }
        if let Some(t) = timestamp {
            req = req.header("X-Signature-Timestamp", t);
        }
        let resp = req.send().await.expect("the interactions endpoint answers");
        let status = resp.status().as_u16();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, kind, resp.text().await.unwrap_or_default())
    }

    /// Posts `body` signed as Discord would at `at`.
    pub async fn post(&self, body: &Value, at: DateTime<Utc>) -> (u16, String, String) {
        let body = serde_json::to_vec(body).expect("json");
        let ts = at.timestamp().to_string();
        let sig = self.sign(&ts, &body);
        self.post_raw(body, Some(&sig), Some(&ts)).await
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Drop for Bot {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let name = self.fake.bot_name().to_string();
            let reqs: Vec<String> = self
                .fake
                .requests()
                .iter()
                .rev()
                .take(40)
                .rev()
                .map(|r| {
                    format!(
                        "  #{} {} {} -> {} {}",
                        r.seq,
                        r.method,
                        r.path,
                        r.status,
                        super::server::short(&r.body)
                    )
                })
                .collect();
            eprintln!("---- fake Discord ({name}): last requests\n{}", reqs.join("\n"));
            eprintln!("---- violations: {:?}", self.fake.violations());
            let logs = log_lines();
            let tail: Vec<&String> = logs
                .iter()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            eprintln!(
                "---- last log lines (all tests)\n{}",
                tail.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("\n")
            );
        }
        let _ = self.shutdown.send(true);
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

impl Bot {
    /// Starts the fake and the bot at [`start_time`] and waits until its commands are registered.
    pub async fn start() -> Bot {
        let bot = Bot::launch(TOKEN, start_time()).await;
        bot.ready().await;
        bot
    }

    /// [`Self::start`] in another world (e.g. with more channels).
    pub async fn start_in(world: WorldSpec) -> Bot {
        let bot = Bot::launch_in(world, TOKEN, start_time()).await;
        bot.ready().await;
        bot
    }

    /// Starts the fake and spawns the bot with `token`, without waiting for anything.
    pub async fn launch(token: &str, at: DateTime<Utc>) -> Bot {
        Bot::launch_in(WorldSpec::standard(), token, at).await
    }

    /// [`Self::launch`] in `world`.
    pub async fn launch_in(world: WorldSpec, token: &str, at: DateTime<Utc>) -> Bot {
        let mut bot = Bot::without_bot_in(world, at).await;
        bot.spawn_serve(token);
        bot
    }

    /// Like [`Self::start`], but the bot serves interactions over HTTP (`backbone serve`) with no
    /// gateway connection; the interaction helpers post to it, signed.
    pub async fn start_http() -> Bot {
        Bot::start_http_in(WorldSpec::standard()).await
    }

    /// [`Self::start_http`] in `world`.
    pub async fn start_http_in(world: WorldSpec) -> Bot {
        let mut bot = Bot::without_bot_in(world, start_time()).await;
        let key = HttpTransport::public_key_hex();
        let config = bot.config(TOKEN, &[("DISCORD_PUBLIC_KEY", key)]);
        bot.spawn_http(config).await;
        bot.ready().await;
        bot
    }

    /// Spawns `serve_on` over HTTP with `config`, on a free loopback port.
    pub async fn spawn_http(&mut self, config: Config) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        self.http = Some(HttpTransport::new(listener.local_addr().expect("addr")));
        let (shutdown, rx) = watch::channel(false);
        self.shutdown = shutdown;
        self.handle = Some(tokio::spawn(backbone::discord::serve_on(
            config,
            self.clock.clone(),
            rx,
            backbone::discord::Transport::Http(listener),
        )));
    }

    fn spawn_serve(&mut self, token: &str) {
        let config = self.config(token, &[]);
        let (shutdown, rx) = watch::channel(false);
        self.shutdown = shutdown;
        self.handle = Some(tokio::spawn(backbone::discord::serve(
            config,
            self.clock.clone(),
            rx,
        )));
    }

    /// The bot's configuration against this fake, with `token` and `extra` variables; picks a
    /// free port for /metrics (the scheduler's rounds are read there).
    pub fn config(&mut self, token: &str, extra: &[(&'static str, String)]) -> Config {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.metrics_addr = format!("127.0.0.1:{port}");
        let mut env: HashMap<&str, String> = HashMap::from([
            ("BACKBONE_METRICS_ADDR", self.metrics_addr.clone()),
            ("DISCORD_TOKEN", token.to_string()),
            ("DISCORD_GUILD_ID", GUILD.to_string()),
            ("DISCORD_API_BASE", self.fake.api_base()),
            ("BACKBONE_DATABASE_URL", self.db_url.clone()),
            ("BACKBONE_TICK_SECONDS", "1".to_string()),
            (
                "BACKBONE_GUILD_MEMBERS_INTENT",
                self.world.members_intent.to_string(),
            ),
        ]);
        env.extend(extra.iter().cloned());
        Config::from_sources(None, |k| env.get(k).cloned()).expect("config")
    }

    /// Stops the bot cleanly and starts a new one on the same database, clock and fake Discord
    /// (a restart: nothing in memory survives); waits until it has identified again.
    pub async fn restart(&mut self) {
        let identified = self.fake.state().gateway.identifies;
        let registered = self.overwrites();
        let _ = self.shutdown.send(true);
        let h = self.handle.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), h)
            .await
            .expect("serve stops within 30 s")
            .expect("serve did not panic")
            .expect("clean shutdown");
        self.spawn_serve(TOKEN);
        self.fake
            .wait_identified(identified + 1, Duration::from_secs(30))
            .await;
        // Commands answer once the new process has registered them (its setup is done).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.overwrites() <= registered {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the restarted bot never registered its commands"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many successful guild command bulk overwrites the fake has seen.
    fn overwrites(&self) -> usize {
        let path = format!("/applications/{APP_ID}/guilds/{GUILD}/commands");
        self.fake
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path == path && r.status == 200)
            .count()
    }

    /// Starts the fake and makes a temp dir for the database, but runs no bot: for a bot started
    /// some other way (the real binary). The interaction helpers (`slash`, `click`, …) work the
    /// same; `clock`, `stop` and `finished` concern only an in-process bot.
    pub async fn without_bot(at: DateTime<Utc>) -> Bot {
        Bot::without_bot_in(WorldSpec::standard(), at).await
    }

    /// [`Self::without_bot`] in `world`.
    pub async fn without_bot_in(world: WorldSpec, at: DateTime<Utc>) -> Bot {
        log_buffer();
        let fake = FakeDiscord::start(world.clone(), TOKEN).await;
        fake.state().clock_now = Some(at);
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, database) = if super::on_postgres() {
            let database = super::pg::Cluster::shared().database();
            (database.url.clone(), Some(database))
        } else {
            (
                format!("sqlite://{}", dir.path().join("backbone.db").display()),
                None,
            )
        };
        Bot {
            fake,
            clock: Arc::new(ManualClock::new(at)),
            db_url,
            world,
            metrics_addr: String::new(),
            shutdown: watch::channel(false).0,
            handle: None,
            dir,
            http: None,
            _database: database,
        }
    }

    /// The bot's temp dir (working directory of a bot run as a binary).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The bot's database file (the one `db_url` names).
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir().join("backbone.db")
    }

    /// Waits until the bot identified, registered its commands in the test guild and logged READY.
    pub async fn ready(&self) {
        let timeout = Duration::from_secs(30);
        self.registered(timeout).await;
        let name = self.fake.bot_name().to_string();
        let deadline = tokio::time::Instant::now() + timeout;
        while !log_lines()
            .iter()
            .any(|l| l.contains("READY") && l.contains(&name))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot never logged READY"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the bot identified on a live gateway connection and registered its commands in
    /// the test guild (what the fake sees; the bot may not have logged READY yet).
    pub async fn registered(&self, timeout: Duration) {
        if self.http.is_none() {
            self.fake.wait_identified(1, timeout).await;
        }
        self.fake
            .wait_for("the guild command bulk overwrite", timeout, |s| {
                s.requests
                    .iter()
                    .any(|r| {
                        r.method == "PUT"
                            && r.path == format!("/applications/{APP_ID}/guilds/{GUILD}/commands")
                            && r.status == 200
                    })
                    .then_some(())
            })
            .await;
    }

    /// Asks the bot to shut down and waits for `serve` to return.
    pub async fn stop(mut self) -> backbone::Result<()> {
        let _ = self.shutdown.send(true);
        let h = self.handle.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), h)
            .await
            .expect("serve stops within 30 s")
            .expect("serve did not panic")
    }

    /// Waits for `serve` to return on its own (e.g. after a refused token).
    pub async fn finished(mut self, timeout: Duration) -> backbone::Result<()> {
        let h = self.handle.take().expect("running");
        tokio::time::timeout(timeout, h)
            .await
            .expect("serve returns")
            .expect("serve did not panic")
    }

    /// The bot's clock.
    pub fn now(&self) -> DateTime<Utc> {
        use backbone::clock::Clock;
        self.clock.now()
    }

    /// Sets the bot's clock (the scheduler sees it at its next tick, within a second).
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.fake.state().clock_now = Some(at);
    }

    fn person(&self, user: u64) -> &PersonSpec {
        self.world
            .person(user)
            .unwrap_or_else(|| panic!("test bug: no person {user}"))
    }

    /// Builds and dispatches an interaction; returns its token.
    fn interact(
        &self,
        kind: u64,
        guild: u64,
        channel: u64,
        user: u64,
        data: Value,
        message: Option<Value>,
    ) -> String {
        let (token, d) = self.interaction(kind, guild, channel, user, data, message);
        match &self.http {
            None => {
                self.fake.dispatch("INTERACTION_CREATE", d);
            }
            Some(http) => {
                let (http, at, token) = (http.clone(), self.now(), token.clone());
                tokio::spawn(async move {
                    let (status, _, _) = http.post(&d, at).await;
                    http.statuses.lock().unwrap().insert(token, status);
                });
            }
        }
        token
    }

    /// A slash command's interaction as Discord would send it, recorded by the fake but not sent:
    /// (its token, its JSON).
    pub fn slash_interaction(&self, user: u64, command: &str, options: &[(&str, &str)]) -> (String, Value) {
        let data = self.command_data(GUILD, command, options, None);
        self.interaction(2, GUILD, HOME, user, data, None)
    }

    /// [`Self::slash_interaction`] in `channel` of the test guild.
    pub fn slash_interaction_in(
        &self,
        channel: u64,
        user: u64,
        command: &str,
        options: &[(&str, &str)],
    ) -> (String, Value) {
        let data = self.command_data(GUILD, command, options, None);
        self.interaction(2, GUILD, channel, user, data, None)
    }

    /// Builds an interaction and records it in the fake (so its answers are accepted); returns
    /// its token and JSON.
    fn interaction(
        &self,
        kind: u64,
        guild: u64,
        channel: u64,
        user: u64,
        data: Value,
        message: Option<Value>,
    ) -> (String, Value) {
        let person = self.person(user);
        let (id, token) = {
            let mut s = self.fake.state();
            let id = s.snowflake();
            (id, format!("aW50ZXJhY3Rpb246{id}OmUyZS10b2tlbg"))
        };
        // A thread the bot started counts as a channel of its parent's guild.
        let thread = self.fake.state().threads.get(&channel).cloned();
        let channel_spec = match (self.world.channel(channel), &thread) {
            (Some(c), _) => c.clone(),
            (None, Some(t)) => ChannelSpec {
                id: t.id,
                guild: t.guild,
                name: t.name.clone(),
            },
            (None, None) => panic!("test bug: no channel {channel}"),
        };
        assert_eq!(
            channel_spec.guild, guild,
            "test bug: channel {channel} is not in guild {guild}"
        );
        let mut d = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": data,
            "guild_id": guild.to_string(),
            "channel": {
                "id": channel.to_string(), "name": channel_spec.name, "type": if thread.is_some() { 11 } else { 0 },
                "guild_id": guild.to_string(),
                "permissions": person.perms_in(guild).unwrap_or(0).to_string(), "flags": 0,
            },
            "channel_id": channel.to_string(),
            "member": person.member_json(guild, true),
            "token": token,
            "version": 1,
            "app_permissions": MEMBER_PERMS.to_string(),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": { "0": guild.to_string() },
            "context": 0,
            "attachment_size_limit": 10_485_760,
        });
        if let Some(m) = &message {
            d["message"] = m.clone();
        }
        if let Err(e) = serde_json::from_value::<serenity::all::Interaction>(d.clone()) {
            panic!("test bug: serenity cannot parse this interaction ({e}):\n{d:#}");
        }
        let message_id = message
            .as_ref()
            .and_then(|m| m["id"].as_str())
            .and_then(|i| i.parse().ok());
        self.fake.state().interactions.insert(
            token.clone(),
            super::server::InteractionRec {
                id,
                token: token.clone(),
                kind,
                guild_id: Some(guild),
                channel_id: channel,
                user_id: user,
                message_id,
                callback: None,
                original: None,
                followups: Vec::new(),
                dispatched_at: std::time::Instant::now(),
            },
        );
        (token, d)
    }

    /// Waits for the bot's answer to the interaction `token` (following a deferral to the message
    /// that replaces it).
    pub async fn reply(&self, token: &str) -> Reply {
        let (kind, data, original, from_message) = self
            .fake
            .wait_for(
                &format!("the answer to interaction {token}"),
                REPLY_TIMEOUT,
                |s| {
                    let i = s.interactions.get(token)?;
                    let cb = i.callback.as_ref()?;
                    Some((cb.kind, cb.data.clone(), i.original, i.message_id))
                },
            )
            .await;
        if kind == 5 {
            // Deferred: the answer is the edited original or the first follow-up.
            let (data, msg) = self
                .fake
                .wait_for(&format!("the deferred answer to {token}"), REPLY_TIMEOUT, |s| {
                    let i = s.interactions.get(token)?;
                    if let Some(m) = i
                        .original
                        .and_then(|m| s.messages.get(&m))
                        .filter(|m| m.edits > 0)
                    {
                        return Some((m.json.clone(), m.clone()));
                    }
                    let f = i.followups.first().and_then(|m| s.messages.get(m))?;
                    Some((f.json.clone(), f.clone()))
                })
                .await;
            return Reply {
                token: token.into(),
                kind,
                data,
                message: Some(msg),
                from_message,
            };
        }
        let message = original.and_then(|m| self.fake.message(m));
        Reply {
            token: token.into(),
            kind,
            data,
            message,
            from_message,
        }
    }

    /// Runs a slash command (`"task assign"`) as `user` in the home channel of the test guild.
    /// Options are given as text and typed by the registered command schema.
    pub async fn slash(&self, user: u64, command: &str, options: &[(&str, &str)]) -> Reply {
        self.slash_in(GUILD, HOME, user, command, options).await
    }

    /// [`Self::slash`] in another guild or channel.
    pub async fn slash_in(
        &self,
        guild: u64,
        channel: u64,
        user: u64,
        command: &str,
        options: &[(&str, &str)],
    ) -> Reply {
        let token = self.send_slash_in(guild, channel, user, command, options);
        self.reply(&token).await
    }

    /// Dispatches a slash command without waiting; returns the interaction token for [`Self::reply`].
    pub fn send_slash_in(
        &self,
        guild: u64,
        channel: u64,
        user: u64,
        command: &str,
        options: &[(&str, &str)],
    ) -> String {
        let data = self.command_data(guild, command, options, None);
        self.interact(2, guild, channel, user, data, None)
    }

    /// Types into option `focused` of a command and returns the autocomplete answer.
    pub async fn autocomplete(
        &self,
        user: u64,
        command: &str,
        options: &[(&str, &str)],
        focused: &str,
    ) -> Reply {
        let data = self.command_data(GUILD, command, options, Some(focused));
        let token = self.interact(4, GUILD, HOME, user, data, None);
        self.reply(&token).await
    }

    /// Clicks button `custom_id` on message `message_id` as `user`.
    pub async fn click(&self, user: u64, message_id: u64, custom_id: &str) -> Reply {
        let token = self.send_click(user, message_id, custom_id);
        self.reply(&token).await
    }

    /// Dispatches a button click without waiting; returns the interaction token.
    pub fn send_click(&self, user: u64, message_id: u64, custom_id: &str) -> String {
        let msg = self
            .fake
            .message(message_id)
            .unwrap_or_else(|| panic!("test bug: no message {message_id}"));
        self.send_click_on(user, &msg, custom_id)
    }

    /// Clicks button `custom_id` on `msg` as it was when copied, even if the message has changed
    /// since (a client that has not seen the edit yet, a stale copy of a card).
    pub async fn click_on(&self, user: u64, msg: &Msg, custom_id: &str) -> Reply {
        let token = self.send_click_on(user, msg, custom_id);
        self.reply(&token).await
    }

    /// Dispatches a click on `msg` as copied, without waiting; returns the interaction token.
    pub fn send_click_on(&self, user: u64, msg: &Msg, custom_id: &str) -> String {
        assert!(
            msg.buttons().iter().any(|b| b == custom_id),
            "test bug: this copy of message {} has no button `{custom_id}` (it has {:?})",
            msg.id,
            msg.buttons()
        );
        let guild = self.world.channel(msg.channel_id).map_or(GUILD, |c| c.guild);
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        self.interact(3, guild, msg.channel_id, user, data, Some(msg.json.clone()))
    }

    /// Clicks a button that is not on any message the fake knows (an old or forged message) in
    /// `channel`.
    pub async fn click_forged(&self, guild: u64, channel: u64, user: u64, custom_id: &str) -> Reply {
        let (id, author) = (self.fake.state().snowflake(), self.fake.inner.bot_user());
        let msg = json!({
            "id": id.to_string(), "channel_id": channel.to_string(), "guild_id": guild.to_string(), "author": author,
            "content": "an old card", "timestamp": timestamp(), "edited_timestamp": null, "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": false, "type": 0, "flags": 0,
            "components": [{ "type": 1, "components": [{ "type": 2, "style": 1, "label": "old", "custom_id": custom_id }] }],
        });
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        let token = self.interact(3, guild, channel, user, data, Some(msg));
        self.reply(&token).await
    }

    /// Submits the modal the bot opened in `modal` with `values` (text input id → value).
    pub async fn submit(&self, user: u64, modal: &Reply, values: &[(&str, &str)]) -> Reply {
        let custom_id = modal.modal_id();
        let inputs: Vec<Value> = modal.data["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .collect();
        for (k, _) in values {
            assert!(
                inputs.iter().any(|i| i["custom_id"] == *k),
                "test bug: the modal has no input `{k}`: {inputs:?}"
            );
        }
        let rows: Vec<Value> = inputs
            .iter()
            .map(|i| {
                let id = i["custom_id"].as_str().unwrap_or("");
                let value = values
                    .iter()
                    .find(|(k, _)| *k == id)
                    .map(|(_, v)| v.to_string())
                    .or_else(|| i["value"].as_str().map(String::from))
                    .unwrap_or_default();
                if i["required"] != json!(false) && value.is_empty() {
                    panic!("test bug: required input `{id}` left empty");
                }
                json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] })
            })
            .collect();
        let (guild, channel) = {
            let s = self.fake.state();
            let i = &s.interactions[&modal.token];
            (i.guild_id.unwrap_or(GUILD), i.channel_id)
        };
        let message = modal
            .from_message
            .and_then(|m| self.fake.message(m))
            .map(|m| m.json);
        let data = json!({ "custom_id": custom_id, "components": rows });
        let token = self.interact(5, guild, channel, user, data, message);
        self.reply(&token).await
    }

    /// The `data` of a chat-input interaction, typed by the registered schema of `command`.
    fn command_data(
        &self,
        guild: u64,
        command: &str,
        options: &[(&str, &str)],
        focused: Option<&str>,
    ) -> Value {
        let mut path = command.split_whitespace();
        let top = path.next().expect("a command name");
        let registered = {
            let mut cmds = self.fake.commands(GUILD);
            cmds.extend(self.fake.commands(0));
            cmds
        };
        let cmd = registered
            .iter()
            .find(|c| c["name"] == top)
            .unwrap_or_else(|| {
                panic!(
                    "/{top} is not registered (registered: {:?})",
                    registered.iter().map(|c| c["name"].clone()).collect::<Vec<_>>()
                )
            })
            .clone();
        // Walk down subcommand groups and subcommands.
        let mut schema = cmd.clone();
        let mut chain = Vec::new();
        for sub in path {
            let next = schema["options"]
                .as_array()
                .and_then(|o| {
                    o.iter()
                        .find(|o| o["name"] == sub && matches!(o["type"].as_u64(), Some(1 | 2)))
                })
                .unwrap_or_else(|| panic!("/{command}: no subcommand `{sub}`"))
                .clone();
            chain.push((sub.to_string(), next["type"].as_u64().unwrap_or(1)));
            schema = next;
        }
        let leaf_opts = schema["options"].as_array().cloned().unwrap_or_default();
        assert!(
            !leaf_opts
                .iter()
                .any(|o| matches!(o["type"].as_u64(), Some(1 | 2))),
            "/{command} needs a subcommand"
        );
        let mut resolved = Map::new();
        let mut typed = Vec::new();
        for (name, raw) in options {
            let o = leaf_opts.iter().find(|o| o["name"] == *name).unwrap_or_else(|| {
                panic!(
                    "/{command} has no option `{name}` (it has {:?})",
                    leaf_opts.iter().map(|o| o["name"].clone()).collect::<Vec<_>>()
                )
            });
            let ty = o["type"].as_u64().unwrap_or(3);
            let is_focused = focused == Some(*name);
            let value = if is_focused {
                json!(raw)
            } else {
                self.typed_value(guild, ty, raw, &mut resolved)
            };
            if let Some(choices) = o["choices"].as_array().filter(|c| !c.is_empty() && !is_focused) {
                assert!(
                    choices.iter().any(|c| c["value"] == value),
                    "/{command} {name}: `{raw}` is not one of the choices {choices:?}"
                );
            }
            let mut opt = json!({ "name": name, "type": ty, "value": value });
            if is_focused {
                opt["focused"] = json!(true);
            }
            typed.push(opt);
        }
        if focused.is_none() {
            for o in &leaf_opts {
                if o["required"] == json!(true) {
                    let name = o["name"].as_str().unwrap_or("");
                    assert!(
                        options.iter().any(|(k, _)| *k == name),
                        "/{command}: required option `{name}` missing"
                    );
                }
            }
        } else {
            assert!(
                typed.iter().any(|o| o["focused"] == json!(true)),
                "the focused option must be given"
            );
        }
        // Nest: options of the leaf inside its subcommand, inside its group.
        let mut opts = Value::Array(typed);
        for (name, ty) in chain.iter().rev() {
            opts = json!([{ "name": name, "type": ty, "options": opts }]);
        }
        let mut data = json!({
            "id": cmd["id"],
            "name": top,
            "type": 1,
            "options": opts,
            "guild_id": guild.to_string(),
        });
        if !resolved.is_empty() {
            data["resolved"] = Value::Object(resolved);
        }
        data
    }

    fn typed_value(&self, guild: u64, ty: u64, raw: &str, resolved: &mut Map<String, Value>) -> Value {
        let bad = |what: &str| -> ! { panic!("test bug: `{raw}` is not a {what}") };
        match ty {
            3 => json!(raw),
            4 => json!(raw.parse::<i64>().unwrap_or_else(|_| bad("integer"))),
            5 => json!(raw.parse::<bool>().unwrap_or_else(|_| bad("boolean"))),
            10 => json!(raw.parse::<f64>().unwrap_or_else(|_| bad("number"))),
            6 => {
                let id: u64 = raw
                    .trim_start_matches("<@")
                    .trim_end_matches('>')
                    .parse()
                    .unwrap_or_else(|_| bad("user id"));
                let p = self.person(id);
                resolved.entry("users").or_insert_with(|| json!({}))[id.to_string()] = p.user_json();
                if p.perms_in(guild).is_some() {
                    resolved.entry("members").or_insert_with(|| json!({}))[id.to_string()] =
                        p.member_json(guild, false);
                }
                json!(id.to_string())
            }
            7 => {
                let id: u64 = raw
                    .trim_start_matches("<#")
                    .trim_end_matches('>')
                    .parse()
                    .unwrap_or_else(|_| bad("channel id"));
                let c = self.world.channel(id).unwrap_or_else(|| bad("known channel"));
                resolved.entry("channels").or_insert_with(|| json!({}))[id.to_string()] = json!({ "id": id.to_string(), "name": c.name, "type": 0, "permissions": MEMBER_PERMS.to_string() });
                json!(id.to_string())
            }
            other => panic!("option type {other} is not supported by the harness"),
        }
    }

    /// Every row of every table (deliveries: only id and dedupe key; not the interaction ids
    /// `backbone serve` took, which every request it accepts adds), to prove that a refused
    /// command changed nothing.
    pub async fn db_fingerprint(&self) -> String {
        if super::on_postgres() {
            return self.postgres_fingerprint().await;
        }
        let pool = sqlx::SqlitePool::connect(&self.db_url)
            .await
            .expect("open the bot's database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('_sqlx_migrations', 'interactions_seen') ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        let mut out = String::new();
        for t in tables {
            let cols: Vec<String> = if t == "deliveries" {
                vec!["id".into(), "dedupe_key".into()]
            } else {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{t}')"
                )))
                .fetch_all(&pool)
                .await
                .expect("columns")
            };
            let expr = cols
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {expr} FROM \"{t}\" ORDER BY rowid"
            )))
            .fetch_all(&pool)
            .await
            .expect("rows");
            out.push_str(&format!("## {t}\n{}\n", rows.join("\n")));
        }
        pool.close().await;
        out
    }

    /// The bot's store, opened beside the bot (SQLite or PostgreSQL, as the bot has it): read it
    /// with `backbone::store::sql`.
    pub async fn store(&self) -> backbone::store::Store {
        backbone::store::Store::connect(&self.db_url)
            .await
            .expect("open the bot's database")
    }

    /// [`Self::db_fingerprint`] of a PostgreSQL database: every row of every table as text, sorted.
    async fn postgres_fingerprint(&self) -> String {
        let pool = sqlx::PgPool::connect(&self.db_url)
            .await
            .expect("open the bot's database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_name NOT IN ('_sqlx_migrations', 'interactions_seen') ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        let mut out = String::new();
        for t in tables {
            let cols: Vec<String> = if t == "deliveries" {
                vec!["id".into(), "dedupe_key".into()]
            } else {
                sqlx::query_scalar(
                    "SELECT column_name::text FROM information_schema.columns
                      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(&t)
                .fetch_all(&pool)
                .await
                .expect("columns")
            };
            let expr = cols
                .iter()
                .map(|c| format!("COALESCE(quote_literal(\"{c}\"), 'NULL')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {expr} FROM \"{t}\" ORDER BY 1"
            )))
            .fetch_all(&pool)
            .await
            .expect("rows");
            out.push_str(&format!("## {t}\n{}\n", rows.join("\n")));
        }
        pool.close().await;
        out
    }

    /// Waits for a stored message (post, DM or reply) that satisfies `pred`.
    /// Waits until the bot's scheduler has finished a round — planned and sent what was due — at
    /// `at` or later on its clock, as `/metrics` reports it over HTTP. After it, anything due by
    /// `at` has been posted: "nothing was posted" can be asserted without sleeping.
    pub async fn rounds_through(&self, at: DateTime<Utc>) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(round) = self.last_round().await
                && round >= at.timestamp()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the scheduler never finished a round at {at} (metrics at {})",
                self.metrics_addr
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `backbone_scheduler_last_round_timestamp_seconds` from the bot's /metrics, if it answers.
    async fn last_round(&self) -> Option<i64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(&self.metrics_addr).await.ok()?;
        let req = format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.metrics_addr
        );
        stream.write_all(req.as_bytes()).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        String::from_utf8_lossy(&raw)
            .lines()
            .find_map(|l| l.strip_prefix("backbone_scheduler_last_round_timestamp_seconds "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as i64)
    }

    pub async fn wait_message(&self, what: &str, timeout: Duration, pred: impl Fn(&Msg) -> bool) -> Msg {
        self.fake
            .wait_for(what, timeout, |s| s.messages.values().find(|m| pred(m)).cloned())
            .await
    }
}
