//! A meeting in Discord, through the outbox: its scheduled event (created once, then moved
//! SCHEDULED → ACTIVE → COMPLETED, or → CANCELED), its announcement (posted once, then edited in
//! place), its thread with the agenda, and the messages rendered like any other delivery (the
//! reminder, the minutes, the cancellation notice).
//!
//! A server where the bot may not create events (403 50013) still has its meetings: the event's
//! delivery is dead with the reason, and `backbone doctor` says what to grant.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::content::Content;
use super::deliver::nonce;
use super::outcome::{Outcome, cancelled, lost, transient};
use super::route::Places;
use super::send::Sender;
use super::{Notifier, SchedulerSettings, SendError};
use crate::actions::meetings as act;
use crate::domain::meeting::*;
use crate::domain::*;
use crate::error::Result;
use crate::render::meetings as render;
use crate::store::checkin_posts::older_waiting;
use crate::store::deliveries::{self, Delivery, Target};
use crate::store::meetings as db;
use crate::store::payload::{EventChange, Payload, Reminder};
use crate::store::{self, Store};

/// Seconds a job waits for an earlier step (the event being created, the announcement posted).
const WAIT: i64 = 2;

fn cancel(why: &str) -> Result<Content> {
    Ok(Content::Cancel(why.to_string()))
}

/// Renders the meeting messages that go out like any other: the reminder, the minutes and the
/// cancellation notice.
pub(crate) async fn content(
    store: &Store,
    c: &Coalition,
    d: &Delivery,
    payload: &Payload,
    now: DateTime<Utc>,
) -> Result<Content> {
    let id = MeetingId(d.subject_id.unwrap_or(0));
    let places = Places::of(c);
    let send = |target: ChannelId, msg| {
        Ok(Content::Send {
            target: Target::Channel(target),
            msg,
            round: None,
            places,
        })
    };
    let Some(m) = db::get(store.pool(), c.id, id).await? else {
        return cancel("meeting deleted");
    };
    match payload {
        Payload::MeetingReminder(Reminder { starts_at }) => {
            if m.status != MeetingStatus::Scheduled {
                return cancel("the meeting is no longer scheduled");
            }
            if m.starts_at != *starts_at {
                return cancel("the meeting moved");
            }
            let agenda = act::agenda_of(store, c, m, now).await?;
            send(c.home_channel_id, render::reminder(&agenda))
        }
        Payload::MeetingMinutes => {
            let Some(minutes) = act::minutes_of(store, c, id).await? else {
                return cancel("meeting deleted");
            };
            if m.thread_id.is_none() && thread_waiting(store, c, id).await? {
                return Ok(Content::Later(now.timestamp() + WAIT));
            }
            send(
                m.thread_id.unwrap_or(c.home_channel_id),
                render::minutes(&minutes),
            )
        }
        Payload::MeetingCancelled => {
            let Some(a) = act::announcement(store, c, id).await? else {
                return cancel("meeting deleted");
            };
            if a.rsvps.iter().all(|r| r.answer == Rsvp::No) {
                return cancel("no one was coming");
            }
            send(c.home_channel_id, render::cancelled_notice(&a))
        }
        _ => cancel("not a meeting message"),
    }
}

async fn thread_waiting(store: &Store, c: &Coalition, id: MeetingId) -> Result<bool> {
    crate::store::checkin_posts::delivery_waiting(store.pool(), c.id, "meeting_thread", id.0).await
}

/// Runs a meeting job that is not one message (the event, the announcement, the thread);
/// `None` for any other delivery.
pub(crate) async fn run<N: Notifier>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    payload: &Payload,
) -> Result<Option<Outcome>> {
    let job = match payload {
        Payload::MeetingEvent(step) => Job::Event(step.change),
        Payload::MeetingPost => Job::Post,
        Payload::MeetingThread => Job::Thread,
        _ => return Ok(None),
    };
    let store = sender.store;
    let now = sender.clock.now();
    let Some(c) = store::coalitions::get_any(store, d.coalition_id).await? else {
        return cancelled(store, d, "coalition deleted").await.map(Some);
    };
    let Some(m) = db::get(store.pool(), c.id, MeetingId(d.subject_id.unwrap_or(0))).await? else {
        return cancelled(store, d, "meeting deleted").await.map(Some);
    };
    let out = match job {
        Job::Event(change) => event(sender, d, &c, &m, change, now).await?,
        Job::Post => post(sender, d, &c, &m, now).await?,
        Job::Thread => thread(sender, d, &c, &m, now).await?,
    };
    Ok(Some(out))
}

enum Job {
    Event(EventChange),
    Post,
    Thread,
}

