//! The fake's gateway (v10, JSON, no transport compression): HELLO, IDENTIFY with a token check
//! (bad token: close 4004), READY + GUILD_CREATE, heartbeat ACKs, dispatches with sequence numbers,
//! and RESUME (replays what the bot missed, then RESUMED) after the fake drops the connection.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::server::{ConnCmd, Inner, Session};

/// Accepts gateway connections until the task is aborted.
pub async fn serve(inner: Arc<Inner>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            connection(inner, stream).await;
        });
    }
}

/// Checks a frame the fake is about to send by parsing it as serenity does: a payload serenity
/// cannot read would be silently dropped by the bot, which would make a test fail for the wrong
/// reason.
fn checked(inner: &Inner, frame: Value) -> String {
    if let Err(e) = serde_json::from_value::<serenity::all::GatewayEvent>(frame.clone()) {
        inner.lock().violations.push(format!(
            "FAKE BUG: serenity cannot parse the gateway frame ({e}): {frame}"
        ));
    }
    frame.to_string()
}

/// Sends a dispatch to the bot (or queues it for replay while the bot is disconnected).
pub fn dispatch(inner: &Inner, t: &str, d: Value) -> u64 {
    // Checked before taking a sequence number, so dispatches leave in sequence order.
    let mut frame = json!({ "op": 0, "t": t, "s": 1, "d": d });
    checked(inner, frame.clone());
    let mut s = inner.lock();
    let Some(session) = s.gateway.session.as_mut() else {
        panic!("dispatch of {t} before the bot identified");
    };
    session.seq += 1;
    let seq = session.seq;
    frame["s"] = json!(seq);
    let text = frame.to_string();
    session.log.push((seq, text.clone()));
    match &s.gateway.conn {
        Some((_, conn)) => {
            let _ = conn.send(ConnCmd::Send(text));
        }
        None => s.gateway.queued_dispatches += 1,
    }
    drop(s);
    inner.bump();
    seq
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_string().into(),
    }))
}

