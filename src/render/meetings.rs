//! Meetings: the announcement with Going / Maybe / Can't (edited in place), the agenda (public in
//! the thread and the reminder; leads also see unacknowledged feedback in `/meeting agenda`), the
//! minutes, and the answers to each `/meeting` command.

use super::{clip, mention, plural, safe};
use crate::actions::meetings::{
    Agenda, Announcement, MarkedHere, MeetingCancelled, MeetingEnded, MeetingList, MeetingScheduled,
    MeetingStarted, MinuteAdded, Minutes, Proposed,
};
use crate::domain::Audience;
use crate::domain::meeting::*;
use crate::domain::message::{ButtonStyle, Embed, Message, bounded_list, colors};
use crate::domain::when::{Shown, show};
use crate::domain::{TaskStatus, UserId};
use crate::store::meetings::RsvpRow;

/// Characters an agenda or the minutes may use in one embed description.
const BUDGET: usize = 3800;
/// Toggles on the thread's agenda: 5 rows of 5 buttons, one of them the Here button.
const TOGGLES: usize = 24;

/// When and where, as each reader sees it (Discord shows `<t:…>` in their own zone).
fn when_where(m: &Meeting) -> String {
    let mut s = format!(
        "🗓 <t:{}:F> (<t:{}:R>) · {}",
        m.starts_at,
        m.starts_at,
        show_duration((m.ends_at - m.starts_at) / 60)
    );
    match m.place() {
        Some(MeetingPlace::Voice(c)) => s.push_str(&format!("\n📍 <#{c}>")),
        Some(MeetingPlace::Text(t)) => s.push_str(&format!("\n📍 {}", clip(&t, 100))),
        None => {}
    }
    if let Some(every) = &m.every {
        s.push_str(&format!("\n🔁 {}", clip(every, 60)));
    }
    s
}

fn names(rsvps: &[RsvpRow], answer: Rsvp) -> (usize, String) {
    let who: Vec<String> = rsvps
        .iter()
        .filter(|r| r.answer == answer)
        .map(|r| clip(&r.name, 40))
        .collect();
    let n = who.len();
    let shown = if who.is_empty() {
        "—".to_string()
    } else {
        super::joined_list(&who, 900)
    };
    (n, shown)
}

/// The announcement in the home channel: when and where, who is coming, and the buttons while
/// one may still answer.
pub fn announcement(a: &Announcement) -> Message {
    let m = &a.meeting;
    let (status, color) = match m.status {
        MeetingStatus::Scheduled => ("", colors::INFO),
        MeetingStatus::Running => (
            "\n\n🟢 **Happening now** — the agenda is in the thread.",
            colors::SUCCESS,
        ),
        MeetingStatus::Ended => ("\n\n✅ **Held** — the minutes are in the thread.", colors::MUTED),
        MeetingStatus::Cancelled => ("\n\n❌ **Cancelled.**", colors::MUTED),
        MeetingStatus::Missed => (
            "\n\n⏭ **Not held** — its agenda carries over to the next meeting.",
            colors::MUTED,
        ),
    };
    let mut e = Embed::new(format!("📅 {}", clip(&m.title, 100)), color)
        .description(format!("{}{status}", when_where(m)))
        .footer(format!("{} · meeting #{}", a.coalition_name, m.id));
    for answer in [Rsvp::Yes, Rsvp::Maybe, Rsvp::No] {
        let (n, who) = names(&a.rsvps, answer);
        e = e.field(format!("{} ({n})", answer.label()), who, true);
    }
    let mut msg = Message::embed(e).for_audience(Audience::Public);
    if matches!(m.status, MeetingStatus::Scheduled | MeetingStatus::Running) {
        for (answer, style) in [
            (Rsvp::Yes, ButtonStyle::Success),
            (Rsvp::Maybe, ButtonStyle::Secondary),
            (Rsvp::No, ButtonStyle::Danger),
        ] {
            msg = msg.button(
                format!("meeting:rsvp:{}:{}", m.id, answer.as_str()),
                answer.label(),
                style,
            );
        }
    }
    msg
}

