//! What a round shows in the open: the thread's name, each answer's card, the one summary message,
//! the closing summary, and `/checkin report`.

use chrono_tz::Tz;

use super::{clip, mention, safe};
use crate::domain::checkin::{Participation, Question};
use crate::domain::message::{Button, ButtonStyle, Embed, Message, bounded_list, colors, limits};
use crate::domain::text::truncate;
use crate::domain::when::{Shown, show};
use crate::domain::{RoundId, UserId};
use crate::store::checkin_posts::RoundAnswer;

/// Longest answer shown on a card (a card holds up to 5 answers, well within an embed's 6000).
const CARD_ANSWER: usize = 1000;
/// Longest answer on one line of a summary or report.
const LINE_ANSWER: usize = 160;

pub use crate::domain::checkin::{REPORT_PAGE, thread_name};

/// The `checkin:edit:<round>` button: the member's own form, pre-filled.
pub fn edit_button(round: RoundId) -> Button {
    Button {
        custom_id: format!("checkin:edit:{round}"),
        label: "Edit my answer".into(),
        style: ButtonStyle::Secondary,
    }
}

fn who(a: &RoundAnswer) -> String {
    match &a.org {
        Some(org) => format!("{} · {}", clip(&a.name, 60), clip(org, 60)),
        None => clip(&a.name, 60),
    }
}

fn label_of(questions: &[Question], position: i64) -> (String, bool) {
    match questions.iter().find(|q| q.position == position) {
        Some(q) => (q.label.clone(), q.is_blocker),
        None => (format!("Question {position}"), false),
    }
}

/// A member's answer as a compact card in the round's thread: who, their org, each answer under
/// its question; a blocker in its own highlighted field. Its button edits the answer.
pub fn card(questions: &[Question], a: &RoundAnswer) -> Message {
    let blocked = !a.blockers.trim().is_empty();
    let color = if blocked { colors::WARNING } else { colors::SUCCESS };
    let mut e = Embed::new(who(a), color).description(mention(a.user_id));
    for (position, text) in &a.answers {
        let (label, is_blocker) = label_of(questions, *position);
        let name = if is_blocker {
            format!("⚠️ {label}")
        } else {
            label
        };
        e = e.field(name, clip(text, CARD_ANSWER), false);
    }
    let footer = if a.updated_at > a.submitted_at {
        "Edited · the leads were alerted to any blocker".to_string()
    } else if blocked {
        "The leads were alerted to this blocker".to_string()
    } else {
        "Answers can be edited until the next round opens".to_string()
    };
    Message {
        embeds: vec![e.footer(footer)],
        buttons: vec![edit_button(a.round_id)],
        ..Default::default()
    }
    .fit()
}

/// One answer on one line: `**Name · Org** — Q1: … · ⚠️ Blockers: …`.
fn line(questions: &[Question], a: &RoundAnswer) -> String {
    let parts: Vec<String> = a
        .answers
        .iter()
        .map(|(position, text)| {
            let (label, is_blocker) = label_of(questions, *position);
            let flag = if is_blocker { "⚠️ " } else { "" };
            format!(
                "{flag}{}: {}",
                clip(&label, 45),
                clip(&one_line(text), LINE_ANSWER)
            )
        })
        .collect();
    format!("**{}** — {}", who(a), parts.join(" · "))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The round's one summary message (`report: summary`), edited as answers arrive.
pub fn summary(
    round: RoundId,
    opens_at: i64,
    questions: &[Question],
    total: i64,
    answers: &[RoundAnswer],
    tz: Tz,
) -> Message {
    let lines: Vec<String> = answers.iter().map(|a| line(questions, a)).collect();
    let body = if lines.is_empty() {
        "Nobody has answered yet.".to_string()
    } else {
        bounded_list(&lines, total as usize, limits::DESCRIPTION - 200)
    };
    let blocked = answers.iter().filter(|a| !a.blockers.trim().is_empty()).count();
    let mut footer = format!("{total} answered");
    if blocked > 0 {
        footer.push_str(&format!(" · {blocked} with a blocker (the leads were alerted)"));
    }
    footer.push_str(" · updated as answers arrive");
    let e = Embed::new(format!("Answers — {}", thread_name(opens_at, tz)), colors::INFO)
        .description(body)
        .footer(footer);
    Message {
        embeds: vec![e],
        buttons: vec![edit_button(round)],
        ..Default::default()
    }
    .fit()
}

/// What a closed round reports in its thread.
pub struct Closing<'a> {
    pub opens_at: i64,
    pub participation: &'a Participation,
    pub names: &'a dyn Fn(&[UserId]) -> Vec<String>,
    /// Open blockers reported in the round: (who, blocker).
    pub blockers: &'a [(String, String)],
    /// Tasks blocked right now in the coalition.
    pub blocked_tasks: i64,
}

