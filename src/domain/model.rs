//! The coalition's vocabulary: rows as the rest of the code sees them.

use serde::Serialize;
use sqlx::FromRow;

use super::ids::*;

/// A member's role in a coalition. Admins (Manage Server) count as leads everywhere. Stored as
/// TEXT (`lead`, `member`); reading any other stored value is an error, never a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Role {
    Lead,
    Member,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Member => "member",
        }
    }

    /// Reads a typed role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lead" => Some(Role::Lead),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// A task's status. Stored as TEXT (`open`, `in_progress`, `blocked`, `done`); reading any other
/// stored value is an error, never a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Blocked,
    Done,
    /// Closed without being done (`/task cancel`): never counts as done.
    Cancelled,
}

impl TaskStatus {
    /// All statuses, in display order.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Open,
        TaskStatus::InProgress,
        TaskStatus::Blocked,
        TaskStatus::Done,
        TaskStatus::Cancelled,
    ];

    /// Whether the task is finished with, done or cancelled: no pings, no buttons.
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }

    /// The stored name (also the slash-command choice value).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in progress",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a typed status (`in progress` and `in-progress` too).
    pub fn parse(s: &str) -> Option<TaskStatus> {
        match s.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "open" => Some(TaskStatus::Open),
            "in_progress" | "started" => Some(TaskStatus::InProgress),
            "blocked" => Some(TaskStatus::Blocked),
            "done" => Some(TaskStatus::Done),
            "cancelled" | "canceled" => Some(TaskStatus::Cancelled),
            _ => None,
        }
    }
}

/// A goal's status. Stored as TEXT; reading an unknown value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum GoalStatus {
    Active,
    Achieved,
    Dropped,
}

impl GoalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Active => "active",
            GoalStatus::Achieved => "achieved",
            GoalStatus::Dropped => "dropped",
        }
    }
}

/// A deadline's status. Stored as TEXT; reading an unknown value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum DeadlineStatus {
    Open,
    Met,
}

/// What changed a goal's value (a `goal_values` row). Stored as TEXT; reading an unknown value
/// is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum GoalValueCause {
    /// `/goal add`: the value it starts at.
    Created,
    /// `/goal progress`.
    Progress,
    /// `/win log` with an amount.
    Win,
    /// `/win remove` took a win's amount off.
    WinRemoved,
    /// A correction that set the value (none does today: `/goal edit` keeps it).
    Edit,
    /// A goal that counts targets (metric `targets …`): a stance changed, or the goal was added.
    Targets,
}

/// A coalition: partner organizations working toward shared goals, living in one guild.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Coalition {
    pub id: CoalitionId,
    pub guild_id: GuildId,
    pub name: String,
    pub home_channel_id: ChannelId,
    pub timezone: String,
    pub checkin_schedule: String,
    pub digest_schedule: String,
    pub ping_offsets: String,
    pub next_checkin_at: Option<i64>,
    pub next_digest_at: Option<i64>,
    pub created_by: UserId,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    /// The leads' private channel, where leads-only messages go when a lead's DMs are closed or
    /// off (never a public channel: `/coalition settings` checks it).
    pub leads_channel_id: Option<ChannelId>,
}

impl Coalition {
    /// The coalition's time zone (UTC if the stored name is somehow unknown).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// A partner organization.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub coalition_id: CoalitionId,
    pub name: String,
    pub created_at: i64,
}

/// A person in a coalition.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Member {
    pub coalition_id: CoalitionId,
    pub user_id: UserId,
    pub role: Role,
    pub org_id: Option<OrgId>,
    pub display_name: String,
    pub joined_at: i64,
}

/// A shared, measurable goal.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Goal {
    pub id: GoalId,
    pub coalition_id: CoalitionId,
    pub number: i64,
    pub title: String,
    pub metric: Option<String>,
    pub unit: Option<String>,
    pub target: Option<f64>,
    pub current: f64,
    pub due_at: Option<i64>,
    pub status: GoalStatus,
    pub created_by: UserId,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

impl Goal {
    /// Progress toward the target in 0..=1, if there is a target.
    pub fn progress(&self) -> Option<f64> {
        self.target.map(|t| (self.current / t).clamp(0.0, 1.0))
    }
}

/// A piece of work assigned to a member.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Task {
    pub id: TaskId,
    pub coalition_id: CoalitionId,
    pub number: i64,
    pub title: String,
    pub assignee_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    pub goal_id: Option<GoalId>,
    pub due_at: Option<i64>,
    pub status: TaskStatus,
    pub blocked_reason: Option<String>,
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    pub next_ping_at: Option<i64>,
    pub channel_id: Option<ChannelId>,
    pub message_id: Option<MessageId>,
    /// Why it was cancelled (`/task cancel reason:`).
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<i64>,
    /// How it repeats (`every monday`), in the words `/task repeat` accepted; `None` = once.
    pub repeat_every: Option<String>,
    /// The task this one was copied from when that one closed.
    pub repeat_of: Option<TaskId>,
}

impl Task {
    /// Whether the task is past due and still open (not done or cancelled).
    pub fn is_overdue(&self, now: i64) -> bool {
        overdue(self.status, self.due_at, now)
    }
}

/// The one rule for "overdue": past its due date (unix seconds) and neither done nor cancelled.
pub fn overdue(status: TaskStatus, due_at: Option<i64>, now: i64) -> bool {
    !status.is_closed() && due_at.is_some_and(|d| d < now)
}

/// A milestone with a due date.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Deadline {
    pub id: DeadlineId,
    pub coalition_id: CoalitionId,
    pub number: i64,
    pub title: String,
    pub goal_id: Option<GoalId>,
    pub due_at: i64,
    pub status: DeadlineStatus,
    pub created_by: UserId,
    pub created_at: i64,
    pub met_at: Option<i64>,
    pub next_ping_at: Option<i64>,
}

impl Deadline {
    /// Whether the milestone has been met.
    pub fn is_met(&self) -> bool {
        self.status == DeadlineStatus::Met
    }
}

/// A win worth celebrating.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Win {
    pub id: WinId,
    pub coalition_id: CoalitionId,
    pub user_id: UserId,
    pub text: String,
    pub org_id: Option<OrgId>,
    pub goal_id: Option<GoalId>,
    pub task_id: Option<TaskId>,
    pub amount: Option<f64>,
    pub created_at: i64,
}

/// One scheduled period of check-ins.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct CheckinRound {
    pub id: RoundId,
    pub coalition_id: CoalitionId,
    pub opens_at: i64,
    pub nudge_at: Option<i64>,
    pub channel_id: Option<ChannelId>,
    pub message_id: Option<MessageId>,
    pub created_at: i64,
}

/// One member's answer in a round.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Checkin {
    pub id: CheckinId,
    pub round_id: RoundId,
    pub coalition_id: CoalitionId,
    pub user_id: UserId,
    pub done: String,
    pub next: String,
    pub blockers: String,
    pub submitted_at: i64,
    pub updated_at: i64,
}

/// A named duty held by a member.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Responsibility {
    pub id: ResponsibilityId,
    pub coalition_id: CoalitionId,
    pub user_id: UserId,
    pub name: String,
    pub assigned_at: i64,
}