/// `/meeting schedule` (ephemeral): what was planned and where it is announced.
pub fn scheduled(out: &MeetingScheduled) -> Message {
    let m = &out.meeting;
    let series = out
        .every
        .as_deref()
        .map(|e| {
            format!(
                "\nRepeats: {} — the next one is planned when this one ends.",
                clip(e, 60)
            )
        })
        .unwrap_or_default();
    Message::embed(
        Embed::new(format!("📅 Scheduled: {}", clip(&m.title, 100)), colors::SUCCESS).description(format!(
            "{}\n{} ({}){series}\n\nAnnounced in <#{}> with Going / Maybe / Can't, and added to the server's events. \
             Members can add to the agenda with `/meeting propose`.",
            when_where(m),
            show(m.starts_at, tz_of(&out.timezone), Shown::Full),
            out.coalition_name,
            out.home_channel
        )),
    )
    .ephemeral()
    .for_audience(Audience::Members)
}

fn tz_of(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `/meeting list` (ephemeral): upcoming meetings with who is coming.
pub fn list(out: &MeetingList) -> Message {
    let lines: Vec<String> = out
        .meetings
        .iter()
        .map(|a| {
            let m = &a.meeting;
            let (yes, _) = names(&a.rsvps, Rsvp::Yes);
            let (maybe, _) = names(&a.rsvps, Rsvp::Maybe);
            let going: Vec<String> = a
                .rsvps
                .iter()
                .filter(|r| r.answer == Rsvp::Yes)
                .map(|r| clip(&r.name, 30))
                .collect();
            let running = if m.status == MeetingStatus::Running {
                " 🟢 now"
            } else {
                ""
            };
            let who = if going.is_empty() {
                String::new()
            } else {
                format!(" — {}", super::joined_list(&going, 200))
            };
            format!(
                "**#{} {}**{running}\n<t:{}:F> · {yes} going, {maybe} maybe{who}",
                m.id,
                clip(&m.title, 100),
                m.starts_at
            )
        })
        .collect();
    let body = if lines.is_empty() {
        "No meetings planned — a lead can plan one with `/meeting schedule`.".to_string()
    } else {
        bounded_list(&lines, lines.len(), BUDGET)
    };
    Message::embed(Embed::new(format!("Meetings — {}", out.coalition_name), colors::INFO).description(body))
        .ephemeral()
        .for_audience(Audience::Members)
}

fn agenda_lines(a: &Agenda) -> Vec<String> {
    a.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mark = if l.covered { "☑" } else { "☐" };
            let origin = match (l.kind, l.carried_at) {
                (ItemKind::Carried, Some(at)) => {
                    format!(" *(carried from {})*", show(at, tz_of(&a.timezone), Shown::Day))
                }
                (ItemKind::Proposed, _) => " *(proposed)*".to_string(),
                _ => String::new(),
            };
            format!("{mark} {}. {}{origin}", i + 1, clip(&l.text, 250))
        })
        .collect()
}

fn agenda_embed(a: &Agenda, title: &str) -> Embed {
    let lines = agenda_lines(a);
    let body = if lines.is_empty() {
        "Nothing yet — propose an item with `/meeting propose`.".to_string()
    } else {
        bounded_list(&lines, lines.len(), BUDGET)
    };
    Embed::new(format!("{title}: {}", clip(&a.meeting.title, 100)), colors::INFO)
        .description(format!("{}\n\n{body}", when_where(&a.meeting)))
        .footer(format!("{} · meeting #{}", a.coalition_name, a.meeting.id))
}

/// `/meeting agenda` (ephemeral). Leads also see how much feedback awaits acknowledgement; that
/// line makes the message leads-only.
pub fn agenda(a: &Agenda) -> Message {
    let mut e = agenda_embed(a, "Agenda");
    let audience = match a.unacknowledged_feedback {
        Some(n) => {
            e = e.field(
                "For leads",
                format!(
                    "{} awaiting acknowledgement — `/feedback list`.",
                    plural(n, "feedback item", "feedback items")
                ),
                false,
            );
            Audience::Leads
        }
        None => Audience::Members,
    };
    Message::embed(e).ephemeral().for_audience(audience)
}

/// The reminder in the home channel before a meeting (public).
pub fn reminder(a: &Agenda) -> Message {
    let mut msg = Message::embed(agenda_embed(a, "⏰ Coming up")).for_audience(Audience::Public);
    msg.content = "Reminder: a meeting is coming up — add to the agenda with `/meeting propose`.".into();
    msg
}

