//! The fake's REST API: a small HTTP/1.1 server (keep-alive, Content-Length or chunked bodies,
//! JSON or multipart) answering the routes serenity uses, with Discord's status codes and error
//! bodies. Every request is recorded; every payload is validated (`validate.rs`).

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::server::{Callback, Inner, Msg, Request, State, Upload, timestamp};
use super::validate::{self, MessageKind};

/// Accepts connections until the task is aborted.
pub async fn serve(inner: Arc<Inner>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            let _ = connection(inner, stream).await;
        });
    }
}

struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn connection(inner: Arc<Inner>, stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let Some(req) = read_request(&mut reader).await? else {
            return Ok(());
        };
        if req.target.contains("/callback") {
            let hold = {
                let mut s = inner.lock();
                s.callbacks_received += 1;
                s.slow_callbacks
            };
            inner.bump();
            if let Some(hold) = hold {
                tokio::time::sleep(hold).await;
            }
        }
        let (status, body, extra) = match rate_limited(&inner, &req) {
            Some((body, headers)) => (429, body, headers),
            None => {
                let (status, body) = handle(&inner, &req);
                (status, body, Vec::new())
            }
        };
        // Recorded: wake whoever waits, even if the client gave up and the answer can't be written.
        inner.bump();
        let reason = match status {
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            429 => "Too Many Requests",
            _ => "Error",
        };
        let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
        for (k, v) in extra {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        let bytes = if status == 204 {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        if status != 204 {
            out.push_str("Content-Type: application/json\r\n");
            out.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
        }
        out.push_str("\r\n");
        // One write: headers and body in separate writes would wait on the client's delayed ACK
        // (Nagle's algorithm), ~40 ms that Discord does not add.
        let mut response = out.into_bytes();
        response.extend_from_slice(&bytes);
        write.write_all(&response).await?;
        write.flush().await?;
        inner.bump();
    }
}

async fn read_request(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<HttpRequest>> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).await? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = HttpRequest {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if req
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).await?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).await?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = req.header("content-length").and_then(|n| n.parse::<usize>().ok()) {
        req.body = vec![0; n];
        r.read_exact(&mut req.body).await?;
    }
    Ok(Some(req))
}

/// When a rate-limit rule says so, a channel post's or an interaction request's 429 (recorded like
/// any answer): Discord's body and headers.
fn rate_limited(inner: &Inner, req: &HttpRequest) -> Option<(Value, Vec<(String, String)>)> {
    let (path, query) = req.target.split_once('?').unwrap_or((req.target.as_str(), ""));
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method.as_str();
    let mut s = inner.lock();
    let (rule, bucket) = match segs.as_slice() {
        ["api", "v10", "channels", channel, "messages"] if method == "POST" => {
            let rule = s.rate_limit?;
            s.channel_posts += 1;
            if !s.channel_posts.is_multiple_of(rule.every) {
                return None;
            }
            s.rate_limited += 1;
            (rule, format!("fake-messages-{channel}"))
        }
        ["api", "v10", "interactions", _, _, "callback"]
        | ["api", "v10", "webhooks", _, _]
        | ["api", "v10", "webhooks", _, _, "messages", _]
            if method != "GET" =>
        {
            let rule = s.interaction_rate_limit?;
            s.interaction_requests += 1;
            if !s.interaction_requests.is_multiple_of(rule.every) {
                return None;
            }
            s.interaction_rate_limited += 1;
            (rule, "fake-interactions".to_string())
        }
        _ => return None,
    };
    let body = json!({
        "message": "You are being rate limited.",
        "retry_after": rule.retry_after,
        "global": rule.global,
    });
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        + rule.retry_after;
    let mut headers = vec![
        (
            "Retry-After".to_string(),
            format!("{}", rule.retry_after.ceil() as u64),
        ),
        ("X-RateLimit-Limit".to_string(), "5".to_string()),
        ("X-RateLimit-Remaining".to_string(), "0".to_string()),
        ("X-RateLimit-Reset".to_string(), format!("{reset:.3}")),
        (
            "X-RateLimit-Reset-After".to_string(),
            format!("{:.3}", rule.retry_after),
        ),
        ("X-RateLimit-Bucket".to_string(), bucket),
        (
            "X-RateLimit-Scope".to_string(),
            if rule.global { "global" } else { "user" }.to_string(),
        ),
    ];
    if rule.global {
        headers.push(("X-RateLimit-Global".to_string(), "true".to_string()));
    }
    let body_in = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let (status, body) = record(&mut s, req, path, query, body_in, Vec::new(), (429, body));
    debug_assert_eq!(status, 429);
    Some((body, headers))
}

