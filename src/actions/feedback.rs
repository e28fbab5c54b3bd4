//! `/feedback send|list` and the `feedback:ack:<id>` button: a formal avenue for concerns and
//! suggestions. Anonymous feedback stores no author anywhere: not in its row, not in the events
//! table (its event has no actor), not in the logs (these functions' spans carry no user), and so
//! not in the export. Its rate limit is kept in memory only, keyed by a salted hash. Named feedback
//! has a limit of its own ([`NAMED_PER_DAY`]), counted from the feedback table inside the write.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{self, NewDelivery, Target};
use crate::store::feedback::Feedback;
use crate::store::payload::Payload;
use crate::store::{self, Store};

/// Anonymous items one member may send per coalition in [`ANON_WINDOW`] seconds.
pub const ANON_PER_DAY: usize = 3;
/// The rate limit's window.
pub const ANON_WINDOW: i64 = 24 * 3600;
/// Items one member may send with their name per coalition in [`NAMED_WINDOW`] seconds.
pub const NAMED_PER_DAY: i64 = 5;
/// The named rate limit's window.
pub const NAMED_WINDOW: i64 = 24 * 3600;
/// Items `/feedback list` shows.
pub const LIST_LIMIT: i64 = 10;

/// The in-memory rate limit of anonymous feedback. It remembers only send times under a hash of
/// (coalition, user) salted with random keys that never leave this process, so nothing it holds
/// can be tied to a person after a restart, and nothing is ever written down.
pub struct AnonLimiter {
    salt: std::collections::hash_map::RandomState,
    sent: Mutex<HashMap<u64, VecDeque<i64>>>,
    per_window: usize,
}

impl Default for AnonLimiter {
    fn default() -> Self {
        AnonLimiter::new(ANON_PER_DAY)
    }
}

impl AnonLimiter {
    /// A limiter allowing `per_window` anonymous items per member per day.
    pub fn new(per_window: usize) -> AnonLimiter {
        AnonLimiter {
            salt: std::collections::hash_map::RandomState::new(),
            sent: Mutex::new(HashMap::new()),
            per_window,
        }
    }

    /// Takes one slot for `user` in `coalition` at `now`, or says when one frees up.
    fn take(&self, coalition: CoalitionId, user: UserId, now: i64) -> std::result::Result<(), i64> {
        let key = self.salt.hash_one((coalition.0, user.0));
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        // Forget everyone's old sends, so the map only ever holds the last day.
        sent.retain(|_, times| {
            while times.front().is_some_and(|t| *t <= now - ANON_WINDOW) {
                times.pop_front();
            }
            !times.is_empty()
        });
        let times = sent.entry(key).or_default();
        if times.len() >= self.per_window {
            return Err(times.front().copied().unwrap_or(now) + ANON_WINDOW);
        }
        times.push_back(now);
        Ok(())
    }

    /// Gives back the slot taken at `now` (the send failed after all).
    fn give_back(&self, coalition: CoalitionId, user: UserId, now: i64) {
        let key = self.salt.hash_one((coalition.0, user.0));
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = sent.get_mut(&key)
            && let Some(i) = times.iter().rposition(|t| *t == now)
        {
            times.remove(i);
        }
    }
}

/// Input of `/feedback send`.
#[derive(Debug, Clone, Default)]
pub struct SendFeedback {
    pub coalition: Option<String>,
    pub text: String,
    pub anonymous: bool,
}

/// Feedback was stored and the leads' DMs queued.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackSent {
    pub id: FeedbackId,
    pub coalition_name: String,
    pub anonymous: bool,
    /// How many leads it goes to.
    pub leads: usize,
    /// Anonymous items the sender may still send today (None when not anonymous).
    pub anonymous_left: Option<usize>,
}

/// `/feedback send` (member): a concern or suggestion, as one DM to each lead (through the
/// outbox). The span records the guild only: who sent it is never logged.
#[tracing::instrument(skip_all, fields(guild = %actor.guild))]
pub async fn send(
    store: &Store,
    limiter: &AnonLimiter,
    actor: &Actor,
    now: DateTime<Utc>,
    input: SendFeedback,
) -> Result<FeedbackSent> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let text = text::multi_line("feedback", &input.text, text::MAX_TEXT)?;
    let now_s = ts(now);
    let leads = store::members::leads(store, scope.id()).await?;
    if leads.is_empty() {
        return Err(Error::user(format!(
            "**{}** has no leads to read feedback — ask a server admin to add one with `/member add`.",
            scope.coalition.name
        )));
    }
    if input.anonymous
        && let Err(free_at) = limiter.take(scope.id(), actor.user, now_s)
    {
        return Err(Error::user(format!(
            "You've sent {} anonymous notes to **{}** in the last 24 hours — you can send another <t:{free_at}:R>, or send this one with your name.",
            limiter.per_window, scope.coalition.name
        )));
    }
    match store_and_queue(store, &scope, &text, input.anonymous, now_s).await {
        Ok((id, n)) => Ok(FeedbackSent {
            id,
            coalition_name: scope.coalition.name.clone(),
            anonymous: input.anonymous,
            leads: n,
            anonymous_left: input.anonymous.then(|| {
                let key = limiter.salt.hash_one((scope.id().0, actor.user.0));
                let used = limiter
                    .sent
                    .lock()
                    .map(|s| s.get(&key).map_or(0, VecDeque::len))
                    .unwrap_or(0);
                limiter.per_window.saturating_sub(used)
            }),
        }),
        Err(e) => {
            if input.anonymous {
                limiter.give_back(scope.id(), actor.user, now_s);
            }
            Err(e)
        }
    }
}

