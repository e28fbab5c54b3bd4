//! `/task reassign` and `/task due`: another assignee or another due date, compare-and-set.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::*;
use crate::actions::{Actor, ts};
use crate::domain::{pings, when};
use crate::error::{Error, Result};
use crate::store::{self, Store};

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
        return Err(races::reassign_lost(store, &scope, &task, input.assignee, &name).await);
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
        return Err(races::due_lost(store, &scope, &task).await);
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
