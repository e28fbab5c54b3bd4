//! The sending loop: claim due rows atomically a few at a time as sends free up, send each
//! (`send.rs`), gather refused DMs into pointers (`pointer.rs`), and count what became of them
//! (`outcome.rs`). A channel post carries a nonce derived from the delivery id, so resending after
//! a crash between send and record posts nothing new. Each send is given up after `send_timeout`
//! (a hung request must not stall the loop), and a result is recorded only under the claim it was
//! sent under.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use super::outcome::Outcome;
pub use super::outcome::backoff;
use super::pace::{InLine, Pacer};
use super::pointer::{self, Pointer};
use super::send::Sender;
use super::{Notifier, SchedulerSettings};
use crate::clock::{Clock, ManualClock};
use crate::domain::*;
use crate::error::Result;
use crate::store::Store;
use crate::store::deliveries::{self, Delivery};

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
    let sender = Sender {
        store,
        notifier,
        settings,
        clock,
        pacer: &pacer,
        line: &line,
        stopped: &stopped,
    };
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
            running.push(Box::pin(sender.one(d)));
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
            running.push(Box::pin(async move {
                Step::Pointed(pointer::send_all(&sender, group).await)
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
                        Ok(()) => (0..n).for_each(|_| report.count(Outcome::Released, settings)),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not release claimed deliveries");
                            (0..n).for_each(|_| report.count(Outcome::Failed, settings));
                        }
                    }
                }
                Step::Done(outcome) => {
                    may_find = true;
                    report.count(outcome, settings);
                }
                Step::Point(p) => {
                    may_find = true;
                    oldest_pointer.get_or_insert_with(tokio::time::Instant::now);
                    pointers.push(*p);
                }
                Step::Pointed(outcomes) => {
                    may_find = true;
                    flushing = false;
                    outcomes.into_iter().for_each(|o| report.count(o, settings));
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
    /// Counts `outcome` here and, as it happens, in the metrics (a scrape sees it at once, not
    /// when the round ends).
    fn count(&mut self, outcome: Outcome, settings: &SchedulerSettings) {
        if let (Some(m), Some(label)) = (&settings.metrics, outcome.label()) {
            m.delivered.with_label_values(&[label]).inc();
        }
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

/// What sending one delivery led to: an outcome, or a refused DM waiting for its channel pointer.
pub(super) enum Step {
    Done(Outcome),
    Point(Box<Pointer>),
    /// A batch of pointers went out: what became of each delivery they stand for.
    Pointed(Vec<Outcome>),
    /// Rows claimed for this round.
    Claimed(Result<Vec<Delivery>>),
    /// This many claimed rows, not started because of shutdown, handed back.
    Released(usize, Result<()>),
}
