//! Prometheus metrics of one running bot: commands, deliveries, sends, the gateway, the scheduler
//! and backups. One registry per bot (no global state), rendered as Prometheus text on /metrics;
//! the outbox gauges are read from the database at scrape time.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::health::Health;
use crate::error::{Error, Result};
use crate::store::{Store, maintenance};

/// `source` of a 429 the scheduler's own request met.
pub const RATE_LIMITED_BY_SCHEDULER: &str = "scheduler";
/// `source` of a 429 (or bucket wait) serenity's ratelimiter reported.
pub const RATE_LIMITED_BY_SERENITY: &str = "serenity";

/// Every metric Backbone exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Commands (and buttons, forms) served, by name and outcome (`ok`, `user_error`, `error`).
    pub commands: IntCounterVec,
    /// How long commands took, by name.
    pub command_seconds: HistogramVec,
    /// Requests to send a scheduled message, by target (`channel`, `dm`) and result.
    pub sends: IntCounterVec,
    /// Requests Discord answered 429, by who met them (`source`): `scheduler`, the scheduler's
    /// own sends (with `DISCORD_API_BASE` set, serenity's ratelimiter is off and they read the
    /// 429 themselves); `serenity`, what serenity's ratelimiter reported through its callback
    /// (it waits out, and retries, each 429 itself — its callback reports the pre-emptive wait for
    /// an exhausted bucket the same way). Each 429 is met on one path only: no double counting.
    pub rate_limited: IntCounterVec,
    /// Deliveries attempted again: put back for later (429, 5xx, timeouts), or sent again in line
    /// once a 429's retry_after had passed.
    pub retries: IntCounter,
    /// What the sender did with each claimed delivery (`sent`, `retried`, `dead`, …).
    pub delivered: IntCounterVec,
    /// Gateway shards that connected again after losing their connection.
    pub gateway_reconnects: IntCounter,
    /// Requests to the interactions endpoint (`backbone serve`) refused before any handler ran,
    /// by reason (`signature`, `timestamp`, `replay`, `body`).
    pub interactions_refused: IntCounterVec,
    /// How long one scheduler tick (planning) took.
    pub tick_seconds: Histogram,
    /// Backups that failed.
    pub backup_failures: IntCounter,
    /// Commands whose scope came from memory rather than the database (SQLite; `store::scope`).
    scopes_from_memory: IntCounter,
    /// Task lists answered from memory rather than by a page statement (SQLite; `store::task_memory`).
    task_lists_from_memory: IntCounter,
    /// The scheduler's clock time (unix seconds) of the last round it finished, planning and
    /// sending: a stalled scheduler shows as a value falling behind.
    pub scheduler_round: IntGauge,
    /// 1 while this copy holds the scheduler lease (plans and sends), 0 while it waits.
    pub scheduler_lease_held: IntGauge,
    /// Who holds the scheduler lease, as this copy last saw it: one series at 1, labelled with
    /// the holder's name (none while nobody holds it).
    scheduler_lease_holder: IntGaugeVec,
    deliveries: IntGaugeVec,
    oldest_due: IntGauge,
    backup_last_success: IntGauge,
    backup_failing: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn metric<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, m: T) -> T {
    registry
        .register(Box::new(m.clone()))
        .expect("metric names are unique and valid");
    m
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Metrics {
        let r = Registry::new();
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let latency = vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
        let m = Metrics {
            commands: metric(
                &r,
                counter_vec(
                    "backbone_commands_total",
                    "Commands, buttons and forms served, by name and outcome.",
                    &["command", "outcome"],
                ),
            ),
            command_seconds: metric(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("backbone_command_duration_seconds", "Time to serve a command.")
                        .buckets(latency.clone()),
                    &["command"],
                )
                .expect("valid metric"),
            ),
            sends: metric(
                &r,
                counter_vec(
                    "backbone_sends_total",
                    "Requests to Discord to send a scheduled message, by target and result.",
                    &["target", "result"],
                ),
            ),
            rate_limited: metric(
                &r,
                counter_vec(
                    "backbone_sends_rate_limited_total",
                    "Requests answered with 429, by who met them (scheduler, serenity).",
                    &["source"],
                ),
            ),
            retries: metric(
                &r,
                counter(
                    "backbone_send_retries_total",
                    "Deliveries put back for another attempt.",
                ),
            ),
            delivered: metric(
                &r,
                counter_vec(
                    "backbone_delivery_outcomes_total",
                    "What the sender did with each claimed delivery.",
                    &["outcome"],
                ),
            ),
            gateway_reconnects: metric(
                &r,
                counter(
                    "backbone_gateway_reconnects_total",
                    "Gateway shards that reconnected.",
                ),
            ),
            tick_seconds: metric(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "backbone_scheduler_tick_seconds",
                        "Time one scheduler tick took to plan.",
                    )
                    .buckets(latency),
                )
                .expect("valid metric"),
            ),
            interactions_refused: metric(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "backbone_interactions_refused_total",
                        "Requests to POST /interactions refused before any handler ran, by reason (signature, timestamp, replay, body).",
                    ),
                    &["reason"],
                )
                .expect("valid metric"),
            ),
            backup_failures: metric(
                &r,
                counter("backbone_backup_failures_total", "Backups that failed."),
            ),
            scopes_from_memory: metric(
                &r,
                counter(
                    "backbone_scopes_from_memory_total",
                    "Commands that found their coalition and the actor's membership in memory, with no statement (SQLite only).",
                ),
            ),
            task_lists_from_memory: metric(
                &r,
                counter(
                    "backbone_task_lists_from_memory_total",
                    "Task lists answered from the coalition's live tasks kept in memory: as kept, or with only the tasks changed since read (SQLite only).",
                ),
            ),
            deliveries: metric(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "backbone_deliveries",
                        "Deliveries in the outbox, by kind and status.",
                    ),
                    &["kind", "status"],
                )
                .expect("valid metric"),
            ),
            oldest_due: metric(
                &r,
                gauge(
                    "backbone_oldest_due_delivery_age_seconds",
                    "Seconds the oldest due, unsent delivery has waited (0 when none).",
                ),
            ),
            backup_last_success: metric(
                &r,
                gauge(
                    "backbone_backup_last_success_timestamp_seconds",
                    "When the last backup was written (unix seconds; 0 before the first).",
                ),
            ),
            backup_failing: metric(
                &r,
                gauge("backbone_backup_failing", "1 when the last backup failed."),
            ),
            scheduler_round: metric(
                &r,
                gauge(
                    "backbone_scheduler_last_round_timestamp_seconds",
                    "The scheduler's time (unix seconds) of the last round it finished planning and sending (0 before the first).",
                ),
            ),
            scheduler_lease_held: metric(
                &r,
                gauge(
                    "backbone_scheduler_lease_held",
                    "1 while this copy holds the scheduler lease and plans and sends scheduled messages; 0 while it waits for it.",
                ),
            ),
            scheduler_lease_holder: metric(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "backbone_scheduler_lease_holder",
                        "The copy holding the scheduler lease, as this copy last saw it (one series at 1).",
                    ),
                    &["holder"],
                )
                .expect("valid metric"),
            ),
            registry: r,
        };
        // Both sources show from the start (at 0), so a rate can be taken before the first 429.
        for source in [RATE_LIMITED_BY_SCHEDULER, RATE_LIMITED_BY_SERENITY] {
            m.rate_limited.with_label_values(&[source]);
        }
        m
    }

    /// Records who holds the scheduler lease (`None`: nobody) and whether it is this copy.
    pub fn lease_seen(&self, holder: Option<&str>, held_here: bool) {
        self.scheduler_lease_held.set(i64::from(held_here));
        self.scheduler_lease_holder.reset();
        if let Some(h) = holder {
            self.scheduler_lease_holder.with_label_values(&[h]).set(1);
        }
    }

    /// Records one command served.
    pub fn command(&self, name: &str, outcome: &str, seconds: f64) {
        self.commands.with_label_values(&[name, outcome]).inc();
        self.command_seconds.with_label_values(&[name]).observe(seconds);
    }

    /// Everything as Prometheus text, with the outbox read from the database as of `now`.
    pub async fn render(&self, store: &Store, health: &Health, now: i64) -> Result<String> {
        self.deliveries.reset();
        for (kind, status, n) in maintenance::delivery_counts(store).await? {
            self.deliveries.with_label_values(&[&kind, &status]).set(n);
        }
        let oldest = maintenance::oldest_due(store, now).await?;
        self.oldest_due.set(oldest.map_or(0, |at| (now - at).max(0)));
        self.backup_last_success
            .set(health.last_backup_ok().map_or(0, |t| t.timestamp()));
        self.backup_failing.set(i64::from(health.backup_failing()));
        let hits = store.scope_memory().map_or(0, |m| m.hits());
        self.scopes_from_memory
            .inc_by(hits.saturating_sub(self.scopes_from_memory.get()));
        let lists = store.task_memory().map_or(0, |m| m.hits());
        self.task_lists_from_memory
            .inc_by(lists.saturating_sub(self.task_lists_from_memory.get()));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| Error::internal(format!("encoding metrics: {e}")))?;
        String::from_utf8(out).map_err(|e| Error::internal(format!("encoding metrics: {e}")))
    }
}
