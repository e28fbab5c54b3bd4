//! Targets: the replies to `/target add|edit|remove|log`, `/target list` and `/target show`
//! (whose private notes are for leads only). The map picture is in `target_map.rs`.

use chrono_tz::Tz;

use super::goals::progress_line;
use super::tasks::plain_name;
use super::{clip, mention, safe};
use crate::actions::outreach::OutreachLogged;
use crate::actions::target_views::{TargetList, TargetShown};
use crate::actions::targets::{NoteAdded, TargetRemoved, TargetSaved};
use crate::domain::Audience;
use crate::domain::message::{Button, ButtonStyle, Embed, Message, bounded_list, colors, limits};
use crate::domain::targets::{Stance, Target};
use crate::domain::text::truncate;
use crate::domain::when::{Shown, show};
use crate::domain::{Goal, TargetId};
use crate::store::targets::TimelineEntry;

/// The custom id prefix of the "Add a private note" button (`target:note:<id>`), leads only.
pub const NOTE_BUTTON: &str = "target:note:";

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// "Cllr Reyes · City Council member · Council · Eastside".
fn described(t: &Target) -> String {
    let parts: Vec<String> = [t.role.as_deref(), t.office.as_deref(), t.jurisdiction.as_deref()]
        .into_iter()
        .flatten()
        .map(|p| clip(p, 60))
        .collect();
    parts.join(" · ")
}

/// "🟢 supportive · influence high".
fn standing(t: &Target) -> String {
    let influence = t
        .influence
        .map(|i| format!(" · influence {}", i.as_str()))
        .unwrap_or_default();
    format!("{} {}{influence}", t.stance.emoji(), t.stance.as_str())
}

/// "neutral → supportive".
pub fn moved(from: Stance, to: Stance) -> String {
    format!(
        "{} {} → {} {}",
        from.emoji(),
        from.as_str(),
        to.emoji(),
        to.as_str()
    )
}

fn goals_field(e: Embed, goals: &[Goal]) -> Embed {
    if goals.is_empty() {
        return e;
    }
    let lines: Vec<String> = goals
        .iter()
        .map(|g| format!("#{} {} — {}", g.number, clip(&g.title, 60), progress_line(g)))
        .collect();
    e.field(
        "Goals that count targets",
        bounded_list(&lines, lines.len(), limits::FIELD_VALUE),
        false,
    )
}

/// `/target add` and `/target edit` (public): the target as it now stands.
pub fn target_saved(out: &TargetSaved, added: bool) -> Message {
    let t = &out.target;
    let title = if added {
        "🎯 New target"
    } else {
        "✏️ Target updated"
    };
    let mut e = Embed::new(format!("{title}: {}", clip(&t.name, 100)), colors::INFO).description(standing(t));
    let about = described(t);
    if !about.is_empty() {
        e = e.field("Who", about, false);
    }
    if let Some(from) = out.moved_from {
        e = e.field("Stance", moved(from, t.stance), false);
    }
    let e = goals_field(e, &out.goals).footer(format!(
        "{} · log outreach with /target log",
        plain_name(&out.coalition_name)
    ));
    Message::embed(e).fit()
}

/// `/target remove` (public).
pub fn target_removed(out: &TargetRemoved) -> Message {
    let notes = match out.notes {
        0 => String::new(),
        1 => " and its private note".into(),
        n => format!(" and its {n} private notes"),
    };
    let e = Embed::new("🗑️ Target removed", colors::MUTED)
        .description(format!(
            "**{}**{notes} — its outreach stays in the record and the export.",
            clip(&out.name, 100)
        ))
        .footer(plain_name(&out.coalition_name));
    Message::embed(goals_field(e, &out.goals)).fit()
}

