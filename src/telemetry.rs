//! Logging through `tracing`: verbosity from `RUST_LOG`, text or JSON lines on stderr — with no
//! token in them.
//!
//! An interaction's token (which is also the token of its follow-up webhook) lets whoever holds it
//! answer as the bot for 15 minutes, so it must never reach a log. Backbone redacts it with
//! [`redact`] wherever it logs a route or puts one in an error, and every line written passes
//! through [`redact`] once more on its way out, which also covers what serenity logs by itself (its
//! routes, and `token: "…"` in the requests and events it prints at debug level). serenity's HTTP
//! client spans (which print whole requests, bodies included) are always capped at `warn`.

use std::borrow::Cow;
use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// What takes a token's place.
pub const REDACTED: &str = ":token";

/// What is logged when `RUST_LOG` is not set (serenity's HTTP spans are capped at `warn` on top).
pub const DEFAULT_FILTER: &str = "info,backbone=info";

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(format: &str) {
    init_with(format, DEFAULT_FILTER);
}

/// [`init`] with another verbosity when `RUST_LOG` is not set (e.g. `warn` for `backbone demo`,
/// whose output is the messages themselves).
pub fn init_with(format: &str, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_filter))
        .add_directive(SERENITY_HTTP.parse().expect("a valid directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting(std::io::stderr));
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// serenity's HTTP spans carry whole requests (bodies, and tokens in their routes): never logged.
pub const SERENITY_HTTP: &str = "serenity::http=warn";

/// The phases of a command, as `debug` spans: `scope` (finding the coalition and the actor's
/// place in it), `sql` (an action's store work: its reads, or its write transaction from `BEGIN` to
/// `COMMIT`), `render` (building the reply and its Discord payload) and `http` (a request to
/// Discord about the interaction: the answer first), all inside a `command` span named after the
/// command. At the default `info` level nothing subscribes to them, and a span nobody subscribes to
/// costs one check; `benches/commands.rs` times them (`BENCH_PHASES=1`), and `RUST_LOG=debug`
/// shows them around log lines.
pub mod phase {
    use tracing::Span;

    /// The target of every phase span and of the `command` span.
    pub const TARGET: &str = "backbone::phase";
    /// The name of the span around a whole command (field `command`: its name).
    pub const COMMAND: &str = "command";
    /// The names of the phase spans.
    pub const NAMES: [&str; 4] = ["scope", "sql", "render", "http"];

    /// The span of a whole command, button or form: `command` is its name (`task assign`),
    /// `interaction` the interaction's id (never its token).
    pub fn command(command: &str, interaction: u64) -> Span {
        tracing::debug_span!(target: TARGET, "command", command = %command, interaction)
    }

    /// Finding the coalition a command acts on, with the actor's membership.
    pub fn scope() -> Span {
        tracing::debug_span!(target: TARGET, "scope")
    }

    /// An action's store work (after its scope).
    pub fn sql() -> Span {
        tracing::debug_span!(target: TARGET, "sql")
    }

    /// Builds a reply (outcome → `Message`, or `Message` → Discord payload) in a `render` span.
    /// A closure, so the span ends with the rendering (a span held by a temporary would last
    /// until the end of the statement, e.g. over the send that follows).
    pub fn render<T>(build: impl FnOnce() -> T) -> T {
        tracing::debug_span!(target: TARGET, "render").in_scope(build)
    }

    /// A request to Discord about the interaction (the answer, a follow-up, an edit).
    pub fn http() -> Span {
        tracing::debug_span!(target: TARGET, "http")
    }
}

/// A writer maker whose writers pass every line through [`redact`].
#[derive(Debug, Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// Writes through [`redact`]. The subscriber writes each formatted event whole, in one call.
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(redact(text).as_bytes())?,
            Err(_) => self
                .0
                .write_all(redact(&String::from_utf8_lossy(buf)).as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `text` with every token replaced by `:token`: the segment after the id in interaction and
/// webhook routes (`/interactions/<id>/<token>/callback`, `/webhooks/<app>/<token>/messages/…`,
/// in a path or a whole URL), and a debug-printed `token: "…"` (also `token: Some("…")`, and
/// JSON-escaped). Anything else is left as it is; already redacted text stays the same.
pub fn redact(text: &str) -> Cow<'_, str> {
    const ROUTES: [&str; 2] = ["/interactions/", "/webhooks/"];
    const FIELD: &str = "token: ";
    if !ROUTES.iter().chain([&FIELD]).any(|m| text.contains(m)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, marker)) = ROUTES
        .iter()
        .chain([&FIELD])
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min()
    {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        if marker == FIELD {
            rest = redact_field(rest, &mut out);
        } else {
            // `<id>/<token>`: digits, a slash, then the token's characters.
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && rest[digits..].starts_with('/') {
                out.push_str(&rest[..=digits]);
                rest = &rest[digits + 1..];
                let len = rest.len() - rest.trim_start_matches(is_token_char).len();
                if len > 0 {
                    out.push_str(REDACTED);
                    rest = &rest[len..];
                }
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// After `token: `: a quoted value (`"…"`, `Some("…")`, or JSON-escaped `\"…\"`) is replaced;
/// returns what follows it.
fn redact_field<'t>(rest: &'t str, out: &mut String) -> &'t str {
    let (opening, value) = match rest.strip_prefix("Some(") {
        Some(v) => ("Some(", v),
        None => ("", rest),
    };
    for quote in ["\\\"", "\""] {
        if let Some(inner) = value.strip_prefix(quote)
            && let Some(end) = inner.find(quote)
        {
            out.push_str(opening);
            out.push_str(quote);
            out.push_str(REDACTED);
            return &inner[end..];
        }
    }
    rest
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interaction_and_webhook_tokens_are_redacted_in_routes_and_urls() {
        let cases = [
            (
                "/interactions/1400000000000000044/aW50ZXJhY3Rpb246MTIz.abc-_x/callback",
                "/interactions/1400000000000000044/:token/callback",
            ),
            (
                "PATCH http://127.0.0.1:4000/api/v10/webhooks/1300/aW50ZXJh_Y3Rp/messages/@original → 429",
                "PATCH http://127.0.0.1:4000/api/v10/webhooks/1300/:token/messages/@original → 429",
            ),
            (
                "https://discord.com/api/v10/webhooks/1300/tok?wait=true",
                "https://discord.com/api/v10/webhooks/1300/:token?wait=true",
            ),
            ("POST /webhooks/1300/TOKEN", "POST /webhooks/1300/:token"),
            (
                "two: /webhooks/1/a and /interactions/2/b/callback.",
                "two: /webhooks/1/:token and /interactions/2/:token/callback.",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(redact(raw), want, "{raw}");
            assert_eq!(redact(want), want, "idempotent: {want}");
        }
    }

    #[test]
    fn debug_printed_token_fields_are_redacted() {
        assert_eq!(
            redact(
                r#"route: InteractionResponse { interaction_id: InteractionId(1), token: "aW50ZX" }, params: None"#
            ),
            r#"route: InteractionResponse { interaction_id: InteractionId(1), token: ":token" }, params: None"#
        );
        assert_eq!(
            redact(r#"{"span":"req=Request { token: \"aW50ZX\" }"}"#),
            r#"{"span":"req=Request { token: \":token\" }"}"#
        );
        assert_eq!(
            redact(r#"Webhook { token: Some("abc"), x: 1 }"#),
            r#"Webhook { token: Some(":token"), x: 1 }"#
        );
        assert_eq!(redact("token: Secret([REDACTED])"), "token: Secret([REDACTED])");
    }

    #[test]
    fn other_text_is_left_alone() {
        for text in [
            "rate limited by Discord path=/channels/1/messages",
            "/webhooks/ and /interactions/abc/def are not routes with an id",
            "the token is fine",
            "",
        ] {
            assert!(
                matches!(redact(text), Cow::Borrowed(_)) || redact(text) == text,
                "{text}"
            );
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn the_writer_redacts_every_line() {
        let mut buf = Vec::new();
        {
            let mut w = RedactingWriter(&mut buf);
            w.write_all(b"WARN could not answer path=/interactions/9/secret/callback\n")
                .unwrap();
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "WARN could not answer path=/interactions/9/:token/callback\n"
        );
    }
}
