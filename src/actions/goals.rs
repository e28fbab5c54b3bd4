//! Shared, measurable goals: adding them, tracking progress, closing them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Ref, Scope, ts};
use crate::domain::targets::TargetCount;
use crate::domain::{text, when, *};
use crate::error::{Error, Result};
use crate::store::{self, Store, goals::NewGoal};

/// Input of `/goal add`.
#[derive(Debug, Clone, Default)]
pub struct AddGoal {
    pub coalition: Option<String>,
    pub title: String,
    pub target: Option<f64>,
    pub metric: Option<String>,
    pub unit: Option<String>,
    /// Free text read in the coalition's time zone.
    pub due: Option<String>,
}

/// A goal was added.
#[derive(Debug, Clone, Serialize)]
pub struct GoalAdded {
    pub goal: Goal,
    pub coalition_name: String,
    pub timezone: String,
}

/// `/goal add` (lead): adds a shared measurable goal numbered per coalition.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(store: &Store, actor: &Actor, now: DateTime<Utc>, input: AddGoal) -> Result<GoalAdded> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let title = text::single_line("goal title", &input.title, text::MAX_TITLE)?;
    let target = input.target.map(check_target).transpose()?;
    let metric = optional_name("metric", input.metric.as_deref())?;
    let unit = optional_name("unit", input.unit.as_deref())?;
    let due_at = match input.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(due) => Some(when::parse_due(due, scope.coalition.tz(), now)?.timestamp()),
        None => None,
    };
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let new = NewGoal {
        coalition: scope.id(),
        title: &title,
        metric: metric.as_deref(),
        unit: unit.as_deref(),
        target,
        due_at,
        created_by: actor.user,
    };
    let (id, number) = store::goals::insert(&mut tx, &new, now_s).await?;
    // A goal that counts targets starts at today's count, in the same write.
    if metric.as_deref().and_then(TargetCount::from_metric).is_some() {
        super::targets::recount_goals(&mut tx, scope.id(), now_s).await?;
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "goal.add",
        &format!("goal #{number}"),
        &title,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let goal = load(store, &scope, id).await?;
    Ok(GoalAdded {
        goal,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
    })
}

/// Input of `/goal progress`.
#[derive(Debug, Clone, Default)]
pub struct SetProgress {
    pub coalition: Option<String>,
    /// `#3`, `3`, or the start of the title.
    pub goal: String,
    pub value: f64,
}

/// A goal's current value was set.
#[derive(Debug, Clone, Serialize)]
pub struct GoalProgressed {
    pub goal: Goal,
    pub previous: f64,
    pub coalition_name: String,
}