/// One notifier call, given up after `send_timeout` as a transient failure.
async fn timed<T>(
    s: &SchedulerSettings,
    call: impl Future<Output = std::result::Result<T, SendError>>,
) -> std::result::Result<T, SendError> {
    tokio::time::timeout(s.send_timeout, call)
        .await
        .unwrap_or_else(|_| {
            Err(SendError::Transient(format!(
                "timed out after {:?}",
                s.send_timeout
            )))
        })
}

/// Looks again at `at` without counting a failure.
async fn later(store: &Store, d: &Delivery, at: i64, why: &str) -> Result<Outcome> {
    if !deliveries::mark_retry(store, d.id, d.claim_token, at, false, why).await? {
        return Ok(lost());
    }
    Ok(Outcome::Retried)
}

/// Creates the meeting's event or moves its status, as Discord allows.
async fn event<N: Notifier>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    c: &Coalition,
    m: &Meeting,
    change: EventChange,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let Sender {
        store,
        notifier,
        settings: s,
        pacer,
        ..
    } = *sender;
    let now_s = now.timestamp();
    if change == EventChange::Create {
        if m.event_id.is_some() {
            return cancelled(store, d, "the event exists").await;
        }
        if m.status != MeetingStatus::Scheduled {
            return cancelled(store, d, "the meeting is no longer scheduled").await;
        }
        let description = format!("A meeting of {} — the agenda: /meeting agenda", c.name);
        let e = ScheduledEvent::of(m, description);
        if let Err(why) = e.check(now_s) {
            return cancelled(store, d, &format!("not a valid Discord event: {why}")).await;
        }
        pacer.wait().await;
        return match timed(s, notifier.create_event(c.guild_id, &e)).await {
            Ok(id) => {
                let mut tx = store.write().await?;
                if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, None, MessageId(id), now_s).await? {
                    return Ok(lost());
                }
                db::set_event(&mut *tx, m.id, id, EventStatus::Scheduled).await?;
                tx.commit().await?;
                tracing::info!(event = id, "scheduled event created");
                Ok(Outcome::Sent)
            }
            Err(e) => failed(store, s, now_s, d, e).await,
        };
    }
    let target = match change {
        EventChange::Active => EventStatus::Active,
        EventChange::Completed => EventStatus::Completed,
        _ => EventStatus::Canceled,
    };
    let (Some(event), Some(current)) = (m.event_id, m.event_status.and_then(EventStatus::from_code)) else {
        // The event may still be on its way: its creation goes first.
        if older_waiting(store.pool(), c.id, &d.kind, m.id.0, d.id).await? {
            return later(store, d, now_s + WAIT, "waiting for the event to be created").await;
        }
        return cancelled(store, d, "the meeting has no Discord event").await;
    };
    if current == target {
        return cancelled(store, d, "the event is there already").await;
    }
    // An event that never went ACTIVE (its start failed) must pass through it to COMPLETED.
    let steps: Vec<EventStatus> = match (current, target) {
        (EventStatus::Scheduled, EventStatus::Completed) => vec![EventStatus::Active, EventStatus::Completed],
        (from, to) if from.may_become(to) => vec![to],
        (from, to) => {
            return cancelled(
                store,
                d,
                &format!("Discord can't move an event from {from:?} to {to:?}"),
            )
            .await;
        }
    };
    for step in steps {
        pacer.wait().await;
        match timed(s, notifier.set_event_status(c.guild_id, event, step)).await {
            Ok(()) => db::set_event(store.pool(), m.id, event, step).await?,
            Err(e) => return failed(store, s, now_s, d, e).await,
        }
    }
    let mut tx = store.write().await?;
    if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, None, MessageId(event), now_s).await? {
        return Ok(lost());
    }
    tx.commit().await?;
    Ok(Outcome::Sent)
}

