//! Meetings with a structured agenda: scheduling (one-off or a series) with a Discord scheduled
//! event and an announcement with Going / Maybe / Can't, the agenda, and (in `run.rs`) running
//! one: its thread, attendance, minutes, actions as tasks, and what carries over.
//!
//! Everything Discord must see goes through the outbox in the same write transaction as the
//! change: the event (`meeting_event`), the announcement (`meeting_post`), the reminder, the
//! thread, the minutes. So a crash never loses one, and nothing is sent twice.

mod agenda;
mod run;

pub use agenda::{Agenda, AgendaLine, Proposed, agenda, agenda_of, propose};
pub use run::*;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Ref, Scope, ts};
use crate::domain::meeting::*;
use crate::domain::series::Every;
use crate::domain::{text, when, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{NewDelivery, Target};
use crate::store::meetings::{self as db, NewMeeting, RsvpRow};
use crate::store::payload::{EventChange, EventStep, Payload, Reminder};
use crate::store::{self, Store, Tx};

/// Input of `/meeting schedule`.
#[derive(Debug, Clone, Default)]
pub struct ScheduleMeeting {
    pub coalition: Option<String>,
    pub title: String,
    /// Read like `due`, in the coalition's time zone.
    pub when: String,
    /// `off`, `weekly`, `every 2 weeks`, `monthly on the first tue` …
    pub every: Option<String>,
    /// `45m`, `1h30`; default 1 h.
    pub duration: Option<String>,
    /// A voice channel (`<#id>`), a place or a link.
    pub place: Option<String>,
}

/// A meeting was scheduled.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingScheduled {
    pub meeting: Meeting,
    pub coalition_name: String,
    pub timezone: String,
    pub home_channel: ChannelId,
    /// The series rule in words, when it repeats.
    pub every: Option<String>,
}

/// `/meeting schedule` (lead): plans a meeting (or the first of a series); its Discord event,
/// its announcement and its reminder are queued in the same write.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn schedule(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ScheduleMeeting,
) -> Result<MeetingScheduled> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    if !scope.is_lead() {
        return Err(Error::user(format!(
            "Only leads of **{}** (or server admins) can schedule meetings — ask a lead, or propose an item for the next one with `/meeting propose`.",
            scope.coalition.name
        )));
    }
    let title = text::single_line("meeting title", &input.title, MAX_TITLE)?;
    let tz = scope.coalition.tz();
    let starts = when::parse_due(&input.when, tz, now)?;
    let minutes = match input.duration.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => parse_duration(d)?,
        None => DEFAULT_MINUTES,
    };
    let place = parse_place(input.place.as_deref().unwrap_or(""))?;
    let every = match input.every.as_deref() {
        Some(e) => Every::parse(e, starts.with_timezone(&tz).naive_local())?.map(|_| e.trim().to_string()),
        None => None,
    };
    let now_s = ts(now);
    let starts_at = starts.timestamp();
    let mut tx = store.write().await?;
    let new = NewMeeting {
        coalition: scope.id(),
        title: &title,
        starts_at,
        ends_at: starts_at + minutes * 60,
        place: place.as_ref(),
        series: None,
        every: every.as_deref(),
        created_by: actor.user,
    };
    let meeting = db::insert(&mut tx, &new, now_s).await?;
    plan_occurrence(&mut tx, &scope.coalition, &meeting, now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.schedule",
        &format!("meeting {}", meeting.id),
        &title,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MeetingScheduled {
        every: every.clone(),
        meeting,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        home_channel: scope.coalition.home_channel_id,
    })
}

/// Queues what a new occurrence needs: its Discord event and its announcement (its reminder is
/// planned by the scheduler's tick, [`plan_reminders`]).
async fn plan_occurrence(tx: &mut Tx, c: &Coalition, m: &Meeting, now: i64) -> Result<()> {
    event_change(tx, c.id, m.id, EventChange::Create, now).await?;
    post_update(tx, c, m.id, "new", now).await?;
    Ok(())
}