/// Discord's error body.
pub fn error(message: &str, code: u64) -> Value {
    json!({ "message": message, "code": code })
}

fn invalid_form(errors: &[String]) -> (u16, Value) {
    (
        400,
        json!({
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": { "_errors": errors.iter().map(|e| json!({"code": "FAKE_DISCORD", "message": e})).collect::<Vec<_>>() },
        }),
    )
}

/// The JSON payload of a request body: plain JSON or the `payload_json` part of a multipart form,
/// plus the uploaded files.
fn payload(req: &HttpRequest) -> Result<(Value, Vec<Upload>), String> {
    if req.body.is_empty() {
        return Ok((Value::Null, Vec::new()));
    }
    let ctype = req.header("content-type").unwrap_or("");
    if let Some(boundary) = ctype.split("boundary=").nth(1) {
        return multipart(&req.body, boundary.trim_matches('"'));
    }
    serde_json::from_slice(&req.body)
        .map(|v| (v, Vec::new()))
        .map_err(|e| format!("body is not JSON: {e}"))
}

/// Parses `multipart/form-data` as Discord does: a `payload_json` part, and files in parts named
/// `files[n]` (each with a filename), whose bytes are kept so tests can look at them.
fn multipart(body: &[u8], boundary: &str) -> Result<(Value, Vec<Upload>), String> {
    let delimiter = format!("--{boundary}");
    let mut json_part = Value::Null;
    let mut uploads = Vec::new();
    for part in split_bytes(body, delimiter.as_bytes()).into_iter().skip(1) {
        if part.starts_with(b"--") {
            break; // the closing delimiter
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(at) = find(part, b"\r\n\r\n") else {
            return Err("a multipart part has no header".into());
        };
        let head = String::from_utf8_lossy(&part[..at]).to_string();
        let data = &part[at + 4..];
        let data = data.strip_suffix(b"\r\n").unwrap_or(data);
        let name = header_param(&head, "name").ok_or("a multipart part has no name")?;
        if name == "payload_json" {
            json_part = serde_json::from_slice(data).map_err(|e| format!("payload_json is not JSON: {e}"))?;
        } else if let Some(n) = name.strip_prefix("files[").and_then(|r| r.strip_suffix(']')) {
            let index: u64 = n.parse().map_err(|_| format!("bad file part name `{name}`"))?;
            let filename =
                header_param(&head, "filename").ok_or(format!("file part `{name}` has no filename"))?;
            let content_type = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Content-Type:")
                        .or_else(|| l.strip_prefix("content-type:"))
                })
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            uploads.push(Upload {
                index,
                filename,
                content_type,
                bytes: data.to_vec(),
            });
        } else {
            return Err(format!(
                "unexpected multipart part `{name}` (Discord takes payload_json and files[n])"
            ));
        }
    }
    if !uploads.is_empty() && json_part.is_null() {
        return Err("files without a payload_json part".into());
    }
    Ok((json_part, uploads))
}

fn split_bytes<'a>(mut hay: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = find(hay, needle) {
        out.push(&hay[..i]);
        hay = &hay[i + needle.len()..];
    }
    out.push(hay);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `name="…"` from a part's `Content-Disposition` header.
fn header_param(head: &str, param: &str) -> Option<String> {
    let key = format!(" {param}=\"");
    let key2 = format!(";{param}=\"");
    let start = head
        .find(&key)
        .map(|i| i + key.len())
        .or_else(|| head.find(&key2).map(|i| i + key2.len()))?;
    Some(head[start..].split('"').next().unwrap_or("").to_string())
}

