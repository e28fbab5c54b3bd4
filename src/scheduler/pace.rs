//! Pacing the sends of one delivery round: the [`Pacer`] spaces out the start of sends (and holds
//! them all back while a global 429 lasts); [`InLine`] lets a rate-limited send wait out its own
//! `retry_after` and go again, without holding back the others.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::Clock;

/// The longest `retry_after` a send waits out in line; a longer one puts its delivery back in the
/// queue for when it ends.
pub(crate) const MAX_WAIT_IN_LINE: f64 = 10.0;

/// How many 429s in a row one send waits out in line before its delivery goes back to the queue.
pub(crate) const MAX_LIMITS_IN_LINE: u32 = 3;

/// How often a send waiting out a 429 looks at the scheduler's clock.
const LOOK: Duration = Duration::from_millis(20);

/// How much longer than `retry_after` (real time) a send waits for the scheduler's clock to reach
/// the end of it. A clock that stands still (a test, a simulation) never gets there: the delivery
/// then goes back to the queue, due when the clock does.
const CLOCK_GRACE: Duration = Duration::from_secs(1);

/// How a send answered 429 waits out its `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// In line: its claim outlasts the wait and another send, with room to spare.
    InLine,
    /// In line, once its claim is extended to this UTC second (else another sender could take the
    /// row over mid-wait); rather than back behind the whole queue.
    Extending(i64),
    /// Back in the queue, due when the limit has passed: the wait is too long to hold a send.
    Queue,
}

/// How a send of a row claimed until `claimed_until` (UTC seconds), answered 429 with
/// `retry_after` at `now_ms`, waits it out; a claim that would end too soon is extended to
/// `claim_seconds` past the wait.
pub(crate) fn wait_plan(
    claimed_until: Option<i64>,
    now_ms: i64,
    retry_after: f64,
    send_timeout: Duration,
    claim_seconds: i64,
) -> Wait {
    if !(0.0..=MAX_WAIT_IN_LINE).contains(&retry_after) {
        return Wait::Queue;
    }
    let Some(until) = claimed_until else {
        return Wait::Queue;
    };
    let needed = (retry_after * 1000.0).ceil() as i64 + 2 * send_timeout.as_millis() as i64;
    let end_ms = now_ms.saturating_add(needed);
    if end_ms < until.saturating_mul(1000) {
        Wait::InLine
    } else {
        Wait::Extending((end_ms / 1000 + 1).max(now_ms / 1000 + (retry_after.ceil() as i64) + claim_seconds))
    }
}

/// Spaces out the start of sends to stay under Discord's global rate limit, and holds every send
/// back while a global 429 lasts.
pub(crate) struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
    paused_until: Mutex<Option<Instant>>,
}

impl Pacer {
    pub(crate) fn new(per_second: u32) -> Pacer {
        let interval = (per_second > 0).then(|| Duration::from_secs(1) / per_second);
        Pacer {
            interval,
            next: Mutex::new(None),
            paused_until: Mutex::new(None),
        }
    }

    /// No send starts for `d` from now (a global rate limit).
    pub(crate) fn pause(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut p = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        *p = Some(p.map_or(until, |old| old.max(until)));
    }

    /// Waits for this send's turn.
    pub(crate) async fn wait(&self) {
        loop {
            let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            match paused {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => break,
            }
        }
        let Some(interval) = self.interval else { return };
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// Gives back the turn of a send that Discord answered 429: it delivered nothing, so the next
    /// send may take its place. (Discord's global limit is 50 requests/s and the configured pace
    /// stays under it, so 429s spending no turn keep the pace of messages delivered.)
    pub(crate) fn refund(&self) {
        let Some(interval) = self.interval else { return };
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(n) = *next {
            *next = Some(n.checked_sub(interval).unwrap_or(now).max(now));
        }
    }
}

/// Sends waiting out a 429 in line: they don't count against the round's concurrency while they
/// wait, so the other sends go on.
#[derive(Default)]
pub(crate) struct InLine {
    waiting: AtomicUsize,
    resent: AtomicUsize,
}

/// Takes one waiting send off the count however its wait ends (dropped included).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl InLine {
    /// Sends now waiting out a 429.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Sends that went again after waiting out a 429.
    pub(crate) fn resent(&self) -> usize {
        self.resent.load(Ordering::Relaxed)
    }