/// Run by the scheduler's tick: queues the reminder of each scheduled meeting that starts within
/// `before` seconds, once per start time (its dedupe key), unless it was planned closer to its
/// start than that. Returns how many were queued.
pub async fn plan_reminders(store: &Store, now: DateTime<Utc>, before: i64, limit: i64) -> Result<usize> {
    let now_s = ts(now);
    let due = db::needing_reminder(store, now_s, before, limit).await?;
    let mut n = 0;
    for (m, home) in due {
        let mut tx = store.write().await?;
        let reminder = NewDelivery {
            coalition: m.coalition_id,
            dedupe_key: reminder_key(&m),
            target: Target::Channel(home),
            subject_id: Some(m.id.0),
            payload: Payload::MeetingReminder(Reminder {
                starts_at: m.starts_at,
            }),
            due_at: now_s,
        };
        if store::deliveries::enqueue(&mut tx, &reminder, now_s).await? {
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}

/// A meeting's reminder is sent once per start time.
pub fn reminder_key(m: &Meeting) -> String {
    format!("meeting:{}:reminder:{}", m.id, m.starts_at)
}

/// Queues a change to the meeting's Discord event.
async fn event_change(
    tx: &mut Tx,
    c: CoalitionId,
    m: MeetingId,
    change: EventChange,
    now: i64,
) -> Result<()> {
    let step = EventStep { change };
    let d = NewDelivery {
        coalition: c,
        dedupe_key: format!("meeting:{m}:event:{}", change.as_str()),
        target: Target::Channel(ChannelId(0)),
        subject_id: Some(m.0),
        payload: Payload::MeetingEvent(step),
        due_at: now,
    };
    store::deliveries::enqueue(tx, &d, now).await?;
    Ok(())
}

/// Queues the announcement's post (or its edit in place, once posted) after a change `why`.
async fn post_update(tx: &mut Tx, c: &Coalition, m: MeetingId, why: &str, now: i64) -> Result<()> {
    let d = NewDelivery {
        coalition: c.id,
        dedupe_key: format!("meeting:{m}:post:{why}"),
        target: Target::Channel(c.home_channel_id),
        subject_id: Some(m.0),
        payload: Payload::MeetingPost,
        due_at: now,
    };
    store::deliveries::enqueue(tx, &d, now).await?;
    Ok(())
}

/// A meeting's announcement as it stands: the meeting and everyone's answers.
#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    pub meeting: Meeting,
    pub coalition_name: String,
    pub timezone: String,
    pub rsvps: Vec<RsvpRow>,
}

/// Loads the announcement of meeting `id` of `c`.
pub async fn announcement(store: &Store, c: &Coalition, id: MeetingId) -> Result<Option<Announcement>> {
    let Some(meeting) = db::get(store.pool(), c.id, id).await? else {
        return Ok(None);
    };
    let rsvps = db::rsvps(store.pool(), c.id, id).await?;
    Ok(Some(Announcement {
        meeting,
        coalition_name: c.name.clone(),
        timezone: c.timezone.clone(),
        rsvps,
    }))
}

/// The scope of a meeting's button: its coalition, if it is in the actor's server.
pub(crate) async fn scope_of(store: &Store, actor: &Actor, id: MeetingId) -> Result<Scope> {
    let Some(name) = db::coalition_name_of(store, actor.guild, id).await? else {
        return Err(Error::user(
            "That meeting no longer exists — `/meeting list` shows the upcoming ones.",
        ));
    };
    super::scope(store, actor, Some(&name)).await
}

/// The scope of a command about the running meeting: the named coalition, else the coalition
/// whose meeting thread the command runs in, else as usual (home channel, the only coalition).
pub(crate) async fn scope_here(store: &Store, actor: &Actor, coalition: Option<&str>) -> Result<Scope> {
    let named = coalition.map(str::trim).filter(|c| !c.is_empty());
    if named.is_none()
        && let Some(channel) = actor.channel
        && let Some(name) = db::coalition_name_by_thread(store, actor.guild, channel).await?
    {
        return super::scope(store, actor, Some(&name)).await;
    }
    super::scope(store, actor, coalition).await
}

/// Finds the meeting a command means: `#12`, `12` or the start of a title among scheduled and
/// running ones; none given means the next one.
pub(crate) async fn resolve(store: &Store, scope: &Scope, text: Option<&str>) -> Result<Meeting> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let name = &scope.coalition.name;
    let Some(text) = text else {
        return db::next(store, scope.id()).await?.ok_or_else(|| {
            Error::user(format!(
                "**{name}** has no upcoming meeting — a lead can plan one with `/meeting schedule`."
            ))
        });
    };
    match Ref::parse("meeting", text)? {
        Ref::Number(n) => db::get(store.pool(), scope.id(), MeetingId(n))
            .await?
            .ok_or_else(|| {
                Error::user(format!(
                    "No meeting #{n} in **{name}** — `/meeting list` shows the upcoming ones."
                ))
            }),
        Ref::Title(t) => {
            let found = db::open_by_title(store, scope.id(), &t).await?;
            super::one_match("meeting", &t, name, "/meeting list", found, |m| {
                format!("#{} {}", m.id, m.title)
            })
        }
    }
}

