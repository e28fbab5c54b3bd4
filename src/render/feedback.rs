//! Feedback: the sender's confirmation, the leads' DM, `/feedback list` with Acknowledge buttons,
//! and the sender's "acknowledged" DM.

use chrono_tz::Tz;

use super::{clip, mention, plural};
use crate::actions::feedback::{FeedbackAcknowledged, FeedbackList, FeedbackSent};
use crate::domain::FeedbackId;
use crate::domain::message::{ButtonStyle, Embed, Message, colors};
use crate::domain::when::{Shown, show};
use crate::store::feedback::Feedback;

/// The custom id of the Acknowledge button of an item.
pub fn ack_custom_id(id: FeedbackId) -> String {
    format!("feedback:ack:{id}")
}

/// `/feedback send`: confirmed, saying plainly what was (not) stored.
pub fn sent(s: &FeedbackSent) -> Message {
    let to = plural(s.leads as i64, "lead", "leads");
    let d = if s.anonymous {
        let left = s.anonymous_left.unwrap_or(0);
        format!(
            "Your feedback went to the {to} of **{}** **anonymously**. No author was stored anywhere: \
             not with the feedback, not in the audit log, not in Backbone's logs or exports — so nobody, \
             the leads and admins included, can find out it was you. (That also means you won't hear \
             when it's acknowledged.) You can send {} more anonymous {} today.",
            clip(&s.coalition_name, 100),
            left,
            if left == 1 { "note" } else { "notes" }
        )
    } else {
        format!(
            "Your feedback went to the {to} of **{}** with your name. You'll get a DM when a lead \
             acknowledges it. (Use `anonymous: true` to send one without your name.)",
            clip(&s.coalition_name, 100)
        )
    };
    Message::embed(Embed::new("Feedback sent", colors::SUCCESS).description(d))
        .ephemeral()
        .fit()
}

/// The DM each lead gets. `author` is None for anonymous feedback.
pub fn to_lead(coalition: &str, f: &Feedback, author: Option<&str>) -> Message {
    let from = match (f.author_id, author) {
        (Some(u), Some(name)) => format!("From {} ({})", clip(name, 60), mention(u)),
        _ => "Anonymous — Backbone doesn't know who sent it".into(),
    };
    let e = Embed::new(
        format!("Feedback for the leads of {}", clip(coalition, 100)),
        colors::INFO,
    )
    .description(clip(&f.text, 1000))
    .field("Sender", from, false)
    .footer("Mark it acknowledged with the button, or later in /feedback list.");
    Message::embed(e)
        .button(ack_custom_id(f.id), "Acknowledge", ButtonStyle::Success)
        .for_audience(crate::domain::Audience::Leads)
        .fit()
}

/// The DM a named sender gets when a lead acknowledges their feedback.
pub fn acknowledged_dm(coalition: &str, f: &Feedback, by: &str) -> Message {
    let e = Embed::new("Your feedback was acknowledged", colors::SUCCESS).description(format!(
        "{} of **{}** acknowledged your feedback:\n> {}",
        clip(by, 60),
        clip(coalition, 100),
        clip(&f.text, 300).replace('\n', "\n> ")
    ));
    Message::embed(e).fit()
}

/// The lead's confirmation after pressing Acknowledge.
pub fn acknowledged(a: &FeedbackAcknowledged) -> Message {
    let told = if a.sender_told {
        "The sender gets a DM saying so."
    } else {
        "It was anonymous, so nobody can be told."
    };
    Message::text(format!("✅ Feedback #{} acknowledged. {told}", a.id))
        .ephemeral()
        .fit()
}

/// `/feedback list`: recent items (open first), each open one with an Acknowledge button.
pub fn list(l: &FeedbackList) -> Message {
    let tz: Tz = l.tz.parse().unwrap_or(chrono_tz::UTC);
    let title = format!("Feedback — {}", clip(&l.coalition_name, 100));
    if l.items.is_empty() {
        return Message::embed(
            Embed::new(title, colors::INFO)
                .description("No feedback yet. Members send it with `/feedback send`."),
        )
        .ephemeral()
        .fit();
    }
    let mut e = Embed::new(title, colors::INFO).description(format!(
        "{} open, {} in all{}.",
        l.open,
        l.total,
        if l.total > l.items.len() as i64 {
            format!(" — the {} most relevant shown", l.items.len())
        } else {
            String::new()
        }
    ));
    let mut m = Message::default();
    for item in &l.items {
        let f = &item.feedback;
        let who = match &item.author_name {
            Some(n) => clip(n, 60),
            None => "anonymous".into(),
        };
        let state = match (f.acknowledged_at, &item.acknowledged_by_name) {
            (Some(at), Some(by)) => format!(
                "✅ acknowledged by {} {}",
                clip(by, 60),
                show(at, tz, Shown::Full)
            ),
            (Some(at), None) => format!("✅ acknowledged {}", show(at, tz, Shown::Full)),
            (None, _) => "open".into(),
        };
        e = e.field(
            format!("#{} · {} · {}", f.id, who, show(f.created_at, tz, Shown::Full)),
            format!("{}\n*{state}*", clip(&f.text, 900)),
            false,
        );
        if f.acknowledged_at.is_none() {
            m = m.button(
                ack_custom_id(f.id),
                format!("Acknowledge #{}", f.id),
                ButtonStyle::Success,
            );
        }
    }
    m.embeds = vec![e];
    m.ephemeral().fit()
}
