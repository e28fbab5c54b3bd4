//! Messages as Discord would show them, as terminal text: who sees it where and when, the content,
//! each embed (title, description, fields, footer) and the buttons. Mentions and Discord time tags
//! are resolved to names and times, as the Discord client does.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::message::Message;
use crate::domain::{ChannelId, MessageId, UserId};
use crate::scheduler::{Notifier, SendError};
use crate::store::deliveries::Target;

/// Display names of the simulated people and channels, and the coalition's time zone.
#[derive(Debug, Clone)]
pub struct Names {
    pub users: HashMap<i64, String>,
    pub channels: HashMap<i64, String>,
    pub tz: Tz,
}

impl Names {
    /// `@Name` of a user (or their id when unknown).
    pub fn user(&self, id: UserId) -> String {
        self.users
            .get(&id.0)
            .map_or_else(|| format!("@user{}", id.0), |n| format!("@{n}"))
    }

    /// `#name` of a channel (or its id when unknown).
    pub fn channel(&self, id: ChannelId) -> String {
        self.channels
            .get(&id.0)
            .map_or_else(|| format!("#channel-{}", id.0), |n| format!("#{n}"))
    }

    /// Where a message goes, in words.
    pub fn target(&self, target: Target) -> String {
        match target {
            Target::Channel(c) => format!("channel {}", self.channel(c)),
            Target::User(u) => format!("DM to {}", self.user(u)),
        }
    }

    /// A simulated instant in the coalition's time zone.
    pub fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz).format("%a %d %b %H:%M %Z").to_string()
    }
}

/// The header line of one shown message: `[time] → where (note)`.
pub fn header(names: &Names, at: DateTime<Utc>, place: &str, note: &str) -> String {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("  ({note})")
    };
    format!("[{}] → {place}{note}\n", names.time(at))
}

/// A message as text, every line prefixed with `│ `.
pub fn message(names: &Names, now: DateTime<Utc>, msg: &Message) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !msg.content.is_empty() {
        lines.extend(resolve(names, now, &msg.content).lines().map(str::to_string));
    }
    for e in &msg.embeds {
        if !e.title.is_empty() {
            lines.push(format!("┌─ {}", resolve(names, now, &e.title)));
        } else {
            lines.push("┌─".into());
        }
        for l in resolve(names, now, &e.description).lines() {
            lines.push(format!("│ {l}"));
        }
        for f in &e.fields {
            let value = resolve(names, now, &f.value);
            let mut value_lines = value.lines();
            let first = value_lines.next().unwrap_or("");
            lines.push(format!("│ ▸ {}: {first}", resolve(names, now, &f.name)));
            for l in value_lines {
                lines.push(format!("│     {l}"));
            }
        }
        if !e.footer.is_empty() {
            lines.push(format!("└─ {}", resolve(names, now, &e.footer)));
        } else {
            lines.push("└─".into());
        }
    }
    for a in &msg.attachments {
        lines.push(format!("📎 {} ({} bytes)", a.name, a.bytes.len()));
    }
    if !msg.buttons.is_empty() {
        let buttons: Vec<String> = msg.buttons.iter().map(|b| format!("[ {} ]", b.label)).collect();
        lines.push(buttons.join(" "));
    }
    let mut out = String::new();
    for l in lines {
        out.push_str("  │ ");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Replaces `<@id>`, `<@!id>`, `<#id>` and `<t:secs:style>` with what the Discord client shows.
pub fn resolve(names: &Names, now: DateTime<Utc>, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find('>') else {
            out.push_str(tail);
            return out;
        };
        let tag = &tail[1..end];
        match tag_text(names, now, tag) {
            Some(shown) => out.push_str(&shown),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

fn tag_text(names: &Names, now: DateTime<Utc>, tag: &str) -> Option<String> {
    if let Some(id) = tag.strip_prefix("@!").or_else(|| tag.strip_prefix('@')) {
        return id.parse().ok().map(|id| names.user(UserId(id)));
    }
    if let Some(id) = tag.strip_prefix('#') {
        return id.parse().ok().map(|id| names.channel(ChannelId(id)));
    }
    let t = tag.strip_prefix("t:")?;
    let (secs, style) = t.split_once(':').unwrap_or((t, "f"));
    let at = Utc.timestamp_opt(secs.parse().ok()?, 0).single()?;
    Some(if style == "R" {
        relative(at - now)
    } else {
        at.with_timezone(&names.tz)
            .format("%a %d %b %Y %H:%M")
            .to_string()
    })
}

/// "in 3 days", "2 hours ago", as Discord's relative time tag reads.
fn relative(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    let abs = secs.abs();
    let (n, unit) = if abs < 3600 {
        (abs / 60, "minute")
    } else if abs < 86_400 {
        (abs / 3600, "hour")
    } else {
        (abs / 86_400, "day")
    };
    let unit = if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if secs >= 0 {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// One message the scheduler sent.
#[derive(Debug, Clone)]
pub struct Shown {
    pub target: Target,
    pub msg: Message,
    /// `bb<delivery id>` (see `scheduler::nonce`), which tells which delivery it was; empty for
    /// an edit.
    pub nonce: String,
    /// Set when this replaced an earlier message (an answer card or summary updated in place).
    pub edited: Option<MessageId>,
}

/// A [`Notifier`] that keeps what the scheduler sends, for the demo to print at the simulated time.
#[derive(Default)]
pub struct PrintNotifier {
    sent: Mutex<Vec<Shown>>,
    next_id: Mutex<i64>,
    /// Threads started: (thread channel, name).
    threads: Mutex<Vec<(ChannelId, String)>>,
}

impl PrintNotifier {
    /// Everything sent since the last call, in order.
    pub fn take(&self) -> Vec<Shown> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Threads started since the last call: (thread channel, name).
    pub fn take_threads(&self) -> Vec<(ChannelId, String)> {
        std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn keep(&self, target: Target, msg: &Message, nonce: &str) -> MessageId {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).push(Shown {
            target,
            msg: msg.clone(),
            nonce: nonce.to_string(),
            edited: None,
        });
        let mut id = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *id += 1;
        MessageId(5_000_000 + *id)
    }
}

impl Notifier for PrintNotifier {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        Ok(self.keep(Target::Channel(channel), msg, nonce))
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        Ok(self.keep(Target::User(user), msg, nonce))
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> Result<(), SendError> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).push(Shown {
            target: Target::Channel(channel),
            msg: msg.clone(),
            nonce: String::new(),
            edited: Some(message),
        });
        Ok(())
    }

    async fn create_thread(
        &self,
        _channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> Result<ChannelId, SendError> {
        // As on Discord, a thread started on a message has the message's id.
        let thread = ChannelId(message.0);
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        if !threads.iter().any(|(t, _)| *t == thread) {
            threads.push((thread, name.to_string()));
        }
        Ok(thread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            users: HashMap::from([(7, "Ana".to_string())]),
            channels: HashMap::from([(9, "hub".to_string())]),
            tz: chrono_tz::UTC,
        }
    }

    #[test]
    fn mentions_and_time_tags_read_as_in_discord() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let due = now + chrono::Duration::days(3);
        let text = format!(
            "<@7> in <#9>: due <t:{0}:f> (<t:{0}:R>) <@!8> 2 < 3",
            due.timestamp()
        );
        assert_eq!(
            resolve(&names(), now, &text),
            "@Ana in #hub: due Thu 05 Mar 2026 12:00 (in 3 days) @user8 2 < 3"
        );
    }
}
