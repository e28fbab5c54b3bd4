//! Sending: claim due rows atomically, render each from current data, send it, record the result.
//! A channel post carries a nonce derived from the delivery id, so resending after a crash between
//! send and record posts nothing new. Each send is given up after `send_timeout` (a hung request
//! must not stall the loop), and a result is recorded only under the claim it was sent under.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tracing::Instrument;

use super::content::{self, Content};
use super::pointer::{self, Pointer};
use super::{Notifier, SchedulerSettings, SendError};
use crate::clock::{Clock, ManualClock};
use crate::domain::*;
use crate::error::Result;
use crate::store::deliveries::{self, Delivery, DeliveryKind, Target};
use crate::store::{self, Store};

/// What one [`deliver`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliverReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    pub cancelled: usize,
    /// Held back by the recipient's quiet hours: due again when they end.
    pub deferred: usize,
    /// Claimed but not started because of shutdown: handed back, due again.
    pub released: usize,
    /// Left claimed after an internal error: due again when the claim expires.
    pub failed: usize,
    /// Sent or tried after the claim had expired and another sender had taken the row over: the
    /// result was not recorded (the newer sender's is).
    pub lost: usize,
}

/// The nonce of a delivery's channel post: deterministic, ≤ 25 characters (Discord's limit).
pub fn nonce(id: DeliveryId) -> String {
    format!("bb{}", id.0)
}

/// Sends everything due at `now` until nothing is left, with the time standing still at `now`.
pub async fn deliver<N: Notifier>(
    store: &Store,
    notifier: &N,
    settings: &SchedulerSettings,
    now: DateTime<Utc>,
) -> Result<DeliverReport> {
    deliver_until(store, notifier, settings, &ManualClock::new(now), None).await
}

/// [`deliver`] on `clock`, read afresh for each batch claimed and each result recorded (a round of
/// slow sends can outlast a claim), stopping early when `stop` turns true: sends in flight finish
/// and are recorded, claimed rows not yet started are handed back.
pub async fn deliver_until<N: Notifier>(
    store: &Store,
    notifier: &N,
    settings: &SchedulerSettings,
    clock: &dyn Clock,
    stop: Option<&watch::Receiver<bool>>,
) -> Result<DeliverReport> {
    let stopped = || stop.is_some_and(|s| *s.borrow());
    let limit = (settings.send_concurrency.max(1) * 4) as i64;
    let pacer = Pacer::new(settings.max_sends_per_second);
    let mut report = DeliverReport::default();
    while !stopped() {
        let now_s = clock.now().timestamp();
        let batch = deliveries::claim(store, now_s, now_s + settings.claim_seconds, limit).await?;
        // Sending can queue more that is due at once (a prompt's thread, posts that waited for
        // it): go on until a claim comes back empty.
        let full = !batch.is_empty();
        report.claimed += batch.len();
        let jobs = batch
            .into_iter()
            .map(|d| one(store, notifier, settings, clock, d, &stopped, &pacer));
        let mut pointers = Vec::new();
        for step in bounded(jobs, settings.send_concurrency.max(1)).await {
            match step {
                Step::Done(outcome) => report.count(outcome),
                Step::Point(p) => pointers.push(*p),
            }
        }
        for outcome in pointer::send_all(store, notifier, settings, clock, &pacer, pointers).await {
            report.count(outcome);
        }
        if report.released > 0 || !full {
            break;
        }
    }
    Ok(report)
}

impl DeliverReport {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Dead => self.dead += 1,
            Outcome::Cancelled => self.cancelled += 1,
            Outcome::Deferred => self.deferred += 1,
            Outcome::Released => self.released += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Lost => self.lost += 1,
        }
    }
}

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

/// What sending one delivery led to: an outcome, or a refused DM waiting for its channel pointer.
enum Step {
    Done(Outcome),
    Point(Box<Pointer>),
}

/// The claim expired and another sender took the row over: record nothing.
pub(crate) fn lost() -> Outcome {
    tracing::warn!("claim lost to another sender; result not recorded");
    Outcome::Lost
}