/// `meeting:rsvp:<id>:yes|maybe|no` (anyone in the server): records the answer; the announcement
/// is redrawn from what the write left.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn rsvp(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: MeetingId,
    answer: Rsvp,
) -> Result<Announcement> {
    let scope = scope_of(store, actor, id).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let Some(m) = db::get(&mut *tx, scope.id(), id).await? else {
        return Err(Error::user(
            "That meeting no longer exists — `/meeting list` shows the upcoming ones.",
        ));
    };
    match m.status {
        MeetingStatus::Cancelled => {
            return Err(Error::user(format!(
                "**{}** was cancelled, so there is nothing to answer — `/meeting list` shows the upcoming meetings.",
                text::defuse_mentions(&m.title)
            )));
        }
        MeetingStatus::Ended | MeetingStatus::Missed => {
            return Err(Error::user(format!(
                "**{}** is over — `/meeting list` shows the upcoming meetings.",
                text::defuse_mentions(&m.title)
            )));
        }
        _ => {}
    }
    db::set_rsvp(&mut tx, id, actor.user, answer, now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.rsvp",
        &format!("meeting {id}"),
        answer.as_str(),
        now_s,
    )
    .await?;
    let rsvps = db::rsvps(&mut *tx, scope.id(), id).await?;
    tx.commit().await?;
    Ok(Announcement {
        meeting: m,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        rsvps,
    })
}

/// `/meeting list` (anyone): upcoming meetings with who is coming.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingList {
    pub coalition_name: String,
    pub timezone: String,
    pub meetings: Vec<Announcement>,
}

/// Most meetings `/meeting list` shows.
pub const LIST_LIMIT: i64 = 10;

/// `/meeting list` (anyone).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor, coalition: Option<&str>) -> Result<MeetingList> {
    let scope = super::scope(store, actor, coalition).await?;
    let upcoming = db::upcoming(store, scope.id(), LIST_LIMIT).await?;
    let mut meetings = Vec::with_capacity(upcoming.len());
    for meeting in upcoming {
        let rsvps = db::rsvps(store.pool(), scope.id(), meeting.id).await?;
        meetings.push(Announcement {
            meeting,
            coalition_name: scope.coalition.name.clone(),
            timezone: scope.coalition.timezone.clone(),
            rsvps,
        });
    }
    Ok(MeetingList {
        coalition_name: scope.coalition.name.clone(),
        timezone: super::me::shown_timezone(&scope),
        meetings,
    })
}

/// Input of `/meeting cancel`.
#[derive(Debug, Clone, Default)]
pub struct CancelMeeting {
    pub coalition: Option<String>,
    pub meeting: String,
    /// The whole series, not only this occurrence.
    pub series: bool,
}

/// A meeting was cancelled.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingCancelled {
    pub meeting: Meeting,
    pub coalition_name: String,
    pub timezone: String,
    /// The series was cancelled too (no next occurrence).
    pub series: bool,
    /// The next occurrence, planned instead (a series cancelled one time only).
    pub next: Option<Meeting>,
    /// How many had said Going or Maybe (they are told).
    pub told: usize,
}

/// `/meeting cancel` (lead): cancels one occurrence or the series; the Discord event is cancelled,
/// the announcement says so, and those coming are told.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn cancel(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: CancelMeeting,
) -> Result<MeetingCancelled> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let m = resolve(store, &scope, Some(&input.meeting)).await?;
    let title = text::defuse_mentions(&m.title);
    match m.status {
        MeetingStatus::Running => {
            return Err(Error::user(format!(
                "**{title}** is running — end it with `/meeting end` instead."
            )));
        }
        MeetingStatus::Ended | MeetingStatus::Cancelled | MeetingStatus::Missed => {
            return Err(Error::user(format!(
                "**{title}** is already over or cancelled — `/meeting list` shows the upcoming meetings."
            )));
        }
        MeetingStatus::Scheduled => {}
    }
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if !db::cancel(&mut tx, scope.id(), m.id).await? {
        return Err(Error::user(format!(
            "**{title}** just started or was cancelled by someone else — `/meeting list` shows where it stands."
        )));
    }
    event_change(&mut tx, scope.id(), m.id, EventChange::Canceled, now_s).await?;
    post_update(&mut tx, &scope.coalition, m.id, "cancel", now_s).await?;
    let rsvps = db::rsvps(&mut *tx, scope.id(), m.id).await?;
    let told = rsvps.iter().filter(|r| r.answer != Rsvp::No).count();
    if told > 0 {
        let notice = NewDelivery {
            coalition: scope.id(),
            dedupe_key: format!("meeting:{}:cancelled", m.id),
            target: Target::Channel(scope.coalition.home_channel_id),
            subject_id: Some(m.id.0),
            payload: Payload::MeetingCancelled,
            due_at: now_s,
        };
        store::deliveries::enqueue(&mut tx, &notice, now_s).await?;
    }
    let next = if input.series {
        None
    } else {
        plan_next(&mut tx, &scope.coalition, &m, now_s).await?
    };
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.cancel",
        &format!("meeting {}", m.id),
        if input.series { "series" } else { "occurrence" },
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MeetingCancelled {
        series: input.series && m.every.is_some(),
        meeting: Meeting {
            status: MeetingStatus::Cancelled,
            ..m
        },
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        next,
        told,
    })
}

