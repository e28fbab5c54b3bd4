//! Small typed ids, so a task id is never passed where a coalition id belongs.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

id_type! {
    /// A Discord guild (server).
    GuildId,
    /// A Discord user.
    UserId,
    /// A Discord channel.
    ChannelId,
    /// A Discord message.
    MessageId,
    /// A coalition row.
    CoalitionId,
    /// A partner organization row.
    OrgId,
    /// A goal row.
    GoalId,
    /// A task row (not its per-coalition number).
    TaskId,
    /// A deadline row.
    DeadlineId,
    /// A win row.
    WinId,
    /// A check-in round row.
    RoundId,
    /// A delivery (outbox) row.
    DeliveryId,
    /// A check-in answer row.
    CheckinId,
    /// A responsibility (named duty) row.
    ResponsibilityId,
}

id_type! {
    /// A feedback row (a concern or suggestion sent to the leads).
    FeedbackId,
}

id_type! {
    /// An advocacy target row (a decision-maker the coalition wants to move).
    TargetId,
    /// An outreach row (`/target log`).
    OutreachId,
    /// A shared resource row (`/resource add`).
    ResourceId,
}
