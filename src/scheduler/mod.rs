//! The scheduler: [`tick`] plans check-ins, nudges, deadline pings and digests into the
//! `deliveries` outbox (idempotently, by dedupe key); [`deliver`] claims due rows, renders them from
//! current data, sends them through a [`Notifier`] and records the result; [`run`] drives both.
//! The time is always passed in: nothing here reads the clock except through a `Clock` handed to
//! [`run`] or [`deliver_until`] (which reads it per batch and per result, as a round can take long).

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::ops::metrics::Metrics;

mod content;
pub mod counting;
pub mod deliver;
mod lease;
mod meetings;
pub mod notifier;
mod outcome;
mod pace;
mod people;
pub mod plan;
mod pointer;
mod posts;
mod route;
pub mod runner;
mod send;

pub use deliver::{DeliverReport, deliver, deliver_until, nonce};
pub use notifier::{Notifier, SendError};
pub use people::pings_only_allows;
pub use plan::{TickReport, tick};
pub use runner::run;

/// How the scheduler plans and sends.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Time between ticks.
    pub tick: Duration,
    /// Seconds after a round opens before members who haven't answered are nudged.
    pub nudge_after: i64,
    /// A missed check-in or digest is still sent if at most this many seconds late.
    pub grace: i64,
    /// Seconds before a meeting its reminder goes out.
    pub meeting_reminder: i64,
    /// Sends in flight at once.
    pub send_concurrency: usize,
    /// Sends started per second at most (Discord allows 50 requests/s per bot); 0 = no pacing.
    pub max_sends_per_second: u32,
    /// Failed attempts (5xx, timeouts) before a delivery is marked dead.
    pub max_attempts: u32,
    /// Seconds a claimed row stays reserved for its sender.
    pub claim_seconds: i64,
    /// How long one send may take before it counts as a timeout (retried with backoff); must be
    /// well under `claim_seconds`, so a hung send is given up before another sender takes the row.
    pub send_timeout: Duration,
    /// First retry delay after a transient failure, in seconds (doubles each attempt).
    pub backoff_base: i64,
    /// Longest retry delay, in seconds.
    pub backoff_max: i64,
    /// Rows each planning query or claim takes at once.
    pub batch: i64,
    /// How long shutdown waits for sends in flight before giving up on them.
    pub shutdown_wait: Duration,
    /// How long the scheduler lease lasts ([`lease`]); renewed every third of it.
    pub lease: Duration,
    /// This copy's name in the lease (unique per process: host, process id, start time).
    pub holder: String,
    /// Where the loop records tick durations and delivery outcomes (None: nowhere). Sends and
    /// 429s are counted by the notifier wrapper [`counting::Counting`].
    pub metrics: Option<Arc<Metrics>>,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            tick: Duration::from_secs(15),
            nudge_after: 24 * 3600,
            grace: 12 * 3600,
            meeting_reminder: crate::domain::meeting::REMINDER_BEFORE,
            send_concurrency: 5,
            max_sends_per_second: 40,
            max_attempts: 6,
            claim_seconds: 120,
            send_timeout: Duration::from_secs(30),
            backoff_base: 10,
            backoff_max: 3600,
            batch: 200,
            shutdown_wait: Duration::from_secs(10),
            lease: Duration::from_secs(30),
            holder: "backbone".to_string(),
            metrics: None,
        }
    }
}

impl SchedulerSettings {
    /// The settings of `config` (tick, nudge delay, grace window, concurrency, pacing, attempts,
    /// claim time, send timeout).
    pub fn from_config(config: &Config) -> SchedulerSettings {
        let hours = |h: u64| i64::try_from(h.saturating_mul(3600)).unwrap_or(i64::MAX);
        SchedulerSettings {
            tick: Duration::from_secs(config.tick_seconds.max(1)),
            nudge_after: hours(config.nudge_after_hours),
            grace: hours(config.grace_hours),
            meeting_reminder: hours(config.meeting_reminder_hours),
            send_concurrency: config.send_concurrency.clamp(1, 40),
            max_sends_per_second: config.max_sends_per_second.clamp(1, 45),
            max_attempts: config.max_attempts.max(1),
            claim_seconds: i64::try_from(config.claim_seconds.max(1)).unwrap_or(120),
            send_timeout: Duration::from_secs(config.send_timeout_seconds.max(1)),
            lease: Duration::from_secs(config.scheduler_lease_seconds.max(1)),
            ..SchedulerSettings::default()
        }
    }
}
