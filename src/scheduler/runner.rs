//! The scheduler's loop inside `backbone run`: tick, deliver, sleep until the next tick or a wake-up
//! — and on shutdown, finish the sends in flight and hand back the rest.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tracing::Instrument;

use super::{DeliverReport, Notifier, SchedulerSettings, deliver_until, lease, tick};
use crate::clock::Clock;
use crate::ops::metrics::Metrics;
use crate::store::{Store, deliveries};

/// The shortest sleep between rounds, so rows that stay due (a round cut short) can't spin the loop.
const MIN_PAUSE: Duration = Duration::from_millis(100);

/// Runs the scheduler until `shutdown` turns true (or its sender is dropped). `wake` triggers an
/// immediate round (after a command queued a win celebration or blocker alert).
pub async fn run<N: Notifier + 'static>(
    store: Store,
    notifier: Arc<N>,
    settings: SchedulerSettings,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
    wake: Arc<Notify>,
) {
    tracing::info!(tick = ?settings.tick, concurrency = settings.send_concurrency, holder = %settings.holder, "scheduler started");
    let mut held = false;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Only the copy holding the lease plans and sends; the others ask again shortly.
        held = lease::take(&store, &settings, clock.as_ref(), held).await;
        if !held {
            tokio::select! {
                _ = tokio::time::sleep(lease::poll(&settings)) => {}
                r = shutdown.changed() => if r.is_err() { break },
            }
            continue;
        }
        let now = clock.now();
        let started = std::time::Instant::now();
        if let Err(e) = tick(&store, &settings, now).await {
            tracing::error!(error = %e, "tick failed");
        }
        if let Some(m) = &settings.metrics {
            m.tick_seconds.observe(started.elapsed().as_secs_f64());
        }
        let span = tracing::info_span!("deliver", now = %now);
        // Sending stops (no new sends start) on shutdown or when the lease is lost meanwhile.
        let (stop_tx, stop) = watch::channel(false);
        let sending =
            deliver_until(&store, notifier.as_ref(), &settings, clock.as_ref(), Some(&stop)).instrument(span);
        tokio::pin!(sending);
        let keeper = lease::keep(&store, &settings, clock.as_ref(), shutdown.clone(), &stop_tx);
        tokio::pin!(keeper);
        let mut keeping = true;
        let mut watcher = shutdown.clone();
        let outcome = loop {
            tokio::select! {
                r = &mut sending => break Some(r),
                _ = stopped_then(&mut watcher, settings.shutdown_wait) => break None,
                _ = &mut keeper, if keeping => keeping = false,
            }
        };
        if let (Some(m), Some(Ok(report))) = (&settings.metrics, &outcome) {
            record(m, report);
            m.scheduler_round.set(now.timestamp());
        }
        match outcome {
            Some(Ok(report)) if report.claimed > 0 => tracing::info!(?report, "delivered"),
            Some(Ok(_)) => {}
            Some(Err(e)) => tracing::error!(error = %e, "deliver failed"),
            // Sends still hanging after the shutdown wait: their rows stay claimed and are sent
            // again (deduplicated by nonce) when the claim expires.
            None => {
                tracing::warn!(
                    "sends still in flight at shutdown; they will be retried after the claim expires"
                );
                break;
            }
        }
        // Sleep until the next tick, or sooner when a delivery put back for later (a 429's
        // retry_after, a backoff) comes due before it: a rate-limited message goes out when
        // Discord allows it, not a whole tick later.
        let pause = match deliveries::next_due(&store).await {
            Ok(Some(at)) => {
                let ms = (at * 1000).saturating_sub(clock.now().timestamp_millis());
                let ms = u64::try_from(ms).unwrap_or(0);
                Duration::from_millis(ms).clamp(MIN_PAUSE, settings.tick.max(MIN_PAUSE))
            }
            Ok(None) => settings.tick,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the next due delivery");
                settings.tick
            }
        };
        // The holder sleeps no longer than a renewal period, so its lease never runs out between
        // rounds.
        let pause = pause.min(lease::renew_every(&settings));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = wake.notified() => {}
            r = shutdown.changed() => if r.is_err() { break },
        }
    }
    lease::hand_back(&store, &settings).await;
    tracing::info!("scheduler stopped");
}

/// Adds one round's retries to the metrics (each delivery's outcome is counted as it happens).
fn record(m: &Metrics, r: &DeliverReport) {
    // Put back for later, or sent again in line after a 429's retry_after.
    m.retries.inc_by((r.retried + r.resent) as u64);
}

/// Completes `wait` after shutdown has been signalled; never otherwise.
async fn stopped_then(shutdown: &mut watch::Receiver<bool>, wait: std::time::Duration) {
    loop {
        if *shutdown.borrow_and_update() {
            break;
        }
        if shutdown.changed().await.is_err() {
            break;
        }
    }
    tokio::time::sleep(wait).await;
}
