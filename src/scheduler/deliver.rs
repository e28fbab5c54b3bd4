//! Sending: claim due rows atomically, render each from current data, send it, record the result.
//! A channel post carries a nonce derived from the delivery id, so resending after a crash between
//! send and record posts nothing new. Each send is given up after `send_timeout` (a hung request
//! must not stall the loop), and a result is recorded only under the claim it was sent under.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tracing::Instrument;

use super::content::{self, Content};
use super::pace::{InLine, MAX_LIMITS_IN_LINE, Pacer};
use super::pointer::{self, Pointer};
use super::route::{self, InsteadOfDm, NoDm};
use super::{Notifier, SchedulerSettings, SendError};
use crate::clock::{Clock, ManualClock};
use crate::domain::message::Message;
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
    /// Sends answered 429 that waited out their `retry_after` in line and went again.
    pub resent: usize,
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
///
/// Rows are claimed a few at a time as sends free up (at most `send_concurrency` in flight). A
/// send answered 429 waits out its own `retry_after` in line, to the millisecond, and goes again;
/// while it waits it takes no place among the sends in flight, so the others go on (and, while
/// any wait, the queue is looked at again now and then for rows that came due meanwhile).
pub async fn deliver_until<N: Notifier>(
    store: &Store,
    notifier: &N,
    settings: &SchedulerSettings,
    clock: &dyn Clock,
    stop: Option<&watch::Receiver<bool>>,
) -> Result<DeliverReport> {
    let stopped = || stop.is_some_and(|s| *s.borrow());
    let sending = settings.send_concurrency.max(1);
    let limit = sending * 4;
    let pacer = Pacer::new(settings.max_sends_per_second);
    let line = InLine::default();
    let mut report = DeliverReport::default();
    let mut queue: VecDeque<Delivery> = VecDeque::new();
    let mut running: Vec<Job<'_>> = Vec::new();
    let mut pointers: Vec<Pointer> = Vec::new();
    let mut oldest_pointer: Option<tokio::time::Instant> = None;
    let mut flushing = false;
    // Whether a claim may find rows: false after a short claim, until a send ends (it may have
    // queued more that is due at once: a prompt's thread, posts that waited for it) or, while
    // sends wait out a 429, until `recheck`.
    let mut may_find = true;
    let mut recheck: Option<tokio::time::Instant> = None;
    // Claims and hand-backs run as jobs beside the sends, never awaited alone: a send holding the
    // write lock must go on being polled while they wait for it.
    let mut claiming = false;
    let mut chores = 0;
    let mut failure = None;
    loop {
        if stopped() && !queue.is_empty() {
            let claims: Vec<(DeliveryId, i64)> = queue.drain(..).map(|d| (d.id, d.claim_token)).collect();
            chores += 1;
            running.push(Box::pin(async move {
                let result = deliveries::release(store, &claims).await;
                Step::Released(claims.len(), result)
            }));
        }
        let busy =
            |running: &Vec<Job<'_>>, chores: usize| running.len().saturating_sub(line.waiting() + chores);
        let due_again = recheck.is_some_and(|at| tokio::time::Instant::now() >= at);
        if due_again {
            recheck = None;
        }
        if !claiming
            && failure.is_none()
            && !stopped()
            && queue.is_empty()
            && busy(&running, chores) < sending
            && (may_find || due_again)
        {
            claiming = true;
            chores += 1;
            let now_s = clock.now().timestamp();
            let until = now_s + settings.claim_seconds;
            running.push(Box::pin(async move {
                Step::Claimed(deliveries::claim(store, now_s, until, limit as i64).await)
            }));
        }
        while busy(&running, chores) < sending {
            let Some(d) = queue.pop_front() else { break };
            let round = (&pacer, &line, &stopped as &(dyn Fn() -> bool + Sync));
            running.push(Box::pin(one(store, notifier, settings, clock, d, round)));
        }
        // Refused DMs wait for their pointer until the sends that could add to it are done, or
        // enough gathered (or waited) that their claims should not be held longer.
        let quiet = queue.is_empty() && busy(&running, chores) == 0;
        let full = pointers.len() >= limit;
        let old = oldest_pointer.is_some_and(|t| t.elapsed() >= POINTER_WAIT);
        if !pointers.is_empty() && !flushing && (quiet || full || old) {
            let group = std::mem::take(&mut pointers);
            oldest_pointer = None;
            flushing = true;
            let pacer = &pacer;
            running.push(Box::pin(async move {
                Step::Pointed(pointer::send_all(store, notifier, settings, clock, pacer, group).await)
            }));
        }
        if running.is_empty() {
            // Nothing in flight, so nothing queued either (sends start whenever there is room).
            if !may_find || stopped() || failure.is_some() {
                break;
            }
            continue;
        }
        if line.waiting() > 0 && !may_find && recheck.is_none() {
            recheck = Some(tokio::time::Instant::now() + RECHECK);
        }
        let waiting = line.waiting();
        let mut steps = tokio::select! {
            steps = next_steps(&mut running, &line, waiting) => steps,
            _ = sleep_until(recheck) => Vec::new(),
        };
        // A claim that came back short says nothing of what a send that ended with it queued.
        steps.sort_by_key(|s| !matches!(s, Step::Claimed(_)));
        for step in steps {
            match step {
                Step::Claimed(result) => {
                    claiming = false;
                    chores -= 1;
                    match result {
                        Ok(batch) => {
                            report.claimed += batch.len();
                            may_find = batch.len() == limit;
                            queue.extend(batch);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "cannot claim deliveries");
                            failure = Some(e);
                        }
                    }
                }
                Step::Released(n, result) => {
                    chores -= 1;
                    match result {
                        Ok(()) => report.released += n,
                        Err(e) => {
                            tracing::warn!(error = %e, "could not release claimed deliveries");
                            report.failed += n;
                        }
                    }
                }
                Step::Done(outcome) => {
                    may_find = true;
                    report.count(outcome);
                }
                Step::Point(p) => {
                    may_find = true;
                    oldest_pointer.get_or_insert_with(tokio::time::Instant::now);
                    pointers.push(*p);
                }
                Step::Pointed(outcomes) => {
                    may_find = true;
                    flushing = false;
                    outcomes.into_iter().for_each(|o| report.count(o));
                }
            }
        }
    }
    report.resent = line.resent();
    match failure {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// How often the queue is looked at again while sends wait out a 429 (rows may come due meanwhile).
const RECHECK: Duration = Duration::from_millis(250);

/// The longest a refused DM waits (still claimed) for more to join its channel pointer.
const POINTER_WAIT: Duration = Duration::from_secs(5);

/// A send in flight (or a batch of pointers, a claim, a hand-back).
type Job<'a> = Pin<Box<dyn Future<Output = Step> + Send + 'a>>;

/// Sleeps until `at`; never when there is no `at`.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Polls every job; returns the outputs of those that finished, or nothing when a job has begun
/// waiting out a 429 (so another may start meanwhile).
async fn next_steps(running: &mut Vec<Job<'_>>, line: &InLine, waiting: usize) -> Vec<Step> {
    poll_fn(|cx| {
        let mut out = Vec::new();
        running.retain_mut(|f| match f.as_mut().poll(cx) {
            Poll::Ready(v) => {
                out.push(v);
                false
            }
            Poll::Pending => true,
        });
        if !out.is_empty() || line.waiting() > waiting {
            Poll::Ready(out)
        } else {
            Poll::Pending
        }
    })
    .await
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
    /// A batch of pointers went out: what became of each delivery they stand for.
    Pointed(Vec<Outcome>),
    /// Rows claimed for this round.
    Claimed(Result<Vec<Delivery>>),
    /// This many claimed rows, not started because of shutdown, handed back.
    Released(usize, Result<()>),
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
    (pacer, line, stopped): (&Pacer, &InLine, &(dyn Fn() -> bool + Sync)),
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
        match send(store, notifier, settings, clock, &d, (pacer, line, stopped)).await {
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
    (pacer, line, stopped): (&Pacer, &InLine, &(dyn Fn() -> bool + Sync)),
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
        // Who may read it is settled once, here: the narrower of what render said and the kind's.
        Ok(Content::Send {
            target,
            mut msg,
            round,
            places,
        }) => {
            msg.audience = route::audience(d, &msg);
            Content::Send {
                target,
                msg,
                round,
                places,
            }
        }
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
    // Lead-only or personal content goes only to someone still in the server: one who left stops
    // being a member of its coalitions here, and gets nothing.
    if let Content::Send {
        target: Target::User(user),
        ..
    } = &content
        && left_the_server(store, notifier, d, *user, now).await?
    {
        return cancelled(store, d, "recipient left the server")
            .await
            .map(Step::Done);
    }
    let (target, msg, round, places) = match content {
        Content::Cancel(why) => return cancelled(store, d, &why).await.map(Step::Done),
        Content::Send {
            target,
            msg,
            round,
            places,
        } => (target, msg.fit(), round, places),
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
    // The last word on where it goes: nothing above public lands in a public channel.
    if let Target::Channel(c) = target
        && let Err(why) = route::check_channel(msg.audience, places, c)
    {
        tracing::error!(reason = %why, "not sent: the channel is wider than the message's audience");
        return cancelled(store, d, &why).await.map(Step::Done);
    }
    let result = send_paced(
        notifier,
        s,
        clock,
        d,
        (pacer, line, stopped),
        target,
        &msg,
        &nonce(d.id),
    )
    .await;
    match (result, target) {
        // DMs closed: no public copy of the DM. Leads' content goes to the leads' channel if there
        // is one; otherwise one short pointer per channel per batch, or nothing.
        (Err(SendError::DmClosed), Target::User(user)) => {
            match route::instead_of_dm(d, msg.audience, user, &msg, places, NoDm::Refused) {
                InsteadOfDm::Post { channel, msg } => {
                    tracing::info!(user = %user, "DMs closed; posting in the leads' channel");
                    let t = Target::Channel(channel);
                    let nonce = format!("{}c", nonce(d.id));
                    let result =
                        send_paced(notifier, s, clock, d, (pacer, line, stopped), t, &msg, &nonce).await;
                    record(store, s, clock, pacer, d, result, Some(channel), None)
                        .await
                        .map(Step::Done)
                }
                InsteadOfDm::Pointer => {
                    tracing::info!(user = %user, "DMs closed; pointing to it in the home channel");
                    Ok(Step::Point(Box::new(Pointer {
                        d: d.clone(),
                        user,
                        home: places.home,
                    })))
                }
                InsteadOfDm::Drop(why) => cancelled(store, d, &format!("DMs closed (50007); {why}"))
                    .await
                    .map(Step::Done),
            }
        }
        (result, Target::Channel(c)) => record(store, s, clock, pacer, d, result, Some(c), round)
            .await
            .map(Step::Done),
        (result, Target::User(_)) => record(store, s, clock, pacer, d, result, None, round)
            .await
            .map(Step::Done),
    }
}

/// Whether `user` has left the server of `d`'s coalition (asked of Discord, cached by the
/// notifier); if so their memberships end now, as `/coalition leave` would end them. When Discord
/// can't say, the send goes ahead (a DM to someone gone fails on its own).
async fn left_the_server<N: Notifier>(
    store: &Store,
    notifier: &N,
    d: &Delivery,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(c) = store::coalitions::get_any(store, d.coalition_id).await? else {
        return Ok(false);
    };
    match notifier.in_guild(c.guild_id, user).await {
        Ok(true) => Ok(false),
        Ok(false) => {
            crate::actions::members::left_server(store, c.guild_id, user, now).await?;
            Ok(true)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check the recipient is still in the server");
            Ok(false)
        }
    }
}

/// Records `d` as not wanted any more (`cancelled`, the reason in `last_error`).
async fn cancelled(store: &Store, d: &Delivery, why: &str) -> Result<Outcome> {
    let mut tx = store.write().await?;
    if !deliveries::mark_final(&mut tx, d.id, d.claim_token, false, why, false).await? {
        return Ok(lost());
    }
    tx.commit().await?;
    tracing::info!(reason = %why, "cancelled");
    Ok(Outcome::Cancelled)
}

/// Sends `msg` to `target` at the pacer's pace; a 429 gives its turn back and, when it fits,
/// waits out its own `retry_after` in line and goes again with the same nonce.
#[allow(clippy::too_many_arguments)]
async fn send_paced<N: Notifier>(
    notifier: &N,
    s: &SchedulerSettings,
    clock: &dyn Clock,
    d: &Delivery,
    (pacer, line, stopped): (&Pacer, &InLine, &(dyn Fn() -> bool + Sync)),
    target: Target,
    msg: &Message,
    nonce: &str,
) -> std::result::Result<MessageId, SendError> {
    let mut limits = 0;
    loop {
        pacer.wait().await;
        let result = match target {
            Target::Channel(c) => timed(s, notifier.send_channel(c, msg, nonce)).await,
            Target::User(u) => timed(s, notifier.send_dm(u, msg, nonce)).await,
        };
        let Err(SendError::RateLimited { retry_after, global }) = result else {
            return result;
        };
        // A 429 delivered nothing: it gives its turn back. This message alone waits out its own
        // retry_after (a global one holds every send back too) and goes again with the same nonce.
        let retry_after = sane_retry_after(retry_after);
        pacer.refund();
        if global {
            pacer.pause(Duration::from_secs_f64(retry_after));
        }
        limits += 1;
        let now_ms = clock.now().timestamp_millis();
        if limits > MAX_LIMITS_IN_LINE || !line.fits(d, now_ms, retry_after, s.send_timeout) {
            return Err(SendError::RateLimited { retry_after, global });
        }
        tracing::info!(
            retry_after,
            global,
            "rate limited; sending again once it has passed"
        );
        if !line.wait_out(clock, retry_after, stopped).await {
            return Err(SendError::RateLimited { retry_after, global });
        }
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

/// A `retry_after` to act on: finite, within a day; 1 s when Discord gave nonsense.
fn sane_retry_after(retry_after: f64) -> f64 {
    if retry_after.is_finite() {
        retry_after.clamp(0.0, 86_400.0)
    } else {
        1.0
    }
}