/// The agenda in the meeting's thread (public): a "covered" toggle per stored item and the Here
/// button.
pub fn agenda_post(a: &Agenda) -> Message {
    let mut msg = Message::embed(agenda_embed(a, "📋 Agenda")).for_audience(Audience::Public);
    msg.content =
        "The meeting has started — press **Here** to be counted; tick items off as they are covered.".into();
    msg = msg.button(
        format!("meeting:here:{}", a.meeting.id),
        "Here",
        ButtonStyle::Primary,
    );
    for (i, l) in a.lines.iter().enumerate().take(TOGGLES) {
        if let Some(item) = l.item {
            let (label, style) = if l.covered {
                (format!("☑ {}", i + 1), ButtonStyle::Success)
            } else {
                (format!("☐ {}", i + 1), ButtonStyle::Secondary)
            };
            msg = msg.button(format!("meeting:covered:{item}"), label, style);
        }
    }
    msg
}

/// `/meeting propose` (ephemeral).
pub fn proposed(out: &Proposed) -> Message {
    Message::text(format!(
        "Added to the agenda of **{}** (<t:{}:F>): {}",
        clip(&out.meeting.title, 100),
        out.meeting.starts_at,
        clip(&out.item.text, 300)
    ))
    .ephemeral()
    .for_audience(Audience::Members)
}

/// `/meeting start` (ephemeral).
pub fn started(out: &MeetingStarted) -> Message {
    Message::text(format!(
        "**{}** has started: its thread with the agenda ({}) opens in a moment. \
         Add to the minutes with `/meeting note`, `/meeting decide` and `/meeting action`; finish with `/meeting end`.",
        clip(&out.meeting.title, 100),
        plural(out.items as i64, "item", "items")
    ))
    .ephemeral()
    .for_audience(Audience::Members)
}

/// The Here button (ephemeral).
pub fn here(out: &MarkedHere) -> Message {
    let text = if out.new {
        format!("You're counted as here at **{}**.", clip(&out.meeting.title, 100))
    } else {
        format!(
            "You were already counted at **{}**.",
            clip(&out.meeting.title, 100)
        )
    };
    Message::text(text).ephemeral().for_audience(Audience::Members)
}

/// `/meeting note` and `/meeting decide`: shown where the command ran (the meeting's thread).
pub fn minute_added(out: &MinuteAdded, by: UserId) -> Message {
    let (icon, what) = match out.kind {
        MinuteKind::Decision => ("✅", "Decision"),
        MinuteKind::Action => ("📌", "Action"),
        MinuteKind::Note => ("📝", "Note"),
    };
    Message::text(format!(
        "{icon} **{what}** ({}): {}",
        mention(by),
        safe(&out.text)
    ))
    .for_audience(Audience::Public)
}

/// `/meeting end` (ephemeral).
pub fn ended(out: &MeetingEnded) -> Message {
    let next = out
        .next
        .as_ref()
        .map(|n| format!(" The next one is planned for <t:{}:F>.", n.starts_at))
        .unwrap_or_default();
    Message::text(format!(
        "**{}** has ended: the minutes are being posted, {} carried over.{next}",
        clip(&out.meeting.title, 100),
        plural(out.carried as i64, "item", "items")
    ))
    .ephemeral()
    .for_audience(Audience::Members)
}

/// `/meeting cancel` (ephemeral).
pub fn cancelled(out: &MeetingCancelled) -> Message {
    let next = match (&out.next, out.series) {
        (Some(n), _) => format!(" The series goes on: next on <t:{}:F>.", n.starts_at),
        (None, true) => " The series is cancelled too.".to_string(),
        _ => String::new(),
    };
    Message::text(format!(
        "**{}** (<t:{}:F>) is cancelled: its event is cancelled and the announcement says so; {} told.{next}",
        clip(&out.meeting.title, 100),
        out.meeting.starts_at,
        plural(
            out.told as i64,
            "person who was coming is",
            "people who were coming are"
        )
    ))
    .ephemeral()
    .for_audience(Audience::Members)
}