/// `/goal progress` (lead): sets an active goal's current value.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn progress(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: SetProgress,
) -> Result<GoalProgressed> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    if !input.value.is_finite() || input.value < 0.0 {
        return Err(Error::user(
            "The value must be a number of 0 or more, like `120` or `3.5`.",
        ));
    }
    let goal = resolve(store, &scope, &input.goal).await?;
    require_active(&goal, &scope)?;
    if goal
        .metric
        .as_deref()
        .and_then(TargetCount::from_metric)
        .is_some()
    {
        return Err(Error::user(format!(
            "Goal #{} counts targets (its metric is `{}`): its progress moves by itself when a stance changes — log outreach with `/target log`, or correct a stance with `/target edit`.",
            goal.number,
            goal.metric.as_deref().unwrap_or_default()
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::goals::set_current(&mut tx, scope.id(), goal.id, input.value, now_s).await? {
        return Err(closed_error(&goal, &scope));
    }
    let detail = format!("{} → {}", text::number(goal.current), text::number(input.value));
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "goal.progress",
        &format!("goal #{}", goal.number),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let updated = load(store, &scope, goal.id).await?;
    Ok(GoalProgressed {
        goal: updated,
        previous: goal.current,
        coalition_name: scope.coalition.name.clone(),
    })
}

/// Input of `/goal list`.
#[derive(Debug, Clone, Default)]
pub struct ListGoals {
    pub coalition: Option<String>,
}

/// One goal in a list, with its progress toward the target.
#[derive(Debug, Clone, Serialize)]
pub struct GoalLine {
    pub goal: Goal,
    /// `current / target` in 0..=1, when the goal has a target.
    pub progress: Option<f64>,
    pub active: bool,
}

/// The goals of a coalition: active first, then closed. All of them — the renderer truncates.
#[derive(Debug, Clone, Serialize)]
pub struct GoalList {
    pub coalition_name: String,
    pub timezone: String,
    pub goals: Vec<GoalLine>,
    pub active: usize,
    pub closed: usize,
}

/// `/goal list` (anyone): goals with progress and due dates.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor, _now: DateTime<Utc>, input: ListGoals) -> Result<GoalList> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    list_in(store, &scope).await
}

/// The goals of the scope's coalition (for `/goal list` and its pages).
pub(crate) async fn list_in(store: &Store, scope: &Scope) -> Result<GoalList> {
    let goals: Vec<GoalLine> = store::goals::list(store, scope.id())
        .await?
        .into_iter()
        .map(|goal| GoalLine {
            progress: goal.progress(),
            active: goal.status == GoalStatus::Active,
            goal,
        })
        .collect();
    let active = goals.iter().filter(|g| g.active).count();
    Ok(GoalList {
        coalition_name: scope.coalition.name.clone(),
        // Shown to the viewer alone: in their own zone when they set one.
        timezone: super::me::shown_timezone(scope),
        closed: goals.len() - active,
        active,
        goals,
    })
}

/// Input of `/goal close`.
#[derive(Debug, Clone)]
pub struct CloseGoal {
    pub coalition: Option<String>,
    pub goal: String,
    /// `Achieved` or `Dropped`.
    pub outcome: GoalStatus,
}

/// A goal was closed.
#[derive(Debug, Clone, Serialize)]
pub struct GoalClosed {
    pub goal: Goal,
    pub coalition_name: String,
}

/// `/goal close` (lead): marks an active goal achieved or dropped.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn close(store: &Store, actor: &Actor, now: DateTime<Utc>, input: CloseGoal) -> Result<GoalClosed> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    if input.outcome == GoalStatus::Active {
        return Err(Error::user("Close a goal as `achieved` or `dropped`."));
    }
    let goal = resolve(store, &scope, &input.goal).await?;
    if goal.status != GoalStatus::Active {
        return Err(Error::user(format!(
            "Goal #{} ({}) is already {} — `/goal list` shows the active ones.",
            goal.number,
            goal.title,
            goal.status.as_str()
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::goals::close(&mut tx, scope.id(), goal.id, input.outcome, now_s).await? {
        return Err(closed_error(&goal, &scope));
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "goal.close",
        &format!("goal #{}", goal.number),
        input.outcome.as_str(),
        now_s,
    )
    .await?;
    tx.commit().await?;

    let goal = load(store, &scope, goal.id).await?;
    Ok(GoalClosed {
        goal,
        coalition_name: scope.coalition.name.clone(),
    })
}

/// Autocomplete for `goal` options: active goals whose number or title matches `typed`.
pub async fn suggest(
    store: &Store,
    guild: GuildId,
    channel: Option<ChannelId>,
    coalition: Option<&str>,
    typed: &str,
) -> Result<Vec<(String, String)>> {
    let Some(c) = super::coalition_for_suggest(store, guild, channel, coalition).await? else {
        return Ok(Vec::new());
    };
    Ok(store::goals::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|g| super::numbered_choice(g.number, &g.title))
        .collect())
}

/// Finds a goal by `#N` (any status) or by the start of an active goal's title.
pub async fn resolve(store: &Store, scope: &Scope, text: &str) -> Result<Goal> {
    match Ref::parse("goal", text)? {
        Ref::Number(n) => store::goals::by_number(store, scope.id(), n)
            .await?
            .ok_or_else(|| {
                Error::user(format!(
                    "No goal #{n} in **{}** — `/goal list` shows them.",
                    scope.coalition.name
                ))
            }),
        Ref::Title(prefix) => {
            let found = store::goals::active_by_title(store, scope.id(), &prefix).await?;
            super::one_match("goal", &prefix, &scope.coalition.name, "/goal list", found, |g| {
                format!("#{} {}", g.number, g.title)
            })
        }
    }
}

/// Refuses a goal that is achieved or dropped.
pub fn require_active(goal: &Goal, scope: &Scope) -> Result<()> {
    if goal.status == GoalStatus::Active {
        Ok(())
    } else {
        Err(closed_error(goal, scope))
    }
}

/// The error for a goal that is no longer active.
pub fn closed_error(goal: &Goal, scope: &Scope) -> Error {
    Error::user(format!(
        "Goal #{} ({}) in **{}** is closed — pick an active goal from `/goal list`.",
        goal.number, goal.title, scope.coalition.name
    ))
}

pub(crate) fn check_target(t: f64) -> Result<f64> {
    if t.is_finite() && t > 0.0 {
        Ok(t)
    } else {
        Err(Error::user(
            "The target must be a number above 0, like `500` — or leave it out.",
        ))
    }
}

pub(crate) fn optional_name(what: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Ok(Some(text::single_line(what, v, text::MAX_NAME)?)),
        None => Ok(None),
    }
}

async fn load(store: &Store, scope: &Scope, id: GoalId) -> Result<Goal> {
    store::goals::get(store, scope.id(), id)
        .await?
        .ok_or_else(|| Error::internal("goal vanished after write"))
}
