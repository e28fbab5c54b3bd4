//! Running a meeting: `/meeting start` (thread with the agenda, covered toggles, Here button),
//! `/meeting note|decide|action` (the minutes; an action is a task), `/meeting end` (the minutes
//! posted once, what was not covered carried over, the Discord event completed).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::tasks::{self, AssignTask, TaskAssigned};
use super::super::{Actor, Scope, ts};
use super::{event_change, plan_next, post_update};
use crate::domain::meeting::*;
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{NewDelivery, Target};
use crate::store::meetings::{self as db, Attendee, Minute, NewMinute};
use crate::store::payload::{EventChange, Payload};
use crate::store::{self, Store};

/// A meeting started.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingStarted {
    pub meeting: Meeting,
    pub coalition_name: String,
    /// Items on its agenda.
    pub items: usize,
}

/// `/meeting start` (lead): starts a meeting (default the next); its agenda is fixed as items with
/// a "covered" toggle, and its thread is queued.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn start(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    meeting: Option<&str>,
) -> Result<MeetingStarted> {
    let scope = super::super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let m = super::resolve(store, &scope, meeting).await?;
    let title = text::defuse_mentions(&m.title);
    match m.status {
        MeetingStatus::Running => {
            return Err(Error::user(format!(
                "**{title}** is already running — take notes with `/meeting note`, end it with `/meeting end`."
            )));
        }
        MeetingStatus::Ended | MeetingStatus::Cancelled | MeetingStatus::Missed => {
            return Err(Error::user(format!(
                "**{title}** is over or cancelled — `/meeting list` shows the upcoming meetings."
            )));
        }
        MeetingStatus::Scheduled => {}
    }
    // What the data says now, fixed as the meeting's items (read before the write: slow reads
    // stay outside the transaction).
    let data = super::agenda::data_lines(store, &scope.coalition, &m, now).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if !db::start(&mut tx, scope.id(), m.id, actor.user, now_s).await? {
        return Err(match db::running(&mut *tx, scope.id()).await? {
            Some(r) => Error::user(format!(
                "**{}** is running — end it with `/meeting end` before starting another.",
                text::defuse_mentions(&r.title)
            )),
            None => Error::user(format!(
                "**{title}** was just started or cancelled by someone else — `/meeting list` shows where it stands."
            )),
        });
    }
    for line in &data {
        db::add_item(&mut tx, scope.id(), m.id, ItemKind::Data, &line.text, None, now_s).await?;
    }
    db::take_waiting(&mut tx, scope.id(), m.id).await?;
    let items = db::items(&mut *tx, scope.id(), m.id).await?.len();
    event_change(&mut tx, scope.id(), m.id, EventChange::Active, now_s).await?;
    post_update(&mut tx, &scope.coalition, m.id, "start", now_s).await?;
    let thread = NewDelivery {
        coalition: scope.id(),
        dedupe_key: format!("meeting:{}:thread", m.id),
        target: Target::Channel(scope.coalition.home_channel_id),
        subject_id: Some(m.id.0),
        payload: Payload::MeetingThread,
        due_at: now_s,
    };
    store::deliveries::enqueue(&mut tx, &thread, now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.start",
        &format!("meeting {}", m.id),
        &m.title,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MeetingStarted {
        meeting: Meeting {
            status: MeetingStatus::Running,
            started_at: Some(now_s),
            ..m
        },
        coalition_name: scope.coalition.name.clone(),
        items,
    })
}

/// The running meeting, or the error that names the fix.
async fn running(store: &Store, scope: &Scope, what: &str) -> Result<Meeting> {
    db::running(store.pool(), scope.id()).await?.ok_or_else(|| {
        Error::user(format!(
            "No meeting is running in **{}**, so there is nowhere to {what} — a lead starts one with `/meeting start`.",
            scope.coalition.name
        ))
    })
}

/// `meeting:here:<id>` (member): records the clicker as present.
#[derive(Debug, Clone, Serialize)]
pub struct MarkedHere {
    pub meeting: Meeting,
    /// False when they were marked already.
    pub new: bool,
}

