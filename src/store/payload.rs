//! What each kind of delivery carries, as one type per kind: written by whoever plans it, read
//! back by the sender when it renders. A payload that doesn't match its kind is a loud error
//! (the delivery is marked dead with the reason), never a silent `""` or `0`.

use serde::{Deserialize, Serialize};

use super::deliveries::DeliveryKind;
use crate::domain::*;

/// A delivery's kind with what it carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    CheckinPrompt(Opens),
    Nudge(Opens),
    TaskPing(Ping),
    DeadlinePing(Ping),
    BlockerAlert(Blocker),
    Digest(Period),
    DigestLeads(Period),
    TaskAssigned(AssignedBy),
    WinCelebration,
    ChannelWarning(Unreachable),
    CheckinThread(OfRound),
    CheckinCard(OfRound),
    CheckinSummary(OfRound),
    CheckinClose(Closing),
    FeedbackToLead,
    FeedbackAck,
    TaskRepeat,
    MeetingEvent(EventStep),
    MeetingPost,
    MeetingReminder(Reminder),
    MeetingThread,
    MeetingMinutes,
    MeetingCancelled,
}

/// What a meeting's Discord event should become: created, or moved to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventChange {
    Create,
    Active,
    Completed,
    Canceled,
}

impl EventChange {
    /// Its name in dedupe keys.
    pub fn as_str(self) -> &'static str {
        match self {
            EventChange::Create => "create",
            EventChange::Active => "active",
            EventChange::Completed => "completed",
            EventChange::Canceled => "canceled",
        }
    }
}

/// One change to a meeting's Discord event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStep {
    pub change: EventChange,
}

/// A meeting reminder: the start it was planned for (moved since: cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub starts_at: i64,
}

/// When a check-in round opened (its prompt, its nudges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opens {
    pub opens_at: i64,
}

/// A deadline ping: the due date it was planned for (moved since: cancelled) and how long before
/// it (0 = overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    pub due_at: i64,
    pub offset: i64,
}

/// Why the leads are alerted: a task marked blocked, or a check-in answer with a blocker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Blocker {
    Checkin {
        source: CheckinSource,
        round_id: RoundId,
        user_id: UserId,
        name: String,
        blockers: String,
    },
    Task {
        #[serde(default)]
        reason: Option<String>,
        by: UserId,
        #[serde(default)]
        by_name: String,
    },
}

/// The tag that marks a check-in blocker (`"source": "checkin"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckinSource {
    Checkin,
}

impl Blocker {
    /// Who raised it (the lead who did needs no alert about it).
    pub fn raised_by(&self) -> UserId {
        match self {
            Blocker::Checkin { user_id, .. } => *user_id,
            Blocker::Task { by, .. } => *by,
        }
    }
}

/// The period a digest covers, fixed when it was planned, so a retry covers the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    /// The schedule's occurrence (planned digests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<i64>,
    /// The lead who asked for it with `/digest send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<UserId>,
}

/// Who assigned a task ("" when the outbox made it: the next copy of a repeating task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedBy {
    pub by: UserId,
    pub by_name: String,
}

/// A channel the bot could not post in, and what Discord said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreachable {
    pub channel_id: ChannelId,
    pub code: u32,
    pub error: String,
}

/// The round a post belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfRound {
    pub round_id: RoundId,
}

/// A round closed by the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub round_id: RoundId,
    pub closed_by: RoundId,
}

/// For kinds that carry nothing.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Nothing {}

