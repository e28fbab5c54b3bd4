//! Discord's limits on what a bot may send, checked on every payload the fake receives. Each
//! function returns the problems it found (empty = valid); the fake records them as violations and
//! answers 400 50035 so a test fails loudly.
//!
//! Limits: <https://discord.com/developers/docs/resources/message>,
//! <https://discord.com/developers/docs/resources/channel#embed-object-embed-limits>,
//! <https://discord.com/developers/docs/interactions/application-commands>.

use std::collections::HashSet;

use serde_json::Value;

/// What kind of message payload is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A new message (channel post, DM, interaction reply, follow-up): must not be empty.
    Create,
    /// An edit: every field is optional, but what is there must be valid.
    Edit,
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn array<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A message the bot sends (create or edit). `files` is the number of attached files.
/// What Discord checks of a multipart upload: every `files[n]` has a distinct index and a sane
/// name, `payload_json.attachments` (when sent) names exactly those files by index, the files fit
/// the upload limit, and every `attachment://` an embed shows names one of them.
pub fn uploads(body: &Value, uploads: &[super::server::Upload]) -> Vec<String> {
    /// The smallest upload limit a bot meets (the fake's `attachment_size_limit`).
    const LIMIT: usize = 10_485_760;
    let mut errs = Vec::new();
    if uploads.len() > 10 {
        errs.push(format!("{} files (max 10)", uploads.len()));
    }
    let total: usize = uploads.iter().map(|u| u.bytes.len()).sum();
    if total > LIMIT {
        errs.push(format!("files are {total} bytes (max {LIMIT})"));
    }
    let mut seen = Vec::new();
    for u in uploads {
        if seen.contains(&u.index) {
            errs.push(format!("files[{}] sent twice", u.index));
        }
        seen.push(u.index);
        if u.filename.is_empty() || u.filename.contains(['/', '\\']) {
            errs.push(format!("files[{}] has a bad filename `{}`", u.index, u.filename));
        }
        if u.bytes.is_empty() {
            errs.push(format!("files[{}] `{}` is empty", u.index, u.filename));
        }
    }
    if let Some(list) = body.get("attachments").and_then(Value::as_array) {
        for a in list {
            let id = a
                .get("id")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
            match id.and_then(|id| uploads.iter().find(|u| u.index == id)) {
                Some(u) => {
                    if let Some(name) = a.get("filename").and_then(Value::as_str)
                        && name != u.filename
                    {
                        errs.push(format!(
                            "attachments[{}] is `{name}` but files[{}] is `{}`",
                            u.index, u.index, u.filename
                        ));
                    }
                }
                // An id that is not a new upload must be an existing attachment: only edits keep those.
                None if body.get("nonce").is_some() || !uploads.is_empty() => {
                    errs.push(format!("attachment {a} names no uploaded file"))
                }
                None => {}
            }
        }
    }
    for e in body.get("embeds").and_then(Value::as_array).into_iter().flatten() {
        for key in ["image", "thumbnail"] {
            if let Some(name) = e
                .get(key)
                .and_then(|i| i.get("url"))
                .and_then(Value::as_str)
                .and_then(|u| u.strip_prefix("attachment://"))
                && !uploads.iter().any(|u| u.filename == name)
            {
                errs.push(format!("embed {key} attachment://{name} names no uploaded file"));
            }
        }
    }
    errs
}

pub fn message(body: &Value, kind: MessageKind, files: usize) -> Vec<String> {
    let mut errs = Vec::new();
    if !body.is_object() {
        return vec![format!("message body is not a JSON object: {body}")];
    }
    let content = str_field(body, "content").unwrap_or("");
    let n = content.chars().count();
    if n > 2000 {
        errs.push(format!("content is {n} characters (max 2000)"));
    }
    if let Some(nonce) = body.get("nonce") {
        let len = match nonce {
            Value::String(s) => s.chars().count(),
            Value::Number(n) => n.to_string().len(),
            _ => 0,
        };
        if len > 25 {
            errs.push(format!("nonce is {len} characters (max 25)"));
        }
    }
    if body.get("enforce_nonce") == Some(&Value::Bool(true)) && body.get("nonce").is_none() {
        errs.push("enforce_nonce without a nonce".into());
    }
    let embeds = array(body, "embeds");
    errs.extend(self::embeds(embeds));
    errs.extend(components(array(body, "components"), false));
    match body.get("allowed_mentions") {
        None | Some(Value::Null) => {
            errs.push("allowed_mentions is missing (Backbone sets it explicitly on every message)".into())
        }
        Some(am) => errs.extend(allowed_mentions(am)),
    }
    if kind == MessageKind::Create {
        let empty = content.trim().is_empty()
            && embeds.is_empty()
            && array(body, "components").is_empty()
            && files == 0
            && array(body, "sticker_ids").is_empty()
            && body.get("poll").is_none();
        if empty {
            errs.push("Cannot send an empty message (50006)".into());
        }
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        // SUPPRESS_EMBEDS 1<<2, EPHEMERAL 1<<6, SUPPRESS_NOTIFICATIONS 1<<12: the only ones a bot sets.
        let allowed = (1 << 2) | (1 << 6) | (1 << 12);
        if flags & !allowed != 0 {
            errs.push(format!("flags {flags} has bits a bot cannot set"));
        }
    }
    errs
}

