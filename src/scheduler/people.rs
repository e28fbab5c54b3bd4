//! Each member's own hours, applied when a DM is about to go out: away members get no nudges or
//! deadline DMs, `dms: pings_only` drops the rest, quiet hours (in the member's zone, or the
//! coalition's until they set one) move the delivery to the moment they end, and `dms: none`
//! puts what `route` allows in the DM's place (the leads' channel for leads' content, else a
//! pointer). Also renders the feedback DMs.

use chrono::{DateTime, Utc};

use super::content::Content;
use super::route::{self, InsteadOfDm, NoDm, Places};
use crate::domain::hours::DmPolicy;
use crate::domain::*;
use crate::error::Result;
use crate::render::feedback as render_feedback;
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

/// Applies the recipient's preferences to `content` (channel posts pass unchanged), and holds a
/// DM to who its reader is now: a lead's content to a lead, a member's to a member.
pub(crate) async fn gate(store: &Store, d: &Delivery, content: Content, now: DateTime<Utc>) -> Result<Gate> {
    let (user, msg, round, places) = match content {
        Content::Send {
            target: Target::User(user),
            msg,
            round,
            places,
        } => (user, msg, round, places),
        other => return Ok(Gate::Send(other)),
    };
    let now_s = now.timestamp();
    let kind = d.kind();
    let reader = match store::schedule::role_of(store, d.coalition_id, user).await? {
        Some(Role::Lead) => Reader::Lead,
        Some(Role::Member) => Reader::Member,
        None => Reader::Outsider,
    };
    if let Err(why) = route::check_dm(msg.audience, user, reader) {
        return Ok(Gate::Send(Content::Cancel(why)));
    }
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
        // What stands in for the DM never reaches a place wider than its audience.
        let instead = route::instead_of_dm(d, msg.audience, user, &msg, places, NoDm::TurnedOff);
        let (channel, msg) = match instead {
            InsteadOfDm::Post { channel, msg } => (channel, msg),
            InsteadOfDm::Pointer => (places.home, route::off_pointer(d, user)),
            InsteadOfDm::Drop(why) => return Ok(Gate::Send(Content::Cancel(why))),
        };
        return Ok(Gate::Send(Content::Send {
            target: Target::Channel(channel),
            msg,
            round,
            places,
        }));
    }
    Ok(Gate::Send(Content::Send {
        target: Target::User(user),
        msg,
        round,
        places,
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
        places: Places::of(c),
    })
}