    /// Waits until `retry_after` seconds (to the millisecond) have passed on `clock`; false when it
    /// gave up instead: `stopped` turned true, or the clock did not get there within `retry_after`
    /// and a grace of real time.
    pub(crate) async fn wait_out(
        &self,
        clock: &dyn Clock,
        retry_after: f64,
        stopped: &(dyn Fn() -> bool + Sync),
    ) -> bool {
        let ms = (retry_after.max(0.0) * 1000.0).ceil() as i64;
        let due = clock.now() + chrono::Duration::milliseconds(ms);
        let give_up = Instant::now() + Duration::from_millis(ms.unsigned_abs()) + CLOCK_GRACE;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        loop {
            if stopped() {
                return false;
            }
            let left = (due - clock.now()).to_std().unwrap_or_default();
            if left.is_zero() {
                self.resent.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            let now = Instant::now();
            if now >= give_up {
                return false;
            }
            tokio::time::sleep(left.min(LOOK).min(give_up - now)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(p: &Pacer) -> Option<Instant> {
        *p.next.lock().unwrap()
    }

    #[test]
    fn a_refunded_turn_goes_to_the_next_send() {
        let pacer = Pacer::new(10);
        let later = Instant::now() + Duration::from_secs(5);
        *pacer.next.lock().unwrap() = Some(later);
        pacer.refund();
        assert_eq!(next(&pacer), Some(later - Duration::from_millis(100)));
    }

    #[test]
    fn a_refund_never_moves_turns_into_the_past() {
        let pacer = Pacer::new(10);
        let before = Instant::now();
        *pacer.next.lock().unwrap() = Some(before - Duration::from_secs(5));
        pacer.refund();
        assert!(next(&pacer).unwrap() >= before);
        // An idle pacer (no turn taken yet) stays idle.
        let idle = Pacer::new(10);
        idle.refund();
        assert_eq!(next(&idle), None);
    }

    #[test]
    fn a_wait_holds_its_claim_or_extends_it_and_only_a_long_one_goes_back_to_the_queue() {
        let timeout = Duration::from_secs(10);
        let now_ms = 1_000_000_000;
        let now = now_ms / 1000;
        // 3 s + two sends of 10 s fit in a claim that runs 60 s more.
        assert_eq!(wait_plan(Some(now + 60), now_ms, 3.0, timeout, 120), Wait::InLine);
        // They don't fit in one that ends in 20 s: the claim is extended past the wait.
        let Wait::Extending(until) = wait_plan(Some(now + 20), now_ms, 3.0, timeout, 120) else {
            panic!("extends");
        };
        assert_eq!(until, now + 3 + 120);
        assert_eq!(wait_plan(Some(until), now_ms, 3.0, timeout, 120), Wait::InLine);
        // Too long to hold a send, nonsense, or not claimed: back to the queue.
        assert_eq!(
            wait_plan(Some(now + 600), now_ms, 30.0, timeout, 120),
            Wait::Queue
        );
        assert_eq!(
            wait_plan(Some(now + 600), now_ms, -1.0, timeout, 120),
            Wait::Queue
        );
        assert_eq!(wait_plan(None, now_ms, 1.0, timeout, 120), Wait::Queue);
        // A claim setting shorter than the wait still covers it.
        let Wait::Extending(until) = wait_plan(Some(now), now_ms, 9.5, timeout, 1) else {
            panic!("extends");
        };
        assert!(until * 1000 > now_ms + 9_500 + 20_000, "{until}");
    }
}
