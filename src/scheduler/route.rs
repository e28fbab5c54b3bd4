//! Where a rendered delivery may go: the one place the sender asks. A message's audience is the
//! narrower of what render said and its kind's floor ([`DeliveryKind::audience`]); a channel post
//! must fit the channel (public, or the leads' private channel), a DM its reader (a lead, a member,
//! the one person), and when a DM can't go — DMs closed (50007) or turned off (`dms: none`) — the
//! content goes to the leads' channel if it may, else becomes a pointer that carries none of it,
//! else nothing. No path widens an audience.

use crate::domain::message::Message;
use crate::domain::*;
use crate::render::{me as render_me, scheduled as render};
use crate::store::deliveries::{Delivery, DeliveryKind};

/// The coalition's two kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Places {
    /// The home channel: public.
    pub home: ChannelId,
    /// The leads' private channel, if the coalition has one.
    pub leads: Option<ChannelId>,
}

impl Places {
    /// The places of `c`.
    pub fn of(c: &Coalition) -> Places {
        Places {
            home: c.home_channel_id,
            leads: c.leads_channel_id,
        }
    }

    /// What kind of place `channel` is: only the leads' channel is private.
    pub fn place(&self, channel: ChannelId) -> Place {
        if Some(channel) == self.leads {
            Place::LeadsChannel
        } else {
            Place::PublicChannel
        }
    }
}

/// Who may read `msg`, rendered for `d`: the narrower of what render said and the kind's floor.
pub(crate) fn audience(d: &Delivery, msg: &Message) -> Audience {
    match d.kind() {
        Some(kind) => msg.audience.narrowest(kind.audience(d.target())),
        // A kind this build doesn't know is never sent; if it were, no one but leads may read it.
        None => msg.audience.narrowest(Audience::Leads),
    }
}

/// Whether content for `audience` may be posted in `channel`; the reason it may not, for
/// `last_error` (never the content).
pub(crate) fn check_channel(audience: Audience, places: Places, channel: ChannelId) -> Result<(), String> {
    if audience.may_go(places.place(channel)) {
        Ok(())
    } else {
        Err(format!(
            "refused: {} content may not be posted in channel {channel}",
            audience.label()
        ))
    }
}

/// Whether a DM to `user`, who is `reader` to the coalition, may carry content for `audience`.
pub(crate) fn check_dm(audience: Audience, user: UserId, reader: Reader) -> Result<(), String> {
    if audience.may_go(Place::Private { user, role: reader }) {
        Ok(())
    } else {
        Err(format!(
            "refused: {} content may not go to a {} by DM",
            audience.label(),
            match reader {
                Reader::Outsider => "non-member",
                Reader::Member => "member",
                Reader::Lead => "lead",
            }
        ))
    }
}

/// Why a DM can't go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoDm {
    /// Discord refused it (50007: DMs closed).
    Refused,
    /// The member asked for none (`dms: none`).
    TurnedOff,
}

/// What takes the place of a DM that can't go out.
#[derive(Debug)]
pub(crate) enum InsteadOfDm {
    /// Post this in `channel` (the leads' channel for leads' content, the home channel only for
    /// public content), mentioning the person.
    Post { channel: ChannelId, msg: Message },
    /// A pointer in the home channel that mentions the person and carries none of the content.
    Pointer,
    /// Nothing: even a pointer would say too much.
    Drop(String),
}

/// What takes the place of `msg`, a DM of `d` to `user` for `audience`, when it can't go out.
pub(crate) fn instead_of_dm(
    d: &Delivery,
    audience: Audience,
    user: UserId,
    msg: &Message,
    places: Places,
    why: NoDm,
) -> InsteadOfDm {
    // Saying in public that someone's feedback was acknowledged would reveal who sent it.
    if d.kind() == Some(DeliveryKind::FeedbackAck) {
        return InsteadOfDm::Drop("acknowledgements go by DM only; a pointer would name the sender".into());
    }
    match (audience, places.leads) {
        (Audience::Public, _) => InsteadOfDm::Post {
            channel: places.home,
            msg: render_me::dm_as_mention(user, msg, why == NoDm::TurnedOff),
        },
        (Audience::Leads | Audience::Members, Some(leads)) => InsteadOfDm::Post {
            channel: leads,
            msg: render_me::dm_as_mention(user, msg, why == NoDm::TurnedOff).for_audience(audience),
        },
        _ => InsteadOfDm::Pointer,
    }
}

/// The pointer that stands for `d`'s DM to `user` when DMs are off (one per delivery; refused DMs
/// are gathered into one pointer per channel by `pointer.rs`).
pub(crate) fn off_pointer(d: &Delivery, user: UserId) -> Message {
    render::dm_off_pointer(user, hint(d))
}

/// Which command has what the DM of `d` said.
pub(crate) fn hint(d: &Delivery) -> render::PointerHint {
    let from_checkin = d.payload_json().get("source").and_then(serde_json::Value::as_str) == Some("checkin");
    match d.kind() {
        Some(DeliveryKind::Nudge) => render::PointerHint::Checkin,
        Some(DeliveryKind::DeadlinePing) => render::PointerHint::Deadlines,
        Some(DeliveryKind::BlockerAlert) if from_checkin => render::PointerHint::CheckinStatus,
        Some(DeliveryKind::BlockerAlert) => render::PointerHint::Blocked,
        Some(DeliveryKind::ChannelWarning) => render::PointerHint::Coalition,
        Some(DeliveryKind::FeedbackToLead) => render::PointerHint::Feedback,
        Some(DeliveryKind::DigestLeads) => render::PointerHint::Digest,
        _ => render::PointerHint::Tasks,
    }
}
