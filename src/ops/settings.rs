//! The service settings of `Config` (metrics endpoint, backups), checked and read.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::backup::{self, BackupPlan};
use super::lock::db_path;
use crate::config::Config;
use crate::domain::schedule::Schedule;
use crate::error::{Error, Result};

impl Config {
    /// Checks `metrics_addr` and `backup_schedule`, with a fix for a bad one.
    pub fn validate_service(&self) -> Result<()> {
        self.metrics_addr()?;
        if !self.backup_schedule.trim().is_empty() {
            Schedule::parse(&self.backup_schedule)
                .map_err(|e| Error::user(format!("backup_schedule: {e}")))?;
        }
        Ok(())
    }

    /// The metrics endpoint's address (None: off).
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>> {
        let addr = self.metrics_addr.trim();
        if addr.is_empty() {
            return Ok(None);
        }
        addr.parse().map(Some).map_err(|_| {
            Error::user(format!(
                "metrics_addr `{addr}` is not an address — use e.g. `127.0.0.1:9108`, or leave it empty to turn /healthz and /metrics off."
            ))
        })
    }

    /// The backup plan (None: scheduled backups are off, or the database is in memory).
    pub fn backup_plan(&self) -> Result<Option<BackupPlan>> {
        let text = self.backup_schedule.trim();
        let Some(db) = db_path(&self.database_url) else {
            return Ok(None);
        };
        if text.is_empty() {
            return Ok(None);
        }
        let schedule = Schedule::parse(text).map_err(|e| Error::user(format!("backup_schedule: {e}")))?;
        let dir = match self.backup_dir.trim() {
            "" => backup::default_dir(&db),
            d => PathBuf::from(d),
        };
        Ok(Some(BackupPlan {
            schedule,
            keep: usize::try_from(self.backup_keep).unwrap_or(usize::MAX).max(1),
            dir,
        }))
    }
}