// The handshake callback's error type is tungstenite's, however large.
#[allow(clippy::result_large_err)]
async fn connection(inner: Arc<Inner>, stream: TcpStream) {
    // Frames go out as they are written, as from Discord (no wait on the client's delayed ACK).
    let _ = stream.set_nodelay(true);
    let mut query = String::new();
    let ws = tokio_tungstenite::accept_hdr_async(
        stream,
        |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
            query = req.uri().query().unwrap_or("").to_string();
            Ok(resp)
        },
    )
    .await;
    let Ok(ws) = ws else { return };
    let (mut sink, mut source) = ws.split();
    let conn_id = {
        let mut s = inner.lock();
        s.gateway.connections += 1;
        s.gateway.queries.push(query.clone());
        s.gateway.connections
    };
    inner.bump();
    let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    if !params.contains(&("v", "10")) {
        let _ = sink.send(close(4012, "Invalid API version")).await;
        return;
    }
    if params.iter().any(|(k, v)| *k == "encoding" && *v != "json")
        || params.iter().any(|(k, _)| *k == "compress")
    {
        // The fake speaks JSON without transport compression; serenity 0.12 asks for neither.
        inner
            .lock()
            .violations
            .push(format!("gateway: unsupported connection parameters `{query}`"));
        let _ = sink.send(close(4002, "Decode error")).await;
        return;
    }
    while inner.lock().gateway.hold {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": inner.heartbeat_ms } });
    if sink.send(Message::Text(checked(&inner, hello))).await.is_err() {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnCmd>();
    let mut live = false;
    loop {
        tokio::select! {
            msg = source.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        let _ = sink.send(close(4002, "Decode error")).await;
                        break;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    let _ = sink.send(close(4002, "Decode error")).await;
                    break;
                };
                match v.get("op").and_then(Value::as_u64) {
                    Some(1) => {
                        inner.lock().gateway.heartbeats += 1;
                        let ack = json!({ "op": 11, "s": null, "t": null, "d": null });
                        if sink.send(Message::Text(ack.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Some(2) => {
                        if live {
                            let _ = sink.send(close(4005, "Already authenticated")).await;
                            break;
                        }
                        match identify(&inner, &v["d"], conn_id, &tx) {
                            Ok(()) => live = true,
                            Err((code, reason)) => {
                                let _ = sink.send(close(code, reason)).await;
                                break;
                            }
                        }
                    }
                    Some(6) => {
                        if live {
                            let _ = sink.send(close(4005, "Already authenticated")).await;
                            break;
                        }
                        match resume(&inner, &v["d"], conn_id, &tx) {
                            Ok(true) => live = true,
                            Ok(false) => {
                                // Invalid session, not resumable: the bot must identify afresh.
                                let invalid = json!({ "op": 9, "s": null, "t": null, "d": false });
                                let _ = sink.send(Message::Text(invalid.to_string())).await;
                            }
                            Err((code, reason)) => {
                                let _ = sink.send(close(code, reason)).await;
                                break;
                            }
                        }
                    }
                    Some(3 | 4 | 8 | 31) => {} // presence, voice, member chunks, soundboard: ignored
                    other => {
                        inner.lock().violations.push(format!("gateway: unknown opcode {other:?}: {text}"));
                        let _ = sink.send(close(4001, "Unknown opcode")).await;
                        break;
                    }
                }
            }
            cmd = rx.recv() => match cmd {
                Some(ConnCmd::Send(text)) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                Some(ConnCmd::Close(code, reason)) => {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                Some(ConnCmd::Abort) | None => return, // drops the TCP stream, no close frame
            }
        }
    }
    let mut s = inner.lock();
    if s.gateway.conn.as_ref().is_some_and(|(id, _)| *id == conn_id) {
        s.gateway.conn = None;
    }
    drop(s);
    inner.bump();
}

fn token_ok(inner: &Inner, token: Option<&str>) -> bool {
    let token = token.unwrap_or("");
    token.strip_prefix("Bot ").unwrap_or(token) == inner.token
}

/// IDENTIFY: a new session, READY, then GUILD_CREATE for each guild the bot is in.
fn identify(
    inner: &Inner,
    d: &Value,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<ConnCmd>,
) -> Result<(), (u16, &'static str)> {
    if !token_ok(inner, d.get("token").and_then(Value::as_str)) {
        return Err((4004, "Authentication failed."));
    }
    let intents = d.get("intents").and_then(Value::as_u64).unwrap_or(0);
    // Privileged intents (GUILD_MEMBERS 1<<1, GUILD_PRESENCES 1<<8, MESSAGE_CONTENT 1<<15) are
    // not enabled for this application, unless the world switched GUILD_MEMBERS on.
    let allowed = if inner.world.members_intent { 1 << 1 } else { 0 };
    if intents & !allowed & ((1 << 1) | (1 << 8) | (1 << 15)) != 0 {
        return Err((4014, "Disallowed intent(s)."));
    }
    let w = &inner.world;
    let mut redacted = d.clone();
    redacted["token"] = json!("<redacted>");
    let mut s = inner.lock();
    s.gateway.identifies += 1;
    s.gateway.identify_payloads.push(redacted);
    let session_id = format!("session-{}-{}", inner.http_addr.port(), s.gateway.identifies);
    s.gateway.session = Some(Session {
        id: session_id.clone(),
        seq: 0,
        log: Vec::new(),
    });
    drop(s);
    let ready = json!({
        "v": 10,
        "user": inner.bot_user(),
        "guilds": [{ "id": w.guild_id.to_string(), "unavailable": true }],
        "session_id": session_id,
        "resume_gateway_url": format!("ws://{}", inner.ws_addr),
        "shard": [0, 1],
        "application": { "id": inner.app_id.to_string(), "flags": 0 },
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
    });
    let guild = w.guild_create_json(w.guild_id, inner.app_id);
    {
        let mut s = inner.lock();
        s.gateway.conn = Some((conn_id, tx.clone()));
    }
    dispatch(inner, "READY", ready);
    dispatch(inner, "GUILD_CREATE", guild);
    Ok(())
}

/// RESUME: replays the session's dispatches after the bot's last sequence number, then RESUMED.
/// Returns false when the session is unknown (the caller answers INVALID_SESSION).
fn resume(
    inner: &Inner,
    d: &Value,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<ConnCmd>,
) -> Result<bool, (u16, &'static str)> {
    if !token_ok(inner, d.get("token").and_then(Value::as_str)) {
        return Err((4004, "Authentication failed."));
    }
    let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
    let mut s = inner.lock();
    let known = s
        .gateway
        .session
        .as_ref()
        .is_some_and(|sess| Some(sess.id.as_str()) == d.get("session_id").and_then(Value::as_str));
    if !known {
        return Ok(false);
    }
    let session = s.gateway.session.as_ref().expect("known");
    if seq > session.seq {
        return Err((4007, "Invalid seq."));
    }
    // Replay and go live under one lock, so no dispatch slips in between or is sent twice.
    for (n, text) in &session.log {
        if *n > seq {
            let _ = tx.send(ConnCmd::Send(text.clone()));
        }
    }
    let session = s.gateway.session.as_mut().expect("known");
    session.seq += 1;
    let resumed = json!({ "op": 0, "t": "RESUMED", "s": session.seq, "d": {} });
    let _ = tx.send(ConnCmd::Send(resumed.to_string()));
    s.gateway.resumes += 1;
    s.gateway.conn = Some((conn_id, tx.clone()));
    Ok(true)
}
