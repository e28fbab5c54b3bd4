//! One scheduler at a time: the lease in `store::lease`, as the loop uses it. Every copy runs the
//! loop; the one holding the lease plans and sends, renewing it every third of its length, also
//! while a long round of sends goes on. The others ask again every [`poll`] and take it over once
//! it has expired. A copy that finds it has lost the lease stops starting sends at once (what it
//! already sent is kept exactly once by the deliveries' claims and nonces).

use std::time::Duration;

use tokio::sync::watch;

use super::SchedulerSettings;
use crate::clock::Clock;
use crate::store::{Store, lease};

/// How often a copy that waits for the lease asks for it: a second at most, so the lease moves
/// at most about a second after it expires.
pub(super) fn poll(settings: &SchedulerSettings) -> Duration {
    (settings.lease / 3).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

/// How often the holder renews it.
pub(super) fn renew_every(settings: &SchedulerSettings) -> Duration {
    (settings.lease / 3).max(Duration::from_millis(100))
}

fn lease_ms(settings: &SchedulerSettings) -> i64 {
    i64::try_from(settings.lease.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Takes or renews the lease; whether this copy holds it. `was_held` is what the loop knew
/// before, to log only the changes. A database error counts as not holding it.
pub(super) async fn take(
    store: &Store,
    settings: &SchedulerSettings,
    clock: &dyn Clock,
    was_held: bool,
) -> bool {
    let now = clock.now().timestamp_millis();
    match lease::acquire(store, &settings.holder, now, lease_ms(settings)).await {
        Ok(state) => {
            if let Some(m) = &settings.metrics {
                m.lease_seen(state.holder.as_deref(), state.held);
            }
            match (was_held, state.held) {
                (false, true) => tracing::info!(holder = %settings.holder, "took the scheduler lease"),
                (true, false) => tracing::warn!(
                    holder = state.holder.as_deref().unwrap_or("nobody"),
                    "lost the scheduler lease; another copy plans and sends now"
                ),
                _ => {}
            }
            state.held
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read or renew the scheduler lease");
            if let Some(m) = &settings.metrics {
                m.scheduler_lease_held.set(0);
            }
            false
        }
    }
}

/// Renews the lease while a round of sends goes on. Returns — after raising `stop`, so the round
/// starts no more sends — when the lease is lost or shutdown begins; never otherwise.
pub(super) async fn keep(
    store: &Store,
    settings: &SchedulerSettings,
    clock: &dyn Clock,
    mut shutdown: watch::Receiver<bool>,
    stop: &watch::Sender<bool>,
) {
    loop {
        if *shutdown.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(renew_every(settings)) => {
                if !take(store, settings, clock, true).await {
                    break;
                }
            }
            r = shutdown.changed() => if r.is_err() { break },
        }
    }
    let _ = stop.send(true);
}

/// Hands the lease back on a clean shutdown, so another copy takes over at once.
pub(super) async fn hand_back(store: &Store, settings: &SchedulerSettings) {
    match lease::release(store, &settings.holder).await {
        Ok(true) => tracing::info!("handed the scheduler lease back"),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not hand the scheduler lease back; it expires on its own")
        }
    }
    if let Some(m) = &settings.metrics {
        m.scheduler_lease_held.set(0);
    }
}