impl Payload {
    /// The kind of delivery this is.
    pub fn kind(&self) -> DeliveryKind {
        match self {
            Payload::CheckinPrompt(_) => DeliveryKind::CheckinPrompt,
            Payload::Nudge(_) => DeliveryKind::Nudge,
            Payload::TaskPing(_) => DeliveryKind::TaskPing,
            Payload::DeadlinePing(_) => DeliveryKind::DeadlinePing,
            Payload::BlockerAlert(_) => DeliveryKind::BlockerAlert,
            Payload::Digest(_) => DeliveryKind::Digest,
            Payload::DigestLeads(_) => DeliveryKind::DigestLeads,
            Payload::TaskAssigned(_) => DeliveryKind::TaskAssigned,
            Payload::WinCelebration => DeliveryKind::WinCelebration,
            Payload::ChannelWarning(_) => DeliveryKind::ChannelWarning,
            Payload::CheckinThread(_) => DeliveryKind::CheckinThread,
            Payload::CheckinCard(_) => DeliveryKind::CheckinCard,
            Payload::CheckinSummary(_) => DeliveryKind::CheckinSummary,
            Payload::CheckinClose(_) => DeliveryKind::CheckinClose,
            Payload::FeedbackToLead => DeliveryKind::FeedbackToLead,
            Payload::FeedbackAck => DeliveryKind::FeedbackAck,
            Payload::TaskRepeat => DeliveryKind::TaskRepeat,
            Payload::MeetingEvent(_) => DeliveryKind::MeetingEvent,
            Payload::MeetingPost => DeliveryKind::MeetingPost,
            Payload::MeetingReminder(_) => DeliveryKind::MeetingReminder,
            Payload::MeetingThread => DeliveryKind::MeetingThread,
            Payload::MeetingMinutes => DeliveryKind::MeetingMinutes,
            Payload::MeetingCancelled => DeliveryKind::MeetingCancelled,
        }
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        let json = match self {
            Payload::CheckinPrompt(p) | Payload::Nudge(p) => serde_json::to_string(p),
            Payload::TaskPing(p) | Payload::DeadlinePing(p) => serde_json::to_string(p),
            Payload::BlockerAlert(p) => serde_json::to_string(p),
            Payload::Digest(p) | Payload::DigestLeads(p) => serde_json::to_string(p),
            Payload::TaskAssigned(p) => serde_json::to_string(p),
            Payload::ChannelWarning(p) => serde_json::to_string(p),
            Payload::CheckinThread(p) | Payload::CheckinCard(p) | Payload::CheckinSummary(p) => {
                serde_json::to_string(p)
            }
            Payload::CheckinClose(p) => serde_json::to_string(p),
            Payload::MeetingEvent(p) => serde_json::to_string(p),
            Payload::MeetingReminder(p) => serde_json::to_string(p),
            Payload::WinCelebration
            | Payload::FeedbackToLead
            | Payload::FeedbackAck
            | Payload::TaskRepeat
            | Payload::MeetingPost
            | Payload::MeetingThread
            | Payload::MeetingMinutes
            | Payload::MeetingCancelled => serde_json::to_string(&Nothing {}),
        };
        json.expect("payloads are plain data")
    }