/// Handles one request: route, validate, record.
fn handle(inner: &Inner, req: &HttpRequest) -> (u16, Value) {
    let (path, query) = req.target.split_once('?').unwrap_or((req.target.as_str(), ""));
    let (body, uploads) = match payload(req) {
        Ok(p) => p,
        Err(e) => {
            let mut s = inner.lock();
            s.violations.push(format!("{} {}: {e}", req.method, path));
            return record(
                &mut s,
                req,
                path,
                query,
                Value::Null,
                Vec::new(),
                (400, error(&e, 50109)),
            );
        }
    };
    let files: Vec<String> = uploads.iter().map(|u| u.filename.clone()).collect();
    let mut s = inner.lock();
    let upload_errors = validate::uploads(&body, &uploads);
    let auth = req.header("authorization").unwrap_or("");
    let response = if auth != format!("Bot {}", inner.token) {
        Ok((401, error("401: Unauthorized", 0)))
    } else if !upload_errors.is_empty() {
        Err(upload_errors)
    } else if let Some(rest) = path.strip_prefix("/api/v10") {
        route(inner, &mut s, &req.method, rest, query, &body, &files)
    } else {
        s.violations
            .push(format!("{} {path}: not an /api/v10 path", req.method));
        Ok((404, error("404: Not Found", 0)))
    };
    let response = match response {
        Err(errors) => {
            for e in &errors {
                s.violations.push(format!("{} {path}: {e}", req.method));
            }
            invalid_form(&errors)
        }
        Ok(r) => r,
    };
    if response.0 == 200
        && let Some(problem) = check_shape(&req.method, path, &response.1)
    {
        s.violations.push(format!(
            "FAKE BUG: serenity cannot parse the response to {} {path}: {problem}",
            req.method
        ));
    }
    record(&mut s, req, path, query, body, uploads, response)
}

/// Parses a response as serenity will, so the fake cannot make the bot fail for its own mistakes.
fn check_shape(method: &str, path: &str, v: &Value) -> Option<String> {
    use serenity::all as s;
    fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Option<String> {
        serde_json::from_value::<T>(v.clone())
            .err()
            .map(|e| e.to_string())
    }
    let segs: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["users", "@me"]) => parse::<s::CurrentUser>(v),
        ("GET", ["oauth2", "applications", "@me"]) => parse::<s::CurrentApplicationInfo>(v),
        ("GET", ["gateway", "bot"]) => parse::<s::BotGateway>(v),
        ("GET", ["guilds", _]) => parse::<s::PartialGuild>(v),
        ("GET", ["guilds", _, "members", _]) => parse::<s::Member>(v),
        ("GET", ["channels", _]) => parse::<s::GuildChannel>(v),
        ("PUT", ["applications", ..]) => parse::<Vec<s::Command>>(v),
        ("POST", ["users", "@me", "channels"]) => parse::<s::PrivateChannel>(v),
        ("POST", ["channels", _, "messages", _, "threads"]) => parse::<s::GuildChannel>(v),
        ("POST" | "PATCH", ["guilds", _, "scheduled-events", ..]) => parse::<s::ScheduledEvent>(v),
        (_, ["channels", _, "messages", ..]) | (_, ["webhooks", ..]) => parse::<s::Message>(v),
        _ => None,
    }
}

fn record(
    s: &mut State,
    req: &HttpRequest,
    path: &str,
    query: &str,
    body: Value,
    uploads: Vec<Upload>,
    (status, response): (u16, Value),
) -> (u16, Value) {
    let seq = s.requests.len();
    s.requests.push(Request {
        seq,
        method: req.method.clone(),
        path: path.strip_prefix("/api/v10").unwrap_or(path).to_string(),
        query: query.to_string(),
        body,
        files: uploads.iter().map(|u| u.filename.clone()).collect(),
        uploads,
        status,
        response: response.clone(),
        at: std::time::Instant::now(),
    });
    (status, response)
}

type Routed = Result<(u16, Value), Vec<String>>;

fn id(seg: &str) -> Option<u64> {
    seg.parse().ok()
}

