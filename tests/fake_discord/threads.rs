//! Threads in the fake Discord: `POST /channels/{id}/messages/{mid}/threads` (start a thread on a
//! message), validated like Discord does, and the thread as a channel the bot can post in.

use serde_json::{Value, json};

use super::rest::error;
use super::server::{Inner, State};

/// A thread the fake knows about.
#[derive(Debug, Clone)]
pub struct ThreadRec {
    pub id: u64,
    pub parent: u64,
    pub guild: u64,
    pub name: String,
    pub auto_archive_duration: u64,
    /// Deleted by a test: posting or editing in it fails with 10003 Unknown Channel.
    pub deleted: bool,
}

impl ThreadRec {
    /// The channel object Discord returns for a public thread.
    pub fn json(&self, bot: u64) -> Value {
        json!({
            "id": self.id.to_string(),
            "guild_id": self.guild.to_string(),
            "parent_id": self.parent.to_string(),
            "owner_id": bot.to_string(),
            "type": 11,
            "name": self.name,
            "last_message_id": null,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": false,
                "auto_archive_duration": self.auto_archive_duration,
                "archive_timestamp": super::server::timestamp(),
                "locked": false,
            },
            "total_message_sent": 0,
        })
    }
}

/// Validates a start-thread-from-message body as Discord does; returns the problems.
pub fn validate(body: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    match body.get("name").and_then(Value::as_str) {
        Some(n) if (1..=100).contains(&n.chars().count()) => {}
        Some(n) => errs.push(format!(
            "thread name must be 1–100 characters, got {}",
            n.chars().count()
        )),
        None => errs.push("thread name missing".into()),
    }
    if let Some(d) = body.get("auto_archive_duration")
        && !matches!(d.as_u64(), Some(60 | 1440 | 4320 | 10080))
    {
        errs.push(format!(
            "auto_archive_duration must be 60, 1440, 4320 or 10080, got {d}"
        ));
    }
    if let Some(k) = body.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()) {
        for key in k {
            if !matches!(
                key.as_str(),
                "name" | "auto_archive_duration" | "rate_limit_per_user"
            ) {
                errs.push(format!(
                    "unknown field `{key}` when starting a thread from a message"
                ));
            }
        }
    }
    errs
}

/// Starts a thread on message `mid` in `cid`. Errors as Discord: 10003 unknown channel,
/// 10008 unknown message, 50013 missing permissions, 160004 a thread exists already.
pub fn start(
    inner: &Inner,
    s: &mut State,
    cid: u64,
    mid: u64,
    body: &Value,
) -> Result<(u16, Value), Vec<String>> {
    let errs = validate(body);
    if !errs.is_empty() {
        return Err(errs);
    }
    let Some(parent) = inner.world.channel(cid) else {
        return Ok((404, error("Unknown Channel", 10003)));
    };
    if s.threads_denied.contains(&cid) {
        return Ok((403, error("Missing Permissions", 50013)));
    }
    match s.messages.get(&mid) {
        Some(m) if m.channel_id == cid && !m.ephemeral => {}
        _ => return Ok((404, error("Unknown Message", 10008))),
    }
    if s.threads.contains_key(&mid) {
        return Ok((
            400,
            error("A thread has already been created for this message", 160004),
        ));
    }
    // As on Discord, a thread started from a message has the message's id.
    let t = ThreadRec {
        id: mid,
        parent: cid,
        guild: parent.guild,
        name: body["name"].as_str().unwrap_or_default().to_string(),
        auto_archive_duration: body
            .get("auto_archive_duration")
            .and_then(Value::as_u64)
            .unwrap_or(4320),
        deleted: false,
    };
    let json = t.json(inner.app_id);
    s.threads.insert(mid, t);
    Ok((201, json))
}

/// Whether `cid` is a live thread.
pub fn live(s: &State, cid: u64) -> bool {
    s.threads.get(&cid).is_some_and(|t| !t.deleted)
}