/// Sends one claimed delivery and records what happened, in its own span.
async fn one<N: Notifier>(
    store: &Store,
    notifier: &N,
    settings: &SchedulerSettings,
    clock: &dyn Clock,
    d: Delivery,
    stopped: &impl Fn() -> bool,
    pacer: &Pacer,
) -> Step {
    if stopped() {
        return Step::Done(match deliveries::release(store, &[(d.id, d.claim_token)]).await {
            Ok(()) => Outcome::Released,
            Err(e) => {
                tracing::warn!(id = %d.id, error = %e, "could not release a claimed delivery");
                Outcome::Failed
            }
        });
    }
    let span = tracing::info_span!("delivery", id = %d.id, kind = %d.kind, attempt = d.attempts + 1);
    async {
        match send(store, notifier, settings, clock, &d, pacer).await {
            Ok(step) => step,
            Err(e) => {
                // The row stays claimed; it is due again when the claim expires.
                tracing::error!(error = %e, "delivery failed internally");
                Step::Done(Outcome::Failed)
            }
        }
    }
    .instrument(span)
    .await
}

async fn send<N: Notifier>(
    store: &Store,
    notifier: &N,
    s: &SchedulerSettings,
    clock: &dyn Clock,
    d: &Delivery,
    pacer: &Pacer,
) -> Result<Step> {
    let now = clock.now();
    if d.kind() == Some(DeliveryKind::TaskRepeat) {
        // Work, not a message: the next copy of a repeating task, created under the claim.
        return Ok(Step::Done(
            match crate::actions::task_edits::run_repeat(store, d, now).await? {
                crate::actions::task_edits::RepeatRun::Created { number, .. } => {
                    tracing::info!(task = number, "next copy of a repeating task created");
                    Outcome::Sent
                }
                crate::actions::task_edits::RepeatRun::Skipped(why) => {
                    tracing::info!(reason = %why, "repeat skipped");
                    Outcome::Cancelled
                }
                crate::actions::task_edits::RepeatRun::Lost => lost(),
            },
        ));
    }
    let content = match content::render(store, d, now).await {
        Ok(c) => c,
        Err(e) => {
            return transient(store, s, now.timestamp(), d, &format!("render: {e}"))
                .await
                .map(Step::Done);
        }
    };
    // The recipient's own hours: away, DM preference, quiet hours.
    let content = match super::people::gate(store, d, content, now).await? {
        super::people::Gate::Send(c) => c,
        super::people::Gate::Defer(at, why) => {
            if !deliveries::mark_retry(store, d.id, d.claim_token, at, false, &why).await? {
                return Ok(Step::Done(lost()));
            }
            tracing::info!(until = at, "deferred for quiet hours");
            return Ok(Step::Done(Outcome::Deferred));
        }
    };
    let (target, msg, round, home) = match content {
        Content::Cancel(why) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_final(&mut tx, d.id, d.claim_token, false, &why, false).await? {
                return Ok(Step::Done(lost()));
            }
            tx.commit().await?;
            tracing::info!(reason = %why, "cancelled");
            return Ok(Step::Done(Outcome::Cancelled));
        }
        Content::Send {
            target,
            msg,
            round,
            home,
        } => (target, msg.fit(), round, home),
        Content::Later(at) => return super::posts::later(store, d, at).await.map(Step::Done),
        Content::Thread {
            channel,
            message,
            name,
            round,
        } => {
            let t = (channel, message, name, round);
            return super::posts::thread(store, notifier, s, clock, d, pacer, t)
                .await
                .map(Step::Done);
        }
        Content::Upsert(up) => {
            return super::posts::upsert(store, notifier, s, clock, d, pacer, up)
                .await
                .map(Step::Done);
        }
    };
    pacer.wait().await;
    let result = match target {
        Target::Channel(c) => timed(s, notifier.send_channel(c, &msg, &nonce(d.id))).await,
        Target::User(u) => timed(s, notifier.send_dm(u, &msg, &nonce(d.id))).await,
    };
    match (result, target) {
        // DMs closed: no public copy of the DM; one short pointer per channel per batch instead.
        (Err(SendError::DmClosed), Target::User(user)) => {
            tracing::info!(user = %user, "DMs closed; pointing to it in the home channel");
            Ok(Step::Point(Box::new(Pointer {
                d: d.clone(),
                user,
                home,
            })))
        }
        (result, Target::Channel(c)) => record(store, s, clock, pacer, d, result, Some(c), round)
            .await
            .map(Step::Done),
        (result, Target::User(_)) => record(store, s, clock, pacer, d, result, None, round)
            .await
            .map(Step::Done),
    }
}

