//! The slash commands as Discord receives them: they follow Discord's rules for names,
//! descriptions, options and sizes, and they are exactly the commands and options of
//! ../shared/COMMANDS.md (the product's public interface).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// Discord's application command option types.
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;
const STRING: u64 = 3;
const USER: u64 = 6;
const CHANNEL: u64 = 7;
const NUMBER: u64 = 10;

/// Every registered top-level command, serialized as it is sent to Discord.
fn registered() -> Vec<Value> {
    let commands = backbone::discord::commands::all();
    let builders = poise::builtins::create_application_commands(&commands);
    builders
        .iter()
        .map(|b| serde_json::to_value(b).expect("command serializes"))
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn kind(v: &Value) -> u64 {
    v.get("type").and_then(Value::as_u64).unwrap_or(SUB_COMMAND)
}

fn options(v: &Value) -> &[Value] {
    v.get("options")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn choices(v: &Value) -> &[Value] {
    v.get("choices")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn is_required(v: &Value) -> bool {
    v.get("required").and_then(Value::as_bool).unwrap_or(false)
}

fn has_autocomplete(v: &Value) -> bool {
    v.get("autocomplete").and_then(Value::as_bool).unwrap_or(false)
}

/// `^[-_\p{L}\p{N}]{1,32}$`, and no upper-case letters (Discord requires the lower-case form).
fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| c == '-' || c == '_' || c.is_alphabetic() || c.is_numeric())
        && !name.chars().any(char::is_uppercase)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Characters Discord counts toward a command's 8000: names, descriptions (with their
/// localizations), choice names and values, at every level.
fn counted_chars(v: &Value) -> usize {
    let localized = |key: &str| {
        v.get(key)
            .and_then(Value::as_object)
            .map(|m| m.values().filter_map(Value::as_str).map(chars).sum())
            .unwrap_or(0)
    };
    let mut total = chars(str_of(v, "name"))
        + chars(str_of(v, "description"))
        + localized("name_localizations")
        + localized("description_localizations");
    for c in choices(v) {
        total += chars(str_of(c, "name"));
        total += match c.get("value") {
            Some(Value::String(s)) => chars(s),
            Some(other) => chars(&other.to_string()),
            None => 0,
        };
    }
    total + options(v).iter().map(counted_chars).sum::<usize>()
}

/// Discord's rules for one command, subcommand, group or option at `path`; adds what it breaks.
/// `top` is true for a top-level command, whose `type` 1 means a slash command, not a subcommand.
fn check_node(v: &Value, path: &str, top: bool, problems: &mut Vec<String>) {
    let name = str_of(v, "name");
    if !valid_name(name) {
        problems.push(format!(
            "{path}: name `{name}` must match ^[-_\\p{{L}}\\p{{N}}]{{1,32}}$ in lower case"
        ));
    }
    let d = chars(str_of(v, "description"));
    if !(1..=100).contains(&d) {
        problems.push(format!("{path}: description is {d} characters (must be 1–100)"));
    }
    let opts = options(v);
    if opts.len() > 25 {
        problems.push(format!("{path}: {} options (at most 25)", opts.len()));
    }
    let mut names = BTreeSet::new();
    for o in opts {
        if !names.insert(str_of(o, "name")) {
            problems.push(format!("{path}: option `{}` appears twice", str_of(o, "name")));
        }
    }
    let nested = opts
        .iter()
        .filter(|o| matches!(kind(o), SUB_COMMAND | SUB_COMMAND_GROUP))
        .count();
    if nested != 0 && nested != opts.len() {
        problems.push(format!("{path}: mixes subcommands with plain options"));
    }
    match if top { 0 } else { kind(v) } {
        SUB_COMMAND
            if opts
                .iter()
                .any(|o| matches!(kind(o), SUB_COMMAND | SUB_COMMAND_GROUP)) =>
        {
            problems.push(format!("{path}: a subcommand cannot hold subcommands"))
        }
        SUB_COMMAND_GROUP if opts.iter().any(|o| kind(o) != SUB_COMMAND) => {
            problems.push(format!("{path}: a subcommand group may only hold subcommands"))
        }
        _ => {}
    }
    if nested == 0 {
        if let Some(i) = opts
            .windows(2)
            .position(|w| !is_required(&w[0]) && is_required(&w[1]))
        {
            problems.push(format!(
                "{path}: required option `{}` comes after optional `{}`",
                str_of(&opts[i + 1], "name"),
                str_of(&opts[i], "name")
            ));
        }
        for o in opts {
            let at = format!("{path} {}", str_of(o, "name"));
            let cs = choices(o);
            if cs.len() > 25 {
                problems.push(format!("{at}: {} choices (at most 25)", cs.len()));
            }
            if !cs.is_empty() && has_autocomplete(o) {
                problems.push(format!("{at}: has both choices and autocomplete"));
            }
            for c in cs {
                let n = chars(str_of(c, "name"));
                if !(1..=100).contains(&n) {
                    problems.push(format!("{at}: choice name is {n} characters (must be 1–100)"));
                }
                if let Some(Value::String(s)) = c.get("value")
                    && chars(s) > 100
                {
                    problems.push(format!(
                        "{at}: choice value is {} characters (at most 100)",
                        chars(s)
                    ));
                }
            }
            check_node(o, &at, false, problems);
        }
    } else {
        for o in opts {
            check_node(o, &format!("{path} {}", str_of(o, "name")), false, problems);
        }
    }
}

#[test]
fn every_command_follows_discords_rules() {
    let commands = registered();
    let mut problems = Vec::new();
    let chat: Vec<&Value> = commands.iter().filter(|c| kind(c) == 1).collect();
    if chat.len() > 100 {
        problems.push(format!("{} top-level slash commands (at most 100)", chat.len()));
    }
    let mut names = BTreeSet::new();
    for c in &chat {
        let path = format!("/{}", str_of(c, "name"));
        if !names.insert(str_of(c, "name")) {
            problems.push(format!("{path}: registered twice"));
        }
        check_node(c, &path, true, &mut problems);
        let total = counted_chars(c);
        if total > 8000 {
            problems.push(format!(
                "{path}: {total} characters of names, descriptions and choices (at most 8000)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "Discord would refuse these commands:\n{}",
        problems.join("\n")
    );
}

/// One option as COMMANDS.md lists it.
#[derive(Debug)]
struct TableOption {
    name: String,
    required: bool,
    /// The parenthesised note after it, e.g. `choice: csv, json` or `autocomplete, IANA, default UTC`.
    note: String,
}

/// One row of COMMANDS.md's command table.
#[derive(Debug)]
struct TableRow {
    /// `coalition create`, `export`, …
    path: String,
    options: Vec<TableOption>,
}

/// Reads an options cell: backticked names outside parentheses are options (`?` marks optional
/// ones); a parenthesised note belongs to the option before it.
fn parse_options(cell: &str) -> Vec<TableOption> {
    let mut out: Vec<TableOption> = Vec::new();
    let mut depth = 0usize;
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                depth += 1;
                if depth == 1 {
                    let mut note = String::new();
                    for n in chars.by_ref() {
                        match n {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 {
                            break;
                        }
                        note.push(n);
                    }
                    if let Some(last) = out.last_mut() {
                        last.note = note;
                    }
                }
            }
            '`' if depth == 0 => {
                let name: String = chars.by_ref().take_while(|&n| n != '`').collect();
                let optional = chars.peek() == Some(&'?');
                out.push(TableOption {
                    name,
                    required: !optional,
                    note: String::new(),
                });
            }
            _ => {}
        }
    }
    out
}

/// Rows marked *(planned)* in COMMANDS.md that are built: these are checked like every other row.
/// Planned rows not listed here are specified but not built yet, and are skipped. Add a command's
/// path here in the change that builds it.
const BUILT_PLANNED: &[&str] = &[
    // h5 (issue 9, check-ins in the open)
    "checkin questions",
    "checkin report",
    "checkin settings",
    "me settings",
    "me away",
    "me back",
    "feedback send",
    "feedback list",
    "task edit",
    "task cancel",
    "task repeat",
    "goal edit",
    "deadline edit",
    "deadline remove",
    "win remove",
    "coalition rename",
    "coalition archive",
    "coalition restore",
    "report",
    // issue 16: the leads' private channel
    "coalition settings",
    // issue 19: advocacy targets and the shared library
    "target add",
    "target log",
    "target list",
    "target show",
    "target map",
    "target edit",
    "target remove",
    "resource add",
    "resource list",
    "resource remove",
    // issue 18: meetings
    "meeting schedule",
    "meeting list",
    "meeting agenda",
    "meeting propose",
    "meeting start",
    "meeting note",
    "meeting decide",
    "meeting action",
    "meeting end",
    "meeting cancel",
];

/// The command table of COMMANDS.md: the product spec's copy beside the repository when there is
/// one, else the copy in tests/fixtures. Planned rows that are not built yet are left out.
fn commands_md() -> Vec<TableRow> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/COMMANDS.md");
    let path = if shared.exists() {
        shared
    } else {
        root.join("tests/fixtures/COMMANDS.md")
    };
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let parsed: Vec<TableRow> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("| `/"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            assert!(cells.len() >= 5, "unexpected table row: {l}");
            let path = cells[1]
                .trim_matches('`')
                .trim_start_matches('/')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let planned = l.contains("*(planned)*");
            (!planned || BUILT_PLANNED.contains(&path.as_str())).then(|| TableRow {
                path,
                options: parse_options(cells[2]),
            })
        })
        .collect();
    // A later row for the same command revises it (the spec keeps the earlier row until the
    // revision is built): its options replace the earlier row's of the same name (`/report`'s
    // `period` became free text with autocomplete) and add the others (`/coalition settings`'
    // `leads_channel`, "and the options above").
    let mut rows: Vec<TableRow> = Vec::new();
    for row in parsed {
        let Some(earlier) = rows.iter_mut().find(|r| r.path == row.path) else {
            rows.push(row);
            continue;
        };
        for option in row.options {
            match earlier.options.iter_mut().find(|o| o.name == option.name) {
                Some(same) => *same = option,
                None => earlier.options.push(option),
            }
        }
    }
    for built in BUILT_PLANNED {
        assert!(
            text.lines().any(|l| l.contains(&format!("| `/{built}`"))),
            "BUILT_PLANNED lists /{built}, which COMMANDS.md doesn't have"
        );
    }
    assert!(
        rows.len() > 30,
        "COMMANDS.md's table has only {} rows — did its format change?",
        rows.len()
    );
    rows
}

/// Every command path registered: `coalition create`, `export`, …
fn registered_paths(commands: &[Value]) -> BTreeSet<String> {
    fn walk(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let path = if prefix.is_empty() {
            str_of(v, "name").to_string()
        } else {
            format!("{prefix} {}", str_of(v, "name"))
        };
        let nested: Vec<&Value> = options(v)
            .iter()
            .filter(|o| matches!(kind(o), SUB_COMMAND | SUB_COMMAND_GROUP))
            .collect();
        if nested.is_empty() {
            out.insert(path);
        } else {
            for o in nested {
                walk(o, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    for c in commands.iter().filter(|c| kind(c) == 1) {
        walk(c, "", &mut out);
    }
    out
}

/// The registered command (or subcommand) at `path`.
fn find<'a>(commands: &'a [Value], path: &str) -> Option<&'a Value> {
    let mut parts = path.split(' ');
    let first = parts.next()?;
    let mut node = commands
        .iter()
        .find(|c| kind(c) == 1 && str_of(c, "name") == first)?;
    for part in parts {
        node = options(node)
            .iter()
            .find(|o| matches!(kind(o), SUB_COMMAND | SUB_COMMAND_GROUP) && str_of(o, "name") == part)?;
    }
    Some(node)
}

#[test]
fn command_paths_match_commands_md() {
    let table: BTreeSet<String> = commands_md().into_iter().map(|r| r.path).collect();
    let registered = registered_paths(&registered());
    let missing: Vec<_> = table.difference(&registered).map(|p| format!("/{p}")).collect();
    let extra: Vec<_> = registered.difference(&table).map(|p| format!("/{p}")).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "registered commands differ from COMMANDS.md\n  missing: {missing:?}\n  not in COMMANDS.md: {extra:?}"
    );
}

/// The choice names a note spells out: `choice: open, in_progress` or `` `lead`/`member` ``.
/// `Some(empty)` for a bare `(choice)`, `None` when the note names no choices.
fn noted_choices(note: &str) -> Option<Vec<String>> {
    let note = note.trim();
    if let Some(list) = note.strip_prefix("choice") {
        // `choice: month, quarter, year; default quarter`: the default is not a choice.
        let list = list.split(';').next().unwrap_or("");
        let list = list.trim_start_matches(':').trim();
        return Some(
            list.split(',')
                .map(|s| s.trim().trim_matches('`').to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    let first = note.split(',').next().unwrap_or("").trim();
    if first.starts_with('`') && first.contains('/') {
        return Some(
            first
                .split('/')
                .map(|s| s.trim().trim_matches('`').to_string())
                .collect(),
        );
    }
    None
}

#[test]
fn table_options_exist_with_their_shape() {
    let commands = registered();
    let mut problems = Vec::new();
    for row in commands_md() {
        let Some(cmd) = find(&commands, &row.path) else {
            problems.push(format!("/{}: not registered", row.path));
            continue;
        };
        for want in &row.options {
            let at = format!("/{} {}", row.path, want.name);
            let Some(opt) = options(cmd).iter().find(|o| str_of(o, "name") == want.name) else {
                problems.push(format!("{at}: option missing"));
                continue;
            };
            if is_required(opt) != want.required {
                let (w, g) = if want.required {
                    ("required", "optional")
                } else {
                    ("optional", "required")
                };
                problems.push(format!("{at}: COMMANDS.md says {w}, registered {g}"));
            }
            let note = want.note.to_lowercase();
            let t = kind(opt);
            let expect_type = |problems: &mut Vec<String>, wanted: u64, what: &str| {
                if t != wanted {
                    problems.push(format!(
                        "{at}: should be a {what} option (type {wanted}), is type {t}"
                    ));
                }
            };
            if note.split(',').any(|p| p.trim() == "number") {
                expect_type(&mut problems, NUMBER, "number");
            }
            if want.name == "user" || note.split(',').any(|p| p.trim() == "user") {
                expect_type(&mut problems, USER, "user");
            }
            if want.name == "channel" {
                expect_type(&mut problems, CHANNEL, "channel");
            }
            // Conventions at the top of COMMANDS.md: these are strings with autocomplete.
            let conventional = ["coalition", "task", "goal", "deadline", "due"].contains(&want.name.as_str());
            if conventional {
                expect_type(&mut problems, STRING, "string");
            }
            if (conventional || note.contains("autocomplete")) && !has_autocomplete(opt) {
                problems.push(format!("{at}: should offer autocomplete"));
            }
            if let Some(wanted) = noted_choices(&want.note) {
                let got: Vec<String> = choices(opt)
                    .iter()
                    .map(|c| str_of(c, "name").to_string())
                    .collect();
                if got.is_empty() {
                    problems.push(format!("{at}: should be a choice option"));
                } else if !wanted.is_empty() && got != wanted {
                    problems.push(format!("{at}: choices {got:?}, COMMANDS.md says {wanted:?}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "commands differ from COMMANDS.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn help_lists_exactly_the_commands_of_commands_md() {
    // A command with a second row (options added later) is listed once, where it first appears.
    let mut table: Vec<String> = Vec::new();
    for r in commands_md() {
        if !table.contains(&r.path) {
            table.push(r.path);
        }
    }
    let help: Vec<String> = backbone::discord::commands::help::COMMANDS
        .iter()
        .map(|h| h.path.to_string())
        .collect();
    assert_eq!(
        help, table,
        "/help's table must list COMMANDS.md's commands in its order"
    );
}

#[test]
fn table_parser_reads_options_notes_and_choices() {
    let o = parse_options("`user`, `role`? (`lead`/`member`, default member), `org`?, `coalition`?");
    let names: Vec<(&str, bool)> = o.iter().map(|o| (o.name.as_str(), o.required)).collect();
    assert_eq!(
        names,
        [
            ("user", true),
            ("role", false),
            ("org", false),
            ("coalition", false)
        ]
    );
    assert_eq!(
        noted_choices(&o[1].note),
        Some(vec!["lead".to_string(), "member".to_string()])
    );
    let o = parse_options("`task`, `status` (choice: open, in_progress, blocked, done), `note`?");
    assert_eq!(
        noted_choices(&o[1].note).unwrap(),
        ["open", "in_progress", "blocked", "done"]
    );
    assert_eq!(noted_choices("choice"), Some(vec![]));
    assert_eq!(
        noted_choices("choice: month, quarter, year; default quarter").unwrap(),
        ["month", "quarter", "year"]
    );
    assert_eq!(noted_choices("autocomplete, IANA, default UTC"), None);
    assert!(parse_options("—").is_empty());
    assert!(valid_name("checkin_schedule") && valid_name("in-progress") && valid_name("größe"));
    assert!(
        !valid_name("Task") && !valid_name("two words") && !valid_name("") && !valid_name(&"x".repeat(33))
    );
}

/// Choice options are strings whose values are the names users see (`in_progress`, not `1`), so
/// tooling can drive the bot with the names COMMANDS.md gives.
#[test]
fn choice_values_are_the_names_in_commands_md() {
    fn walk(v: &Value, path: &str, problems: &mut Vec<String>) {
        for o in options(v) {
            let at = format!("{path} {}", str_of(o, "name"));
            for c in choices(o) {
                if kind(o) != STRING || c.get("value").and_then(Value::as_str) != Some(str_of(c, "name")) {
                    problems.push(format!("{at}: choice {c} should be a string valued as its name"));
                }
            }
            walk(o, &at, problems);
        }
    }
    let mut problems = Vec::new();
    let mut seen = 0;
    for cmd in registered() {
        walk(&cmd, str_of(&cmd, "name"), &mut problems);
        seen += serde_json::to_string(&cmd)
            .unwrap()
            .matches("\"choices\"")
            .count();
    }
    assert!(
        seen >= 5,
        "expected the status, outcome, format and role choices, saw {seen}"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