/// `allowed_mentions`: Discord's structural rules plus Backbone's rule that nothing the bot sends may
/// ping @everyone, @here or a role.
pub fn allowed_mentions(am: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    if !am.is_object() {
        return vec![format!("allowed_mentions is not an object: {am}")];
    }
    let parse: Vec<&str> = array(am, "parse").iter().filter_map(Value::as_str).collect();
    for p in &parse {
        if !matches!(*p, "users" | "roles" | "everyone") {
            errs.push(format!("allowed_mentions.parse has unknown type `{p}`"));
        }
    }
    let users = array(am, "users");
    let roles = array(am, "roles");
    if parse.contains(&"users") && !users.is_empty() {
        errs.push("allowed_mentions: parse:[users] and users:[..] are mutually exclusive".into());
    }
    if parse.contains(&"roles") && !roles.is_empty() {
        errs.push("allowed_mentions: parse:[roles] and roles:[..] are mutually exclusive".into());
    }
    if users.len() > 100 || roles.len() > 100 {
        errs.push("allowed_mentions: more than 100 users or roles".into());
    }
    if parse.contains(&"everyone") {
        errs.push("policy: allowed_mentions lets the message ping @everyone/@here".into());
    }
    if parse.contains(&"roles") || !roles.is_empty() {
        errs.push("policy: allowed_mentions lets the message ping roles".into());
    }
    errs
}

/// Embeds: at most 10, each within its field limits, 6000 characters in all.
pub fn embeds(embeds: &[Value]) -> Vec<String> {
    let mut errs = Vec::new();
    if embeds.len() > 10 {
        errs.push(format!("{} embeds (max 10)", embeds.len()));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let mut check = |what: &str, v: Option<&Value>, max: usize| {
            let n = v.map_or(0, chars);
            total += n;
            if n > max {
                errs.push(format!("embed {i}: {what} is {n} characters (max {max})"));
            }
        };
        check("title", e.get("title"), 256);
        check("description", e.get("description"), 4096);
        check("footer.text", e.get("footer").and_then(|f| f.get("text")), 2048);
        check("author.name", e.get("author").and_then(|a| a.get("name")), 256);
        let fields = array(e, "fields");
        if fields.len() > 25 {
            errs.push(format!("embed {i}: {} fields (max 25)", fields.len()));
        }
        for (j, f) in fields.iter().enumerate() {
            let name = f.get("name").map_or(0, chars);
            let value = f.get("value").map_or(0, chars);
            total += name + value;
            if name == 0 || name > 256 {
                errs.push(format!(
                    "embed {i} field {j}: name is {name} characters (1..=256)"
                ));
            }
            if value == 0 || value > 1024 {
                errs.push(format!(
                    "embed {i} field {j}: value is {value} characters (1..=1024)"
                ));
            }
        }
        if let Some(c) = e.get("color").and_then(Value::as_u64)
            && c > 0xFF_FFFF
        {
            errs.push(format!("embed {i}: color {c} is not a 24-bit RGB value"));
        }
    }
    if total > 6000 {
        errs.push(format!("embeds total {total} characters (max 6000)"));
    }
    errs
}