/// Records the result of sending `d` (to `channel`, None for a DM).
#[allow(clippy::too_many_arguments)]
pub(super) async fn record(
    store: &Store,
    s: &SchedulerSettings,
    clock: &dyn Clock,
    pacer: &Pacer,
    d: &Delivery,
    result: std::result::Result<MessageId, SendError>,
    channel: Option<ChannelId>,
    round: Option<RoundId>,
) -> Result<Outcome> {
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
            s.stats.record_sent();
            tracing::info!(message = %message, "sent");
            Ok(Outcome::Sent)
        }
        Err(SendError::RateLimited { retry_after, global }) => {
            // Only this delivery waits: it goes back to the queue for when Discord allows it
            // (never earlier, so the next second boundary after now + retry_after), and the rest
            // of the batch carries on. A global limit pauses every send until it expires.
            s.stats.record_rate_limited(global);
            let retry_after = if retry_after.is_finite() {
                retry_after.clamp(0.0, 86_400.0)
            } else {
                1.0
            };
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
                let payload =
                    serde_json::json!({ "channel_id": c, "code": code, "error": message }).to_string();
                let kind = DeliveryKind::ChannelWarning;
                deliveries::enqueue_to_leads(
                    &mut tx,
                    d.coalition_id,
                    kind,
                    &key,
                    Some(c.0),
                    &payload,
                    None,
                    now_s,
                )
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
pub(super) async fn timed(
    s: &SchedulerSettings,
    call: impl Future<Output = std::result::Result<MessageId, SendError>>,
) -> std::result::Result<MessageId, SendError> {
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

/// Spaces out the start of sends to stay under Discord's global rate limit, and holds every send
/// back while a global 429 lasts.
pub(crate) struct Pacer {
    interval: Option<Duration>,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    fn new(per_second: u32) -> Pacer {
        let interval = (per_second > 0).then(|| Duration::from_secs(1) / per_second);
        Pacer {
            interval,
            next: tokio::sync::Mutex::new(None),
            paused_until: std::sync::Mutex::new(None),
        }
    }

    /// No send starts for `d` from now (a global rate limit).
    pub(crate) fn pause(&self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        *p = Some(p.map_or(until, |old| old.max(until)));
    }

    /// Waits for this send's turn.
    pub(crate) async fn wait(&self) {
        loop {
            let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match paused {
                Some(until) if until > tokio::time::Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
        let Some(interval) = self.interval else { return };
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Runs the futures with at most `limit` in flight, returning their outputs (in completion order).
async fn bounded<F: Future>(jobs: impl Iterator<Item = F>, limit: usize) -> Vec<F::Output> {
    let mut jobs = jobs.fuse();
    let mut running: Vec<Pin<Box<F>>> = Vec::new();
    let mut out = Vec::new();
    loop {
        while running.len() < limit {
            match jobs.next() {
                Some(job) => running.push(Box::pin(job)),
                None => break,
            }
        }
        if running.is_empty() {
            return out;
        }
        poll_fn(|cx| {
            let before = out.len();
            running.retain_mut(|f| match f.as_mut().poll(cx) {
                Poll::Ready(v) => {
                    out.push(v);
                    false
                }
                Poll::Pending => true,
            });
            if out.len() > before {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}
