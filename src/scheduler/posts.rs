//! A round in the open, through the outbox: the thread on the prompt, answer cards and the summary
//! (posted once, then edited in place), and the closing summary. Where a post lands is decided when
//! it is sent: the round's thread once made, the home channel if it can't be (or is gone), and a
//! short wait while the thread is still being made.

use chrono::{DateTime, Utc};

use super::content::Content;
use super::outcome::{Outcome, lost, transient};
use super::send::Sender;
use super::{Notifier, SchedulerSettings, SendError};
use crate::actions::checkin_posts::participation;
use crate::domain::checkin::ReportMode;
use crate::domain::message::Message;
use crate::domain::*;
use crate::error::Result;
use crate::render::checkin_posts as render;
use crate::store::checkin_posts::{self as posts, RoundPosts};
use crate::store::deliveries::{self, Delivery, DeliveryKind, NewDelivery, Target};
use crate::store::payload::{OfRound, Payload};
use crate::store::{self, Store, Tx};

/// Seconds a post waits for its round's thread before looking again.
const THREAD_WAIT: i64 = 5;

/// What an upserted post records once it is out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record {
    /// An answer card (check-in id).
    Card(CheckinId),
    /// The round's summary.
    Summary,
    /// The closing summary (nothing to remember).
    Close,
}

/// A post to make, or a message to edit in place.
pub(crate) struct Upsert {
    pub channel: ChannelId,
    pub existing: Option<MessageId>,
    pub msg: Message,
    pub record: Record,
    pub round: RoundId,
    pub home: ChannelId,
}

fn cancel(why: &str) -> Result<Content> {
    Ok(Content::Cancel(why.to_string()))
}

/// After a prompt is recorded: queue the thread on it (same transaction), unless answers are
/// leads-only.
pub(crate) async fn after_prompt(
    tx: &mut Tx,
    d: &Delivery,
    round: RoundId,
    channel: ChannelId,
    now: i64,
) -> Result<()> {
    if !posts::settings(&mut **tx, d.coalition_id)
        .await?
        .report
        .is_public()
    {
        return Ok(());
    }
    let t = NewDelivery {
        coalition: d.coalition_id,
        dedupe_key: format!("thread:{round}"),
        target: Target::Channel(channel),
        subject_id: Some(round.0),
        payload: Payload::CheckinThread(OfRound { round_id: round }),
        due_at: now,
    };
    deliveries::enqueue(tx, &t, now).await?;
    Ok(())
}

/// Where a post of the round goes now: its thread, the home channel, or `None` to wait for the
/// thread still being made.
async fn place(store: &Store, r: &RoundPosts, home: ChannelId) -> Result<Option<ChannelId>> {
    if let Some(t) = r.thread_id.filter(|_| !r.thread_failed) {
        return Ok(Some(t));
    }
    if r.thread_failed {
        return Ok(Some(home));
    }
    let pool = store.pool();
    let waiting = posts::delivery_waiting(pool, r.coalition_id, "checkin_prompt", r.id.0).await?
        || posts::delivery_waiting(pool, r.coalition_id, "checkin_thread", r.id.0).await?;
    Ok((!waiting).then_some(home))
}