fn route(
    inner: &Inner,
    s: &mut State,
    method: &str,
    path: &str,
    _query: &str,
    body: &Value,
    files: &[String],
) -> Routed {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let w = &inner.world;
    if let Some(routed) = super::events::route(inner, s, method, &segs, body) {
        return routed;
    }
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => Ok((200, json!({ "url": format!("ws://{}", inner.ws_addr) }))),
        ("GET", ["gateway", "bot"]) => Ok((
            200,
            json!({
                "url": format!("ws://{}", inner.ws_addr),
                "shards": 1,
                "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 },
            }),
        )),
        ("GET", ["users", "@me"]) => Ok((200, inner.bot_user())),
        ("GET", ["oauth2", "applications", "@me"]) => Ok((
            200,
            json!({
                "id": inner.app_id.to_string(),
                "name": "Backbone (e2e)",
                "icon": null,
                "description": "",
                "rpc_origins": [],
                "bot_public": false,
                "bot_require_code_grant": false,
                "owner": w.person(w.owner_id).map(|p| p.user_json()),
                "verify_key": super::world::HttpTransport::public_key_hex(),
                "interactions_endpoint_url": s.interactions_endpoint_url,
                "team": null,
                "flags": 0,
            }),
        )),
        ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
            let (Some(app), Some(guild)) = (id(app), id(guild)) else {
                return Ok(unknown_route());
            };
            if app != inner.app_id {
                return Ok((403, error("Missing Access", 50001)));
            }
            if !w.guilds().contains(&guild) {
                return Ok((403, error("Missing Access", 50001)));
            }
            bulk_overwrite(inner, s, guild, body)
        }
        ("PUT", ["applications", app, "commands"]) => {
            if id(app) != Some(inner.app_id) {
                return Ok((403, error("Missing Access", 50001)));
            }
            bulk_overwrite(inner, s, 0, body)
        }
        ("GET", ["applications", _, "guilds", guild, "commands"]) => Ok((
            200,
            Value::Array(
                s.commands
                    .get(&id(guild).unwrap_or(0))
                    .cloned()
                    .unwrap_or_default(),
            ),
        )),
        ("GET", ["applications", _, "commands"]) => {
            Ok((200, Value::Array(s.commands.get(&0).cloned().unwrap_or_default())))
        }
        ("POST", ["interactions", iid, token, "callback"]) => {
            callback(inner, s, id(iid).unwrap_or(0), token, body, files)
        }
        ("GET", ["webhooks", app, token, "messages", "@original"]) => {
            let Some(m) = original(inner, s, app, token) else {
                return Ok((404, error("Unknown Message", 10008)));
            };
            Ok((200, s.messages[&m].json.clone()))
        }
        ("PATCH", ["webhooks", app, token, "messages", "@original"]) => {
            let Some(m) = original(inner, s, app, token) else {
                return Ok((404, error("Unknown Message", 10008)));
            };
            edit(s, m, body, files)
        }
        ("DELETE", ["webhooks", app, token, "messages", "@original"]) => {
            let Some(m) = original(inner, s, app, token) else {
                return Ok((404, error("Unknown Message", 10008)));
            };
            s.messages.remove(&m);
            Ok((204, Value::Null))
        }
        ("POST", ["webhooks", app, token]) => followup(inner, s, app, token, body, files),
        ("PATCH", ["webhooks", app, token, "messages", mid]) => {
            let known = id(app) == Some(inner.app_id)
                && s.interactions
                    .get(*token)
                    .is_some_and(|i| i.followups.contains(&id(mid).unwrap_or(0)));
            if !known {
                return Ok((404, error("Unknown Message", 10008)));
            }
            edit(s, id(mid).unwrap_or(0), body, files)
        }
        ("POST", ["channels", cid, "messages", mid, "threads"]) => {
            let (Some(cid), Some(mid)) = (id(cid), id(mid)) else {
                return Ok(unknown_route());
            };
            super::threads::start(inner, s, cid, mid, body)
        }
        ("POST", ["channels", cid, "messages"]) => {
            let Some(cid) = id(cid) else {
                return Ok(unknown_route());
            };
            create_message(inner, s, cid, body, files)
        }
        ("PATCH", ["channels", cid, "messages", mid]) => {
            let (Some(cid), Some(mid)) = (id(cid), id(mid)) else {
                return Ok(unknown_route());
            };
            if !channel_exists(inner, s, cid) {
                return Ok((404, error("Unknown Channel", 10003)));
            }
            match s.messages.get(&mid) {
                Some(m) if m.channel_id == cid && !m.ephemeral => {}
                _ => return Ok((404, error("Unknown Message", 10008))),
            }
            edit(s, mid, body, files)
        }
        ("GET", ["channels", cid, "messages", mid]) => {
            let (Some(cid), Some(mid)) = (id(cid), id(mid)) else {
                return Ok(unknown_route());
            };
            match s.messages.get(&mid) {
                Some(m) if m.channel_id == cid && !m.ephemeral => Ok((200, m.json.clone())),
                _ if !channel_exists(inner, s, cid) => Ok((404, error("Unknown Channel", 10003))),
                _ => Ok((404, error("Unknown Message", 10008))),
            }
        }
        ("GET", ["channels", cid]) => {
            let Some(cid) = id(cid) else {
                return Ok(unknown_route());
            };
            match w.channel_json(cid) {
                Some(c) => Ok((200, c)),
                None if super::threads::live(s, cid) => Ok((200, s.threads[&cid].json(inner.app_id))),
                None => Ok((404, error("Unknown Channel", 10003))),
            }
        }
        ("GET", ["guilds", gid]) => match id(gid) {
            Some(g) if w.guilds().contains(&g) => Ok((200, w.guild_create_json(g, inner.app_id))),
            _ => Ok((404, error("Unknown Guild", 10004))),
        },
        ("GET", ["guilds", gid, "members", uid]) => match (id(gid), id(uid)) {
            (Some(g), Some(u)) if w.guilds().contains(&g) && u == inner.app_id => {
                Ok((200, w.bot_member_json(g, inner.app_id)))
            }
            (Some(g), Some(u)) if w.guilds().contains(&g) => match w.person(u) {
                Some(p) if p.perms_in(g).is_some() && !s.left.contains(&(g, u)) => {
                    let mut m = p.member_json(g, true);
                    m.as_object_mut().expect("object").remove("permissions");
                    Ok((200, m))
                }
                _ => Ok((404, error("Unknown Member", 10007))),
            },
            (Some(_), Some(_)) => Ok((404, error("Unknown Guild", 10004))),
            _ => Ok(unknown_route()),
        },
        ("POST", ["users", "@me", "channels"]) => {
            let Some(user) = body
                .get("recipient_id")
                .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64()))
            else {
                return Err(vec!["recipient_id missing".into()]);
            };
            let Some(person) = w.person(user) else {
                return Ok((400, error("Unknown User", 10013)));
            };
            let channel = match s.dm_channels.get(&user) {
                Some(c) => *c,
                None => {
                    let c = s.snowflake();
                    s.dm_channels.insert(user, c);
                    c
                }
            };
            Ok((
                200,
                json!({
                    "id": channel.to_string(),
                    "type": 1,
                    "last_message_id": null,
                    "recipients": [person.user_json()],
                    "flags": 0,
                }),
            ))
        }
        _ => Ok(unknown_route()),
    }
}

