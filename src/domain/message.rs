//! A message as Backbone means it, independent of any Discord library: content, embeds, buttons
//! and who may be pinged. [`Message::fit`] makes any message fit Discord's limits.

use serde::Serialize;

use super::audience::Audience;
use super::ids::UserId;
use super::text::truncate;

/// Discord's limits (https://discord.com/developers/docs/resources/message).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS: usize = 10;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    pub const EMBED_TOTAL: usize = 6000;
    pub const BUTTONS: usize = 25;
    pub const BUTTON_LABEL: usize = 80;
    pub const CUSTOM_ID: usize = 100;
    pub const CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const ATTACHMENTS: usize = 10;
    /// Bytes of all attachments together: the smallest upload limit a bot meets (10 MiB).
    pub const ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
}

/// A message to send or reply with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Message {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub buttons: Vec<Button>,
    /// The only users this message may ping; everything else (roles, @everyone, @here) never pings.
    pub ping_users: Vec<UserId>,
    /// Visible only to the person who ran the command.
    pub ephemeral: bool,
    /// Who may read it: the sending path never puts it anywhere wider (see [`Audience::may_go`]).
    pub audience: Audience,
    /// Files to upload with the message; an embed shows one as its image with
    /// [`Attachment::url`].
    #[serde(skip)]
    pub attachments: Vec<Attachment>,
}

/// A file uploaded with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The file name Discord shows: letters, digits, `.`, `-` and `_` only.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// A file named `name` (other characters become `_`, as Discord would do) holding `bytes`.
    pub fn new(name: &str, bytes: Vec<u8>) -> Attachment {
        let name = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Attachment { name, bytes }
    }

    /// How an embed refers to this file (`attachment://digest.png`).
    pub fn url(&self) -> String {
        format!("attachment://{}", self.name)
    }
}

/// An embed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub color: u32,
    pub footer: String,
    /// The image shown large at the bottom: an `https://` URL or an attachment's `attachment://` URL.
    pub image: Option<String>,
}

/// A field of an embed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// A button; its custom id carries what it acts on (`task:done:42`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Button {
    pub custom_id: String,
    pub label: String,
    pub style: ButtonStyle,
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
    Danger,
}

/// Colors used across Backbone's embeds.
pub mod colors {
    pub const INFO: u32 = 0x3B82F6;
    pub const SUCCESS: u32 = 0x22C55E;
    pub const WARNING: u32 = 0xF59E0B;
    pub const DANGER: u32 = 0xEF4444;
    pub const CELEBRATE: u32 = 0xA855F7;
    /// Closed without effect: a cancelled task, a withdrawn win.
    pub const MUTED: u32 = 0x9CA3AF;
}

impl Message {
    /// A plain text message.
    pub fn text(content: impl Into<String>) -> Message {
        Message {
            content: content.into(),
            ..Default::default()
        }
    }

    /// A message with one embed.
    pub fn embed(embed: Embed) -> Message {
        Message {
            embeds: vec![embed],
            ..Default::default()
        }
    }

    /// Makes it ephemeral.
    pub fn ephemeral(mut self) -> Message {
        self.ephemeral = true;
        self
    }

    /// Marks who may read it (render decides, because it knows the content).
    pub fn for_audience(mut self, audience: Audience) -> Message {
        self.audience = audience;
        self
    }

    /// Attaches a file.
    pub fn attach(mut self, file: Attachment) -> Message {
        self.attachments.push(file);
        self
    }

    /// Adds a button.
    pub fn button(
        mut self,
        custom_id: impl Into<String>,
        label: impl Into<String>,
        style: ButtonStyle,
    ) -> Message {
        self.buttons.push(Button {
            custom_id: custom_id.into(),
            label: label.into(),
            style,
        });
        self
    }

    /// Trims everything to Discord's limits: long text ends with `…`, surplus fields and embeds are
    /// dropped with a note of how many, so the result is always a message Discord accepts.
    pub fn fit(mut self) -> Message {
        self.content = truncate(&self.content, limits::CONTENT);
        self.embeds.truncate(limits::EMBEDS);
        for e in &mut self.embeds {
            e.fit();
        }
        // The 6000-char budget applies to all embeds of a message together.
        let mut budget = limits::EMBED_TOTAL;
        let mut kept = Vec::new();
        for mut e in std::mem::take(&mut self.embeds) {
            e.shrink_to(budget);
            let size = e.size();
            if size == 0 || size > budget {
                break;
            }
            budget -= size;
            kept.push(e);
        }
        self.embeds = kept;
        self.buttons.truncate(limits::BUTTONS);
        for b in &mut self.buttons {
            b.label = truncate(&b.label, limits::BUTTON_LABEL);
            b.custom_id = truncate(&b.custom_id, limits::CUSTOM_ID);
        }
        if self.content.is_empty() && self.embeds.is_empty() && self.attachments.is_empty() {
            self.content = "(nothing to show)".into();
        }
        self
    }

