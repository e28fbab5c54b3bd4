//! Correcting the plan: `/goal edit` (the current value is kept), `/deadline edit` (moving the due
//! date reschedules its pings; stages already past are not sent) and `/deadline remove`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::goals::{check_target, optional_name};
use super::tasks::ping_offsets;
use super::{Actor, ts};
use crate::domain::{pings, text, when, *};
use crate::error::{Error, Result};
use crate::store::plan_edits::GoalFields;
use crate::store::{self, Store};

/// Words that clear an optional text field (`unit: none`).
const CLEAR: [&str; 3] = ["none", "off", "-"];

/// Input of `/goal edit`.
#[derive(Debug, Clone, Default)]
pub struct EditGoal {
    pub coalition: Option<String>,
    pub goal: String,
    pub title: Option<String>,
    pub target: Option<f64>,
    pub metric: Option<String>,
    pub unit: Option<String>,
    /// Free text in the coalition's time zone, or `none` to clear it.
    pub due: Option<String>,
}

/// A goal was corrected.
#[derive(Debug, Clone, Serialize)]
pub struct GoalEdited {
    pub goal: Goal,
    pub coalition_name: String,
    pub changes: Vec<String>,
}

/// `/goal edit` (lead): corrects title, target, metric, unit or due date; the value is kept.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn edit_goal(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: EditGoal,
) -> Result<GoalEdited> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let goal = super::goals::resolve(store, &scope, &input.goal).await?;
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let (title_in, metric_in, unit_in, due_in) = (
        given(&input.title),
        given(&input.metric),
        given(&input.unit),
        given(&input.due),
    );
    if title_in.is_none()
        && input.target.is_none()
        && metric_in.is_none()
        && unit_in.is_none()
        && due_in.is_none()
    {
        return Err(Error::user(format!(
            "Say what to change on goal #{}: `title`, `target`, `metric`, `unit` or `due` (`none` clears metric, unit or due).",
            goal.number
        )));
    }
    let title = match &title_in {
        Some(t) => text::single_line("goal title", t, text::MAX_TITLE)?,
        None => goal.title.clone(),
    };
    let target = match input.target {
        Some(t) => Some(check_target(t)?),
        None => goal.target,
    };
    let clears = |v: &str| CLEAR.contains(&v.to_lowercase().as_str());
    let metric = match &metric_in {
        Some(m) if clears(m) => None,
        Some(m) => optional_name("metric", Some(m))?,
        None => goal.metric.clone(),
    };
    let unit = match &unit_in {
        Some(u) if clears(u) => None,
        Some(u) => optional_name("unit", Some(u))?,
        None => goal.unit.clone(),
    };
    let tz = scope.coalition.tz();
    let due_at = match &due_in {
        Some(d) if clears(d) => None,
        Some(d) => Some(when::parse_due(d, tz, now)?.timestamp()),
        None => goal.due_at,
    };
    let show_num = |n: Option<f64>| n.map_or("none".to_string(), text::number);
    let show_text = |t: &Option<String>| t.clone().unwrap_or_else(|| "none".into());
    let show_due = |d: Option<i64>| {
        d.and_then(|d| DateTime::from_timestamp(d, 0))
            .map_or("none".to_string(), |d| when::describe(d, tz))
    };
    let mut changes = Vec::new();
    if title != goal.title {
        changes.push(format!("title: {} → {title}", goal.title));
    }
    if target != goal.target {
        changes.push(format!(
            "target: {} → {}",
            show_num(goal.target),
            show_num(target)
        ));
    }
    if metric != goal.metric {
        changes.push(format!(
            "metric: {} → {}",
            show_text(&goal.metric),
            show_text(&metric)
        ));
    }
    if unit != goal.unit {
        changes.push(format!("unit: {} → {}", show_text(&goal.unit), show_text(&unit)));
    }
    if due_at != goal.due_at {
        changes.push(format!("due: {} → {}", show_due(goal.due_at), show_due(due_at)));
    }
    if changes.is_empty() {
        return Err(Error::user(format!(
            "Goal #{} already reads like that — nothing changed.",
            goal.number
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let fields = GoalFields {
        title: &title,
        metric: metric.as_deref(),
        unit: unit.as_deref(),
        target,
        due_at,
    };
    if !store::plan_edits::update_goal(&mut tx, scope.id(), goal.id, &fields).await? {
        return Err(Error::user(format!(
            "Goal #{} no longer exists — `/goal list` shows them.",
            goal.number
        )));
    }
    // A metric that now counts targets sets the value to today's count, in the same write.
    if metric != goal.metric
        && metric
            .as_deref()
            .and_then(crate::domain::targets::TargetCount::from_metric)
            .is_some()
    {
        super::targets::recount_goals(&mut tx, scope.id(), now_s).await?;
    }
    let subject = format!("goal #{}", goal.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "goal.edit",
        &subject,
        &changes.join("; "),
        now_s,
    )
    .await?;
    tx.commit().await?;

    let goal = store::goals::get(store, scope.id(), goal.id)
        .await?
        .ok_or_else(|| Error::internal("goal vanished after edit"))?;
    Ok(GoalEdited {
        goal,
        coalition_name: scope.coalition.name.clone(),
        changes,
    })
}

/// Input of `/deadline edit`.
#[derive(Debug, Clone, Default)]
pub struct EditDeadline {
    pub coalition: Option<String>,
    pub deadline: String,
    pub title: Option<String>,
    pub due: Option<String>,
}

/// A milestone was corrected.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineEdited {
    pub deadline: Deadline,
    pub coalition_name: String,
    pub timezone: String,
    pub changes: Vec<String>,
}

/// `/deadline edit` (lead): corrects an open milestone's title or due date. A new due date
/// reschedules its pings from the next stage still ahead; earlier stages are not sent.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn edit_deadline(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: EditDeadline,
) -> Result<DeadlineEdited> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let d = super::deadlines::resolve(store, &scope, &input.deadline).await?;
    if d.is_met() {
        return Err(Error::user(format!(
            "Milestone #{} is already met — nothing to move.",
            d.number
        )));
    }
    let title_in = input.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let due_in = input.due.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if title_in.is_none() && due_in.is_none() {
        return Err(Error::user(format!(
            "Say what to change on milestone #{}: `title` and/or `due`.",
            d.number
        )));
    }
    let title = match title_in {
        Some(t) => text::single_line("milestone title", t, text::MAX_TITLE)?,
        None => d.title.clone(),
    };
    let tz = scope.coalition.tz();
    let due_at = match due_in {
        Some(due) => when::parse_due(due, tz, now)?.timestamp(),
        None => d.due_at,
    };
    let show = |at: i64| DateTime::from_timestamp(at, 0).map_or("—".into(), |t| when::describe(t, tz));
    let mut changes = Vec::new();
    if title != d.title {
        changes.push(format!("title: {} → {title}", d.title));
    }
    if due_at != d.due_at {
        changes.push(format!("due: {} → {}", show(d.due_at), show(due_at)));
    }
    if changes.is_empty() {
        return Err(Error::user(format!(
            "Milestone #{} already reads like that — nothing changed.",
            d.number
        )));
    }
    let now_s = ts(now);
    let next_ping_at = if due_at == d.due_at {
        d.next_ping_at
    } else {
        pings::next_ping_at(due_at, &ping_offsets(&scope.coalition), now_s)
    };

    let mut tx = store.write().await?;
    if !store::plan_edits::update_deadline(&mut tx, scope.id(), d.id, &title, due_at, next_ping_at).await? {
        return Err(Error::user(format!(
            "Milestone #{} was met or removed just now — `/deadline list` shows where things stand.",
            d.number
        )));
    }
    if due_at != d.due_at {
        // Pings planned for the old date would be dropped when sent; cancel them now.
        store::plan_edits::cancel_deadline_pings(&mut tx, scope.id(), d.id, "due date moved").await?;
    }
    let subject = format!("deadline #{}", d.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "deadline.edit",
        &subject,
        &changes.join("; "),
        now_s,
    )
    .await?;
    tx.commit().await?;

    let deadline = store::deadlines::get(store, scope.id(), d.id)
        .await?
        .ok_or_else(|| Error::internal("deadline vanished after edit"))?;
    Ok(DeadlineEdited {
        deadline,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        changes,
    })
}

