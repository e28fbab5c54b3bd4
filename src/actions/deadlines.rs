//! Deadlines: milestones the leads are pinged about before they are due.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tasks::ping_offsets;
use super::{Actor, Ref, Scope, ts};
use crate::domain::{pings, text, when, *};
use crate::error::{Error, Result};
use crate::store::deadlines::NewDeadline;
use crate::store::{self, Store};

/// Most rows per section of a deadline list; the counts say how many there are in all.
pub const LIST_LIMIT: i64 = 1000;
/// How far back `/deadline list` shows milestones that were met.
pub const RECENTLY_MET_DAYS: i64 = 14;

/// Input of `/deadline add`.
#[derive(Debug, Clone, Default)]
pub struct AddDeadline {
    pub coalition: Option<String>,
    pub title: String,
    /// Free text read in the coalition's time zone.
    pub due: String,
    /// `#3`, `3`, or the start of an active goal's title.
    pub goal: Option<String>,
}

/// A deadline was added.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineAdded {
    pub deadline: Deadline,
    pub coalition_name: String,
    pub timezone: String,
    pub goal_title: Option<String>,
    /// The due date as people in the coalition read it.
    pub due_text: String,
}

/// `/deadline add` (lead): adds a milestone; leads are pinged before it.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AddDeadline,
) -> Result<DeadlineAdded> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let title = text::single_line("deadline title", &input.title, text::MAX_TITLE)?;
    let tz = scope.coalition.tz();
    let due = when::parse_due(&input.due, tz, now)?;
    let goal = match input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => {
            let goal = super::goals::resolve(store, &scope, g).await?;
            super::goals::require_active(&goal, &scope)?;
            Some(goal)
        }
        None => None,
    };
    let now_s = ts(now);
    let due_at = due.timestamp();
    let due_text = when::describe(due, tz);

    let mut tx = store.write().await?;
    let new = NewDeadline {
        coalition: scope.id(),
        title: &title,
        goal: goal.as_ref().map(|g| g.id),
        due_at,
        next_ping_at: pings::next_ping_at(due_at, &ping_offsets(&scope.coalition), now_s),
        created_by: actor.user,
    };
    let (id, number) = store::deadlines::insert(&mut tx, &new, now_s).await?;
    let detail = format!("{title} (due {due_text})");
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "deadline.add",
        &format!("deadline #{number}"),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let deadline = load(store, &scope, id).await?;
    Ok(DeadlineAdded {
        deadline,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        goal_title: goal.map(|g| g.title),
        due_text,
    })
}

/// Input of `/deadline list`.
#[derive(Debug, Clone, Default)]
pub struct ListDeadlines {
    pub coalition: Option<String>,
}

/// Upcoming, missed (open and past due) and recently met deadlines.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineList {
    pub coalition_name: String,
    pub timezone: String,
    /// Open and not yet due, soonest first.
    pub upcoming: Vec<Deadline>,
    pub upcoming_total: i64,
    /// Open and past due, oldest first.
    pub missed: Vec<Deadline>,
    pub missed_total: i64,
    /// Met in the last [`RECENTLY_MET_DAYS`] days, most recent first.
    pub recently_met: Vec<Deadline>,
    /// The time the list was made (UTC seconds).
    pub now: i64,
}

/// `/deadline list` (anyone): upcoming and missed deadlines, plus the ones met recently.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ListDeadlines,
) -> Result<DeadlineList> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    list_in(store, &scope, now).await
}

/// The deadlines of the scope's coalition (for `/deadline list` and its pages).
pub(crate) async fn list_in(store: &Store, scope: &Scope, now: DateTime<Utc>) -> Result<DeadlineList> {
    let now_s = ts(now);
    let since = now_s - RECENTLY_MET_DAYS * 24 * 3600;
    let store::deadlines::Overview {
        upcoming,
        upcoming_total,
        missed,
        missed_total,
        recently_met,
    } = store::deadlines::overview(store, scope.id(), now_s, since, LIST_LIMIT).await?;
    Ok(DeadlineList {
        coalition_name: scope.coalition.name.clone(),
        // Shown to the viewer alone: in their own zone when they set one.
        timezone: super::me::shown_timezone(scope),
        upcoming,
        upcoming_total,
        missed,
        missed_total,
        recently_met,
        now: now_s,
    })
}

/// Input of `/deadline done`.
#[derive(Debug, Clone, Default)]
pub struct DeadlineDone {
    pub coalition: Option<String>,
    /// `#2`, `2`, or the start of an open deadline's title.
    pub deadline: String,
}

/// A deadline was marked met.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineMet {
    pub deadline: Deadline,
    pub coalition_name: String,
    /// Whether it was met after its due date.
    pub late: bool,
}

/// `/deadline done` (lead): marks a milestone met and stops its pings.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn done(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: DeadlineDone,
) -> Result<DeadlineMet> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let deadline = resolve(store, &scope, &input.deadline).await?;
    let already = || {
        Error::user(format!(
            "Deadline #{} ({}) is already met — `/deadline list` shows the open ones.",
            deadline.number, deadline.title
        ))
    };
    if deadline.is_met() {
        return Err(already());
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::deadlines::mark_met(&mut tx, scope.id(), deadline.id, now_s).await? {
        return Err(already());
    }
    let subject = format!("deadline #{}", deadline.number);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "deadline.done",
        &subject,
        &deadline.title,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let late = deadline.due_at < now_s;
    let deadline = load(store, &scope, deadline.id).await?;
    Ok(DeadlineMet {
        deadline,
        coalition_name: scope.coalition.name.clone(),
        late,
    })
}

/// Autocomplete for `deadline` options: open deadlines whose number or title matches `typed`.
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
    Ok(store::deadlines::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|d| super::numbered_choice(d.number, &d.title))
        .collect())
}

/// Finds a deadline by `#N` (any status) or by the start of an open deadline's title.
pub(crate) async fn resolve(store: &Store, scope: &Scope, text: &str) -> Result<Deadline> {
    match Ref::parse("deadline", text)? {
        Ref::Number(n) => store::deadlines::by_number(store, scope.id(), n)
            .await?
            .ok_or_else(|| {
                Error::user(format!(
                    "No deadline #{n} in **{}** — `/deadline list` shows them.",
                    scope.coalition.name
                ))
            }),
        Ref::Title(prefix) => {
            let found = store::deadlines::open_by_title(store, scope.id(), &prefix).await?;
            super::one_match(
                "deadline",
                &prefix,
                &scope.coalition.name,
                "/deadline list",
                found,
                |d| format!("#{} {}", d.number, d.title),
            )
        }
    }
}

async fn load(store: &Store, scope: &Scope, id: DeadlineId) -> Result<Deadline> {
    store::deadlines::get(store, scope.id(), id)
        .await?
        .ok_or_else(|| Error::internal("deadline vanished after write"))
}