/// Renders the round's thread, card, summary and closing deliveries from current data.
pub(crate) async fn render(
    store: &Store,
    c: &Coalition,
    d: &Delivery,
    kind: DeliveryKind,
    now: DateTime<Utc>,
) -> Result<Content> {
    let now_s = now.timestamp();
    let tz = c.tz();
    let home = c.home_channel_id;
    let settings = posts::settings(store.pool(), c.id).await?;
    if !settings.report.is_public() {
        return cancel("answers are for the leads only");
    }
    let subject = d.subject_id.unwrap_or(0);
    let round_of = |id: i64| posts::round_posts(store.pool(), c.id, RoundId(id));
    match kind {
        DeliveryKind::CheckinThread => {
            let Some(r) = round_of(subject).await? else {
                return cancel("round deleted");
            };
            if r.thread_id.is_some() {
                return cancel("the thread exists");
            }
            let (Some(channel), Some(message)) = (r.channel_id, r.message_id) else {
                return cancel("no prompt to start a thread on");
            };
            Ok(Content::Thread {
                channel,
                message,
                name: render::thread_name(r.opens_at, tz),
                round: r.id,
            })
        }
        DeliveryKind::CheckinCard => {
            if settings.report != ReportMode::Thread {
                return cancel("answers are shown as a summary");
            }
            let Some(a) = posts::round_answer(store.pool(), c.id, CheckinId(subject)).await? else {
                return cancel("answer deleted");
            };
            let Some(r) = round_of(a.round_id.0).await? else {
                return cancel("round deleted");
            };
            if a.card_message_id.is_none() && later_than_an_older(store, c, d).await? {
                return Ok(Content::Later(now_s + 1));
            }
            let questions = posts::questions(store.pool(), c.id, r.questions_version).await?;
            let msg = render::card(&questions, &a);
            let (channel, existing) = match (a.card_channel_id, a.card_message_id) {
                (Some(ch), Some(m)) => (ch, Some(m)),
                _ => match place(store, &r, home).await? {
                    Some(ch) => (ch, None),
                    None => return Ok(Content::Later(now_s + THREAD_WAIT)),
                },
            };
            Ok(Content::Upsert(Upsert {
                channel,
                existing,
                msg,
                record: Record::Card(a.checkin_id),
                round: r.id,
                home,
            }))
        }
        DeliveryKind::CheckinSummary => {
            if settings.report != ReportMode::Summary {
                return cancel("answers are shown one by one");
            }
            let Some(r) = round_of(subject).await? else {
                return cancel("round deleted");
            };
            if r.summary_message_id.is_none() && later_than_an_older(store, c, d).await? {
                return Ok(Content::Later(now_s + 1));
            }
            let questions = posts::questions(store.pool(), c.id, r.questions_version).await?;
            let (total, answers) = posts::round_answers(store.pool(), c.id, r.id, 0, 40).await?;
            let msg = render::summary(r.id, r.opens_at, &questions, total, &answers, tz);
            let (channel, existing) = match (r.summary_channel_id, r.summary_message_id) {
                (Some(ch), Some(m)) => (ch, Some(m)),
                _ => match place(store, &r, home).await? {
                    Some(ch) => (ch, None),
                    None => return Ok(Content::Later(now_s + THREAD_WAIT)),
                },
            };
            Ok(Content::Upsert(Upsert {
                channel,
                existing,
                msg,
                record: Record::Summary,
                round: r.id,
                home,
            }))
        }
        DeliveryKind::CheckinClose => {
            let Some(r) = round_of(subject).await? else {
                return cancel("round deleted");
            };
            let p = participation(store, c.id, r.id, now_s).await?;
            let (_, answers) = posts::round_answers(store.pool(), c.id, r.id, 0, 200).await?;
            let blockers: Vec<(String, String)> = answers
                .iter()
                .filter(|a| !a.blockers.trim().is_empty())
                .map(|a| (a.name.clone(), a.blockers.clone()))
                .collect();
            let (blocked_tasks, _) = store::digest::blocked_tasks(store, c.id, 0).await?;
            let names =
                |users: &[UserId]| -> Vec<String> { p.names_of(users).into_iter().map(|(_, n)| n).collect() };
            let msg = render::closing(
                &render::Closing {
                    opens_at: r.opens_at,
                    participation: &p.participation,
                    names: &names,
                    blockers: &blockers,
                    blocked_tasks,
                },
                tz,
            );
            let channel = match place(store, &r, home).await? {
                Some(ch) => ch,
                None => return Ok(Content::Later(now_s + THREAD_WAIT)),
            };
            Ok(Content::Upsert(Upsert {
                channel,
                existing: None,
                msg,
                record: Record::Close,
                round: r.id,
                home,
            }))
        }
        _ => cancel("not a check-in post"),
    }
}

/// Whether an older delivery of the same post is still waiting: it posts first, this one then
/// edits (so a quick second answer can't post the card twice).
async fn later_than_an_older(store: &Store, c: &Coalition, d: &Delivery) -> Result<bool> {
    let subject = d.subject_id.unwrap_or(0);
    posts::older_waiting(store.pool(), c.id, &d.kind, subject, d.id).await
}