/// The Here button (member).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn here(store: &Store, actor: &Actor, now: DateTime<Utc>, id: MeetingId) -> Result<MarkedHere> {
    let scope = super::scope_of(store, actor, id).await?;
    scope.require_member()?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let Some(m) = db::get(&mut *tx, scope.id(), id).await? else {
        return Err(Error::user(
            "That meeting no longer exists — `/meeting list` shows the upcoming ones.",
        ));
    };
    if m.status != MeetingStatus::Running {
        return Err(Error::user(format!(
            "**{}** isn't running, so attendance is closed.",
            text::defuse_mentions(&m.title)
        )));
    }
    let new = db::mark_here(&mut tx, scope.id(), id, actor.user, now_s).await?;
    if new {
        store::record_event(
            &mut tx,
            scope.id(),
            actor.user,
            "meeting.here",
            &format!("meeting {id}"),
            "",
            now_s,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(MarkedHere { meeting: m, new })
}

/// The "covered" toggle of an agenda item in the meeting's thread (member): flips it; returns
/// the agenda as it now stands.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn toggle_covered(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    item: ItemId,
) -> Result<super::Agenda> {
    let Some((guild, meeting)) = db::item_owner(store, item).await? else {
        return Err(Error::user("That agenda item no longer exists."));
    };
    if guild != actor.guild {
        return Err(Error::user("That agenda item no longer exists."));
    }
    let scope = super::scope_of(store, actor, meeting).await?;
    scope.require_member()?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let Some((m, covered)) = db::toggle_covered(&mut tx, scope.id(), item).await? else {
        return Err(Error::user(
            "The meeting isn't running any more, so its agenda can't change — the minutes say what carried over.",
        ));
    };
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.covered",
        &format!("meeting {m} item {item}"),
        if covered { "covered" } else { "not covered" },
        now_s,
    )
    .await?;
    tx.commit().await?;
    let Some(m) = db::get(store.pool(), scope.id(), m).await? else {
        return Err(Error::user("That meeting no longer exists."));
    };
    super::agenda_of(store, &scope.coalition, m, now).await
}

/// A line was added to the minutes.
#[derive(Debug, Clone, Serialize)]
pub struct MinuteAdded {
    pub meeting: Meeting,
    pub kind: MinuteKind,
    pub text: String,
}

/// `/meeting note` (member) and `/meeting decide` (lead): a line in the running meeting's minutes.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add_minute(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    kind: MinuteKind,
    input: &str,
) -> Result<MinuteAdded> {
    let scope = super::scope_here(store, actor, coalition).await?;
    let (what, event) = match kind {
        MinuteKind::Decision => {
            scope.require_lead()?;
            ("record a decision", "meeting.decide")
        }
        _ => {
            scope.require_member()?;
            ("take a note", "meeting.note")
        }
    };
    let label = if kind == MinuteKind::Decision {
        "decision"
    } else {
        "note"
    };
    let text = text::multi_line(label, input, text::MAX_TEXT)?;
    let m = running(store, &scope, what).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let line = NewMinute {
        coalition: scope.id(),
        meeting: m.id,
        kind,
        text: &text,
        by: actor.user,
        task: None,
    };
    if !db::add_minute(&mut tx, &line, now_s).await? {
        return Err(Error::user(format!(
            "**{}** has just ended — nothing was added; the minutes are in its thread.",
            text::defuse_mentions(&m.title)
        )));
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        event,
        &format!("meeting {}", m.id),
        &text,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MinuteAdded {
        meeting: m,
        kind,
        text,
    })
}

/// Input of `/meeting action`.
#[derive(Debug, Clone)]
pub struct AddAction {
    pub coalition: Option<String>,
    pub title: String,
    pub assignee: UserId,
    pub assignee_name: String,
    pub due: Option<String>,
}

/// An action item: the task, and the meeting it belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct ActionAdded {
    pub meeting: Meeting,
    pub task: TaskAssigned,
}