fn unknown_route() -> (u16, Value) {
    (404, error("404: Not Found", 0))
}

fn channel_exists(inner: &Inner, s: &State, cid: u64) -> bool {
    inner.world.channel(cid).is_some()
        || s.extra_channels.contains(&cid)
        || s.dm_channels.values().any(|c| *c == cid)
        || super::threads::live(s, cid)
}

fn bulk_overwrite(inner: &Inner, s: &mut State, guild: u64, body: &Value) -> Routed {
    let errs = validate::commands(body);
    if !errs.is_empty() {
        return Err(errs);
    }
    let previous = s.commands.get(&guild).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for cmd in body.as_array().into_iter().flatten() {
        let name = cmd.get("name").and_then(Value::as_str).unwrap_or("");
        // Discord keeps a command's id across overwrites.
        let id = previous
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|p| p.get("id").cloned())
            .unwrap_or_else(|| Value::String(s.snowflake().to_string()));
        let mut c = cmd.clone();
        let o = c.as_object_mut().expect("validated object");
        o.insert("id".into(), id);
        o.insert("application_id".into(), Value::String(inner.app_id.to_string()));
        if guild != 0 {
            o.insert("guild_id".into(), Value::String(guild.to_string()));
        }
        o.insert("version".into(), Value::String(s.snowflake().to_string()));
        o.entry("type").or_insert(json!(1));
        o.entry("default_member_permissions").or_insert(Value::Null);
        o.entry("nsfw").or_insert(json!(false));
        o.entry("options").or_insert(json!([]));
        out.push(c);
    }
    s.commands.insert(guild, out.clone());
    Ok((200, Value::Array(out)))
}

