//! The `backbone` binary: parse the command line, load config, start logging, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

use backbone::cli::{Cli, execute};
use backbone::config::Config;
use backbone::error::Error;

fn main() -> ExitCode {
    backbone::ops::memory::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::internal(format!("cannot start the async runtime: {e}"))),
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    match cli.command {
        // The demo's output is the messages; its logs would only bury them.
        backbone::cli::Command::Demo { .. } => backbone::telemetry::init_with(&config.log_format, "warn"),
        _ => backbone::telemetry::init(&config.log_format),
    }
    match execute(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// User errors (bad settings, missing token) exit 2 with the message; internal errors exit 1.
fn fail(e: &Error) -> ExitCode {
    match e {
        Error::User(m) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Error::Internal(m) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}
