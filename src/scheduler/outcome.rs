//! What became of a claimed delivery, recorded only while its claim holds: sent, retried after a
//! 429 or a transient failure (with backoff), dead, or cancelled.

use std::future::Future;
use std::time::Duration;

use chrono::Datelike;

use super::send::Sender;
use super::{SchedulerSettings, SendError};
use crate::domain::*;
use crate::error::Result;
use crate::store::deliveries::{self, Delivery, DeliveryKind};
use crate::store::payload::{Payload, Unreachable};
use crate::store::{self, Store};

/// What became of one claimed delivery.
pub(crate) enum Outcome {
    Sent,
    Retried,
    Dead,
    Cancelled,
    Deferred,
    Released,
    Failed,
    Lost,
}

impl Outcome {
    /// Its name in `backbone_delivery_outcomes_total` (deferrals for quiet hours are not counted).
    pub(crate) fn label(&self) -> Option<&'static str> {
        Some(match self {
            Outcome::Sent => "sent",
            Outcome::Retried => "retried",
            Outcome::Dead => "dead",
            Outcome::Cancelled => "cancelled",
            Outcome::Released => "released",
            Outcome::Failed => "failed",
            Outcome::Lost => "lost",
            Outcome::Deferred => return None,
        })
    }
}

/// The claim expired and another sender took the row over: record nothing.
pub(crate) fn lost() -> Outcome {
    tracing::warn!("claim lost to another sender; result not recorded");
    Outcome::Lost
}

/// Records `d` as not wanted any more (`cancelled`, the reason in `last_error`).
pub(super) async fn cancelled(store: &Store, d: &Delivery, why: &str) -> Result<Outcome> {
    let mut tx = store.write().await?;
    if !deliveries::mark_final(&mut tx, d.id, d.claim_token, false, why, false).await? {
        return Ok(lost());
    }
    tx.commit().await?;
    tracing::info!(reason = %why, "cancelled");
    Ok(Outcome::Cancelled)
}

/// Records the result of sending `d` (to `channel`, None for a DM).
pub(super) async fn record<N>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    result: std::result::Result<MessageId, SendError>,
    channel: Option<ChannelId>,
    round: Option<RoundId>,
) -> Result<Outcome> {
    let Sender {
        store,
        settings: s,
        clock,
        pacer,
        ..
    } = *sender;
    // The send may have taken a while: record with the time it ended.
    let now = clock.now();
    let now_s = now.timestamp();
    match result {
        Ok(message) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, channel, message, now_s).await? {
                return Ok(lost());
            }
            if let (Some(round), Some(c)) = (round, channel) {
                store::checkins::set_round_message(&mut *tx, round, c, message).await?;
                super::posts::after_prompt(&mut tx, d, round, c, now_s).await?;
            }
            tx.commit().await?;
            tracing::info!(message = %message, "sent");
            Ok(Outcome::Sent)
        }
        Err(SendError::RateLimited { retry_after, global }) => {
            // Not waited out in line (too long, the claim would not outlast it, the clock stood
            // still, or shutdown): this delivery goes back to the queue for when Discord allows
            // it (never earlier, so the next second boundary after now + retry_after), and the
            // rest carries on. A global limit pauses every send until it expires.
            let retry_after = sane_retry_after(retry_after);
            if global {
                pacer.pause(Duration::from_secs_f64(retry_after));
            }
            let at = now.timestamp_millis() as f64 / 1000.0 + retry_after;
            let next = (at.ceil() as i64).max(now_s + 1);
            let error = SendError::RateLimited { retry_after, global }.to_string();
            if !deliveries::mark_retry(store, d.id, d.claim_token, next, false, &error).await? {
                return Ok(lost());
            }
            tracing::warn!(retry_after, global, "rate limited");
            Ok(Outcome::Retried)
        }
        Err(SendError::Transient(e)) => transient(store, s, now_s, d, &e).await,
        Err(e @ SendError::NoAccess { .. }) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, &e.to_string(), true).await? {
                return Ok(lost());
            }
            if let (Some(c), SendError::NoAccess { code, message }) = (channel, &e)
                && d.kind() != Some(DeliveryKind::ChannelWarning)
            {
                // Once per coalition, channel and ISO week, however many deliveries hit the dead
                // channel: a channel fixed and broken again later warns again.
                let week = now.iso_week();
                let key = format!(
                    "warn:channel:{}:{c}:{}-W{:02}",
                    d.coalition_id,
                    week.year(),
                    week.week()
                );
                let payload = Payload::ChannelWarning(Unreachable {
                    channel_id: c,
                    code: *code,
                    error: message.clone(),
                });
                deliveries::enqueue_to_leads(&mut tx, d.coalition_id, &key, Some(c.0), &payload, None, now_s)
                    .await?;
            }
            tx.commit().await?;
            tracing::warn!(error = %e, "dead: no access");
            Ok(Outcome::Dead)
        }
        Err(e) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, &e.to_string(), true).await? {
                return Ok(lost());
            }
            tx.commit().await?;
            tracing::warn!(error = %e, "dead");
            Ok(Outcome::Dead)
        }
    }
}

/// A 5xx, timeout or internal hiccup: back off and retry, or give up after `max_attempts`.
pub(crate) async fn transient(
    store: &Store,
    s: &SchedulerSettings,
    now_s: i64,
    d: &Delivery,
    error: &str,
) -> Result<Outcome> {
    let attempt = d.attempts + 1;
    if attempt >= i64::from(s.max_attempts) {
        let mut tx = store.write().await?;
        if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, error, true).await? {
            return Ok(lost());
        }
        tx.commit().await?;
        tracing::warn!(error, attempts = attempt, "dead: too many failures");
        return Ok(Outcome::Dead);
    }
    let delay = backoff(s, d.id, attempt);
    if !deliveries::mark_retry(store, d.id, d.claim_token, now_s + delay, true, error).await? {
        return Ok(lost());
    }
    tracing::warn!(error, retry_in = delay, "transient failure");
    Ok(Outcome::Retried)
}

/// One notifier call, given up after `send_timeout` as a transient failure (backoff applies): a
/// hung request must not stall the loop, and must end before the row's claim does. If Discord did
/// take the message, the retry carries the same nonce and posts nothing new.
pub(super) async fn timed<T>(
    s: &SchedulerSettings,
    call: impl Future<Output = std::result::Result<T, SendError>>,
) -> std::result::Result<T, SendError> {
    tokio::time::timeout(s.send_timeout, call)
        .await
        .unwrap_or_else(|_| {
            Err(SendError::Transient(format!(
                "timed out after {:?}",
                s.send_timeout
            )))
        })
}

/// Seconds to wait before attempt `attempt + 1`: base·2^(attempt-1), capped, plus up to half
/// again of jitter derived from the id and attempt (so tests are repeatable).
pub fn backoff(s: &SchedulerSettings, id: DeliveryId, attempt: i64) -> i64 {
    let exp = u32::try_from((attempt - 1).clamp(0, 30)).unwrap_or(30);
    let delay = s
        .backoff_base
        .max(1)
        .saturating_mul(1_i64 << exp)
        .min(s.backoff_max.max(1));
    let jitter = (mix((id.0 as u64) << 8 ^ attempt as u64) % (delay as u64 / 2 + 1)) as i64;
    delay + jitter
}

/// SplitMix64: a cheap, well-spread hash.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A `retry_after` to act on: finite, within a day; 1 s when Discord gave nonsense.
pub(super) fn sane_retry_after(retry_after: f64) -> f64 {
    if retry_after.is_finite() {
        retry_after.clamp(0.0, 86_400.0)
    } else {
        1.0
    }
}
