//! Correcting and closing tasks: `/task edit` (title, goal), `/task cancel` (closed, not done)
//! and `/task repeat` (the next copy is created when this one closes, through the outbox).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use super::tasks::{TaskSel, load, ping_offsets, resolve};
use super::{Actor, Holder, Scope, ts};
use crate::domain::repeat::{self, Repeat};
use crate::domain::{pings, text, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{Delivery, DeliveryKind, NewDelivery, Target};
use crate::store::{self, Store, Tx};

/// Words that clear an optional field (`goal: none`).
const CLEAR: [&str; 4] = ["none", "no", "off", "-"];

/// Input of `/task edit`.
#[derive(Debug, Clone)]
pub struct EditTask {
    pub coalition: Option<String>,
    pub task: TaskSel,
    pub title: Option<String>,
    /// `#3`, `3`, the start of an active goal's title, or `none` to unlink it.
    pub goal: Option<String>,
}

/// A task's title or goal changed.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEdited {
    pub task: Task,
    pub coalition_name: String,
    pub timezone: String,
    /// What changed, as `field: before → after` lines.
    pub changes: Vec<String>,
    pub goal_title: Option<String>,
}

/// `/task edit` (creator, assignee or lead): corrects the title or the goal; the card follows.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn edit(store: &Store, actor: &Actor, now: DateTime<Utc>, input: EditTask) -> Result<TaskEdited> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    scope.require_right(
        &[
            (Holder::Creator, Some(task.created_by)),
            (Holder::Assignee, task.assignee_id),
        ],
        &format!("task #{}", task.number),
        "edit it",
    )?;
    super::task_changes::require_not_cancelled(&task)?;
    let title_in = input.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let goal_in = input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty());
    if title_in.is_none() && goal_in.is_none() {
        return Err(Error::user(format!(
            "Say what to change on task #{}: `title:` and/or `goal:` (`goal: none` unlinks it).",
            task.number
        )));
    }
    let title = match title_in {
        Some(t) => text::single_line("task title", t, text::MAX_TITLE)?,
        None => task.title.clone(),
    };
    let old_goal = match task.goal_id {
        Some(g) => store::goals::get(store, scope.id(), g).await?,
        None => None,
    };
    let goal = match goal_in {
        Some(g) if CLEAR.contains(&g.to_lowercase().as_str()) => None,
        Some(g) => {
            let goal = super::goals::resolve(store, &scope, g).await?;
            super::goals::require_active(&goal, &scope)?;
            Some(goal)
        }
        None => old_goal.clone(),
    };
    let mut changes = Vec::new();
    if title != task.title {
        changes.push(format!("title: {} → {}", task.title, title));
    }
    let goal_id = goal.as_ref().map(|g| g.id);
    if goal_id != task.goal_id {
        let name = |g: &Option<Goal>| {
            g.as_ref()
                .map_or("none".to_string(), |g| format!("#{} {}", g.number, g.title))
        };
        changes.push(format!("goal: {} → {}", name(&old_goal), name(&goal)));
    }
    if changes.is_empty() {
        return Err(Error::user(format!(
            "Task #{} already has that title and goal — nothing to change.",
            task.number
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::task_edits::set_title_goal(&mut tx, scope.id(), task.id, &title, goal_id, now_s).await? {
        return Err(cancelled_meanwhile(&task));
    }
    let subject = format!("task #{}", task.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.edit",
        &subject,
        &changes.join("; "),
        now_s,
    )
    .await?;
    tx.commit().await?;

    Ok(TaskEdited {
        task: load(store, &scope, task.id).await?,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        changes,
        goal_title: goal.map(|g| g.title),
    })
}

/// Input of `/task cancel`.
#[derive(Debug, Clone)]
pub struct CancelTask {
    pub coalition: Option<String>,
    pub task: TaskSel,
    pub reason: Option<String>,
}

/// A task was cancelled.
#[derive(Debug, Clone, Serialize)]
pub struct TaskCancelled {
    pub task: Task,
    pub previous: TaskStatus,
    pub coalition_name: String,
    /// Pending pings and DMs about it that were cancelled.
    pub pings_cancelled: u64,
    /// When it repeats, the next copy is on its way.
    pub repeats: Option<String>,
}

/// `/task cancel` (creator or lead): closes the task without counting it as done; its pending
/// pings are cancelled, and a repeating task's next copy is queued.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn cancel(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: CancelTask,
) -> Result<TaskCancelled> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    super::task_changes::require_creator_or_lead(&scope, &task, "cancel it")?;
    let previous = task.status;
    match previous {
        TaskStatus::Cancelled => {
            return Err(Error::user(format!(
                "Task #{} is already cancelled — nothing changed.",
                task.number
            )));
        }
        TaskStatus::Done => {
            return Err(Error::user(format!(
                "Task #{} is done, so there's nothing to cancel — reopen it with `/task update status:open` first if it wasn't really done.",
                task.number
            )));
        }
        _ => {}
    }
    let reason = match input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(text::multi_line("reason", r, text::MAX_TEXT)?),
        None => None,
    };
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::task_edits::cancel(&mut tx, scope.id(), task.id, previous, reason.as_deref(), now_s).await? {
        return Err(Error::user(format!(
            "Task #{} changed while you were cancelling it — look at it again (`/task list`) and retry if needed.",
            task.number
        )));
    }
    let pings_cancelled =
        store::task_edits::cancel_pending_about(&mut tx, scope.id(), task.id, "task cancelled").await?;
    let repeats = enqueue_next(&mut tx, &scope, &task, now_s).await?;
    let mut detail = format!("status: {} → cancelled", previous.as_str());
    if let Some(r) = &reason {
        detail.push_str(&format!("; reason: {r}"));
    }
    let subject = format!("task #{}", task.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.cancel",
        &subject,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    Ok(TaskCancelled {
        task: load(store, &scope, task.id).await?,
        previous,
        coalition_name: scope.coalition.name.clone(),
        pings_cancelled,
        repeats,
    })
}

/// Input of `/task repeat`.
#[derive(Debug, Clone)]
pub struct RepeatTask {
    pub coalition: Option<String>,
    pub task: TaskSel,
    /// `every monday`, `every 2 weeks fri 17:00`, `monthly on the 1st`, or `off`.
    pub every: String,
}

/// A task's repeat rule changed.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRepeatSet {
    pub task: Task,
    pub coalition_name: String,
    pub timezone: String,
    /// The rule in words (`every Monday at 09:00`), `None` when turned off.
    pub every: Option<String>,
    /// When the next copy would be due if this one closed now.
    pub next_due: Option<i64>,
}

