//! Guild scheduled events in the fake Discord: `POST /guilds/{id}/scheduled-events` and
//! `PATCH /guilds/{id}/scheduled-events/{id}`, validated as Discord does: a name of 1–100
//! characters, `privacy_level` 2, a start in the future (on the bot's clock), an EXTERNAL event
//! with a location and an end and no channel, a VOICE event in a voice channel, at most 100
//! scheduled or active events per guild, and status moves SCHEDULED → ACTIVE or CANCELED, then
//! ACTIVE → COMPLETED only.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::rest::error;
use super::server::{Inner, State};

/// Discord's limit of scheduled (or active) events per guild.
pub const MAX_EVENTS: usize = 100;

/// A scheduled event the fake knows about.
#[derive(Debug, Clone)]
pub struct EventRec {
    pub id: u64,
    pub guild: u64,
    pub name: String,
    pub description: Option<String>,
    /// 2 VOICE, 3 EXTERNAL.
    pub entity_type: u64,
    /// 1 SCHEDULED, 2 ACTIVE, 3 COMPLETED, 4 CANCELED.
    pub status: u64,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub channel_id: Option<u64>,
}

impl EventRec {
    /// The event object Discord returns.
    pub fn json(&self, bot: u64) -> Value {
        json!({
            "id": self.id.to_string(),
            "guild_id": self.guild.to_string(),
            "channel_id": self.channel_id.map(|c| c.to_string()),
            "creator_id": bot.to_string(),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.start.to_rfc3339(),
            "scheduled_end_time": self.end.map(|e| e.to_rfc3339()),
            "privacy_level": 2,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": null,
            "entity_metadata": self.location.as_ref().map(|l| json!({ "location": l })),
            "user_count": 0,
            "image": null,
        })
    }
}

fn time(body: &Value, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| format!("{key} `{s}` is not an ISO8601 timestamp: {e}")),
        Some(other) => Err(format!("{key} must be a string, got {other}")),
    }
}

/// The bot's clock, as the fake sees it (events must start after it).
fn now(s: &State) -> DateTime<Utc> {
    s.clock_now.unwrap_or_else(Utc::now)
}

/// Routes the scheduled-event endpoints; `None` for any other path.
pub fn route(
    inner: &Inner,
    s: &mut State,
    method: &str,
    segs: &[&str],
    body: &Value,
) -> Option<Result<(u16, Value), Vec<String>>> {
    let guild: u64 = match segs {
        ["guilds", g, "scheduled-events", ..] => g.parse().ok()?,
        _ => return None,
    };
    if !inner.world.guilds().contains(&guild) {
        return Some(Ok((404, error("Unknown Guild", 10004))));
    }
    Some(match (method, segs) {
        ("POST", [_, _, _]) => create(inner, s, guild, body),
        ("PATCH", [_, _, _, id]) => match id.parse::<u64>().ok().and_then(|id| s.events.get(&id).cloned()) {
            Some(e) if e.guild == guild => edit(inner, s, e, body),
            _ => Ok((404, error("Unknown Guild Scheduled Event", 10070))),
        },
        ("GET", [_, _, _]) => Ok((
            200,
            Value::Array(
                s.events
                    .values()
                    .filter(|e| e.guild == guild)
                    .map(|e| e.json(inner.app_id))
                    .collect(),
            ),
        )),
        _ => return None,
    })
}

fn create(inner: &Inner, s: &mut State, guild: u64, body: &Value) -> Result<(u16, Value), Vec<String>> {
    if s.events_denied.contains(&guild) {
        return Ok((403, error("Missing Permissions", 50013)));
    }
    let mut errs = Vec::new();
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    if !(1..=100).contains(&name.chars().count()) {
        errs.push(format!(
            "name must be 1–100 characters, got {}",
            name.chars().count()
        ));
    }
    if body.get("privacy_level").and_then(Value::as_u64) != Some(2) {
        errs.push(format!(
            "privacy_level must be 2 (GUILD_ONLY), got {}",
            body["privacy_level"]
        ));
    }
    if let Some(d) = body.get("description").and_then(Value::as_str)
        && !(1..=1000).contains(&d.chars().count())
    {
        errs.push("description must be 1-1000 characters".into());
    }
    let start = match time(body, "scheduled_start_time") {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errs.push("scheduled_start_time missing".into());
            None
        }
        Err(e) => {
            errs.push(e);
            None
        }
    };
    if let Some(t) = start
        && t <= now(s)
    {
        errs.push(format!(
            "scheduled_start_time {t} is not in the future (now {})",
            now(s)
        ));
    }
    let end = time(body, "scheduled_end_time").unwrap_or_else(|e| {
        errs.push(e);
        None
    });
    if let (Some(st), Some(en)) = (start, end)
        && en <= st
    {
        errs.push("scheduled_end_time must be after scheduled_start_time".into());
    }
    let entity_type = body.get("entity_type").and_then(Value::as_u64).unwrap_or(0);
    let channel = body.get("channel_id").filter(|c| !c.is_null());
    let location = body
        .pointer("/entity_metadata/location")
        .and_then(Value::as_str)
        .map(str::to_string);
    match entity_type {
        3 => {
            if channel.is_some() {
                errs.push("an EXTERNAL event must not have a channel_id".into());
            }
            match &location {
                Some(l) if (1..=100).contains(&l.chars().count()) => {}
                _ => errs.push("an EXTERNAL event needs entity_metadata.location (1–100 characters)".into()),
            }
            if end.is_none() {
                errs.push("an EXTERNAL event needs scheduled_end_time".into());
            }
        }
        2 => {
            // The fake's world has text channels only: a VOICE event names a channel that isn't one.
            errs.push(format!("a VOICE event needs a voice channel, got {channel:?}"));
        }
        other => errs.push(format!("entity_type {other} is not VOICE (2) or EXTERNAL (3)")),
    }
    let live = s
        .events
        .values()
        .filter(|e| e.guild == guild && matches!(e.status, 1 | 2))
        .count();
    if live >= MAX_EVENTS {
        errs.push(format!("guild {guild} already has {MAX_EVENTS} scheduled events"));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let id = s.snowflake();
    let rec = EventRec {
        id,
        guild,
        name: name.to_string(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        entity_type,
        status: 1,
        start: start.unwrap_or_default(),
        end,
        location,
        channel_id: None,
    };
    let json = rec.json(inner.app_id);
    s.events.insert(id, rec);
    Ok((200, json))
}

fn edit(inner: &Inner, s: &mut State, mut e: EventRec, body: &Value) -> Result<(u16, Value), Vec<String>> {
    if s.events_denied.contains(&e.guild) {
        return Ok((403, error("Missing Permissions", 50013)));
    }
    if let Some(to) = body.get("status").and_then(Value::as_u64) {
        let allowed = matches!((e.status, to), (1, 2) | (1, 4) | (2, 3));
        if !allowed {
            return Err(vec![format!(
                "event {} can't move from status {} to {to}",
                e.id, e.status
            )]);
        }
        e.status = to;
    }
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        e.name = n.to_string();
    }
    let json = e.json(inner.app_id);
    s.events.insert(e.id, e);
    Ok((200, json))
}