/// `/meeting action` (member): an action item is a task made by `/task assign` (its card and the
/// assignee's DM), linked to the running meeting in its minutes.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn action(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AddAction,
) -> Result<ActionAdded> {
    let scope = super::scope_here(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let m = running(store, &scope, "add an action item").await?;
    let assigned = tasks::assign(
        store,
        actor,
        now,
        AssignTask {
            coalition: Some(scope.coalition.name.clone()),
            title: input.title,
            assignee: input.assignee,
            assignee_name: input.assignee_name,
            due: input.due,
            goal: None,
        },
    )
    .await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let task = &assigned.task;
    let line = NewMinute {
        coalition: scope.id(),
        meeting: m.id,
        kind: MinuteKind::Action,
        text: &task.title,
        by: actor.user,
        task: Some(task.id),
    };
    let linked = db::add_minute(&mut tx, &line, now_s).await?;
    if linked {
        store::record_event(
            &mut tx,
            scope.id(),
            actor.user,
            "meeting.action",
            &format!("meeting {}", m.id),
            &format!("task #{}", task.number),
            now_s,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ActionAdded {
        meeting: m,
        task: assigned,
    })
}

/// A meeting ended.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingEnded {
    pub meeting: Meeting,
    pub coalition_name: String,
    /// Items carried over to the next meeting.
    pub carried: u64,
    /// The series' next occurrence, planned now.
    pub next: Option<Meeting>,
}

/// `/meeting end` (lead): ends the running meeting once (two leads at once: one wins, the other
/// is told), carries over what was not covered, queues the minutes and completes the event.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn end(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<MeetingEnded> {
    let scope = super::scope_here(store, actor, coalition).await?;
    scope.require_lead()?;
    let m = running(store, &scope, "end").await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    // Decided inside the write: of two leads ending at once, one ends it, the other is told.
    if !db::end(&mut tx, scope.id(), m.id, actor.user, now_s).await? {
        return Err(Error::user(format!(
            "**{}** was already ended — its minutes are in its thread.",
            text::defuse_mentions(&m.title)
        )));
    }
    let carried = db::carry_over(&mut tx, scope.id(), m.id, m.starts_at, now_s).await?;
    event_change(&mut tx, scope.id(), m.id, EventChange::Completed, now_s).await?;
    post_update(&mut tx, &scope.coalition, m.id, "end", now_s).await?;
    let minutes = NewDelivery {
        coalition: scope.id(),
        dedupe_key: format!("meeting:{}:minutes", m.id),
        target: Target::Channel(m.thread_id.unwrap_or(scope.coalition.home_channel_id)),
        subject_id: Some(m.id.0),
        payload: Payload::MeetingMinutes,
        due_at: now_s,
    };
    store::deliveries::enqueue(&mut tx, &minutes, now_s).await?;
    let next = plan_next(&mut tx, &scope.coalition, &m, now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.end",
        &format!("meeting {}", m.id),
        &m.title,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MeetingEnded {
        meeting: Meeting {
            status: MeetingStatus::Ended,
            ended_at: Some(now_s),
            ..m
        },
        coalition_name: scope.coalition.name.clone(),
        carried,
        next,
    })
}

/// A meeting's minutes, to post when it ends.
#[derive(Debug, Clone, Serialize)]
pub struct Minutes {
    pub meeting: Meeting,
    pub coalition_name: String,
    pub timezone: String,
    pub attendance: Vec<Attendee>,
    pub minutes: Vec<Minute>,
    /// Stored items nobody covered that carry over (proposed or carried ones).
    pub carried: Vec<String>,
    /// The next meeting, if one is planned.
    pub next: Option<Meeting>,
}

/// Loads the minutes of `id`.
pub async fn minutes_of(store: &Store, c: &Coalition, id: MeetingId) -> Result<Option<Minutes>> {
    let Some(meeting) = db::get(store.pool(), c.id, id).await? else {
        return Ok(None);
    };
    let attendance = db::attendance(store.pool(), c.id, id).await?;
    let minutes = db::minutes(store.pool(), c.id, id).await?;
    let carried = db::items(store.pool(), c.id, id)
        .await?
        .into_iter()
        .filter(|i| !i.covered && matches!(i.kind, ItemKind::Proposed | ItemKind::Carried))
        .map(|i| i.text)
        .collect();
    let next = db::next(store, c.id).await?.filter(|n| n.id != id);
    Ok(Some(Minutes {
        meeting,
        coalition_name: c.name.clone(),
        timezone: c.timezone.clone(),
        attendance,
        minutes,
        carried,
        next,
    }))
}