/// `/task repeat` (creator or lead): sets how the task repeats, or `off`. A rule without a time
/// keeps the task's due time (09:00 when it has none).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn set_repeat(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RepeatTask,
) -> Result<TaskRepeatSet> {
    let (scope, task) = resolve(store, actor, input.coalition.as_deref(), &input.task).await?;
    super::task_changes::require_creator_or_lead(&scope, &task, "set its repeat")?;
    super::task_changes::require_not_cancelled(&task)?;
    if task.status == TaskStatus::Done {
        return Err(Error::user(format!(
            "Task #{} is already done — a repeat starts when a task closes, so set it on an open one (or reopen this one first).",
            task.number
        )));
    }
    let tz = scope.coalition.tz();
    let default_time = task
        .due_at
        .and_then(|d| Utc.timestamp_opt(d, 0).single())
        .map(|d| d.with_timezone(&tz).format("%H:%M").to_string())
        .unwrap_or_else(|| repeat::DEFAULT_TIME.to_string());
    let rule = Repeat::parse_with_default(&input.every, &default_time)?;
    let source = rule.as_ref().map(Repeat::source);
    if source == task.repeat_every {
        return Err(Error::user(format!(
            "Task #{} already {} — nothing changed.",
            task.number,
            match &rule {
                Some(r) => format!("repeats {}", r.describe()),
                None => "doesn't repeat".into(),
            }
        )));
    }
    let now_s = ts(now);
    let next_due = rule.as_ref().and_then(|r| next_due(r, &task, now_s, tz));

    let mut tx = store.write().await?;
    if !store::task_edits::set_repeat(&mut tx, scope.id(), task.id, source.as_deref(), now_s).await? {
        return Err(Error::user(format!(
            "Task #{} closed while you were setting its repeat — nothing changed.",
            task.number
        )));
    }
    let detail = format!(
        "repeat: {} → {}",
        task.repeat_every.as_deref().unwrap_or("off"),
        source.as_deref().unwrap_or("off")
    );
    let subject = format!("task #{}", task.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.repeat",
        &subject,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    Ok(TaskRepeatSet {
        task: load(store, &scope, task.id).await?,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        every: rule.map(|r| r.describe()),
        next_due,
    })
}

/// When a repeating task closes (done or cancelled), queues the job that creates its next copy,
/// in the same transaction. Keyed by the task, so closing it again (after a reopen) creates
/// nothing more. Returns the rule in words when it repeats.
pub(crate) async fn enqueue_next(
    tx: &mut Tx,
    scope: &Scope,
    task: &Task,
    now: i64,
) -> Result<Option<String>> {
    let Some(rule) = task.repeat_every.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let job = NewDelivery {
        coalition: scope.id(),
        kind: DeliveryKind::TaskRepeat,
        dedupe_key: format!("task_repeat:{}", task.id.0),
        target: Target::Channel(scope.coalition.home_channel_id),
        subject_id: Some(task.id.0),
        payload: "{}".into(),
        due_at: now,
    };
    store::deliveries::enqueue(tx, &job, now).await?;
    Ok(Some(
        Repeat::parse(rule)
            .ok()
            .flatten()
            .map_or_else(|| rule.to_string(), |r| r.describe()),
    ))
}

/// What the repeat job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepeatRun {
    /// The next copy was created as task #`number`.
    Created { id: TaskId, number: i64 },
    /// Nothing to create (the reason is recorded).
    Skipped(String),
    /// Another sender holds the job now: nothing was recorded.
    Lost,
}

