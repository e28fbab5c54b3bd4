//! Interactions over HTTP: `backbone serve --listen ADDR` answers Discord's *Interactions Endpoint
//! URL* at `POST /interactions`, with no gateway connection.
//!
//! Each request is checked before anything else happens: its Ed25519 signature
//! (`X-Signature-Ed25519` over `X-Signature-Timestamp` + body) against the application's public
//! key, then its timestamp, which must lie within five minutes of now, then its interaction id,
//! which must not have been taken in those five minutes by any copy on the same database
//! (`store::interactions`; this copy's memory too). A request failing any of these gets
//! 401 and changes nothing. A PING gets its PONG in the HTTP response (Discord checks the URL
//! that way). Every other interaction goes to the same dispatcher as the gateway's
//! (`poise::dispatch_event` with the same framework options), so the same handlers answer it
//! through the same [`super::respond::Responder`] — through the interaction callback endpoint,
//! within the same 3 seconds — and the HTTP request itself gets `202 Accepted` once the handler
//! has finished or [`HOLD`] has passed (by then the responder has deferred).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use poise::serenity_prelude as serenity;
use serenity::interactions_endpoint::Verifier;
use serenity::{FullEvent, Interaction};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Data, detached::Detached};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ops::http;
use crate::store;

/// How old (or how far ahead) a request's timestamp may be; older is a replay.
pub const MAX_AGE_SECONDS: i64 = 300;

/// How long the HTTP request waits for its handler before answering 202 (the responder defers
/// after 1.5 s, and Discord waits 3 s for the HTTP answer).
pub const HOLD: Duration = Duration::from_millis(2500);

/// Largest body accepted (Discord's interactions are far smaller).
pub const MAX_BODY: usize = 1 << 20;

/// Checks `DISCORD_PUBLIC_KEY`: the application's public key, 64 hex digits.
pub fn verifier(key: Option<&str>) -> Result<Verifier> {
    let key = key.map(str::trim).filter(|k| !k.is_empty()).ok_or_else(|| {
        Error::user(
            "DISCORD_PUBLIC_KEY is not set — `backbone serve` checks every interaction against it: copy it from the developer portal (Applications → your app → General Information → Public Key).",
        )
    })?;
    let bytes = hex32(key).ok_or_else(|| {
        Error::user(format!(
            "DISCORD_PUBLIC_KEY is not 64 hex digits (it has {} characters) — copy the Public Key from the developer portal (General Information).",
            key.len()
        ))
    })?;
    Verifier::try_new(bytes).map_err(|e| {
        Error::user(format!(
            "DISCORD_PUBLIC_KEY is not a valid Ed25519 public key ({e}) — copy the Public Key from the developer portal (General Information)."
        ))
    })
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// What the endpoint answers a request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200 with this JSON body (the PONG).
    Json(String),
    /// 202: the interaction was handled and answered through the callback endpoint.
    Accepted,
    /// 400: the body is not an interaction.
    BadRequest(&'static str),
    /// 401: the signature, timestamp or id did not pass; nothing was done.
    Unauthorized(Refusal),
}

/// Why a request was refused with 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The signature headers are missing, or the signature does not match.
    Signature,
    /// Correctly signed, but sent more than [`MAX_AGE_SECONDS`] ago (or ahead).
    Timestamp,
    /// The interaction was already received within [`MAX_AGE_SECONDS`].
    Replay,
}

impl Refusal {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::Signature => "signature",
            Refusal::Timestamp => "timestamp",
            Refusal::Replay => "replay",
        }
    }

    /// The answer's body.
    fn text(self) -> &'static str {
        match self {
            Refusal::Signature => "invalid request signature\n",
            Refusal::Timestamp => "request timestamp too old or too far ahead\n",
            Refusal::Replay => "interaction already received\n",
        }
    }
}

/// Interaction ids seen within [`MAX_AGE_SECONDS`] (a request replayed with its timestamp still
/// fresh is refused too).
#[derive(Default)]
struct Seen {
    ids: HashMap<u64, i64>,
    order: VecDeque<(i64, u64)>,
}

impl Seen {
    /// Records `id` seen at `now`; false if it was already seen in the window.
    fn first(&mut self, id: u64, now: i64) -> bool {
        while let Some(&(at, old)) = self.order.front() {
            if at >= now - MAX_AGE_SECONDS {
                break;
            }
            self.order.pop_front();
            if self.ids.get(&old) == Some(&at) {
                self.ids.remove(&old);
            }
        }
        if self.ids.contains_key(&id) {
            return false;
        }
        self.ids.insert(id, now);
        self.order.push_back((now, id));
        true
    }
}

/// The endpoint's state: the key, and what the dispatcher needs.
pub struct Endpoint {
    verifier: Verifier,
    clock: Arc<dyn Clock>,
    detached: Detached,
    bot_id: serenity::UserId,
    options: poise::FrameworkOptions<Data, Error>,
    data: Data,
    seen: Mutex<Seen>,
    /// Interactions taken, to forget old ids every [`FORGET_EVERY`].
    taken: AtomicU64,
}

/// How often (in interactions taken) the ids older than the window are deleted.
const FORGET_EVERY: u64 = 64;

impl Endpoint {
    pub fn new(
        verifier: Verifier,
        clock: Arc<dyn Clock>,
        detached: Detached,
        bot_id: serenity::UserId,
        options: poise::FrameworkOptions<Data, Error>,
        data: Data,
    ) -> Endpoint {
        Endpoint {
            verifier,
            clock,
            detached,
            bot_id,
            options,
            data,
            seen: Mutex::default(),
            taken: AtomicU64::new(0),
        }
    }

