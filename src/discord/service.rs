//! What `backbone run` does besides Discord: hold the run lock, serve /healthz and /metrics, take
//! scheduled backups — and the gateway and command hooks that feed health and metrics.

use std::sync::Arc;
use std::time::Instant;

use poise::serenity_prelude as serenity;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Context, Data};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ops::health::Health;
use crate::ops::lock::{RunLock, db_path};
use crate::ops::metrics::Metrics;
use crate::ops::{backup, http};
use crate::store::Store;

/// The service parts of a running bot.
pub struct Service {
    pub health: Arc<Health>,
    pub metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _lock: Option<RunLock>,
}

/// Takes the run lock of the configured database (before anything opens it).
pub fn lock(config: &Config) -> Result<Option<RunLock>> {
    db_path(&config.database_url)
        .map(|p| RunLock::acquire(&p))
        .transpose()
}

impl Service {
    /// Binds the metrics endpoint (if configured) and starts it and the backup loop.
    pub async fn start(
        config: &Config,
        store: &Store,
        clock: Arc<dyn Clock>,
        lock: Option<RunLock>,
    ) -> Result<Service> {
        let health = Arc::new(Health::default());
        let metrics = Arc::new(Metrics::new());
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if let Some(addr) = config.metrics_addr()? {
            let listener = http::bind(addr).await?;
            let observed = http::Observed {
                store: store.clone(),
                health: health.clone(),
                metrics: metrics.clone(),
                clock: clock.clone(),
            };
            tasks.push(tokio::spawn(http::serve(listener, observed, stopped.clone())));
        }
        if let Some(plan) = config.backup_plan()? {
            let (store, health, metrics) = (store.clone(), health.clone(), metrics.clone());
            let stopped = stopped.clone();
            tasks.push(tokio::spawn(backup::run(
                store, plan, clock, health, metrics, stopped,
            )));
        }
        Ok(Service {
            health,
            metrics,
            stop,
            tasks,
            _lock: lock,
        })
    }

    /// Stops the endpoint and the backup loop; the run lock is released last.
    pub async fn stop(self) {
        self.health.gateway_down();
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
    }
}

/// A gateway event that tells whether a shard is connected.
pub fn on_gateway_event(ctx: &serenity::Context, event: &serenity::FullEvent, data: &Data) {
    match event {
        serenity::FullEvent::Ready { data_about_bot } => {
            let total = data_about_bot.shard.map_or(1, |s| s.total);
            if data.health.shard(ctx.shard_id.0, total, true) {
                data.metrics.gateway_reconnects.inc();
            }
        }
        serenity::FullEvent::ShardStageUpdate { event } => {
            let up = event.new == serenity::ConnectionStage::Connected;
            if data.health.shard(event.shard_id.0, 0, up) {
                data.metrics.gateway_reconnects.inc();
            }
        }
        _ => {}
    }
}

/// When the command started (poise invocation data).
struct Started(Instant);

/// Before a command: note when it started.
pub async fn command_started(ctx: Context<'_>) {
    ctx.set_invocation_data(Started(Instant::now())).await;
}

/// Marks a command already counted (its error was answered by the responder, and poise then
/// sees a success).
struct Counted;

/// A served interaction's outcome label: `ok`, `user_error` or `error`.
pub fn outcome(error: Option<&Error>) -> &'static str {
    match error {
        None => "ok",
        Some(Error::User(_)) => "user_error",
        Some(Error::Internal(_)) => "error",
    }
}

/// After a command: count it by name and outcome (`ok`, `user_error`, `error`), with its latency;
/// once, however many times it is reported.
pub async fn command_finished(ctx: Context<'_>, error: Option<&Error>) {
    if ctx.invocation_data::<Counted>().await.is_some() {
        return;
    }
    let seconds = match ctx.invocation_data::<Started>().await {
        Some(s) => s.0.elapsed().as_secs_f64(),
        None => 0.0,
    };
    ctx.set_invocation_data(Counted).await;
    ctx.data()
        .metrics
        .command(&ctx.command().qualified_name, outcome(error), seconds);
}