    /// Reads the stored JSON of a delivery of `kind`; the error says what is wrong with it.
    pub fn decode(kind: DeliveryKind, json: &str) -> Result<Payload, String> {
        fn read<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
            serde_json::from_str(json).map_err(|e| e.to_string())
        }
        let p = match kind {
            DeliveryKind::CheckinPrompt => Payload::CheckinPrompt(read(json)?),
            DeliveryKind::Nudge => Payload::Nudge(read(json)?),
            DeliveryKind::TaskPing => Payload::TaskPing(read(json)?),
            DeliveryKind::DeadlinePing => Payload::DeadlinePing(read(json)?),
            DeliveryKind::BlockerAlert => Payload::BlockerAlert(read(json)?),
            DeliveryKind::Digest => Payload::Digest(read(json)?),
            DeliveryKind::DigestLeads => Payload::DigestLeads(read(json)?),
            DeliveryKind::TaskAssigned => Payload::TaskAssigned(read(json)?),
            DeliveryKind::ChannelWarning => Payload::ChannelWarning(read(json)?),
            DeliveryKind::CheckinThread => Payload::CheckinThread(read(json)?),
            DeliveryKind::CheckinCard => Payload::CheckinCard(read(json)?),
            DeliveryKind::CheckinSummary => Payload::CheckinSummary(read(json)?),
            DeliveryKind::CheckinClose => Payload::CheckinClose(read(json)?),
            DeliveryKind::WinCelebration => {
                read::<Nothing>(json)?;
                Payload::WinCelebration
            }
            DeliveryKind::FeedbackToLead => {
                read::<Nothing>(json)?;
                Payload::FeedbackToLead
            }
            DeliveryKind::FeedbackAck => {
                read::<Nothing>(json)?;
                Payload::FeedbackAck
            }
            DeliveryKind::TaskRepeat => {
                read::<Nothing>(json)?;
                Payload::TaskRepeat
            }
            DeliveryKind::MeetingEvent => Payload::MeetingEvent(read(json)?),
            DeliveryKind::MeetingReminder => Payload::MeetingReminder(read(json)?),
            DeliveryKind::MeetingPost => {
                read::<Nothing>(json)?;
                Payload::MeetingPost
            }
            DeliveryKind::MeetingThread => {
                read::<Nothing>(json)?;
                Payload::MeetingThread
            }
            DeliveryKind::MeetingMinutes => {
                read::<Nothing>(json)?;
                Payload::MeetingMinutes
            }
            DeliveryKind::MeetingCancelled => {
                read::<Nothing>(json)?;
                Payload::MeetingCancelled
            }
        };
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: Payload) {
        let json = p.to_json();
        assert_eq!(Payload::decode(p.kind(), &json), Ok(p.clone()), "{json}");
    }

    #[test]
    fn every_kind_reads_back_what_it_wrote() {
        let period = Period {
            from: 1,
            to: 2,
            at: Some(2),
            requested_by: None,
        };
        for p in [
            Payload::CheckinPrompt(Opens { opens_at: 5 }),
            Payload::Nudge(Opens { opens_at: 5 }),
            Payload::TaskPing(Ping {
                due_at: 9,
                offset: 3600,
            }),
            Payload::DeadlinePing(Ping { due_at: 9, offset: 0 }),
            Payload::BlockerAlert(Blocker::Task {
                reason: Some("no printer".into()),
                by: UserId(3),
                by_name: "Milo".into(),
            }),
            Payload::BlockerAlert(Blocker::Checkin {
                source: CheckinSource::Checkin,
                round_id: RoundId(4),
                user_id: UserId(3),
                name: "Milo".into(),
                blockers: "permit".into(),
            }),
            Payload::Digest(period),
            Payload::DigestLeads(period),
            Payload::TaskAssigned(AssignedBy {
                by: UserId(2),
                by_name: "Lena".into(),
            }),
            Payload::WinCelebration,
            Payload::ChannelWarning(Unreachable {
                channel_id: ChannelId(7),
                code: 50013,
                error: "Missing Permissions".into(),
            }),
            Payload::CheckinThread(OfRound { round_id: RoundId(4) }),
            Payload::CheckinCard(OfRound { round_id: RoundId(4) }),
            Payload::CheckinSummary(OfRound { round_id: RoundId(4) }),
            Payload::CheckinClose(Closing {
                round_id: RoundId(4),
                closed_by: RoundId(5),
            }),
            Payload::FeedbackToLead,
            Payload::FeedbackAck,
            Payload::TaskRepeat,
            Payload::MeetingEvent(EventStep {
                change: EventChange::Active,
            }),
            Payload::MeetingPost,
            Payload::MeetingReminder(Reminder { starts_at: 9 }),
            Payload::MeetingThread,
            Payload::MeetingMinutes,
            Payload::MeetingCancelled,
        ] {
            round_trip(p);
        }
    }

    #[test]
    fn the_stored_shapes_of_earlier_versions_still_read() {
        // What the planner wrote before payloads had types.
        let old = r#"{"source":"checkin","round_id":4,"user_id":3,"name":"Milo","blockers":"permit"}"#;
        assert!(matches!(
            Payload::decode(DeliveryKind::BlockerAlert, old),
            Ok(Payload::BlockerAlert(Blocker::Checkin { .. }))
        ));
        let task = r#"{"reason":"landlord away","by":3}"#;
        assert!(matches!(
            Payload::decode(DeliveryKind::BlockerAlert, task),
            Ok(Payload::BlockerAlert(Blocker::Task { .. }))
        ));
        let manual = r#"{"manual":true,"requested_by":2,"from":1,"to":2}"#;
        assert!(matches!(
            Payload::decode(DeliveryKind::Digest, manual),
            Ok(Payload::Digest(_))
        ));
    }

    #[test]
    fn a_missing_field_is_a_loud_error() {
        let e = Payload::decode(DeliveryKind::TaskPing, r#"{"offset":3600}"#).unwrap_err();
        assert!(e.contains("due_at"), "{e}");
        assert!(Payload::decode(DeliveryKind::WinCelebration, r#"{"x":1}"#).is_err());
        assert!(Payload::decode(DeliveryKind::Digest, "not json").is_err());
    }
}
