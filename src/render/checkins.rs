//! Check-in outcomes: the form's title and defaults, the thank-you, and who has answered.

use super::safe;
use crate::actions::checkins::{CheckinForm, CheckinStatus, CheckinSubmitted};
use crate::domain::message::{Embed, Message, bounded_list, colors, limits};
use crate::domain::text::{MAX_TEXT, truncate};
use crate::domain::when::{Shown, show};

/// Discord's limit on a modal's title.
pub const MODAL_TITLE: usize = 45;

/// The check-in modal's title, e.g. `Check-in — Climate Coalition` (plain text, at most 45 chars).
pub fn form_title(form: &CheckinForm) -> String {
    truncate(&format!("Check-in — {}", form.coalition_name), MODAL_TITLE)
}

/// The check-in modal's custom id: `modal:checkin:<round>` for a round that is open, or
/// `modal:checkin-new:<coalition>` when submitting the form is what opens the round.
pub fn form_custom_id(form: &CheckinForm) -> String {
    match form.round_id {
        Some(round) => format!("modal:checkin:{round}"),
        None => format!("modal:checkin-new:{}", form.coalition_id),
    }
}

/// The earlier answer to pre-fill for each question of the form, each within the input's limit.
pub fn form_defaults(form: &CheckinForm) -> Vec<String> {
    form.questions
        .iter()
        .map(|q| {
            form.existing_answers
                .iter()
                .find(|(p, _)| *p == q.position)
                .map(|(_, t)| truncate(t, MAX_TEXT))
                .unwrap_or_default()
        })
        .collect()
}

/// The reply to a submitted check-in, for the member alone.
pub fn submitted(s: &CheckinSubmitted) -> Message {
    let mut text = format!(
        "✅ Thanks — your check-in is in for **{}**.",
        safe(&truncate(&s.coalition_name, 200))
    );
    if s.updated {
        text.push_str(" It replaces your earlier answer to this round.");
    }
    if s.leads_alerted > 0 {
        let leads = if s.leads_alerted == 1 {
            "1 lead".to_string()
        } else {
            format!("{} leads", s.leads_alerted)
        };
        text.push_str(&format!(" Your blocker was sent to {leads} so someone can help."));
    } else if s.has_blockers {
        text.push_str(" The leads already know about your blocker.");
    }
    Message::text(text).ephemeral().fit()
}