/// The users a message notifies and whether it notifies everyone, as Discord decides: mentions in
/// `content` only, filtered by `allowed_mentions`.
fn pings(body: &Value) -> (Vec<u64>, bool) {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let am = body.get("allowed_mentions");
    let parse: Vec<&str> = am
        .and_then(|a| a.get("parse"))
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| vec!["users", "roles", "everyone"]);
    let allowed_users: Vec<u64> = am
        .and_then(|a| a.get("users"))
        .and_then(Value::as_array)
        .map(|u| {
            u.iter()
                .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64()))
                .collect()
        })
        .unwrap_or_default();
    let mut users = Vec::new();
    let mut rest = content;
    while let Some(i) = rest.find("<@") {
        rest = &rest[i + 2..];
        let r = rest.strip_prefix('!').unwrap_or(rest);
        let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
        if let (Ok(u), true) = (digits.parse::<u64>(), r[digits.len()..].starts_with('>'))
            && (parse.contains(&"users") || allowed_users.contains(&u))
            && !users.contains(&u)
        {
            users.push(u);
        }
    }
    let everyone =
        (content.contains("@everyone") || content.contains("@here")) && parse.contains(&"everyone");
    (users, everyone)
}

/// Builds the Discord message object for a payload.
#[allow(clippy::too_many_arguments)]
fn message_json(
    inner: &Inner,
    id: u64,
    channel: u64,
    body: &Value,
    files: &[String],
    flags: u64,
    kind: u64,
    interaction: Option<&super::server::InteractionRec>,
    pinged: &[u64],
    everyone: bool,
) -> Value {
    let w = &inner.world;
    let guild_id = w.channel(channel).map(|c| c.guild.to_string());
    let mut embeds: Vec<Value> = body
        .get("embeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for e in &mut embeds {
        if let Some(o) = e.as_object_mut() {
            o.entry("type").or_insert(json!("rich"));
            // Discord swaps `attachment://name` for the uploaded file's address.
            for key in ["image", "thumbnail"] {
                if let Some(name) = o
                    .get(key)
                    .and_then(|i| i.get("url"))
                    .and_then(Value::as_str)
                    .and_then(|u| u.strip_prefix("attachment://"))
                    .map(str::to_string)
                {
                    o.insert(
                        key.into(),
                        json!({
                            "url": format!("https://cdn.example/{id}/{name}"),
                            "proxy_url": format!("https://media.example/{id}/{name}"),
                        }),
                    );
                }
            }
        }
    }
    let attachments: Vec<Value> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "id": (id + i as u64 + 1).to_string(),
                "filename": f,
                "size": 1,
                "url": format!("https://cdn.example/{id}/{f}"),
                "proxy_url": format!("https://media.example/{id}/{f}"),
            })
        })
        .collect();
    let mentions: Vec<Value> = pinged
        .iter()
        .filter_map(|u| w.person(*u))
        .map(|p| p.user_json())
        .collect();
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": inner.bot_user(),
        "content": body.get("content").and_then(Value::as_str).unwrap_or(""),
        "timestamp": timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": everyone,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": attachments,
        "embeds": embeds,
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": kind,
        "flags": flags,
    });
    let o = m.as_object_mut().expect("object");
    if let Some(g) = guild_id {
        o.insert("guild_id".into(), json!(g));
    }
    if let Some(n) = body.get("nonce") {
        o.insert("nonce".into(), n.clone());
    }
    if let Some(i) = interaction {
        o.insert("application_id".into(), json!(inner.app_id.to_string()));
        o.insert("webhook_id".into(), json!(inner.app_id.to_string()));
        let user = inner.world.person(i.user_id).map(|p| p.user_json());
        let mut meta = json!({
            "id": i.id.to_string(),
            "type": i.kind,
            "user": user,
            "authorizing_integration_owners": {},
        });
        // A button's reply names the message clicked; a form's names what opened the form (the
        // fake knows only whether that was a message's button or a command).
        match (i.kind, i.message_id) {
            (3, Some(m)) => meta["interacted_message_id"] = json!(m.to_string()),
            (5, opened_from) => {
                let mut trigger = json!({
                    "id": i.id.to_string(),
                    "type": if opened_from.is_some() { 3 } else { 2 },
                    "user": user,
                    "authorizing_integration_owners": {},
                });
                if let Some(m) = opened_from {
                    trigger["interacted_message_id"] = json!(m.to_string());
                }
                meta["triggering_interaction_metadata"] = trigger;
            }
            _ => {}
        }
        o.insert("interaction_metadata".into(), meta);
    }
    m
}

