//! `/task assign`: a new task for a member, its card and the assignee's DM.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::*;
use crate::actions::{Actor, ts};
use crate::domain::{pings, text, when};
use crate::error::Result;
use crate::store::tasks::NewTask;
use crate::store::{self, Store};
use crate::telemetry::phase;

/// Input of `/task assign`.
#[derive(Debug, Clone)]
pub struct AssignTask {
    pub coalition: Option<String>,
    pub title: String,
    pub assignee: UserId,
    /// The assignee's display name as Discord resolved it.
    pub assignee_name: String,
    /// Free text read in the coalition's time zone.
    pub due: Option<String>,
    /// `#3`, `3`, or the start of an active goal's title.
    pub goal: Option<String>,
}

/// A task was created.
#[derive(Debug, Clone, Serialize)]
pub struct TaskAssigned {
    pub task: Task,
    pub coalition_name: String,
    pub timezone: String,
    pub goal_title: Option<String>,
    pub assignee_name: String,
    /// Whether a DM to the assignee was queued (not when they assigned themselves).
    pub notified: bool,
}

/// `/task assign` (member): creates task #N for a member and queues a DM to them.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn assign(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AssignTask,
) -> Result<TaskAssigned> {
    let scope = crate::actions::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let title = text::single_line("task title", &input.title, text::MAX_TITLE)?;
    let due_at = match input.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(due) => Some(when::parse_due(due, scope.coalition.tz(), now)?.timestamp()),
        None => None,
    };
    let goal = match input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => {
            let goal = crate::actions::goals::resolve(store, &scope, g).await?;
            crate::actions::goals::require_active(&goal, &scope)?;
            Some(goal)
        }
        None => None,
    };
    let now_s = ts(now);
    let next_ping_at =
        due_at.and_then(|due| pings::next_ping_at(due, &ping_offsets(&scope.coalition), now_s));

    let sql = phase::sql();
    let mut tx = store.write().await?;
    // The assignee must be a member when the task is created, and it takes the org they are in
    // now: read inside the write, so someone removed this very moment gets no task.
    let assignee = require_assignee(&mut *tx, &scope, input.assignee, &input.assignee_name).await?;
    let new = NewTask {
        coalition: scope.id(),
        title: &title,
        assignee: input.assignee,
        org: assignee.org_id,
        goal: goal.as_ref().map(|g| g.id),
        due_at,
        next_ping_at,
        created_by: actor.user,
    };
    let task = store::tasks::insert(&mut tx, &new, now_s).await?;
    let (id, number) = (task.id, task.number);
    let notified = input.assignee != actor.user;
    if notified {
        let dm = assigned_dm(
            &scope,
            id,
            input.assignee,
            format!("task_assigned:{}", id.0),
            now_s,
        );
        store::deliveries::enqueue(&mut tx, &dm, now_s).await?;
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.assign",
        &format!("task #{number}"),
        &title,
        now_s,
    )
    .await?;
    tx.commit().await?;
    drop(sql);

    Ok(TaskAssigned {
        task,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        goal_title: goal.map(|g| g.title),
        assignee_name: display_name(&input.assignee_name, &assignee),
        notified,
    })
}