async fn store_and_queue(
    store: &Store,
    scope: &Scope,
    text: &str,
    anonymous: bool,
    now: i64,
) -> Result<(FeedbackId, usize)> {
    let author = (!anonymous).then_some(scope.actor.user);
    let mut tx = store.write().await?;
    if let Some(a) = author {
        // Counted inside the write, so two sends at once can't both take the last slot.
        let (sent, oldest) =
            store::feedback::named_since(&mut tx, scope.id(), a, now - NAMED_WINDOW + 1).await?;
        if sent >= NAMED_PER_DAY {
            let free_at = oldest.unwrap_or(now) + NAMED_WINDOW;
            return Err(Error::user(format!(
                "You've sent {sent} notes with your name to **{}** in the last 24 hours, the most for a day — you can send another <t:{free_at}:R>.",
                scope.coalition.name
            )));
        }
    }
    let id = store::feedback::insert(&mut tx, scope.id(), author, text, now).await?;
    let key = format!("feedback:{}", id.0);
    let n = deliveries::enqueue_to_leads(
        &mut tx,
        scope.id(),
        &key,
        Some(id.0),
        &Payload::FeedbackToLead,
        None,
        now,
    )
    .await?;
    let subject = format!("feedback {}", id.0);
    match author {
        Some(a) => store::record_event(&mut tx, scope.id(), a, "feedback.send", &subject, "", now).await?,
        None => store::record_anonymous_event(&mut tx, scope.id(), "feedback.send", &subject, now).await?,
    }
    tx.commit().await?;
    Ok((id, n))
}

/// One item of `/feedback list`.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackItem {
    pub feedback: Feedback,
    /// The sender's name (None when anonymous).
    pub author_name: Option<String>,
    pub acknowledged_by_name: Option<String>,
}

/// `/feedback list`: recent items, open ones first.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackList {
    pub coalition_name: String,
    pub items: Vec<FeedbackItem>,
    pub total: i64,
    pub open: i64,
    /// The zone the viewer reads times in.
    pub tz: String,
}

/// `/feedback list` (lead).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    _now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<FeedbackList> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let rows = store::feedback::recent(store, scope.id(), LIST_LIMIT).await?;
    let (total, open) = store::feedback::counts(store, scope.id()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for f in rows {
        let author_name = match f.author_id {
            Some(a) => Some(store::schedule::display_name(store, scope.id(), a).await?),
            None => None,
        };
        let acknowledged_by_name = match f.acknowledged_by {
            Some(a) => Some(store::schedule::display_name(store, scope.id(), a).await?),
            None => None,
        };
        items.push(FeedbackItem {
            feedback: f,
            author_name,
            acknowledged_by_name,
        });
    }
    let prefs = store::people::get(store, actor.guild, actor.user).await?;
    let tz = prefs.tz().unwrap_or_else(|| scope.coalition.tz());
    Ok(FeedbackList {
        coalition_name: scope.coalition.name.clone(),
        items,
        total,
        open,
        tz: tz.name().to_string(),
    })
}

/// An item was acknowledged.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackAcknowledged {
    pub id: FeedbackId,
    pub coalition_name: String,
    /// Whether the sender will get a DM (false for anonymous feedback).
    pub sender_told: bool,
}

/// The `feedback:ack:<id>` button (lead): marks an item acknowledged; a named sender gets a DM.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn acknowledge(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: FeedbackId,
) -> Result<FeedbackAcknowledged> {
    let gone = || Error::user("That feedback no longer exists — `/feedback list` shows the current items.");
    // Only feedback of this server: another guild's id is "not found".
    let coalition = match store::feedback::owner(store, id).await? {
        Some((guild, c)) if guild == actor.guild => c,
        _ => return Err(gone()),
    };
    let c = store::coalitions::get_any(store, coalition)
        .await?
        .ok_or_else(gone)?;
    let scope = Scope {
        member: store::members::get(store, c.id, actor.user).await?,
        coalition: c,
        actor: actor.clone(),
        own_timezone: None,
    };
    scope.require_lead()?;
    let f = store::feedback::get(store, scope.id(), id)
        .await?
        .ok_or_else(gone)?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if !store::feedback::acknowledge(&mut tx, scope.id(), id, actor.user, now_s).await? {
        return Err(Error::user(
            "That feedback was already acknowledged — `/feedback list` shows who did it and when.",
        ));
    }
    if let Some(author) = f.author_id {
        let d = NewDelivery {
            coalition: scope.id(),
            dedupe_key: format!("feedback-ack:{}", id.0),
            target: Target::User(author),
            subject_id: Some(id.0),
            payload: Payload::FeedbackAck,
            due_at: now_s,
        };
        deliveries::enqueue(&mut tx, &d, now_s).await?;
    }
    let subject = format!("feedback {}", id.0);
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "feedback.ack",
        &subject,
        "",
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(FeedbackAcknowledged {
        id,
        coalition_name: scope.coalition.name.clone(),
        sender_told: f.author_id.is_some(),
    })
}
