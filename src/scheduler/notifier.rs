//! Where messages go out: the [`Notifier`] trait (Discord implements it in `discord::notifier`;
//! the tests' recording notifier lives in `tests/harness`).

use std::future::Future;

use crate::domain::meeting::{EventStatus, ScheduledEvent};
use crate::domain::message::Message;
use crate::domain::{ChannelId, GuildId, MessageId, UserId};

/// Why a send failed, in the terms the scheduler acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// 429: try this message again after `retry_after` seconds; when `global`, every send waits.
    RateLimited { retry_after: f64, global: bool },
    /// 5xx, timeouts, connection errors: back off and retry.
    Transient(String),
    /// 50007: the user doesn't accept DMs from the bot.
    DmClosed,
    /// 10003 unknown channel, 50001 missing access, 50013 missing permissions.
    NoAccess { code: u32, message: String },
    /// Anything else: retrying won't help.
    Other(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::RateLimited { retry_after, global } => {
                let scope = if *global { "globally " } else { "" };
                write!(f, "rate limited {scope}(retry after {retry_after}s)")
            }
            SendError::Transient(e) => write!(f, "transient: {e}"),
            SendError::DmClosed => write!(f, "DMs closed (50007)"),
            SendError::NoAccess { code, message } => write!(f, "no access ({code}): {message}"),
            SendError::Other(e) => write!(f, "{e}"),
        }
    }
}

/// Sends messages to Discord channels and users.
pub trait Notifier: Send + Sync {
    /// Posts `msg` in `channel`; `nonce` (≤ 25 chars) is enforced, so a repeat posts nothing new.
    fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> impl Future<Output = Result<MessageId, SendError>> + Send;

    /// Sends `msg` to `user` as a DM, with `nonce` enforced in the DM channel like `send_channel`.
    fn send_dm(
        &self,
        user: UserId,
        msg: &Message,
        nonce: &str,
    ) -> impl Future<Output = Result<MessageId, SendError>> + Send;

    /// Replaces the content, embeds and buttons of the bot's message `message` in `channel` with
    /// `msg` (an answer card or summary updated in place). Editing to the same content is harmless,
    /// so a retry is safe.
    fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Whether `user` is still in the server `guild` (Discord's 10007 Unknown Member says they
    /// left, were kicked or banned). Checked before lead-only or personal content goes to them;
    /// answers may be cached for a few minutes. A notifier that cannot tell says yes.
    fn in_guild(&self, guild: GuildId, user: UserId) -> impl Future<Output = Result<bool, SendError>> + Send {
        let _ = (guild, user);
        async { Ok(true) }
    }

    /// Starts a public thread named `name` on `message` in `channel`; returns the thread's channel.
    /// A thread already made on that message (a retry after a crash) is returned, not made twice.
    fn create_thread(
        &self,
        channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> impl Future<Output = Result<ChannelId, SendError>> + Send;

    /// Creates a Discord scheduled event in `guild` (a meeting); returns its id. Discord has no
    /// nonce for events: the caller records the id at once and never creates twice for one row.
    /// A notifier that cannot make events refuses with [`SendError::Other`].
    fn create_event(
        &self,
        guild: GuildId,
        event: &ScheduledEvent,
    ) -> impl Future<Output = Result<i64, SendError>> + Send {
        let _ = (guild, event);
        async { Err(SendError::Other("this notifier makes no scheduled events".into())) }
    }

    /// Moves the scheduled event `event` of `guild` to `status` (ACTIVE, COMPLETED or CANCELED).
    fn set_event_status(
        &self,
        guild: GuildId,
        event: i64,
        status: EventStatus,
    ) -> impl Future<Output = Result<(), SendError>> + Send {
        let _ = (guild, event, status);
        async { Err(SendError::Other("this notifier makes no scheduled events".into())) }
    }
}
