//! Each member's own hours, applied when a DM is about to go out: away members get no nudges or
//! deadline DMs, `dms: pings_only` drops the rest, quiet hours (in the member's zone, or the
//! coalition's until they set one) move the delivery to the moment they end, and `dms: none`
//! turns the DM into a mention in the home channel. Also renders the feedback DMs.

use chrono::{DateTime, Utc};

use super::content::Content;
use crate::domain::hours::DmPolicy;
use crate::domain::*;
use crate::error::Result;
use crate::render::{feedback as render_feedback, me as render_me};
use crate::store::deliveries::{Delivery, DeliveryKind, Target};
use crate::store::{self, Store};

/// What to do with a rendered delivery, given its recipient's preferences.
pub(crate) enum Gate {
    /// Send this (possibly redirected to the home channel).
    Send(Content),
    /// Not now: try again at this time (UTC seconds); the reason goes in `last_error`.
    Defer(i64, String),
}

/// Whether a DM of `kind` is one a member who is away never gets.
fn paused_while_away(kind: Option<DeliveryKind>) -> bool {
    matches!(
        kind,
        Some(DeliveryKind::Nudge | DeliveryKind::TaskPing | DeliveryKind::DeadlinePing)
    )
}

/// Whether `dms: pings_only` lets a DM of `kind` through: deadline pings and the alerts a lead
/// must act on; not nudges, "task assigned" notes or feedback acknowledgements.
pub fn pings_only_allows(kind: Option<DeliveryKind>) -> bool {
    matches!(
        kind,
        Some(
            DeliveryKind::TaskPing
                | DeliveryKind::DeadlinePing
                | DeliveryKind::BlockerAlert
                | DeliveryKind::ChannelWarning
                | DeliveryKind::FeedbackToLead
        )
    )
}

/// Applies the recipient's preferences to `content` (channel posts pass unchanged).
pub(crate) async fn gate(store: &Store, d: &Delivery, content: Content, now: DateTime<Utc>) -> Result<Gate> {
    let (user, msg, round, home) = match content {
        Content::Send {
            target: Target::User(user),
            msg,
            round,
            home,
        } => (user, msg, round, home),
        other => return Ok(Gate::Send(other)),
    };
    let now_s = now.timestamp();
    let kind = d.kind();
    let prefs = store::people::of_member(store, d.coalition_id, user).await?;
    if prefs.away_at(now_s) && paused_while_away(kind) {
        let until = prefs.away_until.unwrap_or(now_s);
        return Ok(Gate::Send(Content::Cancel(format!(
            "recipient away until {until}"
        ))));
    }
    if prefs.dms == DmPolicy::PingsOnly && !pings_only_allows(kind) {
        return Ok(Gate::Send(Content::Cancel("recipient takes pings only".into())));
    }
    if let Some(quiet) = prefs.quiet {
        let tz = match prefs.tz() {
            Some(tz) => tz,
            None => store::coalitions::get_any(store, d.coalition_id)
                .await?
                .map_or(chrono_tz::UTC, |c| c.tz()),
        };
        if let Some(ends) = quiet.ends_after(now, tz) {
            return Ok(Gate::Defer(
                ends.timestamp(),
                format!(
                    "quiet hours {} ({}) until {}",
                    quiet.label(),
                    tz.name(),
                    ends.timestamp()
                ),
            ));
        }
    }
    if prefs.dms == DmPolicy::None {
        let msg = match kind {
            // Feedback is for the leads' eyes: in public only a pointer to `/feedback list`.
            Some(DeliveryKind::FeedbackToLead) => {
                let name = store::coalitions::get_any(store, d.coalition_id)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_default();
                render_me::feedback_pointer(user, &name)
            }
            // Saying so in public would reveal who sent feedback.
            Some(DeliveryKind::FeedbackAck) => {
                return Ok(Gate::Send(Content::Cancel(
                    "recipient takes no DMs; acknowledgements are DM-only".into(),
                )));
            }
            _ => render_me::dm_as_mention(user, &msg),
        };
        return Ok(Gate::Send(Content::Send {
            target: Target::Channel(home),
            msg,
            round,
            home,
        }));
    }
    Ok(Gate::Send(Content::Send {
        target: Target::User(user),
        msg,
        round,
        home,
    }))
}

/// Renders a feedback DM from current data: to a lead (who must still be one), or the sender's
/// "acknowledged" note.
pub(crate) async fn feedback_content(store: &Store, c: &Coalition, d: &Delivery) -> Result<Content> {
    let cancel = |why: &str| Ok(Content::Cancel(why.to_string()));
    let Target::User(user) = d.target() else {
        return cancel("not a DM");
    };
    let id = FeedbackId(d.subject_id.unwrap_or(0));
    let Some(f) = store::feedback::get(store, c.id, id).await? else {
        return cancel("feedback deleted");
    };
    let msg = match d.kind() {
        Some(DeliveryKind::FeedbackToLead) => {
            if store::schedule::role_of(store, c.id, user).await? != Some(Role::Lead) {
                return cancel("no longer a lead");
            }
            let author = match f.author_id {
                Some(a) => Some(store::schedule::display_name(store, c.id, a).await?),
                None => None,
            };
            render_feedback::to_lead(&c.name, &f, author.as_deref())
        }
        Some(DeliveryKind::FeedbackAck) => {
            if f.author_id != Some(user) {
                return cancel("not the sender");
            }
            let by = match f.acknowledged_by {
                Some(b) => store::schedule::display_name(store, c.id, b).await?,
                None => "A lead".into(),
            };
            render_feedback::acknowledged_dm(&c.name, &f, &by)
        }
        _ => return cancel("not feedback"),
    };
    Ok(Content::Send {
        target: Target::User(user),
        msg,
        round: None,
        home: c.home_channel_id,
    })
}
