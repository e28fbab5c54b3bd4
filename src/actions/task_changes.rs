//! Changing tasks after they were assigned: status, assignee and due date. Re-exported by
//! [`super::tasks`], which is where callers find them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tasks::{TaskSel, assigned_dm, display_name, load, ping_offsets, require_assignee, resolve};
use super::{Actor, Holder, Scope, ts};
use crate::domain::{pings, text, when, *};
use crate::error::{Error, Result};
use crate::store::deliveries::DeliveryKind;
use crate::store::tasks::{NextPing, StatusChange};
use crate::store::{self, Store};

/// Input of `/task update` (and of the Start / Done / Blocked buttons).
#[derive(Debug, Clone)]
pub struct UpdateTask {
    pub coalition: Option<String>,
    pub task: TaskSel,
    pub status: TaskStatus,
    /// Required for `blocked`: what is in the way.
    pub note: Option<String>,
}

/// A task's status changed.
#[derive(Debug, Clone, Serialize)]
pub struct TaskUpdated {
    pub task: Task,
    pub previous: TaskStatus,
    pub coalition_name: String,
    pub timezone: String,
    pub assignee_name: Option<String>,
    /// For `done`: offer to log it as a win (no win is logged for it yet).
    pub offer_win: bool,
    /// For `blocked`: how many leads were queued an alert.
    pub leads_alerted: usize,
}

/// `/task update` (assignee or lead): changes status; `blocked` needs a note and alerts the leads.
/// A done task can only be reopened (to open or in progress).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn update(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: UpdateTask,
) -> Result<TaskUpdated> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    let subject = format!("task #{}", task.number);
    scope.require_right(
        &[(Holder::Assignee, task.assignee_id)],
        &subject,
        "change its status",
    )?;
    require_not_cancelled(&task)?;
    let previous = task.status;
    let status = input.status;
    if status == TaskStatus::Cancelled {
        return Err(Error::user(format!(
            "To cancel task #{}, use `/task cancel` (it can say why).",
            task.number
        )));
    }
    let note = match input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(text::multi_line("note", n, text::MAX_TEXT)?),
        None => None,
    };
    // A blocked task may be "blocked again" with a new reason: the obstacle changed, and the leads
    // should hear about the new one.
    let reblock = previous == TaskStatus::Blocked && status == TaskStatus::Blocked;
    if reblock {
        match note.as_deref() {
            None => {
                return Err(Error::user(format!(
                    "Task #{} is already blocked — add `note:` with what's in the way now to update the reason, \
                     or `/task update` with another status.",
                    task.number
                )));
            }
            Some(n) if Some(n) == task.blocked_reason.as_deref().map(str::trim) => {
                return Err(Error::user(format!(
                    "Task #{} is already blocked for that reason — give a different `note:` to update it, \
                     or `/task update` with another status.",
                    task.number
                )));
            }
            Some(_) => {}
        }
    } else if previous == status {
        let by = store::tasks::status_by(store, scope.id(), task.id).await?;
        return Err(Error::user(super::task_races::already(&task, by)));
    }
    if previous == TaskStatus::Done && status == TaskStatus::Blocked {
        return Err(Error::user(format!(
            "Task #{} is done — reopen it first with `/task update status:open`.",
            task.number
        )));
    }
    if status == TaskStatus::Blocked && note.is_none() {
        return Err(Error::user(format!(
            "Say what's blocking task #{} — add `note:` (for example `note: waiting for the venue to confirm`).",
            task.number
        )));
    }
    let now_s = ts(now);
    let next_ping = match status {
        TaskStatus::Done => NextPing::Clear,
        // Reopening restarts the pings from now (from the due date it was read with); other moves
        // keep whatever schedule is stored, even one a concurrent `/task due` just wrote.
        TaskStatus::Open | TaskStatus::InProgress if previous == TaskStatus::Done => NextPing::Set {
            value: task
                .due_at
                .and_then(|due| pings::next_ping_at(due, &ping_offsets(&scope.coalition), now_s)),
            due_at: task.due_at,
        },
        _ => NextPing::Keep,
    };
    let change = StatusChange {
        from: previous,
        from_reason: task.blocked_reason.as_deref(),
        status,
        blocked_reason: if status == TaskStatus::Blocked {
            note.as_deref()
        } else {
            None
        },
        completed_at: (status == TaskStatus::Done).then_some(now_s),
        next_ping,
        by: actor.user,
        // An assignee's right to change the status ends when the task moves to someone else.
        while_assigned_to: (!scope.is_lead()).then_some(actor.user),
    };

    let mut tx = store.write().await?;
    if !store::tasks::set_status(&mut tx, scope.id(), task.id, &change, now_s).await? {
        drop(tx);
        return Err(super::task_races::status_lost(store, &scope, &task, status).await);
    }
    if status == TaskStatus::Done {
        // A repeating task's next copy is created by the outbox, once.
        super::task_edits::enqueue_next(&mut tx, &scope, &task, now_s).await?;
    }
    let mut leads_alerted = 0;
    if status == TaskStatus::Blocked {
        let payload =
            serde_json::json!({ "reason": note, "by": actor.user.0, "by_name": actor.name }).to_string();
        let mut prefix = format!("blocker:task:{}:{now_s}", task.id.0);
        if reblock {
            // A new reason is a new alert, even within the same second as the last one.
            prefix.push_str(&format!(":{:016x}", fnv1a(note.as_deref().unwrap_or_default())));
        }
        leads_alerted = store::deliveries::enqueue_to_leads(
            &mut tx,
            scope.id(),
            DeliveryKind::BlockerAlert,
            &prefix,
            Some(task.id.0),
            &payload,
            Some(actor.user),
            now_s,
        )
        .await?;
    }
    let mut detail = format!("{} → {}", previous.as_str(), status.as_str());
    if let Some(n) = &note {
        detail.push_str(": ");
        detail.push_str(n);
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.update",
        &format!("task #{}", task.number),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let offer_win =
        status == TaskStatus::Done && !store::wins::logged_for_task(store, scope.id(), task.id).await?;
    let task = load(store, &scope, task.id).await?;
    let assignee_name = assignee_name(store, &scope, &task).await?;
    Ok(TaskUpdated {
        task,
        previous,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        assignee_name,
        offer_win,
        leads_alerted,
    })
}

