//! Advocacy targets: adding, correcting and removing the decision-makers a coalition wants to
//! move, and the goals whose progress counts them. Outreach is in `outreach.rs`, the views
//! (list, show, map) in `target_views.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::targets::*;
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::targets::{NewTarget, TargetChange, Updated};
use crate::store::{self, Store, Tx};

/// Input of `/target add`.
#[derive(Debug, Clone, Default)]
pub struct AddTarget {
    pub coalition: Option<String>,
    pub name: String,
    pub role: Option<String>,
    pub office: Option<String>,
    pub jurisdiction: Option<String>,
    /// One of the five stances (default neutral).
    pub stance: Option<String>,
    /// high, medium or low.
    pub influence: Option<String>,
}

/// A target was added, corrected or removed.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSaved {
    pub target: Target,
    pub coalition_name: String,
    /// The stance before, when this change moved it.
    pub moved_from: Option<Stance>,
    /// Goals whose progress moved with it.
    pub goals: Vec<Goal>,
}

/// `/target add` (lead): a decision-maker or stakeholder the coalition wants to move.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(store: &Store, actor: &Actor, now: DateTime<Utc>, input: AddTarget) -> Result<TargetSaved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    if !scope.is_lead() {
        return Err(Error::user(format!(
            "Only leads of **{}** can add targets — ask a lead (`/member list` shows them); anyone can log outreach with `/target log`.",
            scope.coalition.name
        )));
    }
    let name = text::single_line("target's name", &input.name, MAX_TARGET_NAME)?;
    let role = optional("role", input.role.as_deref())?;
    let office = optional("office", input.office.as_deref())?;
    let jurisdiction = optional("jurisdiction", input.jurisdiction.as_deref())?;
    let stance = match input.stance.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Stance::parse(s)?,
        None => Stance::Neutral,
    };
    let influence = input
        .influence
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let influence = influence.map(Influence::parse).transpose()?;
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let new = NewTarget {
        coalition: scope.id(),
        name: &name,
        role: role.as_deref(),
        office: office.as_deref(),
        jurisdiction: jurisdiction.as_deref(),
        stance,
        influence,
        created_by: actor.user,
    };
    let Some(target) = store::targets::insert(&mut tx, &new, now_s).await? else {
        return Err(duplicate(&name, &scope));
    };
    store::targets::record_stance(&mut tx, &target, actor.user, None, stance, None, now_s).await?;
    let goals = recount_goals(&mut tx, scope.id(), now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "target.add",
        &format!("target {}", target.id),
        &format!("{name} ({})", stance.as_str()),
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(TargetSaved {
        target,
        coalition_name: scope.coalition.name.clone(),
        moved_from: None,
        goals,
    })
}

/// Input of `/target edit`: `None` keeps a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EditTarget {
    pub coalition: Option<String>,
    /// The target's name (or the start of it).
    pub target: String,
    pub name: Option<String>,
    pub role: Option<String>,
    pub office: Option<String>,
    pub jurisdiction: Option<String>,
    pub stance: Option<String>,
    pub influence: Option<String>,
}

/// `/target edit` (lead): corrects a target; a stance change made here joins its history.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn edit(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: EditTarget,
) -> Result<TargetSaved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let target = resolve(store, &scope, &input.target).await?;
    let name = match input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(text::single_line("target's name", n, MAX_TARGET_NAME)?),
        None => None,
    };
    let role = optional("role", input.role.as_deref())?;
    let office = optional("office", input.office.as_deref())?;
    let jurisdiction = optional("jurisdiction", input.jurisdiction.as_deref())?;
    let stance = input.stance.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let stance = stance.map(Stance::parse).transpose()?;
    let influence = input
        .influence
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let influence = influence.map(Influence::parse).transpose()?;
    if name.is_none()
        && role.is_none()
        && office.is_none()
        && jurisdiction.is_none()
        && stance.is_none()
        && influence.is_none()
    {
        return Err(Error::user(
            "Nothing to change — give at least one of `name`, `role`, `office`, `jurisdiction`, `stance`, `influence`.",
        ));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    // The stance as it is inside the write: the history records what it really moved from.
    let before = store::targets::get_in(&mut tx, scope.id(), target.id)
        .await?
        .ok_or_else(|| gone(&target.name, &scope))?;
    let change = TargetChange {
        name: name.as_deref(),
        role: role.as_deref(),
        office: office.as_deref(),
        jurisdiction: jurisdiction.as_deref(),
        stance,
        influence,
    };
    let after = match store::targets::update(&mut tx, scope.id(), target.id, &change, now_s).await? {
        Updated::Done(t) => *t,
        Updated::NameTaken => return Err(duplicate(name.as_deref().unwrap_or_default(), &scope)),
        Updated::Missing => return Err(gone(&target.name, &scope)),
    };
    let moved_from = (after.stance != before.stance).then_some(before.stance);
    if moved_from.is_some() {
        store::targets::record_stance(
            &mut tx,
            &after,
            actor.user,
            Some(before.stance),
            after.stance,
            None,
            now_s,
        )
        .await?;
    }
    let goals = recount_goals(&mut tx, scope.id(), now_s).await?;
    let detail = match moved_from {
        Some(from) => format!("{}: {} → {}", after.name, from.as_str(), after.stance.as_str()),
        None => after.name.clone(),
    };
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "target.edit",
        &format!("target {}", after.id),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(TargetSaved {
        target: after,
        coalition_name: scope.coalition.name.clone(),
        moved_from,
        goals,
    })
}