/// `/checkin status`: who has answered the current round and who has not, for a lead.
pub fn status(s: &CheckinStatus) -> Message {
    let answered = s.answered.len();
    let blocked = s.answered.iter().filter(|a| a.has_blockers).count();
    let mut summary = format!(
        "Round opened {}\n**Participation:** {}",
        show(s.opens_at, chrono_tz::UTC, Shown::Tag),
        s.participation.figure()
    );
    if blocked > 0 {
        summary.push_str(&format!(" · ⚠️ **{blocked}** reported a blocker"));
    }
    let done: Vec<String> = s
        .answered
        .iter()
        .map(|a| {
            let flag = if a.has_blockers { " ⚠️ blocker" } else { "" };
            format!(
                "{}{flag} · <t:{}:R>",
                safe(&truncate(&a.name, 60)),
                a.updated_at.max(a.submitted_at)
            )
        })
        .collect();
    let missing: Vec<String> = s
        .missing
        .iter()
        .map(|(_, name)| safe(&truncate(name, 60)))
        .collect();
    let list = |lines: &[String], empty: &str| {
        if lines.is_empty() {
            empty.to_string()
        } else {
            bounded_list(lines, lines.len(), limits::FIELD_VALUE)
        }
    };
    let e = Embed::new(
        format!("Check-in — {}", safe(&truncate(&s.coalition_name, 200))),
        colors::INFO,
    )
    .description(summary)
    .field(
        format!("Answered ({answered})"),
        list(&done, "Nobody yet."),
        false,
    )
    .field(
        format!("Not yet ({})", s.missing.len()),
        list(&missing, "Everyone has answered 🎉"),
        false,
    );
    let away: Vec<String> = s.away.iter().map(|(_, name)| safe(&truncate(name, 60))).collect();
    let e = if away.is_empty() {
        e
    } else {
        e.field(format!("Away ({})", away.len()), list(&away, ""), false)
    }
    .footer("Members who haven't answered get a reminder DM; blockers go to the leads.");
    Message::embed(e).ephemeral().fit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Checkin, CheckinId, CoalitionId, RoundId, UserId};
    use crate::store::checkins::Answered;

    fn text(m: &Message) -> String {
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
    fn status_of_a_big_round_fits() {
        let s = CheckinStatus {
            coalition_name: "@everyone Coalition".into(),
            round_id: RoundId(1),
            opens_at: 1_800_000_000,
            answered: (0..300)
                .map(|n| Answered {
                    user_id: UserId(n),
                    name: format!("<@&1> member {n}"),
                    has_blockers: n % 7 == 0,
                    submitted_at: 1_800_000_100 + n,
                    updated_at: 1_800_000_100 + n,
                })
                .collect(),
            missing: (0..300)
                .map(|n| (UserId(1000 + n), format!("@here late {n}")))
                .collect(),
            away: vec![(UserId(5000), "Away person".into())],
            participation: crate::domain::checkin::Participation {
                answered: (0..300).map(UserId).collect(),
                away: vec![UserId(5000)],
                missing: (0..300).map(|n| UserId(1000 + n)).collect(),
            },
        };
        let m = status(&s);
        assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
        assert!(m.ephemeral && m.ping_users.is_empty());
        let t = text(&m);
        assert!(
            t.contains("300 of 600 answered (50 %) · 1 away")
                && t.contains("Away (1)")
                && t.contains("reported a blocker"),
            "{t}"
        );
        assert!(t.contains("Not yet (300)") && t.contains("… and"));
        assert!(
            !t.contains("@everyone") && !t.contains("@here") && !t.contains("<@&"),
            "{t}"
        );
    }

    #[test]
    fn empty_round_says_nobody_yet() {
        let s = CheckinStatus {
            coalition_name: "C".into(),
            round_id: RoundId(1),
            opens_at: 0,
            answered: vec![],
            missing: vec![],
            away: vec![],
            participation: Default::default(),
        };
        let t = text(&status(&s));
        assert!(t.contains("Nobody yet.") && t.contains("Everyone has answered"));
    }

    #[test]
    fn thanks_mentions_the_blocker_alert() {
        let s = CheckinSubmitted {
            coalition_name: "C".into(),
            round_id: RoundId(1),
            checkin_id: CheckinId(1),
            updated: true,
            has_blockers: true,
            leads_alerted: 2,
        };
        let m = submitted(&s);
        assert!(m.ephemeral && m.ping_users.is_empty());
        assert!(m.content.contains("Thanks — your check-in is in"));
        assert!(
            m.content.contains("replaces") && m.content.contains("2 leads"),
            "{}",
            m.content
        );
    }

    #[test]
    fn form_title_and_defaults_fit_the_modal() {
        let form = CheckinForm {
            round_id: Some(RoundId(3)),
            coalition_id: CoalitionId(1),
            coalition_name: "A very long coalition name that goes on and on".into(),
            opens_at: 0,
            questions: crate::domain::checkin::default_questions(),
            existing_answers: vec![(1, "d".repeat(1500)), (2, "n".into())],
            existing: Some(Checkin {
                id: CheckinId(1),
                round_id: RoundId(3),
                coalition_id: CoalitionId(1),
                user_id: UserId(2),
                done: "d".repeat(1500),
                next: "n".into(),
                blockers: String::new(),
                submitted_at: 0,
                updated_at: 0,
            }),
        };
        assert!(form_title(&form).chars().count() <= MODAL_TITLE);
        let d = form_defaults(&form);
        assert_eq!(d[0].chars().count(), MAX_TEXT);
        assert_eq!((d[1].as_str(), d[2].as_str()), ("n", ""));
    }

    #[test]
    fn form_of_an_open_round_answers_it_and_a_form_without_one_opens_one() {
        let mut form = CheckinForm {
            round_id: Some(RoundId(7)),
            coalition_id: CoalitionId(42),
            coalition_name: "C".into(),
            opens_at: 0,
            questions: crate::domain::checkin::default_questions(),
            existing: None,
            existing_answers: Vec::new(),
        };
        assert_eq!(form_custom_id(&form), "modal:checkin:7");
        form.round_id = None;
        assert_eq!(form_custom_id(&form), "modal:checkin-new:42");
        assert_eq!(form_defaults(&form), vec![String::new(); 3]);
    }
}