/// Message components (`modal` = false) or a modal's rows (`modal` = true).
pub fn components(rows: &[Value], modal: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if rows.len() > 5 {
        errs.push(format!("{} action rows (max 5)", rows.len()));
    }
    let mut ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if row.get("type").and_then(Value::as_u64) != Some(1) {
            errs.push(format!("component {i} is not an action row (type 1): {row}"));
            continue;
        }
        let items = array(row, "components");
        if items.is_empty() {
            errs.push(format!("action row {i} is empty"));
        }
        let mut buttons = 0;
        let mut others = 0;
        for c in items {
            let ty = c.get("type").and_then(Value::as_u64).unwrap_or(0);
            let custom_id = str_field(c, "custom_id");
            if let Some(id) = custom_id {
                let n = id.chars().count();
                if n == 0 || n > 100 {
                    errs.push(format!("custom_id `{id}` is {n} characters (1..=100)"));
                }
                if !ids.insert(id.to_string()) {
                    errs.push(format!("custom_id `{id}` is used twice in one message"));
                }
            }
            match (ty, modal) {
                (2, false) => {
                    buttons += 1;
                    let style = c.get("style").and_then(Value::as_u64).unwrap_or(0);
                    if !(1..=6).contains(&style) {
                        errs.push(format!("button style {style} is not 1..=6"));
                    }
                    if style == 5 {
                        if str_field(c, "url").is_none() || custom_id.is_some() {
                            errs.push("a link button needs a url and no custom_id".into());
                        }
                    } else if custom_id.is_none() && style != 6 {
                        errs.push(format!("button without custom_id: {c}"));
                    }
                    let label = c.get("label").map_or(0, chars);
                    if label > 80 {
                        errs.push(format!("button label is {label} characters (max 80)"));
                    }
                    if label == 0 && c.get("emoji").is_none() {
                        errs.push("button has neither label nor emoji".into());
                    }
                }
                (3 | 5..=8, false) => {
                    others += 1;
                    if custom_id.is_none() {
                        errs.push("select menu without custom_id".into());
                    }
                    let opts = array(c, "options");
                    if opts.len() > 25 {
                        errs.push(format!("select menu has {} options (max 25)", opts.len()));
                    }
                    if c.get("placeholder").map_or(0, chars) > 150 {
                        errs.push("select placeholder over 150 characters".into());
                    }
                }
                (4, true) => {
                    others += 1;
                    if custom_id.is_none() {
                        errs.push("text input without custom_id".into());
                    }
                    let label = c.get("label").map_or(0, chars);
                    if label == 0 || label > 45 {
                        errs.push(format!("text input label is {label} characters (1..=45)"));
                    }
                    if !matches!(c.get("style").and_then(Value::as_u64), Some(1 | 2)) {
                        errs.push("text input style must be 1 (short) or 2 (paragraph)".into());
                    }
                    if c.get("placeholder").map_or(0, chars) > 100 {
                        errs.push("text input placeholder over 100 characters".into());
                    }
                    if c.get("value").map_or(0, chars) > 4000 {
                        errs.push("text input value over 4000 characters".into());
                    }
                    let min = c.get("min_length").and_then(Value::as_u64);
                    let max = c.get("max_length").and_then(Value::as_u64);
                    if min.is_some_and(|m| m > 4000) || max.is_some_and(|m| !(1..=4000).contains(&m)) {
                        errs.push("text input min_length/max_length out of range".into());
                    }
                    if let (Some(a), Some(b)) = (min, max)
                        && a > b
                    {
                        errs.push("text input min_length > max_length".into());
                    }
                }
                _ => errs.push(format!(
                    "component type {ty} is not allowed in a {}",
                    if modal { "modal" } else { "message" }
                )),
            }
        }
        if buttons > 5 {
            errs.push(format!("action row {i} has {buttons} buttons (max 5)"));
        }
        if others > 0 && (buttons > 0 || others > 1) {
            errs.push(format!(
                "action row {i}: a select menu or text input must be alone in its row"
            ));
        }
    }
    errs
}

/// The data of a MODAL (type 9) interaction response.
pub fn modal(data: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let id = str_field(data, "custom_id").unwrap_or("");
    if id.is_empty() || id.chars().count() > 100 {
        errs.push(format!("modal custom_id `{id}` must be 1..=100 characters"));
    }
    let title = data.get("title").map_or(0, chars);
    if title == 0 || title > 45 {
        errs.push(format!("modal title is {title} characters (1..=45)"));
    }
    let rows = array(data, "components");
    if rows.is_empty() {
        errs.push("modal has no components".into());
    }
    errs.extend(components(rows, true));
    errs
}

/// The data of an APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (type 8) response.
pub fn choices(data: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let choices = array(data, "choices");
    if choices.len() > 25 {
        errs.push(format!("{} autocomplete choices (max 25)", choices.len()));
    }
    for c in choices {
        let name = c.get("name").map_or(0, chars);
        if name == 0 || name > 100 {
            errs.push(format!("choice name is {name} characters (1..=100): {c}"));
        }
        match c.get("value") {
            Some(Value::String(s)) if s.chars().count() > 100 => errs.push(format!(
                "choice value is {} characters (max 100)",
                s.chars().count()
            )),
            Some(Value::String(_) | Value::Number(_)) => {}
            other => errs.push(format!("choice value {other:?} is not a string or number")),
        }
    }
    errs
}

