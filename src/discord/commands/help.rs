//! `/help`: what each command does, from the same table as ../shared/COMMANDS.md.

use poise::serenity_prelude as serenity;

use crate::discord::autocomplete::choices;
use crate::discord::{Command, Context, begin, reply};
use crate::domain::message::{Embed, Message, colors, limits};
use crate::error::{Error, Result};

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![help()]
}

/// One command as `/help` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpEntry {
    /// The command path without the slash, e.g. `coalition create`.
    pub path: &'static str,
    /// Its options, required first; `?` marks optional ones.
    pub options: &'static str,
    /// Who may run it: anyone, member, lead, admin, …
    pub who: &'static str,
    /// What it does.
    pub what: &'static str,
}

const fn entry(
    path: &'static str,
    options: &'static str,
    who: &'static str,
    what: &'static str,
) -> HelpEntry {
    HelpEntry {
        path,
        options,
        who,
        what,
    }
}

/// Every command, in the order of COMMANDS.md.
pub const COMMANDS: &[HelpEntry] = &[
    entry(
        "coalition create",
        "name, channel?, timezone?",
        "admin",
        "Create a coalition; you become its first lead",
    ),
    entry(
        "coalition info",
        "coalition?",
        "anyone",
        "Channel, time zone, schedules, leads, orgs, members, goals",
    ),
    entry("coalition list", "", "anyone", "Coalitions in this server"),
    entry(
        "coalition settings",
        "coalition?, channel?, timezone?, checkin_schedule?, digest_schedule?, ping_offsets?",
        "lead",
        "Change settings; schedules take cron or words like `mondays 9:00`",
    ),
    entry("coalition join", "coalition?, org?", "anyone", "Join as a member"),
    entry(
        "coalition leave",
        "coalition?",
        "member",
        "Leave; your open tasks stay, unassigned, for the leads",
    ),
    entry(
        "org add",
        "name, coalition?",
        "lead",
        "Add a partner organization",
    ),
    entry(
        "org list",
        "coalition?",
        "anyone",
        "Organizations with members, open tasks, wins this month",
    ),
    entry(
        "org remove",
        "name, coalition?",
        "lead",
        "Remove an organization with no members left",
    ),
    entry(
        "member add",
        "user, role? (lead/member), org?, coalition?",
        "lead",
        "Add a member or change their role or org (org:none clears it)",
    ),
    entry(
        "member remove",
        "user, coalition?",
        "lead",
        "Remove a member (not the last lead)",
    ),
    entry(
        "member list",
        "coalition?, org?",
        "anyone",
        "Members by org with role and responsibilities",
    ),
    entry(
        "role assign",
        "user, responsibility, coalition?",
        "lead",
        "Give a member a named responsibility",
    ),
    entry(
        "role unassign",
        "user, responsibility, coalition?",
        "lead",
        "Take a responsibility away",
    ),
    entry("role list", "coalition?", "anyone", "Who is responsible for what"),
    entry(
        "goal add",
        "title, target?, metric?, unit?, due?, coalition?",
        "lead",
        "Add a shared measurable goal",
    ),
    entry(
        "goal progress",
        "goal, value, coalition?",
        "lead",
        "Set a goal's current value",
    ),
    entry(
        "goal list",
        "coalition?",
        "anyone",
        "Goals with progress bars and due dates",
    ),
    entry(
        "goal close",
        "goal, coalition?",
        "lead",
        "Mark a goal achieved or dropped",
    ),
    entry(
        "task assign",
        "title, assignee, due?, goal?, coalition?",
        "member",
        "Create a task for a member, with Start / Done / Blocked buttons",
    ),
    entry(
        "task list",
        "assignee?, status?, org?, coalition?",
        "anyone",
        "Open tasks, overdue first",
    ),
    entry("task mine", "coalition?", "member", "Your open tasks"),
    entry(
        "task update",
        "task, status (open/in_progress/blocked/done), note?, coalition?",
        "assignee or lead",
        "Change a task's status; blocked needs a note and alerts the leads",
    ),
    entry(
        "task done",
        "task, coalition?",
        "assignee or lead",
        "Mark a task done; offers to log it as a win",
    ),
    entry(
        "task reassign",
        "task, assignee, coalition?",
        "creator or lead",
        "Move a task to another member",
    ),
    entry(
        "task due",
        "task, due, coalition?",
        "creator or lead",
        "Move a task's due date",
    ),
    entry(
        "deadline add",
        "title, due, goal?, coalition?",
        "lead",
        "Add a milestone; leads are pinged before it",
    ),
    entry(
        "deadline list",
        "coalition?",
        "anyone",
        "Upcoming and missed deadlines",
    ),
    entry(
        "deadline done",
        "deadline, coalition?",
        "lead",
        "Mark a milestone met",
    ),
    entry(
        "win log",
        "text, goal?, amount?, org?, coalition?",
        "member",
        "Record a win and celebrate it in the home channel",
    ),
    entry(
        "win list",
        "days? (default 7), coalition?",
        "anyone",
        "Recent wins",
    ),
    entry(
        "checkin submit",
        "coalition?",
        "member",
        "Answer the check-in: done, next, blockers",
    ),
    entry(
        "checkin status",
        "coalition?",
        "lead",
        "Who has answered the current check-in and who has not",
    ),
    entry(
        "digest preview",
        "coalition?",
        "anyone",
        "The digest of the last 7 days, just for you",
    ),
    entry(
        "digest send",
        "coalition?",
        "lead",
        "Post the digest to the home channel now",
    ),
    entry(
        "export",
        "format (csv/json), coalition?",
        "lead",
        "All of the coalition's data as a file",
    ),
    entry("help", "command?", "anyone", "What each command does"),
    // Planned rows of COMMANDS.md, built (issue 9).
    entry(
        "checkin questions",
        "coalition?",
        "lead",
        "Edit the check-in questions (1–5) for rounds that open from now on",
    ),
    entry(
        "checkin report",
        "round? (autocomplete), coalition?",
        "anyone, or lead when answers are leads-only",
        "A round's answers, a page at a time",
    ),
    entry(
        "checkin settings",
        "report? (thread, summary, leads), nudge_after? (24h, 4h, off), coalition?",
        "lead",
        "How answers are shown and when non-responders are reminded",
    ),
    entry(
        "me settings",
        "timezone?, quiet_hours? (21:00-08:00 or off), dms? (all/pings_only/none)",
        "anyone",
        "Your time zone, quiet hours (DMs wait until they end) and DMs: `pings_only` = only deadline \
         pings and lead alerts (blockers, feedback), no nudges or task-assigned notes; `none` = a mention \
         in the home channel instead. Covers every coalition in this server; no options shows them",
    ),
    entry(
        "me away",
        "until, note?",
        "anyone",
        "No check-in nudges or deadline DMs until then (read in your time zone); leads see \"away until …\" and get your tasks' pings",
    ),
    entry("me back", "", "anyone", "End your away period early"),
    entry(
        "feedback send",
        "text, anonymous?, coalition?",
        "member",
        "A concern or suggestion, as a DM to each lead (5 a day); anonymous feedback stores no author anywhere (3 a day)",
    ),
    entry(
        "feedback list",
        "coalition?",
        "lead",
        "Recent feedback, each with an Acknowledge button (a named sender is told)",
    ),
    entry(
        "task edit",
        "task, title?, goal?, coalition?",
        "creator, assignee or lead",
        "Change a task's title or goal; the posted card updates",
    ),
    entry(
        "task cancel",
        "task, reason?, coalition?",
        "creator or lead",
        "Close a task without counting it as done; its pings stop",
    ),
    entry(
        "task repeat",
        "task, every (every monday / monthly on the 1st / off), coalition?",
        "creator or lead",
        "Make a task repeat: its next copy is created when it closes",
    ),
    entry(
        "goal edit",
        "goal, title?, target?, metric?, unit?, due?, coalition?",
        "lead",
        "Correct a goal; its current value is kept",
    ),
    entry(
        "deadline edit",
        "deadline, title?, due?, coalition?",
        "lead",
        "Correct a milestone; moving it reschedules its pings",
    ),
    entry(
        "deadline remove",
        "deadline, coalition?",
        "lead",
        "Remove a milestone and its pending pings",
    ),
    entry(
        "win remove",
        "win, coalition?",
        "author or lead",
        "Withdraw a win: its amount leaves the goal, the post says so",
    ),
    entry(
        "coalition rename",
        "name, coalition?",
        "lead",
        "Rename a coalition",
    ),
    entry(
        "coalition archive",
        "coalition?",
        "admin",
        "Stop a coalition's schedules and hide it; data and export stay",
    ),
    entry(
        "coalition restore",
        "coalition",
        "admin",
        "Bring an archived coalition back; schedules resume from now",
    ),
    entry(
        "report",
        "period? (quarter, last month, 2026-Q1, 2026-03, 2026), from?, to?, coalition?",
        "anyone",
        "An impact report for stakeholders: one HTML file with charts, for any period or range of days",
    ),
    entry(
        "meeting schedule",
        "title, when, every?, duration?, where?, coalition?",
        "lead",
        "Plan a meeting or a series: a Discord event and an announcement with Going / Maybe / Can't",
    ),
    entry(
        "meeting list",
        "coalition?",
        "anyone",
        "Upcoming meetings with who is coming",
    ),
    entry(
        "meeting agenda",
        "meeting?, coalition?",
        "anyone",
        "Proposed items, overdue and blocked tasks, deadlines, goals behind pace, wins, carried items",
    ),
    entry(
        "meeting propose",
        "item, meeting?, coalition?",
        "member",
        "Add an item to a meeting's agenda",
    ),
    entry(
        "meeting start",
        "meeting?, coalition?",
        "lead",
        "Open the meeting's thread with its agenda and a Here button",
    ),
    entry(
        "meeting note",
        "text, coalition?",
        "member",
        "A note in the running meeting's minutes",
    ),
    entry(
        "meeting decide",
        "text, coalition?",
        "lead",
        "Record a decision in the minutes",
    ),
    entry(
        "meeting action",
        "title, assignee, due?, coalition?",
        "member",
        "An action item: a task linked to the running meeting",
    ),
    entry(
        "meeting end",
        "coalition?",
        "lead",
        "Post the minutes; items not covered carry over; the event completes",
    ),
    entry(
        "meeting cancel",
        "meeting, series?, coalition?",
        "lead",
        "Cancel a meeting or its series; those coming are told",
    ),
    entry(
        "target add",
        "name, role?, office?, jurisdiction?, stance? (default neutral), influence?, coalition?",
        "lead",
        "Add a decision-maker or stakeholder the coalition wants to move",
    ),
    entry(
        "target log",
        "target, kind, outcome, stance?, ask?, org?, follow_up? (due: a task for you), coalition?",
        "member",
        "Record an outreach: whom you met, what you asked, what was said, the stance you saw",
    ),
    entry(
        "target list",
        "stance?, influence?, coalition?",
        "anyone",
        "Targets by stance and influence",
    ),
    entry(
        "target show",
        "target, coalition?",
        "anyone",
        "One target's timeline of outreach and stance changes (leads also see private notes)",
    ),
    entry(
        "target map",
        "coalition?",
        "anyone",
        "The power/interest grid, stance × influence, as a picture",
    ),
    entry(
        "target edit",
        "target, name?, role?, office?, jurisdiction?, stance?, influence?, coalition?",
        "lead",
        "Correct a target; a stance change joins its history",
    ),
    entry(
        "target remove",
        "target, coalition?",
        "lead",
        "Remove a target and its private notes",
    ),
    entry(
        "resource add",
        "url (http/https), title, tags?, goal?, target?, coalition?",
        "member",
        "Share a document, toolkit or talking points in the library",
    ),
    entry(
        "resource list",
        "tag?, search?, coalition?",
        "anyone",
        "The coalition's library",
    ),
    entry(
        "resource remove",
        "resource, coalition?",
        "author or lead",
        "Remove a resource from the library",
    ),
];

