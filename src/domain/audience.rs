//! Who may see a message, as a type: every message the bot produces carries an [`Audience`], and
//! the one place that sends decides where it may go with [`Audience::may_go`]. No fallback may
//! widen an audience: a refused DM, `dms: none`, quiet hours or being away can only narrow where
//! content goes, or turn it into a pointer that carries none of it.

use serde::Serialize;

use super::ids::UserId;

/// Who may read a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum Audience {
    /// Anyone in the server: the home channel, its threads, the public digest.
    #[default]
    Public,
    /// The coalition's members (ephemeral answers to members).
    Members,
    /// The coalition's leads: blocker reasons, leads-only check-in answers, feedback, away notes.
    Leads,
    /// One person: a nudge, their own answer, a note about their feedback.
    Person(UserId),
}

/// Where a message can land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// A channel anyone in the server may read (the home channel, a thread, a card's channel).
    PublicChannel,
    /// The coalition's leads' private channel (`/coalition settings leads_channel:`).
    LeadsChannel,
    /// A DM, or an ephemeral answer, to `user`; `role` is what they are in the coalition.
    Private { user: UserId, role: Reader },
}

/// What the reader of a private message is to the coalition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Reader {
    /// Someone in the server who is not a member.
    Outsider,
    Member,
    Lead,
}

impl Audience {
    /// Whether content for this audience may land at `place`.
    pub fn may_go(self, place: Place) -> bool {
        match (self, place) {
            (Audience::Public, _) => true,
            (_, Place::PublicChannel) => false,
            (Audience::Members | Audience::Leads, Place::LeadsChannel) => true,
            (Audience::Person(_), Place::LeadsChannel) => false,
            (Audience::Members, Place::Private { role, .. }) => role >= Reader::Member,
            (Audience::Leads, Place::Private { role, .. }) => role == Reader::Lead,
            (Audience::Person(p), Place::Private { user, .. }) => p == user,
        }
    }

    /// The narrower of two audiences: what both allow. One person's content stays theirs, and
    /// otherwise the smaller group wins (public < members < leads).
    pub fn narrowest(self, other: Audience) -> Audience {
        use Audience::*;
        match (self, other) {
            (Person(p), _) | (_, Person(p)) => Person(p),
            (Leads, _) | (_, Leads) => Leads,
            (Members, _) | (_, Members) => Members,
            (Public, Public) => Public,
        }
    }

    /// Whether this is anything above public.
    pub fn is_private(self) -> bool {
        self != Audience::Public
    }

    /// A name for logs and tests (never the content).
    pub fn label(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Members => "members",
            Audience::Leads => "leads",
            Audience::Person(_) => "person",
        }
    }
}

impl Reader {
    /// The widest audience this reader may see in a reply meant for them alone.
    pub fn sees(self, audience: Audience, me: UserId) -> bool {
        audience.may_go(Place::Private { user: me, role: self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: UserId = UserId(1);
    const B: UserId = UserId(2);

    fn dm(user: UserId, role: Reader) -> Place {
        Place::Private { user, role }
    }

    #[test]
    fn nothing_above_public_lands_in_a_public_channel() {
        assert!(Audience::Public.may_go(Place::PublicChannel));
        for a in [Audience::Members, Audience::Leads, Audience::Person(A)] {
            assert!(!a.may_go(Place::PublicChannel), "{a:?}");
        }
    }

    #[test]
    fn the_leads_channel_takes_leads_content_but_not_one_persons() {
        assert!(Audience::Leads.may_go(Place::LeadsChannel));
        assert!(Audience::Members.may_go(Place::LeadsChannel));
        assert!(!Audience::Person(A).may_go(Place::LeadsChannel));
    }

    #[test]
    fn the_narrowest_audience_wins() {
        use Audience::*;
        assert_eq!(Public.narrowest(Leads), Leads);
        assert_eq!(Leads.narrowest(Members), Leads);
        assert_eq!(Leads.narrowest(Person(A)), Person(A));
        assert_eq!(Public.narrowest(Public), Public);
    }

    #[test]
    fn private_places_check_who_reads() {
        assert!(Audience::Leads.may_go(dm(A, Reader::Lead)));
        assert!(!Audience::Leads.may_go(dm(A, Reader::Member)));
        assert!(!Audience::Members.may_go(dm(A, Reader::Outsider)));
        assert!(Audience::Members.may_go(dm(A, Reader::Member)));
        assert!(Audience::Person(A).may_go(dm(A, Reader::Outsider)));
        assert!(!Audience::Person(A).may_go(dm(B, Reader::Lead)));
        assert!(Reader::Outsider.sees(Audience::Public, A));
        assert!(!Reader::Member.sees(Audience::Leads, A));
    }
}
