//! Backbone: the shared hub of a nonprofit coalition — goals, tasks, deadlines, check-ins and wins —
//! kept in SQLite and surfaced in Discord.
//!
//! Data flows one way: Discord → [`discord`] → [`actions`] → [`store`], and
//! [`scheduler`] → actions/store → `Notifier` → Discord. Only `discord` knows about poise/serenity.

pub mod actions;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod discord;
pub mod domain;
pub mod error;
pub mod ops;
pub mod render;
pub mod scheduler;
pub mod store;
pub mod telemetry;

pub use error::{Error, Result};
