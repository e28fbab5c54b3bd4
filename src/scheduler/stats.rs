//! Counters of what sending met (messages sent, 429s), shared with whoever reports them (metrics):
//! one [`SendStats`] is created by the caller and handed to the scheduler and the Discord edge.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Lock-free counters, updated by every send. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct SendStats {
    sent: AtomicU64,
    rate_limited: AtomicU64,
    rate_limited_global: AtomicU64,
    ratelimiter_waits: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SendStatsSnapshot {
    /// Scheduled messages delivered.
    pub sent: u64,
    /// 429 answers to the scheduler's own sends (with `DISCORD_API_BASE`, serenity's ratelimiter
    /// off), global ones included.
    pub rate_limited: u64,
    /// Of those, global 429s (every send paused).
    pub rate_limited_global: u64,
    /// Waits reported by serenity's ratelimiter (production without a proxy): a 429 it met or a
    /// bucket it had to wait for. It retries these itself, so they never reach the scheduler.
    pub ratelimiter_waits: u64,
}

impl SendStats {
    /// A scheduled message was delivered.
    pub fn record_sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A send was answered 429.
    pub fn record_rate_limited(&self, global: bool) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        if global {
            self.rate_limited_global.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// serenity's ratelimiter reported a wait.
    pub fn record_ratelimiter_wait(&self) {
        self.ratelimiter_waits.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> SendStatsSnapshot {
        SendStatsSnapshot {
            sent: self.sent.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            rate_limited_global: self.rate_limited_global.load(Ordering::Relaxed),
            ratelimiter_waits: self.ratelimiter_waits.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind() {
        let s = SendStats::default();
        s.record_sent();
        s.record_sent();
        s.record_rate_limited(false);
        s.record_rate_limited(true);
        s.record_ratelimiter_wait();
        assert_eq!(
            s.snapshot(),
            SendStatsSnapshot {
                sent: 2,
                rate_limited: 2,
                rate_limited_global: 1,
                ratelimiter_waits: 1,
            }
        );
    }
}