/// Runs a claimed [`DeliveryKind::TaskRepeat`] job: creates the next copy of the closed task, its
/// assignment DM, an event, and marks the job done — all in one transaction, only while the
/// claim holds, so a crash or a second sender can't create two copies.
#[tracing::instrument(skip_all, fields(delivery = %d.id))]
pub async fn run_repeat(store: &Store, d: &Delivery, now: DateTime<Utc>) -> Result<RepeatRun> {
    let now_s = ts(now);
    let coalition = store::coalitions::get_any(store, d.coalition_id).await?;
    let mut tx = store.write().await?;
    let task = store::task_edits::get_tx(&mut tx, d.coalition_id, TaskId(d.subject_id.unwrap_or(0))).await?;
    let skip = match (&coalition, &task) {
        (None, _) => Some("coalition deleted"),
        (Some(c), _) if c.archived_at.is_some() => Some("coalition archived"),
        (_, None) => Some("task deleted"),
        (_, Some(t)) if !t.status.is_closed() => Some("task reopened"),
        _ => None,
    };
    let rule = task
        .as_ref()
        .and_then(|t| Repeat::parse(t.repeat_every.as_deref()?).ok().flatten());
    let (Some(c), Some(task), Some(rule), None) = (coalition, task, rule, skip) else {
        let why = skip.unwrap_or("no repeat rule");
        if !store::deliveries::mark_final(&mut tx, d.id, d.claim_token, false, why, false).await? {
            return Ok(RepeatRun::Lost);
        }
        tx.commit().await?;
        return Ok(RepeatRun::Skipped(why.to_string()));
    };
    let due = next_due(&rule, &task, now_s, c.tz());
    let next_ping = due.and_then(|due| pings::next_ping_at(due, &ping_offsets(&c), now_s));
    let (id, number) = store::task_edits::insert_copy(&mut tx, &task, due, next_ping, now_s).await?;
    if !store::deliveries::mark_done(
        &mut tx,
        d.id,
        d.claim_token,
        &format!("created task #{number}"),
        now_s,
    )
    .await?
    {
        // Dropping `tx` rolls the copy back: the sender that holds the claim now creates it.
        return Ok(RepeatRun::Lost);
    }
    if let Some(assignee) = task.assignee_id {
        let dm = NewDelivery {
            coalition: c.id,
            kind: DeliveryKind::TaskAssigned,
            dedupe_key: format!("task_assigned:{}", id.0),
            target: Target::User(assignee),
            subject_id: Some(id.0),
            payload: serde_json::json!({ "by": 0, "by_name": "" }).to_string(),
            due_at: now_s,
        };
        store::deliveries::enqueue(&mut tx, &dm, now_s).await?;
    }
    let detail = format!("from task #{} ({})", task.number, rule.describe());
    store::record_event(
        &mut tx,
        c.id,
        UserId(0),
        "task.repeat_copy",
        &format!("task #{number}"),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(RepeatRun::Created { id, number })
}

/// The next copy's due date: the rule's first occurrence after the closed task's due date, or
/// after now if that has passed (a late finish doesn't queue copies already overdue).
fn next_due(rule: &Repeat, task: &Task, now: i64, tz: chrono_tz::Tz) -> Option<i64> {
    let from = task.due_at.unwrap_or(now).max(now);
    let from = Utc.timestamp_opt(from, 0).single()?;
    rule.next_after(from, tz).map(|d| d.timestamp())
}

fn cancelled_meanwhile(task: &Task) -> Error {
    Error::user(format!(
        "This task was cancelled (#{}) while you were editing it — nothing was changed.",
        task.number
    ))
}