    /// Every limit this message breaks, for tests (empty when it fits).
    pub fn limit_violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        let n = |s: &str| s.chars().count();
        if n(&self.content) > limits::CONTENT {
            v.push(format!("content {} > {}", n(&self.content), limits::CONTENT));
        }
        if self.embeds.len() > limits::EMBEDS {
            v.push(format!("{} embeds", self.embeds.len()));
        }
        let mut total = 0;
        for e in &self.embeds {
            total += e.size();
            if n(&e.title) > limits::TITLE {
                v.push(format!("title {}", n(&e.title)));
            }
            if n(&e.description) > limits::DESCRIPTION {
                v.push(format!("description {}", n(&e.description)));
            }
            if e.fields.len() > limits::FIELDS {
                v.push(format!("{} fields", e.fields.len()));
            }
            for f in &e.fields {
                if n(&f.name) > limits::FIELD_NAME || n(&f.name) == 0 {
                    v.push(format!("field name {}", n(&f.name)));
                }
                if n(&f.value) > limits::FIELD_VALUE || n(&f.value) == 0 {
                    v.push(format!("field value {}", n(&f.value)));
                }
            }
            if n(&e.footer) > limits::FOOTER {
                v.push(format!("footer {}", n(&e.footer)));
            }
        }
        if total > limits::EMBED_TOTAL {
            v.push(format!("embeds total {total} > {}", limits::EMBED_TOTAL));
        }
        if self.buttons.len() > limits::BUTTONS {
            v.push(format!("{} buttons", self.buttons.len()));
        }
        for b in &self.buttons {
            if n(&b.label) > limits::BUTTON_LABEL || n(&b.custom_id) > limits::CUSTOM_ID {
                v.push(format!("button {}", b.custom_id));
            }
        }
        if self.content.is_empty() && self.embeds.is_empty() && self.attachments.is_empty() {
            v.push("empty message".into());
        }
        if self.attachments.len() > limits::ATTACHMENTS {
            v.push(format!("{} attachments", self.attachments.len()));
        }
        let bytes: usize = self.attachments.iter().map(|a| a.bytes.len()).sum();
        if bytes > limits::ATTACHMENT_BYTES {
            v.push(format!(
                "attachments {bytes} bytes > {}",
                limits::ATTACHMENT_BYTES
            ));
        }
        for url in self.embeds.iter().filter_map(|e| e.image.as_deref()) {
            if let Some(name) = url.strip_prefix("attachment://")
                && !self.attachments.iter().any(|a| a.name == name)
            {
                v.push(format!("embed image {url} names no attachment"));
            }
        }
        v
    }
}

impl Embed {
    /// An embed with a title and a color.
    pub fn new(title: impl Into<String>, color: u32) -> Embed {
        Embed {
            title: title.into(),
            color,
            ..Default::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Embed {
        self.description = d.into();
        self
    }

    /// Adds a field; empty values show as `—` (Discord rejects empty fields).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>, inline: bool) -> Embed {
        let value = value.into();
        let value = if value.trim().is_empty() {
            "—".to_string()
        } else {
            value
        };
        self.fields.push(Field {
            name: name.into(),
            value,
            inline,
        });
        self
    }

    /// Sets the footer.
    pub fn footer(mut self, f: impl Into<String>) -> Embed {
        self.footer = f.into();
        self
    }

    /// Shows `url` as the embed's image (see [`Attachment::url`]).
    pub fn image(mut self, url: impl Into<String>) -> Embed {
        self.image = Some(url.into());
        self
    }

    /// Characters counted toward the 6000 limit.
    pub fn size(&self) -> usize {
        let n = |s: &str| s.chars().count();
        n(&self.title)
            + n(&self.description)
            + n(&self.footer)
            + self
                .fields
                .iter()
                .map(|f| n(&f.name) + n(&f.value))
                .sum::<usize>()
    }

    fn fit(&mut self) {
        self.title = truncate(&self.title, limits::TITLE);
        self.description = truncate(&self.description, limits::DESCRIPTION);
        self.footer = truncate(&self.footer, limits::FOOTER);
        if self.fields.len() > limits::FIELDS {
            let dropped = self.fields.len() - (limits::FIELDS - 1);
            self.fields.truncate(limits::FIELDS - 1);
            self.fields.push(Field {
                name: "…".into(),
                value: format!("… and {dropped} more"),
                inline: false,
            });
        }
        for f in &mut self.fields {
            f.name = truncate(&f.name, limits::FIELD_NAME);
            f.value = truncate(&f.value, limits::FIELD_VALUE);
        }
    }

    /// Drops fields (then cuts the description) until the embed fits in `budget` characters.
    fn shrink_to(&mut self, budget: usize) {
        let mut dropped = 0;
        while self.size() > budget && !self.fields.is_empty() {
            self.fields.pop();
            dropped += 1;
        }
        if dropped > 0 {
            let note = format!("… and {dropped} more");
            if self.size() + note.chars().count() < budget {
                self.fields.push(Field {
                    name: "…".into(),
                    value: note,
                    inline: false,
                });
            }
        }
        if self.size() > budget {
            let room = budget.saturating_sub(self.size() - self.description.chars().count());
            self.description = truncate(&self.description, room);
        }
    }
}

/// Joins lines into a list that fits `max` characters, ending with "… and N more" when cut.
pub fn bounded_list(lines: &[String], total: usize, max: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for line in lines {
        let more = total.saturating_sub(shown + 1);
        let tail = if more > 0 {
            format!("\n… and {more} more")
        } else {
            String::new()
        };
        let needed = out.chars().count() + line.chars().count() + 1 + tail.chars().count();
        if needed > max {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        shown += 1;
    }
    if shown < total {
        let tail = format!("… and {} more", total - shown);
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_message_is_fitted() {
        let mut e = Embed::new("t".repeat(400), colors::INFO).description("d".repeat(5000));
        for i in 0..40 {
            e = e.field(format!("f{i}"), "v".repeat(2000), false);
        }
        let m = Message {
            content: "c".repeat(3000),
            embeds: vec![e.clone(), e],
            ..Default::default()
        }
        .fit();
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
    }

    #[test]
    fn bounded_list_says_how_many_more() {
        let lines: Vec<String> = (0..100).map(|i| format!("line number {i}")).collect();
        let s = bounded_list(&lines, 100, 200);
        assert!(s.chars().count() <= 200);
        assert!(s.ends_with("more"), "{s}");
        assert_eq!(bounded_list(&lines[..2], 2, 200), "line number 0\nline number 1");
    }
}