    /// Handles one `POST /interactions`.
    pub async fn handle(
        self: &Arc<Self>,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
    ) -> Answer {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Answer::Unauthorized(Refusal::Signature);
        };
        if self.verifier.verify(signature, timestamp, body).is_err() {
            return Answer::Unauthorized(Refusal::Signature);
        }
        let now = self.clock.now().timestamp();
        match timestamp.trim().parse::<i64>() {
            Ok(at) if (now - at).abs() <= MAX_AGE_SECONDS => {}
            _ => return Answer::Unauthorized(Refusal::Timestamp),
        }
        let interaction: Interaction = match serde_json::from_slice(body) {
            Ok(i) => i,
            Err(e) => {
                // Not the error's text: it may quote the body, and a body may hold a private answer.
                tracing::debug!(kind = ?e.classify(), column = e.column(), "interaction endpoint: a signed body that is not an interaction");
                return Answer::BadRequest("not an interaction");
            }
        };
        if let Interaction::Ping(_) = interaction {
            return Answer::Json(r#"{"type":1}"#.into());
        }
        if !self.first_time(interaction.id().get(), now).await {
            return Answer::Unauthorized(Refusal::Replay);
        }
        let this = self.clone();
        let task = tokio::spawn(async move { this.dispatch(interaction).await });
        // The handler goes on if it takes longer; its answer is the responder's.
        let _ = tokio::time::timeout(HOLD, task).await;
        Answer::Accepted
    }

    /// Whether interaction `id` is new: recorded in the database, which every copy shares; in
    /// this copy's memory when the database cannot say (it is restarting, say), so a replay to
    /// this copy is refused even then.
    async fn first_time(&self, id: u64, now: i64) -> bool {
        let fresh_here = self.seen.lock().unwrap_or_else(|e| e.into_inner()).first(id, now);
        let store = &self.data.store;
        match store::interactions::first_time(store, id as i64, now).await {
            Ok(fresh) => {
                if self
                    .taken
                    .fetch_add(1, Ordering::Relaxed)
                    .is_multiple_of(FORGET_EVERY)
                    && let Err(e) = store::interactions::forget_before(store, now - MAX_AGE_SECONDS).await
                {
                    tracing::warn!(error = %e, "interaction endpoint: could not forget old interaction ids");
                }
                fresh && fresh_here
            }
            Err(e) => {
                tracing::warn!(error = %e, "interaction endpoint: the database could not record an interaction id; checked in this copy's memory only");
                fresh_here
            }
        }
    }

    fn refused(&self, reason: &str) {
        self.data
            .metrics
            .interactions_refused
            .with_label_values(&[reason])
            .inc();
    }

    /// The gateway's dispatch, with the detached context.
    async fn dispatch(&self, interaction: Interaction) {
        let framework = poise::FrameworkContext {
            serenity_context: &self.detached.context,
            bot_id: self.bot_id,
            options: &self.options,
            user_data: &self.data,
            shard_manager: &self.detached.manager,
        };
        poise::dispatch_event(framework, FullEvent::InteractionCreate { interaction }).await;
    }
}

/// Serves `POST /interactions` on `listener` until `shutdown` turns true.
pub async fn listen(listener: TcpListener, endpoint: Arc<Endpoint>, shutdown: watch::Receiver<bool>) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving interactions at POST /interactions");
    }
    http::accept(listener, shutdown, "interactions endpoint", move |req| {
        let endpoint = endpoint.clone();
        async move { request(&endpoint, req).await }
    })
    .await
}

async fn request(endpoint: &Arc<Endpoint>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/interactions" {
        return http::text(
            StatusCode::NOT_FOUND,
            "not found: Discord posts interactions to /interactions\n",
        );
    }
    if req.method() != Method::POST {
        let mut r = http::text(StatusCode::METHOD_NOT_ALLOWED, "only POST\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (signature, timestamp) = (header("x-signature-ed25519"), header("x-signature-timestamp"));
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return http::text(StatusCode::PAYLOAD_TOO_LARGE, "body too large or cut short\n"),
    };
    match endpoint
        .handle(signature.as_deref(), timestamp.as_deref(), &body)
        .await
    {
        Answer::Json(json) => {
            let mut r = Response::new(Full::new(Bytes::from(json)));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Answer::Accepted => {
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::ACCEPTED;
            r
        }
        Answer::BadRequest(why) => {
            endpoint.refused("body");
            http::text(StatusCode::BAD_REQUEST, &format!("{why}\n"))
        }
        Answer::Unauthorized(why) => {
            // Anyone can post here: counted, and logged only at debug level.
            endpoint.refused(why.label());
            tracing::debug!(reason = why.label(), "interaction refused");
            http::text(StatusCode::UNAUTHORIZED, why.text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_key_must_be_64_hex_digits_of_a_valid_key() {
        for bad in [
            None,
            Some(""),
            Some("  "),
            Some("abc"),
            Some(&"zz".repeat(32)[..]),
        ] {
            let e = verifier(bad).err().expect("refused");
            assert!(e.to_string().contains("DISCORD_PUBLIC_KEY"), "{e}");
        }
        // A valid key (RFC 8032 test 1).
        assert!(
            verifier(Some(
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
            ))
            .is_ok()
        );
    }

    #[test]
    fn an_id_is_refused_again_within_the_window_and_forgotten_after_it() {
        let mut seen = Seen::default();
        assert!(seen.first(1, 1_000));
        assert!(!seen.first(1, 1_100));
        assert!(seen.first(2, 1_100));
        assert!(!seen.first(1, 1_000 + MAX_AGE_SECONDS));
        assert!(
            seen.first(1, 1_001 + MAX_AGE_SECONDS),
            "forgotten once its window passed"
        );
        assert!(!seen.first(2, 1_001 + MAX_AGE_SECONDS));
        assert_eq!(seen.ids.len(), 2);
    }
}