/// The command groups, in table order (`coalition`, `org`, …, `help`).
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in COMMANDS {
        let g = group_of(e.path);
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

fn group_of(path: &'static str) -> &'static str {
    path.split(' ').next().unwrap_or(path)
}

/// The entries a `/help command:` filter picks: a whole group (`task`) or one command
/// (`task assign`); a leading `/` and extra spaces are ignored. `None` when nothing matches.
pub fn lookup(filter: &str) -> Option<Vec<&'static HelpEntry>> {
    let wanted = filter
        .trim()
        .trim_start_matches('/')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if wanted.is_empty() {
        return Some(COMMANDS.iter().collect());
    }
    let exact: Vec<_> = COMMANDS.iter().filter(|e| e.path == wanted).collect();
    if !exact.is_empty() {
        return Some(exact);
    }
    let group: Vec<_> = COMMANDS.iter().filter(|e| group_of(e.path) == wanted).collect();
    (!group.is_empty()).then_some(group)
}

/// The help message: every command in one embed (a field per group), or the details of the
/// commands a filter picked.
pub fn help_message(filter: Option<&str>) -> Result<Message> {
    let Some(entries) = lookup(filter.unwrap_or("")) else {
        let shown = filter.unwrap_or("").trim();
        let shown = crate::domain::text::truncate(shown, 40).replace('`', "'");
        return Err(Error::user(format!(
            "No command `{shown}` — try one of: {}.",
            groups()
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if entries.len() == COMMANDS.len() {
        return Ok(overview());
    }
    let title = if entries.len() == 1 {
        format!("/{}", entries[0].path)
    } else {
        format!("/{}", group_of(entries[0].path))
    };
    let mut e = Embed::new(title, colors::INFO);
    for h in &entries {
        let options = if h.options.is_empty() {
            "no options".to_string()
        } else {
            h.options.to_string()
        };
        e = e.field(
            format!("/{}", h.path),
            format!("{}\nOptions: {options}\nWho: {}", h.what, h.who),
            false,
        );
    }
    let e = e.footer("Options marked ? are optional. coalition defaults to this channel's coalition.");
    Ok(Message::embed(e).ephemeral().fit())
}

fn overview() -> Message {
    let mut e = Embed::new("Backbone commands", colors::INFO).description(
        "Backbone keeps a coalition's goals, tasks, deadlines, check-ins and wins in one place.\n\
         `/help command:task` shows a group's options and who may use them.",
    );
    for g in groups() {
        let lines: Vec<String> = COMMANDS
            .iter()
            .filter(|h| group_of(h.path) == g)
            .map(|h| format!("`/{}` — {}", h.path, h.what))
            .collect();
        e = e.field(format!("/{g}"), lines.join("\n"), false);
    }
    Message::embed(e).ephemeral().fit()
}

/// Show what each command does.
#[poise::command(slash_command, ephemeral)]
pub async fn help(
    ctx: Context<'_>,
    #[description = "A command or group, e.g. task or task assign"]
    #[autocomplete = "command_names"]
    #[max_length = 40]
    command: Option<String>,
) -> Result<()> {
    // Help works outside servers too, so a missing guild is no reason to refuse it.
    let _in_flight = begin(ctx).ok();
    let message = crate::telemetry::phase::render(|| help_message(command.as_deref()))?;
    reply(ctx, message).await
}

/// Group names and command paths containing what was typed, groups first.
async fn command_names(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim().trim_start_matches('/').to_lowercase();
    let paths = groups()
        .into_iter()
        .chain(COMMANDS.iter().map(|h| h.path).filter(|p| p.contains(' ')));
    let found: Vec<(String, String)> = paths
        .filter(|p| p.contains(typed.as_str()))
        .take(limits::CHOICES)
        .map(|p| (format!("/{p}"), p.to_string()))
        .collect();
    choices(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_lists_every_command_within_limits() {
        let m = help_message(None).unwrap();
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ephemeral && m.ping_users.is_empty());
        let text: String = m.embeds[0]
            .fields
            .iter()
            .map(|f| f.value.clone() + "\n")
            .collect();
        for h in COMMANDS {
            assert!(text.contains(&format!("`/{}`", h.path)), "missing /{}", h.path);
        }
    }

    #[test]
    fn digest_preview_says_which_days_it_covers() {
        // It shows a rolling 7 days, not the calendar week.
        let preview = lookup("digest preview").unwrap()[0];
        assert!(preview.what.contains("last 7 days"), "{}", preview.what);
        assert!(
            !preview.what.to_lowercase().contains("this week"),
            "{}",
            preview.what
        );
    }

    #[test]
    fn filters_pick_a_group_or_one_command() {
        assert_eq!(lookup("task").unwrap().len(), 10);
        assert_eq!(lookup("/Task  Assign").unwrap()[0].path, "task assign");
        assert_eq!(lookup("export").unwrap().len(), 1);
        assert!(lookup("nope").is_none());
        let m = help_message(Some("coalition")).unwrap();
        assert!(m.limit_violations().is_empty());
        assert_eq!(m.embeds[0].fields.len(), 9);
        let err = help_message(Some("`@everyone`")).unwrap_err().to_string();
        assert!(err.contains("`coalition`"), "{err}");
    }

    #[test]
    fn every_group_is_listed_once() {
        assert_eq!(
            groups(),
            [
                "coalition",
                "org",
                "member",
                "role",
                "goal",
                "task",
                "deadline",
                "win",
                "checkin",
                "digest",
                "export",
                "help",
                "me",
                "feedback",
                "report",
                "meeting",
                "target",
                "resource"
            ]
        );
    }
}
