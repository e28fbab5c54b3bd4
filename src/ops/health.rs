//! What /healthz reports: whether every gateway shard is connected and how the last backup went
//! (the database is asked afresh on each request).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Live state shared by the gateway handler, the backup loop and the HTTP endpoint.
#[derive(Debug, Default)]
pub struct Health {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Shard id → connected; empty until the first shard is up.
    shards: BTreeMap<u32, bool>,
    /// How many shards the bot runs (0 until known).
    shard_total: u32,
    /// Interactions come over HTTP (`backbone serve`): there is no gateway to be connected.
    without_gateway: bool,
    last_backup_ok: Option<DateTime<Utc>>,
    /// When the last backup failed and why; cleared by the next success.
    backup_failure: Option<(DateTime<Utc>, String)>,
}

impl Health {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A shard connected or disconnected; returns true when this is a reconnect.
    pub fn shard(&self, id: u32, total: u32, connected: bool) -> bool {
        let mut inner = self.lock();
        inner.shard_total = inner.shard_total.max(total);
        let before = inner.shards.insert(id, connected);
        connected && before == Some(false)
    }

    /// This copy serves interactions over HTTP and runs no gateway shard.
    pub fn without_gateway(&self) {
        self.lock().without_gateway = true;
    }

    /// Marks every shard disconnected (shutdown).
    pub fn gateway_down(&self) {
        for c in self.lock().shards.values_mut() {
            *c = false;
        }
    }

    /// A backup was written at `at`.
    pub fn backup_succeeded(&self, at: DateTime<Utc>) {
        let mut inner = self.lock();
        inner.last_backup_ok = Some(at);
        inner.backup_failure = None;
    }

    /// A backup failed at `at` with `error`.
    pub fn backup_failed(&self, at: DateTime<Utc>, error: &str) {
        self.lock().backup_failure = Some((at, error.to_string()));
    }

    /// When the last backup was written.
    pub fn last_backup_ok(&self) -> Option<DateTime<Utc>> {
        self.lock().last_backup_ok
    }

    /// Whether the last backup failed.
    pub fn backup_failing(&self) -> bool {
        self.lock().backup_failure.is_some()
    }

    /// Why the bot is not healthy (apart from the database), in one line; None when it is.
    pub fn problem(&self) -> Option<String> {
        let inner = self.lock();
        let up = inner.shards.values().filter(|c| **c).count() as u32;
        let total = inner.shard_total.max(inner.shards.len() as u32);
        if inner.shards.is_empty() && !inner.without_gateway {
            return Some("gateway: not connected yet".into());
        }
        if up < total {
            let down: Vec<String> = (0..total)
                .filter(|i| inner.shards.get(i) != Some(&true))
                .map(|i| i.to_string())
                .collect();
            return Some(format!(
                "gateway: {up} of {total} shards connected (down: {})",
                down.join(", ")
            ));
        }
        if let Some((at, e)) = &inner.backup_failure {
            return Some(format!(
                "last backup failed at {}: {e}",
                at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gateway_only_the_backup_counts() {
        let h = Health::default();
        assert!(h.problem().unwrap().contains("not connected yet"));
        h.without_gateway();
        assert_eq!(h.problem(), None);
        h.backup_failed(Utc::now(), "disk full");
        assert!(h.problem().unwrap().contains("disk full"));
    }

    #[test]
    fn healthy_only_with_every_shard_up_and_no_failed_backup() {
        let h = Health::default();
        assert_eq!(h.problem().as_deref(), Some("gateway: not connected yet"));
        assert!(!h.shard(0, 2, true));
        assert!(h.problem().unwrap().contains("1 of 2 shards connected (down: 1)"));
        h.shard(1, 2, true);
        assert_eq!(h.problem(), None);
        h.shard(1, 2, false);
        assert!(h.shard(1, 2, true), "coming back is a reconnect");
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        h.backup_failed(at, "disk full");
        assert!(h.problem().unwrap().starts_with("last backup failed at"));
        h.backup_succeeded(at);
        assert_eq!(h.problem(), None);
    }
}