/// Stores a new message and returns it.
#[allow(clippy::too_many_arguments)]
fn store_message(
    inner: &Inner,
    s: &mut State,
    channel: u64,
    body: &Value,
    files: &[String],
    ephemeral: bool,
    kind: u64,
    token: Option<&str>,
) -> Msg {
    let id = s.snowflake();
    let (pinged, everyone) = pings(body);
    let interaction = token.and_then(|t| s.interactions.get(t)).cloned();
    let flags = body.get("flags").and_then(Value::as_u64).unwrap_or(0) | if ephemeral { 64 } else { 0 };
    let json = message_json(
        inner,
        id,
        channel,
        body,
        files,
        flags,
        kind,
        interaction.as_ref(),
        &pinged,
        everyone,
    );
    let mut json = json;
    if let (Some(t), Some(o)) = (s.threads.get(&channel), json.as_object_mut()) {
        o.insert("guild_id".into(), json!(t.guild.to_string()));
    }
    let dm_user = s
        .dm_channels
        .iter()
        .find(|(_, c)| **c == channel)
        .map(|(u, _)| *u);
    let msg = Msg {
        id,
        channel_id: channel,
        dm_user,
        json,
        sent: body.clone(),
        pinged,
        pinged_everyone: everyone,
        ephemeral,
        interaction_token: token.map(String::from),
        edits: 0,
    };
    s.messages.insert(id, msg.clone());
    msg
}

fn create_message(inner: &Inner, s: &mut State, channel: u64, body: &Value, files: &[String]) -> Routed {
    let errs = validate::message(body, MessageKind::Create, files.len());
    if !errs.is_empty() {
        return Err(errs);
    }
    if !channel_exists(inner, s, channel) {
        return Ok((404, error("Unknown Channel", 10003)));
    }
    if let Some(user) = s
        .dm_channels
        .iter()
        .find(|(_, c)| **c == channel)
        .map(|(u, _)| *u)
        && s.dm_closed.contains(&user)
    {
        return Ok((403, error("Cannot send messages to this user", 50007)));
    }
    if body.get("enforce_nonce") == Some(&Value::Bool(true))
        && let Some(nonce) = body
            .get("nonce")
            .map(|n| n.as_str().map_or_else(|| n.to_string(), String::from))
    {
        if let Some(existing) = s.nonces.get(&(channel, nonce.clone())) {
            return Ok((200, s.messages[existing].json.clone()));
        }
        let m = store_message(inner, s, channel, body, files, false, 0, None);
        s.nonces.insert((channel, nonce), m.id);
        return Ok((200, m.json));
    }
    let m = store_message(inner, s, channel, body, files, false, 0, None);
    Ok((200, m.json))
}

fn edit(s: &mut State, mid: u64, body: &Value, files: &[String]) -> Routed {
    let errs = validate::message(body, MessageKind::Edit, files.len());
    if !errs.is_empty() {
        return Err(errs);
    }
    let Some(m) = s.messages.get_mut(&mid) else {
        return Ok((404, error("Unknown Message", 10008)));
    };
    let o = m.json.as_object_mut().expect("message object");
    for k in ["content", "embeds", "components"] {
        if let Some(v) = body.get(k) {
            let mut v = v.clone();
            if k == "embeds" {
                for e in v.as_array_mut().into_iter().flatten() {
                    if let Some(e) = e.as_object_mut() {
                        e.entry("type").or_insert(json!("rich"));
                    }
                }
            }
            o.insert(k.into(), v);
        }
    }
    // New uploads join the message's files, as on Discord.
    if !files.is_empty() {
        let mut list = o
            .get("attachments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, f) in files.iter().enumerate() {
            list.push(json!({
                "id": (mid + 100 + i as u64).to_string(),
                "filename": f,
                "size": 1,
                "url": format!("https://cdn.example/{mid}/{f}"),
                "proxy_url": format!("https://media.example/{mid}/{f}"),
            }));
        }
        o.insert("attachments".into(), json!(list));
    }
    o.insert("edited_timestamp".into(), json!(timestamp()));
    // Flags 128 (loading) is cleared when a deferred response is edited.
    if let Some(f) = o.get("flags").and_then(Value::as_u64) {
        o.insert("flags".into(), json!(f & !128));
    }
    let (pinged, everyone) = pings(&merge_for_pings(&m.json, body));
    m.pinged = pinged;
    m.pinged_everyone = everyone;
    m.sent = body.clone();
    m.edits += 1;
    Ok((200, m.json.clone()))
}

fn merge_for_pings(current: &Value, body: &Value) -> Value {
    json!({
        "content": body.get("content").or(current.get("content")).cloned().unwrap_or(Value::Null),
        "allowed_mentions": body.get("allowed_mentions").cloned().unwrap_or(json!({})),
    })
}