/// Lets the round's posts that were waiting for its thread go now.
async fn hurry_posts(tx: &mut Tx, coalition: CoalitionId, round: RoundId, now: i64) -> Result<()> {
    crate::store::sql::query_for(
        "UPDATE deliveries SET next_attempt_at = ?1
         WHERE coalition_id = ?2 AND status = 'pending' AND next_attempt_at > ?1
           AND kind IN ('checkin_card', 'checkin_summary', 'checkin_close')
           AND json_extract(payload, '$.round_id') = ?3",
        "UPDATE deliveries SET next_attempt_at = ?1
         WHERE coalition_id = ?2 AND status = 'pending' AND next_attempt_at > ?1
           AND kind IN ('checkin_card', 'checkin_summary', 'checkin_close')
           AND CAST(CAST(payload AS json) ->> 'round_id' AS BIGINT) = ?3",
    )
    .bind(now)
    .bind(coalition)
    .bind(round)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Waits without counting a failure (a post waiting for its thread).
pub(crate) async fn later(store: &Store, d: &Delivery, at: i64) -> Result<Outcome> {
    if !deliveries::mark_retry(
        store,
        d.id,
        d.claim_token,
        at,
        false,
        "waiting for the round's thread",
    )
    .await?
    {
        return Ok(lost());
    }
    Ok(Outcome::Retried)
}

/// Starts the round's thread; if it can't be made, the round's posts go to the home channel.
pub(crate) async fn thread<N: Notifier>(
    sender: &Sender<'_, N>,
    d: &Delivery,
    (channel, message, name, round): (ChannelId, MessageId, String, RoundId),
) -> Result<Outcome> {
    let Sender {
        store,
        notifier,
        settings: s,
        clock,
        ..
    } = *sender;
    let result = sender
        .paced(d, || notifier.create_thread(channel, message, &name))
        .await;
    let now_s = clock.now().timestamp();
    match result {
        Ok(thread) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, Some(thread), message, now_s).await? {
                return Ok(lost());
            }
            posts::set_thread(&mut *tx, round, thread).await?;
            hurry_posts(&mut tx, d.coalition_id, round, now_s).await?;
            tx.commit().await?;
            tracing::info!(thread = %thread, "thread made");
            Ok(Outcome::Sent)
        }
        Err(e) => failed(store, s, now_s, d, round, e).await,
    }
}

/// Posts or edits a round's post; a gone thread (or card) falls back to a post in the home channel.
pub(crate) async fn upsert<N: Notifier>(sender: &Sender<'_, N>, d: &Delivery, up: Upsert) -> Result<Outcome> {
    let Sender {
        store,
        notifier,
        settings: s,
        clock,
        ..
    } = *sender;
    let msg = up.msg.fit();
    let nonce = super::deliver::nonce(d.id);
    let mut result = match up.existing {
        Some(m) => sender
            .paced(d, || notifier.edit_message(up.channel, m, &msg))
            .await
            .map(|()| (up.channel, m)),
        None => sender
            .paced(d, || notifier.send_channel(up.channel, &msg, &nonce))
            .await
            .map(|m| (up.channel, m)),
    };
    let thread_gone = up.channel != up.home && matches!(result, Err(SendError::NoAccess { .. }));
    if thread_gone || (up.existing.is_some() && matches!(result, Err(SendError::NoAccess { .. }))) {
        tracing::info!(channel = %up.channel, "thread or message gone; posting in the home channel");
        // The same suffix as a refused DM's stand-in post: one delivery, one home-channel post.
        let nonce = format!("{nonce}d");
        result = sender
            .paced(d, || notifier.send_channel(up.home, &msg, &nonce))
            .await
            .map(|m| (up.home, m));
    }
    let now_s = clock.now().timestamp();
    match result {
        Ok((channel, message)) => {
            let mut tx = store.write().await?;
            if !deliveries::mark_sent(&mut tx, d.id, d.claim_token, Some(channel), message, now_s).await? {
                return Ok(lost());
            }
            if thread_gone {
                posts::set_thread_failed(&mut *tx, up.round).await?;
            }
            match up.record {
                Record::Card(k) => posts::set_card(&mut *tx, k, channel, message).await?,
                Record::Summary => posts::set_summary(&mut *tx, up.round, channel, message).await?,
                Record::Close => {}
            }
            tx.commit().await?;
            tracing::info!(message = %message, edited = up.existing.is_some(), "posted");
            Ok(Outcome::Sent)
        }
        Err(e) => failed(store, s, now_s, d, up.round, e).await,
    }
}

/// A thread or post that failed: wait out a rate limit, back off on a transient error, otherwise
/// give up (a thread that can't be made sends the round's posts to the home channel).
async fn failed(
    store: &Store,
    s: &SchedulerSettings,
    now_s: i64,
    d: &Delivery,
    round: RoundId,
    e: SendError,
) -> Result<Outcome> {
    match e {
        SendError::RateLimited { retry_after, global } => {
            let next = now_s + (retry_after.max(0.0).ceil().min(86_400.0) as i64).max(1);
            let error = SendError::RateLimited { retry_after, global }.to_string();
            if !deliveries::mark_retry(store, d.id, d.claim_token, next, false, &error).await? {
                return Ok(lost());
            }
            Ok(Outcome::Retried)
        }
        SendError::Transient(e) => transient(store, s, now_s, d, &e).await,
        e => {
            let mut tx = store.write().await?;
            if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, &e.to_string(), true).await? {
                return Ok(lost());
            }
            if d.kind() == Some(DeliveryKind::CheckinThread) {
                posts::set_thread_failed(&mut *tx, round).await?;
                hurry_posts(&mut tx, d.coalition_id, round, now_s).await?;
            }
            tx.commit().await?;
            tracing::warn!(error = %e, "dead");
            Ok(Outcome::Dead)
        }
    }
}
