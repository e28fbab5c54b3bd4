//! The serenity implementation of the scheduler's [`Notifier`]: posts through Discord's REST API
//! and maps Discord's errors onto [`SendError`] so the scheduler knows whether to retry.
//!
//! Two paths. With serenity's ratelimiter on (production without `DISCORD_API_BASE`), messages go
//! through serenity, which waits out 429s per route bucket by itself (counted through its
//! callback, see `rest.rs`). With it off (a fake Discord, or a shared ratelimit proxy), serenity
//! would drop a 429's `retry_after` and `global` with its headers, so messages go out as a thin
//! request of our own (serenity's request builder, our reqwest client) that reads them: only the
//! limited message is retried later, and a global limit pauses every send until it expires.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::serenity::http::{LightMethod, Multipart, MultipartUpload, Request, Route};
use poise::serenity_prelude as serenity;
use serenity::{CreateAttachment, Http, HttpError, Nonce};

use super::convert::{create_message, edit_message};
use crate::domain::meeting::{EventStatus, ScheduledEvent};
use crate::domain::message::Message;
use crate::domain::{ChannelId, GuildId, MessageId, UserId};
use crate::scheduler::{Notifier, SendError};
use crate::telemetry::redact;

/// Sends the scheduler's messages with the bot's HTTP client.
#[derive(Clone)]
pub struct DiscordNotifier {
    http: Arc<Http>,
    /// Our own requests for messages when serenity's ratelimiter is off.
    direct: Option<reqwest::Client>,
    /// Each user's DM channel: a user's DM channel never changes, so only the first DM to them
    /// costs a "create DM" request.
    dm_channels: Arc<Mutex<HashMap<UserId, serenity::ChannelId>>>,
    /// Until when a global 429 holds every send back.
    global_until: Arc<Mutex<Option<tokio::time::Instant>>>,
    /// Whether a user is still in a server, and when that was asked (answers kept a few minutes).
    in_guild: Arc<Mutex<InGuild>>,
}

/// Per (server, user): whether they are in it, and when that was asked.
type InGuild = HashMap<(GuildId, UserId), (bool, std::time::Instant)>;

/// How long an answer to "is this person still in the server?" is trusted.
const IN_GUILD_TTL: std::time::Duration = std::time::Duration::from_secs(300);

impl DiscordNotifier {
    /// A notifier using `http` (the client's, so rate limits are shared with commands) and, when
    /// `http` has no ratelimiter, `client` (the reqwest client `http` was built with) for its own
    /// message requests.
    pub fn new(http: Arc<Http>, client: reqwest::Client) -> DiscordNotifier {
        let direct = http.ratelimiter.is_none().then_some(client);
        DiscordNotifier {
            http,
            direct,
            dm_channels: Arc::default(),
            global_until: Arc::default(),
            in_guild: Arc::default(),
        }
    }