fn original(inner: &Inner, s: &State, app: &str, token: &str) -> Option<u64> {
    if id(app) != Some(inner.app_id) {
        return None;
    }
    s.interactions
        .get(token)?
        .original
        .filter(|m| s.messages.contains_key(m))
}

fn followup(inner: &Inner, s: &mut State, app: &str, token: &str, body: &Value, files: &[String]) -> Routed {
    let errs = validate::message(body, MessageKind::Create, files.len());
    if !errs.is_empty() {
        return Err(errs);
    }
    let rec = match s.interactions.get(token) {
        Some(r) if id(app) == Some(inner.app_id) => r.clone(),
        _ => return Ok((404, error("Unknown Webhook", 10015))),
    };
    if rec.callback.is_none() {
        return Ok((404, error("Unknown Webhook", 10015)));
    }
    // After a deferral (type 5), the first follow-up replaces the "thinking…" placeholder and keeps
    // the deferral's visibility.
    if rec.callback.as_ref().is_some_and(|c| c.kind == 5)
        && rec.followups.is_empty()
        && let Some(placeholder) = rec
            .original
            .filter(|m| s.messages.get(m).is_some_and(|m| m.edits == 0))
    {
        let out = edit(s, placeholder, body, files)?;
        if let Some(r) = s.interactions.get_mut(token) {
            r.followups.push(placeholder);
        }
        return Ok(out);
    }
    let ephemeral = body.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64 != 0;
    let m = store_message(inner, s, rec.channel_id, body, files, ephemeral, 0, Some(token));
    if let Some(r) = s.interactions.get_mut(token) {
        r.followups.push(m.id);
    }
    Ok((200, m.json))
}

fn callback(inner: &Inner, s: &mut State, iid: u64, token: &str, body: &Value, files: &[String]) -> Routed {
    let Some(rec) = s.interactions.get(token).cloned().filter(|r| r.id == iid) else {
        return Ok((404, error("Unknown interaction", 10062)));
    };
    if rec.callback.is_some() {
        return Ok((400, error("Interaction has already been acknowledged.", 40060)));
    }
    // Discord's clock starts when the interaction is created; while the bot is disconnected the
    // interaction waits in the replay queue, as on Discord.
    let after = rec.dispatched_at.elapsed();
    if after > inner.ack_deadline {
        s.violations.push(format!(
            "interaction {iid} answered after {after:?} (Discord allows {:?})",
            inner.ack_deadline
        ));
        return Ok((404, error("Unknown interaction", 10062)));
    }
    let kind = body.get("type").and_then(Value::as_u64).unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    // Which responses each interaction type accepts.
    let allowed: &[u64] = match rec.kind {
        2 => &[4, 5, 9],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        5 => &[4, 5, 6, 7],
        _ => &[],
    };
    if !allowed.contains(&kind) {
        return Err(vec![format!(
            "callback type {kind} is not valid for an interaction of type {}",
            rec.kind
        )]);
    }
    if (kind == 6 || kind == 7) && rec.message_id.is_none() {
        return Err(vec![format!(
            "callback type {kind} needs a message (the modal was not opened from one)"
        )]);
    }
    let errs = match kind {
        4 => validate::message(&data, MessageKind::Create, files.len()),
        7 => validate::message(&data, MessageKind::Edit, files.len()),
        8 => validate::choices(&data),
        9 => validate::modal(&data),
        _ => Vec::new(),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let ephemeral = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64 != 0;
    let original = match kind {
        4 => Some(
            store_message(
                inner,
                s,
                rec.channel_id,
                &data,
                files,
                ephemeral,
                if rec.kind == 2 { 20 } else { 19 },
                Some(token),
            )
            .id,
        ),
        5 => {
            let placeholder = json!({ "content": "", "flags": 128 });
            Some(
                store_message(
                    inner,
                    s,
                    rec.channel_id,
                    &placeholder,
                    &[],
                    ephemeral,
                    20,
                    Some(token),
                )
                .id,
            )
        }
        6 | 7 => {
            let mid = rec.message_id.expect("checked above");
            if kind == 7 {
                edit(s, mid, &data, files)?;
            }
            Some(mid)
        }
        _ => None,
    };
    let r = s.interactions.get_mut(token).expect("interaction exists");
    r.callback = Some(Callback { kind, data, after });
    r.original = original;
    Ok((204, Value::Null))
}