/// `/task done` (assignee or lead): shortcut for status done; the outcome offers to log a win.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn done(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<String>,
    task: TaskSel,
) -> Result<TaskUpdated> {
    update(
        store,
        actor,
        now,
        UpdateTask {
            coalition,
            task,
            status: TaskStatus::Done,
            note: None,
        },
    )
    .await
}

/// Input of `/task reassign`.
#[derive(Debug, Clone)]
pub struct ReassignTask {
    pub coalition: Option<String>,
    pub task: TaskSel,
    pub assignee: UserId,
    pub assignee_name: String,
}

/// A task moved to another member.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReassigned {
    pub task: Task,
    pub previous_assignee: Option<UserId>,
    pub coalition_name: String,
    pub assignee_name: String,
    /// Whether a DM to the new assignee was queued (not when they took it themselves).
    pub notified: bool,
}

/// `/task reassign` (creator or lead): moves a task (and its org) to another member.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn reassign(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ReassignTask,
) -> Result<TaskReassigned> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    require_creator_or_lead(&scope, &task, "reassign it")?;
    require_not_done(&task)?;
    let assignee = require_assignee(store.pool(), &scope, input.assignee, &input.assignee_name).await?;
    let name = display_name(&input.assignee_name, &assignee);
    if task.assignee_id == Some(input.assignee) {
        return Err(Error::user(format!(
            "Task #{} is already assigned to **{name}** — pick someone else.",
            task.number
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::tasks::set_assignee(
        &mut tx,
        scope.id(),
        task.id,
        task.assignee_id,
        input.assignee,
        now_s,
    )
    .await?
    {
        drop(tx);
        return Err(super::task_races::reassign_lost(store, &scope, &task, input.assignee, &name).await);
    }
    let notified = input.assignee != actor.user;
    if notified {
        // Per assignee: two quick reassignments in one second each reach their new assignee.
        let key = format!("task_assigned:{}:{now_s}:u{}", task.id.0, input.assignee.0);
        store::deliveries::enqueue(
            &mut tx,
            &assigned_dm(&scope, task.id, input.assignee, key, now_s),
            now_s,
        )
        .await?;
    }
    let detail = format!("to {} ({name})", input.assignee.0);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.reassign",
        &format!("task #{}", task.number),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let previous_assignee = task.assignee_id;
    let task = load(store, &scope, task.id).await?;
    Ok(TaskReassigned {
        task,
        previous_assignee,
        coalition_name: scope.coalition.name.clone(),
        assignee_name: name,
        notified,
    })
}

/// Input of `/task due`.
#[derive(Debug, Clone)]
pub struct SetDue {
    pub coalition: Option<String>,
    pub task: TaskSel,
    /// Free text read in the coalition's time zone.
    pub due: String,
}

/// A task's due date moved.
#[derive(Debug, Clone, Serialize)]
pub struct TaskDueSet {
    pub task: Task,
    pub previous_due: Option<i64>,
    pub coalition_name: String,
    pub timezone: String,
    /// The new due date as people in the coalition read it.
    pub due_text: String,
}

/// `/task due` (creator or lead): moves the due date; the pings follow it.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn set_due(store: &Store, actor: &Actor, now: DateTime<Utc>, input: SetDue) -> Result<TaskDueSet> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    require_creator_or_lead(&scope, &task, "move its due date")?;
    require_not_done(&task)?;
    let tz = scope.coalition.tz();
    let due = when::parse_due(&input.due, tz, now)?;
    let now_s = ts(now);
    let due_at = due.timestamp();
    let next_ping_at = pings::next_ping_at(due_at, &ping_offsets(&scope.coalition), now_s);
    let due_text = when::describe(due, tz);

    let mut tx = store.write().await?;
    if !store::tasks::set_due(
        &mut tx,
        scope.id(),
        task.id,
        task.due_at,
        due_at,
        next_ping_at,
        now_s,
    )
    .await?
    {
        drop(tx);
        return Err(super::task_races::due_lost(store, &scope, &task).await);
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.due",
        &format!("task #{}", task.number),
        &due_text,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let previous_due = task.due_at;
    let task = load(store, &scope, task.id).await?;
    Ok(TaskDueSet {
        task,
        previous_due,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        due_text,
    })
}

/// The task's creator (while still a member) or a lead may reassign it or move its due date.
pub(crate) fn require_creator_or_lead(scope: &Scope, task: &Task, verb: &str) -> Result<()> {
    let subject = format!("task #{}", task.number);
    scope.require_right(&[(Holder::Creator, Some(task.created_by))], &subject, verb)
}

/// Refuses any change to a cancelled task, as old cards' buttons and commands alike must.
pub(crate) fn require_not_cancelled(task: &Task) -> Result<()> {
    if task.status != TaskStatus::Cancelled {
        return Ok(());
    }
    Err(Error::user(format!(
        "This task was cancelled (#{} {}) — nothing was changed. `/task list` shows the open ones.",
        task.number,
        text::defuse_mentions(&text::escape_markdown(&text::truncate(&task.title, 80)))
    )))
}

fn require_not_done(task: &Task) -> Result<()> {
    require_not_cancelled(task)?;
    if task.status != TaskStatus::Done {
        return Ok(());
    }
    Err(Error::user(format!(
        "Task #{} is done — reopen it first with `/task update status:open`.",
        task.number
    )))
}

async fn assignee_name(store: &Store, scope: &Scope, task: &Task) -> Result<Option<String>> {
    Ok(match task.assignee_id {
        Some(user) => store::members::get(store, scope.id(), user)
            .await?
            .map(|m| m.display_name),
        None => None,
    })
}

/// A stable 64-bit FNV-1a hash, to tell alert keys apart by their text (std's hasher may change
/// between Rust releases, and dedupe keys outlive a build).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