    fn dm_channels(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, serenity::ChannelId>> {
        self.dm_channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The DM channel with `user`, created (and remembered) the first time.
    async fn dm_channel(&self, user: UserId) -> Result<serenity::ChannelId, SendError> {
        if let Some(c) = self.dm_channels().get(&user).copied() {
            return Ok(c);
        }
        let dm = serenity::UserId::new(user.0 as u64)
            .create_dm_channel(&*self.http)
            .await
            .map_err(classify)?;
        self.dm_channels().insert(user, dm.id);
        Ok(dm.id)
    }

    /// Posts `msg` in `channel` with `nonce` enforced.
    async fn post(
        &self,
        channel: serenity::ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        let builder = create_message(msg)
            .nonce(Nonce::String(nonce.to_string()))
            .enforce_nonce(true);
        let Some(client) = &self.direct else {
            let sent = channel
                .send_message(&*self.http, builder)
                .await
                .map_err(classify)?;
            return Ok(MessageId(sent.id.get() as i64));
        };
        self.wait_global().await;
        let json = serde_json::to_string(&builder).map_err(|e| SendError::Other(e.to_string()))?;
        let mut req = Request::new(Route::ChannelMessages { channel_id: channel }, LightMethod::Post);
        // Scheduled posts carry at most one file (the digest's chart): serenity numbers it 0 in
        // both the form part and `attachments`.
        req = match msg.attachments.first() {
            Some(file) => req.multipart(Some(Multipart {
                upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(
                    file.bytes.clone(),
                    file.name.clone(),
                )]),
                fields: Vec::new(),
                payload_json: Some(json),
            })),
            None => req.body(Some(json.into_bytes())),
        };
        let request = req
            .build(client, self.http.token(), self.http.proxy.as_deref())
            .map_err(classify)?;
        let response = request
            .send()
            .await
            .map_err(|e| SendError::Transient(redact(&e.to_string()).into_owned()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::Transient(redact(&e.to_string()).into_owned()))?;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if (200..300).contains(&status) {
            return json["id"]
                .as_str()
                .and_then(|id| id.parse::<i64>().ok())
                .map(MessageId)
                .ok_or_else(|| SendError::Other(format!("{status}: no message id in the answer")));
        }
        if status == 429 {
            let limit = rate_limit(&headers, &json);
            if let SendError::RateLimited {
                retry_after,
                global: true,
            } = limit
            {
                self.pause_all(retry_after);
            }
            return Err(limit);
        }
        let code = json["code"].as_i64().unwrap_or(0);
        let message = json["message"].as_str().unwrap_or("").to_string();
        Err(sort(status, code, message))
    }

    /// Waits while a global 429 lasts.
    async fn wait_global(&self) {
        let until = *self.global_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    fn pause_all(&self, seconds: f64) {
        let until = tokio::time::Instant::now() + Duration::from_secs_f64(seconds.clamp(0.0, 3600.0));
        let mut g = self.global_until.lock().unwrap_or_else(|e| e.into_inner());
        *g = Some(g.map_or(until, |old| old.max(until)));
        tracing::warn!(retry_after = seconds, "global rate limit: every send waits");
    }
}

impl Notifier for DiscordNotifier {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        self.post(serenity::ChannelId::new(channel.0 as u64), msg, nonce)
            .await
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        let dm = self.dm_channel(user).await?;
        let sent = self.post(dm, msg, nonce).await;
        if matches!(sent, Err(SendError::NoAccess { .. })) {
            // Perhaps the remembered channel is gone: ask Discord afresh next time.
            self.dm_channels().remove(&user);
        }
        sent
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> Result<(), SendError> {
        serenity::ChannelId::new(channel.0 as u64)
            .edit_message(
                &*self.http,
                serenity::MessageId::new(message.0 as u64),
                edit_message(msg),
            )
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn in_guild(&self, guild: GuildId, user: UserId) -> Result<bool, SendError> {
        let key = (guild, user);
        let cached = |m: &HashMap<_, (bool, std::time::Instant)>| {
            m.get(&key)
                .filter(|(_, at)| at.elapsed() < IN_GUILD_TTL)
                .map(|(yes, _)| *yes)
        };
        if let Some(yes) = cached(&self.in_guild.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(yes);
        }
        let asked = self
            .http
            .get_member(
                serenity::GuildId::new(guild.0 as u64),
                serenity::UserId::new(user.0 as u64),
            )
            .await;
        let yes = match asked {
            Ok(_) => true,
            // 10007 Unknown Member: they left, were kicked or banned.
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) if r.error.code == 10007 => false,
            Err(e) => return Err(classify(e)),
        };
        let mut m = self.in_guild.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, (_, at)| at.elapsed() < IN_GUILD_TTL);
        m.insert(key, (yes, std::time::Instant::now()));
        Ok(yes)
    }

    async fn create_thread(
        &self,
        channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> Result<ChannelId, SendError> {
        let builder =
            serenity::CreateThread::new(name).auto_archive_duration(serenity::AutoArchiveDuration::OneWeek);
        let made = serenity::ChannelId::new(channel.0 as u64)
            .create_thread_from_message(&*self.http, serenity::MessageId::new(message.0 as u64), builder)
            .await;
        match made {
            Ok(thread) => Ok(ChannelId(thread.id.get() as i64)),
            // 160004: a thread was already made on this message (a retry after a crash). A thread
            // started from a message has the message's id.
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) if r.error.code == 160004 => {
                Ok(ChannelId(message.0))
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn create_event(&self, guild: GuildId, event: &ScheduledEvent) -> Result<i64, SendError> {
        let ts = |at: i64| {
            serenity::Timestamp::from_unix_timestamp(at).map_err(|e| SendError::Other(e.to_string()))
        };
        let (kind, builder) = match event.voice_channel {
            Some(c) => (
                serenity::ScheduledEventType::Voice,
                serenity::CreateScheduledEvent::new(
                    serenity::ScheduledEventType::Voice,
                    &event.name,
                    ts(event.start)?,
                )
                .channel_id(serenity::ChannelId::new(c.0 as u64)),
            ),
            None => (
                serenity::ScheduledEventType::External,
                serenity::CreateScheduledEvent::new(
                    serenity::ScheduledEventType::External,
                    &event.name,
                    ts(event.start)?,
                )
                .location(&event.location),
            ),
        };
        let _ = kind;
        let mut builder = builder.end_time(ts(event.end)?);
        // Discord takes a description of 1 to 1,000 characters, or none.
        if !event.description.trim().is_empty() {
            builder = builder.description(&event.description);
        }
        let made = serenity::GuildId::new(guild.0 as u64)
            .create_scheduled_event(&*self.http, builder)
            .await
            .map_err(classify)?;
        Ok(made.id.get() as i64)
    }

    async fn set_event_status(
        &self,
        guild: GuildId,
        event: i64,
        status: EventStatus,
    ) -> Result<(), SendError> {
        let status = match status {
            EventStatus::Scheduled => serenity::ScheduledEventStatus::Scheduled,
            EventStatus::Active => serenity::ScheduledEventStatus::Active,
            EventStatus::Completed => serenity::ScheduledEventStatus::Completed,
            EventStatus::Canceled => serenity::ScheduledEventStatus::Canceled,
        };
        serenity::GuildId::new(guild.0 as u64)
            .edit_scheduled_event(
                &*self.http,
                serenity::ScheduledEventId::new(event as u64),
                serenity::EditScheduledEvent::new().status(status),
            )
            .await
            .map_err(classify)?;
        Ok(())
    }
}

/// A 429's wait and scope, as Discord gives them: the body's `retry_after` (seconds, fractional)
/// and `global`, else the `Retry-After` / `X-RateLimit-Reset-After` headers and
/// `X-RateLimit-Global` / `X-RateLimit-Scope: global`; 1 s when nothing says.
pub fn rate_limit(headers: &reqwest::header::HeaderMap, body: &serde_json::Value) -> SendError {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let seconds = |name: &str| header(name).and_then(|v| v.trim().parse::<f64>().ok());
    let retry_after = body["retry_after"]
        .as_f64()
        .or_else(|| seconds("retry-after"))
        .or_else(|| seconds("x-ratelimit-reset-after"))
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0);
    let global = body["global"].as_bool().unwrap_or(false)
        || header("x-ratelimit-global").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || header("x-ratelimit-scope").is_some_and(|v| v.eq_ignore_ascii_case("global"));
    SendError::RateLimited { retry_after, global }
}

/// Sorts an unsuccessful answer (status, Discord's JSON `code` and `message`).
fn sort(status: u16, code: i64, message: String) -> SendError {
    match (status, code) {
        // serenity's errors keep no retry_after: retry this one message after a second.
        (429, _) => SendError::RateLimited {
            retry_after: 1.0,
            global: false,
        },
        (_, 50007) => SendError::DmClosed,
        (_, 10003 | 50001 | 50013) => SendError::NoAccess {
            code: code as u32,
            message,
        },
        (403 | 404, _) => SendError::NoAccess {
            code: status.into(),
            message,
        },
        (500..=599, _) => SendError::Transient(format!("{status}: {message}")),
        _ => SendError::Other(format!("{status} ({code}): {message}")),
    }
}

/// Sorts a serenity error into what the scheduler does about it.
pub fn classify(e: serenity::Error) -> SendError {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            sort(r.status_code.as_u16(), r.error.code as i64, r.error.message)
        }
        // Connection errors and timeouts (the URL in their text is redacted).
        e @ (serenity::Error::Http(HttpError::Request(_)) | serenity::Error::Io(_)) => {
            SendError::Transient(super::describe(&e))
        }
        other => SendError::Other(super::describe(&other)),
    }
}
