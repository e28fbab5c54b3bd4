//! The serenity implementation of the scheduler's [`Notifier`]: posts through Discord's REST API
//! and maps Discord's errors onto [`SendError`] so the scheduler knows whether to retry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use poise::serenity_prelude as serenity;
use serenity::{Http, HttpError, Nonce};

use super::convert::{create_message, edit_message};
use crate::domain::message::Message;
use crate::domain::{ChannelId, MessageId, UserId};
use crate::scheduler::{Notifier, SendError};

/// Sends the scheduler's messages with the bot's HTTP client.
#[derive(Clone)]
pub struct DiscordNotifier {
    http: Arc<Http>,
    /// Each user's DM channel: a user's DM channel never changes, so only the first DM to them
    /// costs a "create DM" request.
    dm_channels: Arc<Mutex<HashMap<UserId, serenity::ChannelId>>>,
}

impl DiscordNotifier {
    /// A notifier using `http` (the client's, so rate limits are shared with commands).
    pub fn new(http: Arc<Http>) -> DiscordNotifier {
        DiscordNotifier {
            http,
            dm_channels: Arc::default(),
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
}

impl Notifier for DiscordNotifier {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        let builder = create_message(msg)
            .nonce(Nonce::String(nonce.to_string()))
            .enforce_nonce(true);
        let sent = serenity::ChannelId::new(channel.0 as u64)
            .send_message(&*self.http, builder)
            .await
            .map_err(classify)?;
        Ok(MessageId(sent.id.get() as i64))
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        let dm = self.dm_channel(user).await?;
        let sent = dm
            .send_message(
                &*self.http,
                create_message(msg)
                    .nonce(Nonce::String(nonce.to_string()))
                    .enforce_nonce(true),
            )
            .await
            .map_err(classify);
        if matches!(sent, Err(SendError::NoAccess { .. })) {
            // Perhaps the remembered channel is gone: ask Discord afresh next time.
            self.dm_channels().remove(&user);
        }
        Ok(MessageId(sent?.id.get() as i64))
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
}

/// Sorts a serenity error into what the scheduler does about it.
pub fn classify(e: serenity::Error) -> SendError {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            let code = r.error.code;
            match (status, code) {
                // With serenity's rate limiter on, 429s are waited out before we see them; with
                // it off (tests against a fake Discord) the body's retry_after isn't exposed.
                (429, _) => SendError::RateLimited { retry_after: 5.0 },
                (_, 50007) => SendError::DmClosed,
                (_, 10003 | 50001 | 50013) => SendError::NoAccess {
                    code: code as u32,
                    message: r.error.message,
                },
                (403 | 404, _) => SendError::NoAccess {
                    code: status.into(),
                    message: r.error.message,
                },
                (500..=599, _) => SendError::Transient(format!("{status}: {}", r.error.message)),
                _ => SendError::Other(format!("{status} ({code}): {}", r.error.message)),
            }
        }
        // Connection errors and timeouts.
        serenity::Error::Http(HttpError::Request(e)) => SendError::Transient(e.to_string()),
        serenity::Error::Io(e) => SendError::Transient(e.to_string()),
        other => SendError::Other(other.to_string()),
    }
}