/// Whether `name` is a valid command or option name: `^[-_\p{L}\p{N}]{1,32}$`, lowercase.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c == '-' || c == '_' || c.is_alphabetic() || c.is_numeric())
        && name.chars().all(|c| !c.is_uppercase())
}

/// A bulk overwrite of chat-input commands (`PUT .../commands`).
pub fn commands(list: &Value) -> Vec<String> {
    let Some(list) = list.as_array() else {
        return vec!["bulk overwrite body is not an array".into()];
    };
    let mut errs = Vec::new();
    if list.len() > 100 {
        errs.push(format!("{} commands (max 100 chat-input commands)", list.len()));
    }
    let mut names = HashSet::new();
    for cmd in list {
        let name = str_field(cmd, "name").unwrap_or("");
        let ty = cmd.get("type").and_then(Value::as_u64).unwrap_or(1);
        let at = format!("/{name}");
        if ty == 1 {
            if !valid_name(name) {
                errs.push(format!("{at}: invalid command name"));
            }
            let d = cmd.get("description").map_or(0, chars);
            if d == 0 || d > 100 {
                errs.push(format!("{at}: description is {d} characters (1..=100)"));
            }
        }
        if !names.insert((ty, name.to_string())) {
            errs.push(format!("{at}: defined twice"));
        }
        let mut total = name.chars().count() + cmd.get("description").map_or(0, chars);
        errs.extend(options(&at, array(cmd, "options"), 0, &mut total));
        if total > 4000 {
            errs.push(format!(
                "{at}: {total} characters of names, descriptions and choices (max 4000)"
            ));
        }
    }
    errs
}