/// A target was removed.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRemoved {
    pub name: String,
    pub coalition_name: String,
    /// How many private notes went with it.
    pub notes: i64,
    pub goals: Vec<Goal>,
}

/// `/target remove` (lead): removes a target and its private notes. Its outreach and stance
/// history stay in the record (and the export), under its name.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    target: &str,
) -> Result<TargetRemoved> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let target = resolve(store, &scope, target).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let notes = store::targets::delete(&mut tx, scope.id(), target.id)
        .await?
        .ok_or_else(|| gone(&target.name, &scope))?;
    let goals = recount_goals(&mut tx, scope.id(), now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "target.remove",
        &format!("target {}", target.id),
        &target.name,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(TargetRemoved {
        name: target.name,
        coalition_name: scope.coalition.name.clone(),
        notes,
        goals,
    })
}

/// A note was kept.
#[derive(Debug, Clone, Serialize)]
pub struct NoteAdded {
    pub target: Target,
    pub coalition_name: String,
}

/// The "Add a private note" form on `/target show` (lead): a note only leads will see.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add_note(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    target: TargetId,
    note: &str,
) -> Result<NoteAdded> {
    let (scope, target) = by_id(store, actor, target).await?;
    scope.require_lead()?;
    let note = text::multi_line("note", note, text::MAX_TEXT)?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let target = store::targets::get_in(&mut tx, scope.id(), target.id)
        .await?
        .ok_or_else(|| gone(&target.name, &scope))?;
    store::targets::insert_note(&mut tx, &target, actor.user, &note, now_s).await?;
    // The note itself stays out of the audit log: events feed digests and exports.
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "target.note",
        &format!("target {}", target.id),
        &target.name,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(NoteAdded {
        target,
        coalition_name: scope.coalition.name.clone(),
    })
}

/// A target by row id (from a button), only within the actor's guild, with its scope.
pub async fn by_id(store: &Store, actor: &Actor, id: TargetId) -> Result<(Scope, Target)> {
    let missing = || Error::user("That target is no longer there — `/target list` shows the current ones.");
    let coalition = store::targets::coalition_of(store, id)
        .await?
        .ok_or_else(missing)?;
    let c = store::coalitions::get(store.pool(), actor.guild, coalition)
        .await?
        .filter(|c| c.archived_at.is_none())
        .ok_or_else(missing)?;
    let target = store::targets::get(store, c.id, id).await?.ok_or_else(missing)?;
    let scope = super::scope(store, actor, Some(&c.name)).await?;
    Ok((scope, target))
}

/// Finds a target by its name (any case), or the start of its name when that is unique.
pub async fn resolve(store: &Store, scope: &Scope, typed: &str) -> Result<Target> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(Error::user(
            "Say which target: its name, like `Cllr Reyes` — `/target list` shows them.",
        ));
    }
    if let Some(t) = store::targets::by_name(store, scope.id(), typed).await? {
        return Ok(t);
    }
    let found = store::targets::by_prefix(store, scope.id(), typed).await?;
    super::one_match(
        "target",
        &text::truncate(typed, 60),
        &scope.coalition.name,
        "/target list",
        found,
        |t| t.name.clone(),
    )
}

/// Autocomplete for `target` options: names containing `typed` (the value is the name).
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
    Ok(store::targets::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|t| {
            let label = match &t.office {
                Some(o) => format!("{} · {} · {}", t.name, o, t.stance.as_str()),
                None => format!("{} · {}", t.name, t.stance.as_str()),
            };
            (label, t.name)
        })
        .collect())
}

/// Sets every active goal that counts targets (metric `targets …`) to the number of targets at
/// supportive or better now, recording each change in the goal's history; returns the goals
/// that moved. Runs in the write that changed a stance, so progress moves with it.
pub async fn recount_goals(tx: &mut Tx, coalition: CoalitionId, now: i64) -> Result<Vec<Goal>> {
    let goals = store::targets::target_goals(tx, coalition).await?;
    if goals.is_empty() {
        return Ok(Vec::new());
    }
    let targets = store::targets::all_in(tx, coalition).await?;
    let mut moved = Vec::new();
    for mut goal in goals {
        let Some(rule) = goal.metric.as_deref().and_then(TargetCount::from_metric) else {
            continue;
        };
        let count = targets.iter().filter(|t| rule.counts(t)).count() as f64;
        if count != goal.current && store::targets::set_goal_count(tx, coalition, goal.id, count, now).await?
        {
            goal.current = count;
            moved.push(goal);
        }
    }
    Ok(moved)
}

fn optional(what: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Ok(Some(text::single_line(what, v, MAX_FIELD)?)),
        None => Ok(None),
    }
}

fn duplicate(name: &str, scope: &Scope) -> Error {
    Error::user(format!(
        "**{}** already has a target named `{}` — use `/target edit` to change it, or pick another name.",
        scope.coalition.name,
        text::truncate(name, 60)
    ))
}

pub(crate) fn gone(name: &str, scope: &Scope) -> Error {
    Error::user(format!(
        "The target `{}` was just removed from **{}** — `/target list` shows the current ones.",
        text::truncate(name, 60),
        scope.coalition.name
    ))
}
