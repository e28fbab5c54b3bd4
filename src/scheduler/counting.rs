//! A [`Notifier`] wrapper that counts every send by target and result into the bot's metrics
//! (sends, 429s), whatever notifier it wraps. A send that waits out a 429 in line and goes again
//! is two requests here: one `rate_limited`, then its result.

use std::sync::Arc;

use super::{Notifier, SendError};
use crate::domain::meeting::{EventStatus, ScheduledEvent};
use crate::domain::message::Message;
use crate::domain::{ChannelId, GuildId, MessageId, UserId};
use crate::ops::metrics::{Metrics, RATE_LIMITED_BY_SCHEDULER};

/// Counts the sends of the notifier it wraps.
pub struct Counting<N> {
    inner: Arc<N>,
    metrics: Arc<Metrics>,
}

impl<N> Counting<N> {
    /// Wraps `inner`, counting into `metrics`.
    pub fn new(inner: Arc<N>, metrics: Arc<Metrics>) -> Counting<N> {
        Counting { inner, metrics }
    }

    fn count(&self, target: &str, result: &Result<MessageId, SendError>) {
        let label = match result {
            Ok(_) => "ok",
            Err(SendError::RateLimited { .. }) => {
                self.metrics
                    .rate_limited
                    .with_label_values(&[RATE_LIMITED_BY_SCHEDULER])
                    .inc();
                "rate_limited"
            }
            Err(SendError::Transient(_)) => "transient",
            Err(SendError::DmClosed) => "dm_closed",
            Err(SendError::NoAccess { .. }) => "no_access",
            Err(SendError::Other(_)) => "other",
        };
        self.metrics.sends.with_label_values(&[target, label]).inc();
    }
}

impl<N: Notifier> Notifier for Counting<N> {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        let r = self.inner.send_channel(channel, msg, nonce).await;
        self.count("channel", &r);
        r
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        let r = self.inner.send_dm(user, msg, nonce).await;
        self.count("dm", &r);
        r
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> Result<(), SendError> {
        let r = self.inner.edit_message(channel, message, msg).await;
        self.count("edit", &r.as_ref().map(|_| message).map_err(Clone::clone));
        r
    }

    async fn in_guild(&self, guild: GuildId, user: UserId) -> Result<bool, SendError> {
        self.inner.in_guild(guild, user).await
    }

    async fn create_thread(
        &self,
        channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> Result<ChannelId, SendError> {
        let r = self.inner.create_thread(channel, message, name).await;
        self.count("thread", &r.as_ref().map(|_| message).map_err(Clone::clone));
        r
    }

    async fn create_event(&self, guild: GuildId, event: &ScheduledEvent) -> Result<i64, SendError> {
        let r = self.inner.create_event(guild, event).await;
        self.count(
            "event",
            &r.as_ref().map(|id| MessageId(*id)).map_err(Clone::clone),
        );
        r
    }

    async fn set_event_status(
        &self,
        guild: GuildId,
        event: i64,
        status: EventStatus,
    ) -> Result<(), SendError> {
        let r = self.inner.set_event_status(guild, event, status).await;
        self.count(
            "event",
            &r.as_ref().map(|_| MessageId(event)).map_err(Clone::clone),
        );
        r
    }
}
