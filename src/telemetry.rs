//! Logging through `tracing`: verbosity from `RUST_LOG`, text or JSON lines on stderr.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(format: &str) {
    init_with(format, "info,backbone=info");
}

/// [`init`] with another verbosity when `RUST_LOG` is not set (e.g. `warn` for `backbone demo`,
/// whose output is the messages themselves).
pub fn init_with(format: &str, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
