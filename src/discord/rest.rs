//! The bot's REST client: serenity's `Http` over our reqwest client (one TLS stack, a request
//! timeout), with serenity's ratelimiter on unless `DISCORD_API_BASE` points elsewhere.

use std::sync::Arc;
use std::time::Duration;

use ::serenity::http::{Http, HttpBuilder, Ratelimiter};

use super::notifier::DiscordNotifier;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ops::metrics::{Metrics, RATE_LIMITED_BY_SERENITY};

/// serenity's `Http` and the reqwest client under it.
///
/// Every request gives up after the send timeout, so a hung connection can't stall a command or
/// the scheduler (which also bounds each whole send by the same timeout). serenity's ratelimiter
/// ignores `HttpBuilder::proxy`, so it is off when `DISCORD_API_BASE` is set (a fake Discord, or a
/// shared ratelimit proxy that owns the limits); otherwise it waits out 429s by itself and each
/// wait it reports is counted in `metrics` (`backbone_sends_rate_limited_total{source="serenity"}`;
/// with the ratelimiter off, the scheduler's own requests count theirs).
pub fn http(config: &Config, token: &str, metrics: Option<Arc<Metrics>>) -> Result<(Http, reqwest::Client)> {
    let client = reqwest::Client::builder()
        .use_native_tls()
        .timeout(Duration::from_secs(config.send_timeout_seconds.max(1)))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))?;
    let mut http = HttpBuilder::new(token).client(client.clone());
    match &config.discord.api_base {
        Some(base) => http = http.proxy(base.clone()).ratelimiter_disabled(true),
        None => {
            let token = token.trim();
            let token = if token.starts_with("Bot ") {
                token.to_string()
            } else {
                format!("Bot {token}")
            };
            let mut limiter = Ratelimiter::new(client.clone(), token);
            limiter.set_ratelimit_callback(Box::new(move |info| {
                if let Some(m) = &metrics {
                    m.rate_limited
                        .with_label_values(&[RATE_LIMITED_BY_SERENITY])
                        .inc();
                }
                // The route of an interaction or its follow-ups carries its token.
                tracing::warn!(
                    path = %crate::telemetry::redact(&info.path),
                    global = info.global,
                    wait_ms = info.timeout.as_millis() as u64,
                    "rate limited by Discord; serenity waits"
                );
            }));
            http = http.ratelimiter(limiter);
        }
    }
    Ok((http.build(), client))
}

/// A notifier of its own for `config`'s Discord (for benchmarks and tools that send scheduled
/// messages without the gateway).
pub fn notifier(config: &Config, metrics: Option<Arc<Metrics>>) -> Result<DiscordNotifier> {
    let token = config
        .discord
        .token
        .clone()
        .ok_or_else(|| Error::user("DISCORD_TOKEN is not set."))?;
    let (http, client) = http(config, &token, metrics)?;
    Ok(DiscordNotifier::new(Arc::new(http), client))
}