/// One level of command options. `depth` 0 = the command's own options, 1 = a group's or
/// subcommand's, 2 = a subcommand inside a group.
fn options(at: &str, opts: &[Value], depth: usize, total: &mut usize) -> Vec<String> {
    let mut errs = Vec::new();
    if opts.len() > 25 {
        errs.push(format!("{at}: {} options (max 25)", opts.len()));
    }
    let types: Vec<u64> = opts
        .iter()
        .map(|o| o.get("type").and_then(Value::as_u64).unwrap_or(0))
        .collect();
    let subs = types.iter().filter(|t| matches!(t, 1 | 2)).count();
    if subs > 0 && subs != opts.len() {
        errs.push(format!("{at}: subcommands mixed with other options"));
    }
    let mut names = HashSet::new();
    let mut seen_optional = false;
    for (o, &ty) in opts.iter().zip(&types) {
        let name = str_field(o, "name").unwrap_or("");
        let here = format!("{at} {name}");
        *total += name.chars().count() + o.get("description").map_or(0, chars);
        if !valid_name(name) {
            errs.push(format!("{here}: invalid option name"));
        }
        if !names.insert(name) {
            errs.push(format!("{here}: option name used twice"));
        }
        let d = o.get("description").map_or(0, chars);
        if d == 0 || d > 100 {
            errs.push(format!("{here}: description is {d} characters (1..=100)"));
        }
        if !(1..=11).contains(&ty) {
            errs.push(format!("{here}: unknown option type {ty}"));
        }
        match ty {
            2 if depth > 0 => errs.push(format!("{here}: a subcommand group can only be top-level")),
            1 if depth > 1 => errs.push(format!("{here}: subcommands nest at most one group deep")),
            _ => {}
        }
        let inner = array(o, "options");
        match ty {
            2 => {
                if inner
                    .iter()
                    .any(|i| i.get("type").and_then(Value::as_u64) != Some(1))
                {
                    errs.push(format!("{here}: a group may only hold subcommands"));
                }
                errs.extend(options(&here, inner, depth + 1, total));
            }
            1 => {
                if inner
                    .iter()
                    .any(|i| matches!(i.get("type").and_then(Value::as_u64), Some(1 | 2)))
                {
                    errs.push(format!("{here}: a subcommand cannot hold subcommands"));
                }
                errs.extend(options(&here, inner, depth + 1, total));
            }
            _ => {
                if !inner.is_empty() {
                    errs.push(format!("{here}: only subcommands and groups have options"));
                }
                let required = o.get("required").and_then(Value::as_bool).unwrap_or(false);
                if required && seen_optional {
                    errs.push(format!("{here}: a required option after an optional one"));
                }
                seen_optional |= !required;
            }
        }
        let choices = array(o, "choices");
        if !choices.is_empty() {
            if !matches!(ty, 3 | 4 | 10) {
                errs.push(format!("{here}: choices on an option of type {ty}"));
            }
            if choices.len() > 25 {
                errs.push(format!("{here}: {} choices (max 25)", choices.len()));
            }
            if o.get("autocomplete").and_then(Value::as_bool) == Some(true) {
                errs.push(format!("{here}: autocomplete together with choices"));
            }
            for c in choices {
                let n = c.get("name").map_or(0, chars);
                *total += n;
                if n == 0 || n > 100 {
                    errs.push(format!("{here}: choice name is {n} characters (1..=100)"));
                }
                match (ty, c.get("value")) {
                    (3, Some(Value::String(s))) => {
                        *total += s.chars().count();
                        if s.chars().count() > 100 {
                            errs.push(format!("{here}: choice value over 100 characters"));
                        }
                    }
                    (4, Some(v)) if v.is_i64() => {}
                    (10, Some(v)) if v.is_number() => {}
                    (_, v) => errs.push(format!("{here}: choice value {v:?} does not match type {ty}")),
                }
            }
        }
        if o.get("autocomplete").and_then(Value::as_bool) == Some(true) && !matches!(ty, 3 | 4 | 10) {
            errs.push(format!("{here}: autocomplete on an option of type {ty}"));
        }
        for k in ["min_length", "max_length"] {
            if let Some(v) = o.get(k).filter(|v| !v.is_null()) {
                if ty != 3 {
                    errs.push(format!("{here}: {k} on an option of type {ty}"));
                }
                let v = v.as_u64().unwrap_or(u64::MAX);
                let ok = if k == "min_length" {
                    v <= 6000
                } else {
                    (1..=6000).contains(&v)
                };
                if !ok {
                    errs.push(format!("{here}: {k} {v} out of range"));
                }
            }
        }
        for k in ["min_value", "max_value"] {
            if o.get(k).is_some_and(|v| !v.is_null()) && !matches!(ty, 4 | 10) {
                errs.push(format!("{here}: {k} on an option of type {ty}"));
            }
        }
        if o.get("channel_types")
            .and_then(Value::as_array)
            .is_some_and(|v| !v.is_empty())
            && ty != 7
        {
            errs.push(format!("{here}: channel_types on an option of type {ty}"));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        assert!(valid_name("task") && valid_name("in-3_days") && valid_name("größe"));
        assert!(!valid_name("Task") && !valid_name("two words") && !valid_name(""));
        assert!(!valid_name(&"x".repeat(33)));
    }

    #[test]
    fn messages() {
        let ok = json!({"content": "hi", "allowed_mentions": {"parse": []}});
        assert!(message(&ok, MessageKind::Create, 0).is_empty());
        let no_am = json!({"content": "hi"});
        assert_eq!(message(&no_am, MessageKind::Create, 0).len(), 1);
        let long = json!({"content": "x".repeat(2001), "allowed_mentions": {"parse": []}});
        assert_eq!(message(&long, MessageKind::Create, 0).len(), 1);
        let everyone = json!({"content": "hi", "allowed_mentions": {"parse": ["everyone"]}});
        assert_eq!(message(&everyone, MessageKind::Create, 0).len(), 1);
        let empty = json!({"content": "", "allowed_mentions": {"parse": []}});
        assert_eq!(message(&empty, MessageKind::Create, 0).len(), 1);
        assert!(message(&json!({"allowed_mentions": {}}), MessageKind::Edit, 0).is_empty());
        let six = json!({"allowed_mentions": {}, "components": [
            {"type": 1, "components": (0..6).map(|i| json!({"type": 2, "style": 1, "label": "b", "custom_id": format!("b{i}")})).collect::<Vec<_>>()}
        ]});
        assert_eq!(message(&six, MessageKind::Create, 0).len(), 1);
    }

    #[test]
    fn command_schema() {
        let ok = json!([{"name": "task", "description": "Tasks", "type": 1, "options": [
            {"name": "assign", "description": "Assign", "type": 1, "options": [
                {"name": "title", "description": "t", "type": 3, "required": true},
                {"name": "due", "description": "d", "type": 3, "autocomplete": true}
            ]}
        ]}]);
        assert!(commands(&ok).is_empty(), "{:?}", commands(&ok));
        let bad = json!([{"name": "Task", "description": "", "type": 1, "options": [
            {"name": "due", "description": "d", "type": 3},
            {"name": "title", "description": "t", "type": 3, "required": true}
        ]}]);
        assert_eq!(commands(&bad).len(), 3, "{:?}", commands(&bad));
    }
}