/// Input of `/deadline remove`.
#[derive(Debug, Clone, Default)]
pub struct RemoveDeadline {
    pub coalition: Option<String>,
    pub deadline: String,
}

/// A milestone was removed.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRemoved {
    pub deadline: Deadline,
    pub coalition_name: String,
    pub pings_cancelled: u64,
}

/// `/deadline remove` (lead): deletes a milestone and its pending pings.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove_deadline(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RemoveDeadline,
) -> Result<DeadlineRemoved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let d = super::deadlines::resolve(store, &scope, &input.deadline).await?;
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::plan_edits::delete_deadline(&mut tx, scope.id(), d.id).await? {
        return Err(Error::user(format!(
            "Milestone #{} was removed just now — nothing more to do.",
            d.number
        )));
    }
    let pings_cancelled =
        store::plan_edits::cancel_deadline_pings(&mut tx, scope.id(), d.id, "deadline removed").await?;
    let detail = format!(
        "removed: {} (due {}, {})",
        d.title,
        d.due_at,
        if d.is_met() { "met" } else { "open" }
    );
    let subject = format!("deadline #{}", d.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "deadline.remove",
        &subject,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(DeadlineRemoved {
        deadline: d,
        coalition_name: scope.coalition.name.clone(),
        pings_cancelled,
    })
}
