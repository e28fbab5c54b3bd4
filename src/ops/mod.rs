//! Running Backbone as a service: the run lock, scheduled backups and restore, health and
//! Prometheus metrics with their HTTP endpoint. Sits above `store/`; used by the scheduler (metrics),
//! `discord/` and the CLI. Nothing here reads the clock except through a `Clock` it is handed.

pub mod backup;
pub mod files;
pub mod health;
pub mod http;
pub mod lock;
pub mod memory;
pub mod metrics;
pub mod restore;
pub mod settings;