/// The one message that closes a round in its thread: who answered, who was away, open blockers
/// and the participation figure.
pub fn closing(c: &Closing<'_>, tz: Tz) -> Message {
    let p = c.participation;
    let names = |users: &[UserId], empty: &str| {
        let n: Vec<String> = (c.names)(users).iter().map(|s| clip(s, 60)).collect();
        if n.is_empty() {
            empty.to_string()
        } else {
            bounded_list(&[n.join(", ")], 1, limits::FIELD_VALUE)
        }
    };
    let blockers: Vec<String> = c
        .blockers
        .iter()
        .map(|(who, b)| format!("**{}** — {}", clip(who, 60), clip(&one_line(b), LINE_ANSWER)))
        .collect();
    let mut blocker_text = if blockers.is_empty() {
        "None reported.".to_string()
    } else {
        bounded_list(&blockers, blockers.len(), limits::FIELD_VALUE - 80)
    };
    if c.blocked_tasks > 0 {
        blocker_text.push_str(&format!(
            "\n{} task(s) blocked — `/task list status:blocked`",
            c.blocked_tasks
        ));
    }
    let e = Embed::new(format!("Closed — {}", thread_name(c.opens_at, tz)), colors::INFO)
        .description(format!("**Participation:** {}", p.figure()))
        .field(
            format!("Answered ({})", p.answered.len()),
            names(&p.answered, "Nobody."),
            false,
        )
        .field(
            format!("Away ({})", p.away.len()),
            names(&p.away, "Nobody."),
            false,
        )
        .field(
            format!("No answer ({})", p.missing.len()),
            names(&p.missing, "Nobody 🎉"),
            false,
        )
        .field("Open blockers", blocker_text, false)
        .footer("This round is closed; answers to the new round go in its own thread.");
    Message::embed(e).fit()
}

/// A page of `/checkin report`, ephemeral, with `page:` buttons when there is more than one page.
pub struct ReportPage<'a> {
    pub coalition_name: &'a str,
    pub round: RoundId,
    pub opens_at: i64,
    pub current: bool,
    pub questions: &'a [Question],
    pub total: i64,
    pub page: i64,
    pub answers: &'a [RoundAnswer],
    pub participation: &'a Participation,
}

/// The custom id of a `/checkin report` page button: `page:checkin-report:<round>:<page>`.
pub fn report_page_id(round: RoundId, page: i64) -> String {
    format!("page:checkin-report:{round}:{page}")
}

/// One page of a round's answers.
pub fn report(r: &ReportPage<'_>, tz: Tz) -> Message {
    let pages = ((r.total + REPORT_PAGE - 1) / REPORT_PAGE).max(1);
    let mut e = Embed::new(
        format!(
            "{} — {}",
            thread_name(r.opens_at, tz),
            clip(&truncate(r.coalition_name, 100), 100)
        ),
        colors::INFO,
    )
    .description(format!(
        "Round opened {}{}\n**Participation:** {}",
        show(r.opens_at, chrono_tz::UTC, Shown::Tag),
        if r.current {
            " · in progress"
        } else {
            " · closed"
        },
        r.participation.figure()
    ));
    if r.answers.is_empty() {
        e = e.field("Answers", "Nobody has answered this round.", false);
    }
    for a in r.answers {
        let mut value: Vec<String> = Vec::new();
        for (position, text) in &a.answers {
            let (label, is_blocker) = label_of(r.questions, *position);
            let flag = if is_blocker { "⚠️ " } else { "" };
            value.push(format!(
                "{flag}**{}:** {}",
                safe(&label),
                clip(&one_line(text), 200)
            ));
        }
        e = e.field(who(a), truncate(&value.join("\n"), limits::FIELD_VALUE), false);
    }
    e = e.footer(format!("Page {} of {pages} · {} answered", r.page + 1, r.total));
    let mut m = Message::embed(e).ephemeral();
    if r.page > 0 {
        m = m.button(
            report_page_id(r.round, r.page - 1),
            "◀ Previous",
            ButtonStyle::Secondary,
        );
    }
    if r.page + 1 < pages {
        m = m.button(
            report_page_id(r.round, r.page + 1),
            "Next ▶",
            ButtonStyle::Secondary,
        );
    }
    m.fit()
}

/// `/checkin report`: the page as a message.
pub fn report_message(r: &crate::actions::checkin_report::CheckinReport) -> Message {
    report(
        &ReportPage {
            coalition_name: &r.coalition_name,
            round: r.round,
            opens_at: r.opens_at,
            current: r.current,
            questions: &r.questions,
            total: r.total,
            page: r.page,
            answers: &r.answers,
            participation: &r.participation,
        },
        r.tz,
    )
}