/// Plans the occurrence after `m` when `m` belongs to a series: a new row with its own event,
/// announcement and reminder. Only one occurrence of a series exists ahead at a time (Discord
/// allows 100 events per server).
pub(crate) async fn plan_next(tx: &mut Tx, c: &Coalition, m: &Meeting, now: i64) -> Result<Option<Meeting>> {
    let Some(rule) = m.every.as_deref() else {
        return Ok(None);
    };
    let tz = c.tz();
    let first = DateTime::<Utc>::from_timestamp(m.starts_at, 0).unwrap_or_default();
    let Some(every) = Every::parse(rule, first.with_timezone(&tz).naive_local())
        .ok()
        .flatten()
    else {
        return Ok(None);
    };
    // The first occurrence after both the one that closed and now.
    let mut at = first;
    let next = loop {
        match every.next_after(at, tz) {
            Some(n) if n.timestamp() > now => break Some(n),
            Some(n) => at = n,
            None => break None,
        }
    };
    let Some(next) = next else {
        return Ok(None);
    };
    // A series has one occurrence ahead: a retry or a race plans it once.
    let exists: bool = crate::store::sql::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM meetings WHERE coalition_id = ? AND series_id = ? AND starts_at = ?)",
    )
    .bind(c.id)
    .bind(m.series_id)
    .bind(next.timestamp())
    .fetch_one(&mut **tx)
    .await?;
    if exists {
        return Ok(None);
    }
    let place = m.place();
    let new = NewMeeting {
        coalition: c.id,
        title: &m.title,
        starts_at: next.timestamp(),
        ends_at: next.timestamp() + (m.ends_at - m.starts_at),
        place: place.as_ref(),
        series: m.series_id.or(Some(m.id)),
        every: Some(rule),
        created_by: m.created_by,
    };
    let meeting = db::insert(tx, &new, now).await?;
    plan_occurrence(tx, c, &meeting, now).await?;
    Ok(Some(meeting))
}

/// Autocomplete for `meeting`: the coalition's scheduled and running meetings, soonest first.
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
    let typed = typed.trim().trim_start_matches('#').to_lowercase();
    let tz = c.tz();
    Ok(db::upcoming(store, c.id, 25)
        .await?
        .into_iter()
        .filter(|m| {
            typed.is_empty() || m.title.to_lowercase().starts_with(&typed) || m.id.0.to_string() == typed
        })
        .map(|m| {
            let label = format!(
                "{} — {}",
                m.title,
                when::show(m.starts_at, tz, when::Shown::Short)
            );
            super::numbered_choice(m.id.0, &label)
        })
        .collect())
}

/// Meetings the scheduler moves on per tick at most.
const PASSED_BATCH: i64 = 50;

/// Run by the scheduler's tick: meetings whose time passed without anyone starting them are
/// marked missed; their Discord event is cancelled, the announcement says so, their agenda
/// carries over, and a series plans its next occurrence. Returns how many.
pub async fn pass_missed(store: &Store, now: DateTime<Utc>) -> Result<usize> {
    let now_s = ts(now);
    let passed = db::passed(store, now_s - PASSED_AFTER, PASSED_BATCH).await?;
    let mut n = 0;
    for m in passed {
        let Some(c) = store::coalitions::get_any(store, m.coalition_id).await? else {
            continue;
        };
        let mut tx = store.write().await?;
        if !db::miss(&mut tx, c.id, m.id).await? {
            continue;
        }
        db::carry_over(&mut tx, c.id, m.id, m.starts_at, now_s).await?;
        event_change(&mut tx, c.id, m.id, EventChange::Canceled, now_s).await?;
        post_update(&mut tx, &c, m.id, "missed", now_s).await?;
        plan_next(&mut tx, &c, &m, now_s).await?;
        store::record_anonymous_event(
            &mut tx,
            c.id,
            "meeting.missed",
            &format!("meeting {}", m.id),
            now_s,
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}
