//! Support for the end-to-end tests: a fake Discord (REST + gateway v10) and a harness running the
//! real bot against it. See `tests/e2e.rs`.
// Each test binary uses its own part of the support code.
#![allow(dead_code, unused_imports)]

pub mod events;
pub mod gateway;
#[path = "../pg/mod.rs"]
pub mod pg;
pub mod process;
pub mod rest;
pub mod scenario;
pub mod server;
pub mod threads;
pub mod validate;
pub mod world;

pub use process::Process;
pub use scenario::*;
pub use server::{FakeDiscord, Msg, Request};
pub use world::*;

/// Whether the bot's database is PostgreSQL (`BACKBONE_TEST_DATABASE=postgres`) rather than a
/// SQLite file: the same end-to-end tests run on both stores.
pub fn on_postgres() -> bool {
    match std::env::var("BACKBONE_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("BACKBONE_TEST_DATABASE={other:?}: use `sqlite` (the default) or `postgres`"),
    }
}

/// True (after saying so on stderr) on PostgreSQL, for a test that opens the bot's SQLite file
/// itself: it returns early there.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("SQLite only, not run on PostgreSQL: {what}");
        return true;
    }
    false
}