/// Posts the announcement in the home channel, or edits it in place once posted.
async fn post<N: Notifier>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    c: &Coalition,
    m: &Meeting,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let Sender {
        store,
        notifier,
        settings: s,
        pacer,
        ..
    } = *sender;
    let now_s = now.timestamp();
    let Some(a) = act::announcement(store, c, m.id).await? else {
        return cancelled(store, d, "meeting deleted").await;
    };
    let msg = render::announcement(&a).fit();
    if let (Some(channel), Some(message)) = (m.announce_channel_id, m.announce_message_id) {
        pacer.wait().await;
        return match timed(s, notifier.edit_message(channel, message, &msg)).await {
            Ok(()) => {
                let mut tx = store.write().await?;
                if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, Some(channel), message, now_s).await?
                {
                    return Ok(lost());
                }
                tx.commit().await?;
                Ok(Outcome::Sent)
            }
            Err(e) => failed(store, s, now_s, d, e).await,
        };
    }
    // The first post goes first: a later update waits for it, then edits.
    if older_waiting(store.pool(), c.id, &d.kind, m.id.0, d.id).await? {
        return later(
            store,
            d,
            now_s + WAIT,
            "waiting for the announcement to be posted",
        )
        .await;
    }
    if m.status == MeetingStatus::Cancelled {
        return cancelled(store, d, "cancelled before it was announced").await;
    }
    let home = c.home_channel_id;
    pacer.wait().await;
    match timed(s, notifier.send_channel(home, &msg, &nonce(d.id))).await {
        Ok(message) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, Some(home), message, now_s).await? {
                return Ok(lost());
            }
            db::set_announcement(&mut *tx, m.id, home, message).await?;
            tx.commit().await?;
            Ok(Outcome::Sent)
        }
        Err(e) => failed(store, s, now_s, d, e).await,
    }
}

/// Opens the meeting's thread on its announcement and posts the agenda there (in the home channel
/// when there is no announcement or the thread can't be made).
async fn thread<N: Notifier>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    c: &Coalition,
    m: &Meeting,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let Sender {
        store,
        notifier,
        settings: s,
        pacer,
        ..
    } = *sender;
    let now_s = now.timestamp();
    if m.status != MeetingStatus::Running {
        return cancelled(store, d, "the meeting is not running").await;
    }
    if m.agenda_message_id.is_some() {
        return cancelled(store, d, "the agenda is posted").await;
    }
    let home = c.home_channel_id;
    let place = match (m.thread_id, m.announce_channel_id, m.announce_message_id) {
        (Some(t), _, _) => t,
        (None, Some(channel), Some(message)) => {
            let name = crate::domain::text::truncate(&m.title, 100);
            pacer.wait().await;
            match timed(s, notifier.create_thread(channel, message, &name)).await {
                Ok(t) => {
                    db::set_thread(store.pool(), m.id, t, None).await?;
                    t
                }
                Err(SendError::NoAccess { .. }) => home,
                Err(e) => return failed(store, s, now_s, d, e).await,
            }
        }
        _ => {
            if crate::store::checkin_posts::delivery_waiting(store.pool(), c.id, "meeting_post", m.id.0)
                .await?
            {
                return later(store, d, now_s + WAIT, "waiting for the announcement").await;
            }
            home
        }
    };
    let agenda = act::agenda_of(store, c, m.clone(), now).await?;
    let msg = render::agenda_post(&agenda).fit();
    pacer.wait().await;
    match timed(s, notifier.send_channel(place, &msg, &nonce(d.id))).await {
        Ok(message) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, Some(place), message, now_s).await? {
                return Ok(lost());
            }
            db::set_thread(&mut *tx, m.id, place, Some(message)).await?;
            // Minutes waiting for the thread may go now.
            crate::store::sql::query(
                "UPDATE deliveries SET next_attempt_at = ?1 WHERE coalition_id = ?2 AND status = 'pending'
                   AND kind = 'meeting_minutes' AND subject_id = ?3 AND next_attempt_at > ?1",
            )
            .bind(now_s)
            .bind(c.id)
            .bind(m.id.0)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Outcome::Sent)
        }
        Err(e) => failed(store, s, now_s, d, e).await,
    }
}

/// A failed call: wait out a rate limit, back off on a transient error, otherwise give up with the
/// reason (a missing permission says which).
async fn failed(
    store: &Store,
    s: &SchedulerSettings,
    now_s: i64,
    d: &Delivery,
    e: SendError,
) -> Result<Outcome> {
    match e {
        SendError::RateLimited { retry_after, .. } => {
            let next = now_s + (retry_after.max(0.0).ceil().min(86_400.0) as i64).max(1);
            if !deliveries::mark_retry(store, d.id, d.claim_token, next, false, &e.to_string()).await? {
                return Ok(lost());
            }
            Ok(Outcome::Retried)
        }
        SendError::Transient(why) => transient(store, s, now_s, d, &why).await,
        e => {
            let why = match (&e, d.kind()) {
                (SendError::NoAccess { code: 50013, .. }, Some(deliveries::DeliveryKind::MeetingEvent)) => {
                    "missing the Create Events permission (50013): the meeting goes on without a Discord event — `backbone doctor` says what to grant".to_string()
                }
                _ => e.to_string(),
            };
            let mut tx = store.write().await?;
            if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, &why, true).await? {
                return Ok(lost());
            }
            tx.commit().await?;
            tracing::warn!(error = %why, "meeting job dead");
            Ok(Outcome::Dead)
        }
    }
}