/// The notice to those coming when a meeting is cancelled (public; pings only them).
pub fn cancelled_notice(a: &Announcement) -> Message {
    let coming: Vec<UserId> = a
        .rsvps
        .iter()
        .filter(|r| r.answer != Rsvp::No)
        .map(|r| r.user_id)
        .collect();
    let who: Vec<String> = coming.iter().map(|u| mention(*u)).collect();
    let mut msg = Message::text(format!(
        "❌ **{}** on <t:{}:F> is cancelled. {}",
        clip(&a.meeting.title, 100),
        a.meeting.starts_at,
        who.join(" ")
    ))
    .for_audience(Audience::Public);
    msg.ping_users = coming;
    msg
}

/// The minutes, posted in the meeting's thread when it ends (public).
pub fn minutes(m: &Minutes) -> Message {
    let tz = tz_of(&m.timezone);
    let mut e = Embed::new(
        format!("📝 Minutes: {}", clip(&m.meeting.title, 100)),
        colors::SUCCESS,
    )
    .footer(format!("{} · meeting #{}", m.coalition_name, m.meeting.id));
    e = e.description(format!(
        "Held {}{}",
        show(
            m.meeting.started_at.unwrap_or(m.meeting.starts_at),
            tz,
            Shown::Full
        ),
        m.meeting
            .ended_at
            .zip(m.meeting.started_at)
            .map(|(end, start)| format!(", {} long", show_duration(((end - start) / 60).max(1))))
            .unwrap_or_default()
    ));
    // Attendance by partner org.
    let mut by_org: Vec<(String, Vec<String>)> = Vec::new();
    for a in &m.attendance {
        let org = a.org_name.clone().unwrap_or_else(|| "No organization".into());
        match by_org.iter_mut().find(|(o, _)| *o == org) {
            Some((_, names)) => names.push(clip(&a.name, 40)),
            None => by_org.push((org, vec![clip(&a.name, 40)])),
        }
    }
    let attendance: Vec<String> = by_org
        .iter()
        .map(|(org, names)| format!("**{}** ({}): {}", clip(org, 60), names.len(), names.join(", ")))
        .collect();
    let section = |lines: &[String], empty: &str| {
        if lines.is_empty() {
            empty.to_string()
        } else {
            bounded_list(lines, lines.len(), 1000)
        }
    };
    e = e.field(
        format!("Attendance ({})", m.attendance.len()),
        section(&attendance, "No one pressed Here."),
        false,
    );
    let of = |kind: MinuteKind| m.minutes.iter().filter(move |l| l.kind == kind);
    let decisions: Vec<String> = of(MinuteKind::Decision)
        .map(|l| format!("• {}", clip(&l.text, 300)))
        .collect();
    e = e.field(
        format!("Decisions ({})", decisions.len()),
        section(&decisions, "None."),
        false,
    );
    let actions: Vec<String> = of(MinuteKind::Action)
        .map(|l| {
            let number = l.task_number.map(|n| format!("#{n} ")).unwrap_or_default();
            let who = l
                .assignee_name
                .as_deref()
                .map(|a| format!(" — {}", clip(a, 40)))
                .unwrap_or_default();
            let due = l
                .task_due_at
                .map(|d| format!(", due {}", show(d, tz, Shown::Day)))
                .unwrap_or_default();
            let done = if l.task_status == Some(TaskStatus::Done) {
                " ✅"
            } else {
                ""
            };
            format!("• {number}{}{who}{due}{done}", clip(&l.text, 200))
        })
        .collect();
    e = e.field(
        format!("Actions ({})", actions.len()),
        section(&actions, "None."),
        false,
    );
    let notes: Vec<String> = of(MinuteKind::Note)
        .map(|l| format!("• {} — {}", clip(&l.text, 300), clip(&l.by_name, 40)))
        .collect();
    e = e.field(
        format!("Notes ({})", notes.len()),
        section(&notes, "None."),
        false,
    );
    let carried: Vec<String> = m.carried.iter().map(|t| format!("• {}", clip(t, 200))).collect();
    let next = m
        .next
        .as_ref()
        .map(|n| format!(" to the next meeting (<t:{}:F>)", n.starts_at))
        .unwrap_or_else(|| " to the next meeting".into());
    e = e.field(
        format!("Carried over{next} ({})", carried.len()),
        section(&carried, "Nothing: every item was covered."),
        false,
    );
    Message::embed(e).for_audience(Audience::Public)
}