/// The reply to `/checkin settings`, for the lead alone.
pub fn settings_shown(s: &crate::actions::checkin_posts::CheckinSettingsShown) -> Message {
    use crate::domain::checkin::{ReportMode, describe_nudge_after};
    let report = match s.report {
        ReportMode::Thread => "`thread` — each answer is posted as a card in the round's thread",
        ReportMode::Summary => "`summary` — one message in the round's thread, updated as answers arrive",
        ReportMode::Leads => "`leads` — nothing public; leads read answers with `/checkin report`",
    };
    let nudge = match s.nudge_after {
        0 => "`off` — nobody is reminded".to_string(),
        n => format!(
            "`{}` after a round opens{}",
            describe_nudge_after(n),
            if s.nudge_default { " (the default)" } else { "" }
        ),
    };
    let head = if s.changed {
        format!(
            "✅ Check-in settings of **{}** saved.",
            clip(&s.coalition_name, 100)
        )
    } else {
        format!("Check-in settings of **{}**:", clip(&s.coalition_name, 100))
    };
    Message::text(format!(
        "{head}\n**Answers:** {report}\n**Reminders:** {nudge}\nA new reminder delay applies from the next round."
    ))
    .ephemeral()
    .fit()
}

/// The reply to a saved `/checkin questions` form, for the lead alone.
pub fn questions_saved(q: &crate::actions::checkin_posts::QuestionsSaved) -> Message {
    let list: Vec<String> = q
        .questions
        .iter()
        .map(|x| {
            let flag = if x.is_blocker {
                " ⚠️ *alerts the leads*"
            } else {
                ""
            };
            format!("{}. {}{flag}", x.position, safe(&x.label))
        })
        .collect();
    let head = if !q.changed {
        "The questions are unchanged.".to_string()
    } else if q.round_in_progress {
        format!(
            "✅ New questions for **{}** — they are asked from the next round on; the round in progress keeps its own.",
            clip(&q.coalition_name, 100)
        )
    } else {
        format!(
            "✅ New questions for **{}** — asked from the next round on.",
            clip(&q.coalition_name, 100)
        )
    };
    Message::text(format!("{head}\n{}", list.join("\n")))
        .ephemeral()
        .fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkin::default_questions;
    use crate::domain::{MessageId, RoundId, UserId};

    fn answer(n: i64, blockers: &str) -> RoundAnswer {
        RoundAnswer {
            checkin_id: crate::domain::CheckinId(n),
            round_id: RoundId(7),
            user_id: UserId(100 + n),
            name: format!("@everyone member {n}"),
            org: Some("<@&1> Org".into()),
            blockers: blockers.into(),
            submitted_at: 1_800_000_000,
            updated_at: 1_800_000_000,
            card_channel_id: None,
            card_message_id: None::<MessageId>,
            answers: vec![(1, "d".repeat(1500)), (2, "n".repeat(1500)), (3, blockers.into())],
        }
    }

    fn all_text(m: &Message) -> String {
        let mut s = m.content.clone();
        for e in &m.embeds {
            s += &format!("{}\n{}\n{}\n", e.title, e.description, e.footer);
            for f in &e.fields {
                s += &format!("{}\n{}\n", f.name, f.value);
            }
        }
        s
    }

    #[test]
    fn a_card_fits_highlights_the_blocker_and_pings_no_one() {
        let m = card(&default_questions(), &answer(1, "stuck @here"));
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ping_users.is_empty());
        let t = all_text(&m);
        assert!(
            t.contains("⚠️ Blockers") && !t.contains("@everyone") && !t.contains("<@&1>"),
            "{t}"
        );
        assert_eq!(m.embeds[0].color, colors::WARNING);
        assert_eq!(m.buttons[0].custom_id, "checkin:edit:7");
    }

    #[test]
    fn summary_closing_and_report_fit_however_many_answers() {
        let tz = chrono_tz::Europe::Berlin;
        let many: Vec<RoundAnswer> = (0..300)
            .map(|n| answer(n, if n % 5 == 0 { "x" } else { "" }))
            .collect();
        let m = summary(
            RoundId(7),
            1_800_000_000,
            &default_questions(),
            300,
            &many[..40],
            tz,
        );
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(all_text(&m).contains("… and"), "says how many more");

        let users: Vec<UserId> = (0..300).map(UserId).collect();
        let p = Participation {
            answered: users[..200].to_vec(),
            away: users[200..210].to_vec(),
            missing: users[210..].to_vec(),
        };
        let names = |u: &[UserId]| -> Vec<String> { u.iter().map(|u| format!("Member {u}")).collect() };
        let blockers: Vec<(String, String)> = (0..100).map(|n| (format!("M{n}"), "b".repeat(500))).collect();
        let c = Closing {
            opens_at: 1_800_000_000,
            participation: &p,
            names: &names,
            blockers: &blockers,
            blocked_tasks: 4,
        };
        let m = closing(&c, tz);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        let t = all_text(&m);
        assert!(
            t.contains("200 of 290 answered (69 %) · 10 away") && t.contains("Away (10)"),
            "{t}"
        );

        let r = ReportPage {
            coalition_name: "C",
            round: RoundId(7),
            opens_at: 1_800_000_000,
            current: true,
            questions: &default_questions(),
            total: 300,
            page: 0,
            answers: &many[..REPORT_PAGE as usize],
            participation: &p,
        };
        let m = report(&r, tz);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ephemeral);
        assert_eq!(m.buttons.len(), 1);
        assert!(all_text(&m).contains("Page 1 of 38"));
    }
}