/// `/target log` (public): who reached out to whom, what was asked and said, and the stance.
pub fn outreach_logged(out: &OutreachLogged) -> Message {
    let o = &out.outreach;
    let who = match o.org_name.as_deref() {
        Some(org) => format!("{} ({})", mention(o.user_id), clip(org, 60)),
        None => mention(o.user_id),
    };
    let mut e = Embed::new(
        format!(
            "📣 {} with {}",
            capital(o.kind.as_str()),
            clip(&out.target.name, 100)
        ),
        colors::INFO,
    )
    .description(format!("{}\n— {who}", safe(&truncate(&o.outcome, 3000))));
    if let Some(ask) = o.ask.as_deref() {
        e = e.field("Asked", clip(ask, 1000), false);
    }
    match (out.moved_from, o.stance_seen) {
        (Some(from), _) => e = e.field("Stance moved", moved(from, out.target.stance), false),
        (None, Some(seen)) => {
            e = e.field(
                "Stance",
                format!("{} {} (unchanged)", seen.emoji(), seen.as_str()),
                false,
            )
        }
        (None, None) => {}
    }
    if let Some(task) = &out.follow_up {
        let tz = tz_of(&task.timezone);
        let due = task
            .task
            .due_at
            .map(|d| format!(", due {}", show(d, tz, Shown::Full)))
            .unwrap_or_default();
        e = e.field("Follow-up", format!("task #{}{due}", task.task.number), false);
    }
    let e = goals_field(e, &out.goals).footer(plain_name(&out.coalition_name));
    Message::embed(e).fit()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `/target list` (ephemeral): targets with stance, influence and their last outreach.
pub fn target_list(list: &TargetList) -> Message {
    let tz = tz_of(&list.timezone);
    let mut filters: Vec<&str> = Vec::new();
    if let Some(s) = list.stance {
        filters.push(s.as_str());
    }
    if let Some(i) = list.influence {
        filters.push(i.as_str());
    }
    let title = format!(
        "Targets{} — {}",
        if filters.is_empty() {
            String::new()
        } else {
            format!(" ({})", filters.join(", "))
        },
        clip(&list.coalition_name, 100)
    );
    let e = Embed::new(title, colors::INFO);
    let total = list.paged.total.max(list.targets.len() as i64);
    if total == 0 {
        let hint = if filters.is_empty() {
            "No targets yet — a lead adds one with `/target add`."
        } else {
            "No targets match — try without `stance` or `influence`."
        };
        return Message::embed(e.description(hint)).ephemeral().fit();
    }
    let lines: Vec<String> = list
        .targets
        .iter()
        .map(|row| {
            let t = &row.target;
            let about = described(t);
            let about = if about.is_empty() {
                String::new()
            } else {
                format!(" — {about}")
            };
            let last = match row.last_outreach_at {
                Some(at) => format!(
                    " · {} outreach, last {}",
                    row.outreach_count,
                    show(at, tz, Shown::Day)
                ),
                None => " · no outreach yet".into(),
            };
            format!(
                "{} **{}**{about} · {}{last}",
                t.stance.emoji(),
                clip(&t.name, 60),
                standing_short(t)
            )
        })
        .collect();
    let e = e
        .description(bounded_list(&lines, lines.len(), 3800))
        .footer(format!(
            "{} · /target show for one's timeline",
            super::plural(total, "target", "targets")
        ));
    super::paging::paginate(Message::embed(e).ephemeral(), &list.key, &list.paged).fit()
}

fn standing_short(t: &Target) -> String {
    match t.influence {
        Some(i) => format!("{} · {} influence", t.stance.as_str(), i.as_str()),
        None => t.stance.as_str().to_string(),
    }
}

/// `/target show` (ephemeral): the target and its timeline. When the asker is a lead it also
/// holds the private notes, so its audience is the leads, and it offers "Add a private note".
pub fn target_shown(out: &TargetShown) -> Message {
    let t = &out.target;
    let tz = tz_of(&out.timezone);
    let mut e = Embed::new(format!("🎯 {}", clip(&t.name, 100)), colors::INFO).description(standing(t));
    let about = described(t);
    if !about.is_empty() {
        e = e.field("Who", about, false);
    }
    let lines: Vec<String> = out
        .timeline
        .iter()
        .map(|entry| timeline_line(entry, tz))
        .collect();
    let timeline = if lines.is_empty() {
        "Nothing yet — log the first outreach with `/target log`.".to_string()
    } else {
        bounded_list(&lines, lines.len(), 2400)
    };
    e = e.field(
        format!(
            "Timeline · {}",
            super::plural(out.outreach_total, "outreach", "outreach")
        ),
        truncate(&timeline, limits::FIELD_VALUE),
        false,
    );
    let mut msg_audience = Audience::Members;
    let mut buttons = Vec::new();
    if let Some(notes) = &out.notes {
        msg_audience = Audience::Leads;
        let body = if notes.is_empty() {
            "None yet — add one with the button below.".to_string()
        } else {
            let lines: Vec<String> = notes
                .iter()
                .map(|n| {
                    format!(
                        "• {} — {} · {}",
                        clip(&n.text.split_whitespace().collect::<Vec<_>>().join(" "), 300),
                        mention(n.author_id),
                        show(n.created_at, tz, Shown::Day)
                    )
                })
                .collect();
            bounded_list(&lines, lines.len(), limits::FIELD_VALUE)
        };
        e = e.field("🔒 Leads' private notes", body, false);
        buttons.push(Button {
            custom_id: note_button(t.id),
            label: "Add a private note".into(),
            style: ButtonStyle::Secondary,
        });
    }
    let e = e.footer(format!(
        "{} · dates in {}",
        plain_name(&out.coalition_name),
        tz.name()
    ));
    let mut msg = Message::embed(e).ephemeral().for_audience(msg_audience);
    msg.buttons = buttons;
    msg.fit()
}

/// The "Add a private note" button's custom id.
pub fn note_button(id: TargetId) -> String {
    format!("{NOTE_BUTTON}{}", id.0)
}

fn timeline_line(entry: &TimelineEntry, tz: Tz) -> String {
    match entry {
        TimelineEntry::Outreach(row) => {
            let o = &row.outreach;
            let who = match (row.user_name.as_deref(), o.org_name.as_deref()) {
                (Some(n), Some(org)) => format!("{} ({})", clip(n, 40), clip(org, 40)),
                (Some(n), None) => clip(n, 40),
                (None, Some(org)) => format!("{} ({})", mention(o.user_id), clip(org, 40)),
                (None, None) => mention(o.user_id),
            };
            let outcome = o.outcome.split_whitespace().collect::<Vec<_>>().join(" ");
            let task = row
                .task_number
                .map(|n| format!(" · follow-up task #{n}"))
                .unwrap_or_default();
            format!(
                "📣 {} · {} by {who}: {}{task}",
                show(o.created_at, tz, Shown::Day),
                o.kind.as_str(),
                clip(&outcome, 120)
            )
        }
        TimelineEntry::Stance(s) => match s.from_stance {
            Some(from) => format!("↕️ {} · {}", show(s.at, tz, Shown::Day), moved(from, s.to_stance)),
            None => format!(
                "➕ {} · added as {} {}",
                show(s.at, tz, Shown::Day),
                s.to_stance.emoji(),
                s.to_stance.as_str()
            ),
        },
    }
}

/// The note form was saved (ephemeral, leads).
pub fn note_added(out: &NoteAdded) -> Message {
    Message::text(format!(
        "🔒 Note kept on **{}** — only leads of {} see it, in `/target show`.",
        clip(&out.target.name, 100),
        safe(&truncate(&out.coalition_name, 100))
    ))
    .ephemeral()
    .for_audience(Audience::Leads)
    .fit()
}
