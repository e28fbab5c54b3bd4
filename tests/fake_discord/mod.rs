//! Support for the end-to-end tests: a fake Discord (REST + gateway v10) and a harness running the
//! real bot against it. See `tests/e2e.rs`.
// Each test binary uses its own part of the support code.
#![allow(dead_code, unused_imports)]

pub mod events;
pub mod gateway;
pub mod hubs;
#[path = "../pg/mod.rs"]
pub mod pg;
pub mod process;
pub mod rest;
pub mod scenario;
pub mod server;
pub mod threads;
pub mod validate;
pub mod world;

pub use hubs::*;
pub use process::Process;
pub use scenario::*;
pub use server::{FakeDiscord, Msg, Request};
pub use world::*;

pub use pg::{on_postgres, sqlite_only};
