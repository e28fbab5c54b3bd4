//! The outbox. Rows are inserted idempotently by `dedupe_key`, claimed atomically by senders and
//! recorded when sent; the scheduler module owns the claim/record side.

use super::sql;
use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::error::Result;

use super::payload::Payload;
use super::{Store, Tx};

/// What a delivery is; decides how it is rendered when it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// Check-in prompt in the home channel, with a button (subject: round id).
    CheckinPrompt,
    /// DM to a member who has not answered the round (subject: round id).
    Nudge,
    /// DM to a lead or assignee before a task is due (subject: task id).
    TaskPing,
    /// DM to a lead before a milestone is due (subject: deadline id).
    DeadlinePing,
    /// DM to a lead: a task or check-in reports a blocker (subject: task id or check-in id).
    BlockerAlert,
    /// The weekly digest in the home channel.
    Digest,
    /// DM to a member who was just assigned a task (subject: task id).
    TaskAssigned,
    /// A celebration post in the home channel (subject: win id).
    WinCelebration,
    /// DM to a lead: the bot can't post in the home channel (subject: channel id).
    ChannelWarning,
    /// The thread on a check-in prompt (subject: round id).
    CheckinThread,
    /// A member's answer card in the round's thread, posted or edited in place (subject: check-in id).
    CheckinCard,
    /// The round's one summary message, posted or edited in place (subject: round id).
    CheckinSummary,
    /// The closing summary of a round when the next one opens (subject: the closed round's id).
    CheckinClose,
    /// DM to a lead: a concern or suggestion from a member (subject: feedback id).
    FeedbackToLead,
    /// DM to the sender of named feedback: a lead acknowledged it (subject: feedback id).
    FeedbackAck,
    /// The digest's leads-only part (check-in blockers in `leads` mode, blocker reasons, who is
    /// away): to each lead, or the leads' channel, when the public digest goes out (subject: none;
    /// the payload holds the digest's period).
    DigestLeads,
    /// Not a message: creates the next copy of a repeating task that closed (subject: task id).
    /// Going through the outbox makes it exactly once, however often the task closes or the
    /// process crashes.
    TaskRepeat,
    /// Not a message: creates a meeting's Discord scheduled event or moves its status (subject:
    /// meeting id; the payload says which change).
    MeetingEvent,
    /// A meeting's announcement with Going / Maybe / Can't, posted once then edited in place
    /// (subject: meeting id).
    MeetingPost,
    /// The reminder with the agenda in the home channel before a meeting (subject: meeting id).
    MeetingReminder,
    /// The thread of a meeting that started, with its agenda (subject: meeting id).
    MeetingThread,
    /// A meeting's minutes when it ends (subject: meeting id).
    MeetingMinutes,
    /// A cancelled meeting: those coming are told in the home channel (subject: meeting id).
    MeetingCancelled,
}

impl DeliveryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::CheckinPrompt => "checkin_prompt",
            DeliveryKind::Nudge => "nudge",
            DeliveryKind::TaskPing => "task_ping",
            DeliveryKind::DeadlinePing => "deadline_ping",
            DeliveryKind::BlockerAlert => "blocker_alert",
            DeliveryKind::Digest => "digest",
            DeliveryKind::TaskAssigned => "task_assigned",
            DeliveryKind::WinCelebration => "win_celebration",
            DeliveryKind::ChannelWarning => "channel_warning",
            DeliveryKind::CheckinThread => "checkin_thread",
            DeliveryKind::CheckinCard => "checkin_card",
            DeliveryKind::CheckinSummary => "checkin_summary",
            DeliveryKind::CheckinClose => "checkin_close",
            DeliveryKind::FeedbackToLead => "feedback_to_lead",
            DeliveryKind::FeedbackAck => "feedback_ack",
            DeliveryKind::TaskRepeat => "task_repeat",
            DeliveryKind::DigestLeads => "digest_leads",
            DeliveryKind::MeetingEvent => "meeting_event",
            DeliveryKind::MeetingPost => "meeting_post",
            DeliveryKind::MeetingReminder => "meeting_reminder",
            DeliveryKind::MeetingThread => "meeting_thread",
            DeliveryKind::MeetingMinutes => "meeting_minutes",
            DeliveryKind::MeetingCancelled => "meeting_cancelled",
        }
    }

    /// Who may read what a delivery of this kind says when it goes to `target`: the floor the
    /// sender holds every rendered message to, whatever the message itself claims.
    pub fn audience(self, target: Target) -> Audience {
        match self {
            DeliveryKind::CheckinPrompt
            | DeliveryKind::Digest
            | DeliveryKind::WinCelebration
            | DeliveryKind::CheckinThread
            | DeliveryKind::CheckinCard
            | DeliveryKind::CheckinSummary
            | DeliveryKind::CheckinClose
            | DeliveryKind::TaskRepeat
            | DeliveryKind::MeetingEvent
            | DeliveryKind::MeetingPost
            | DeliveryKind::MeetingReminder
            | DeliveryKind::MeetingThread
            | DeliveryKind::MeetingMinutes
            | DeliveryKind::MeetingCancelled => Audience::Public,
            DeliveryKind::DeadlinePing
            | DeliveryKind::BlockerAlert
            | DeliveryKind::ChannelWarning
            | DeliveryKind::FeedbackToLead
            | DeliveryKind::DigestLeads => Audience::Leads,
            DeliveryKind::Nudge
            | DeliveryKind::TaskPing
            | DeliveryKind::TaskAssigned
            | DeliveryKind::FeedbackAck => match target {
                Target::User(u) => Audience::Person(u),
                // A personal kind is never planned to a channel; if one were, no one may read it.
                Target::Channel(_) => Audience::Leads,
            },
        }
    }

    /// Every kind, for tests that go through all of them.
    pub const ALL: [DeliveryKind; 23] = [
        DeliveryKind::CheckinPrompt,
        DeliveryKind::Nudge,
        DeliveryKind::TaskPing,
        DeliveryKind::DeadlinePing,
        DeliveryKind::BlockerAlert,
        DeliveryKind::Digest,
        DeliveryKind::TaskAssigned,
        DeliveryKind::WinCelebration,
        DeliveryKind::ChannelWarning,
        DeliveryKind::CheckinThread,
        DeliveryKind::CheckinCard,
        DeliveryKind::CheckinSummary,
        DeliveryKind::CheckinClose,
        DeliveryKind::FeedbackToLead,
        DeliveryKind::FeedbackAck,
        DeliveryKind::DigestLeads,
        DeliveryKind::TaskRepeat,
        DeliveryKind::MeetingEvent,
        DeliveryKind::MeetingPost,
        DeliveryKind::MeetingReminder,
        DeliveryKind::MeetingThread,
        DeliveryKind::MeetingMinutes,
        DeliveryKind::MeetingCancelled,
    ];

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<DeliveryKind> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// Where a delivery goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Target {
    Channel(ChannelId),
    User(UserId),
}

/// A delivery to plan.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub coalition: CoalitionId,
    /// Unique across all deliveries: planning the same thing twice inserts nothing.
    pub dedupe_key: String,
    pub target: Target,
    pub subject_id: Option<i64>,
    /// What it is, with what the renderer needs (e.g. the offset of a ping).
    pub payload: Payload,
    /// When it should go out (UTC seconds).
    pub due_at: i64,
}

/// Inserts a delivery unless one with the same dedupe key exists; returns whether it was new.
pub async fn enqueue(tx: &mut Tx, d: &NewDelivery, now: i64) -> Result<bool> {
    let (target_kind, target_id) = match d.target {
        Target::Channel(c) => ("channel", c.0),
        Target::User(u) => ("user", u.0),
    };
    let done = sql::query(
        "INSERT INTO deliveries (coalition_id, kind, dedupe_key, target_kind, target_id, subject_id,
                                 payload, due_at, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(d.coalition)
    .bind(d.payload.kind().as_str())
    .bind(&d.dedupe_key)
    .bind(target_kind)
    .bind(target_id)
    .bind(d.subject_id)
    .bind(d.payload.to_json())
    .bind(d.due_at)
    .bind(d.due_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues one DM of `payload` to each lead of `coalition` (a blocker alert, a ping…) except
/// `except` (the lead who raised a blocker needs no alert about it).
pub async fn enqueue_to_leads(
    tx: &mut Tx,
    coalition: CoalitionId,
    key_prefix: &str,
    subject_id: Option<i64>,
    payload: &Payload,
    except: Option<UserId>,
    now: i64,
) -> Result<usize> {
    let leads: Vec<UserId> = sql::query_scalar(
        "SELECT user_id FROM members WHERE coalition_id = ? AND role = 'lead' AND user_id IS NOT ?",
    )
    .bind(coalition)
    .bind(except)
    .fetch_all(&mut **tx)
    .await?;
    let mut n = 0;
    for lead in leads {
        let d = NewDelivery {
            coalition,
            dedupe_key: format!("{key_prefix}:u{}", lead.0),
            target: Target::User(lead),
            subject_id,
            payload: payload.clone(),
            due_at: now,
        };
        n += usize::from(enqueue(tx, &d, now).await?);
    }
    Ok(n)
}

// ---- the sender's side: claim, record, release ----

/// `… id, coalition_id, kind, …` of a delivery, to extend with `concat!`.
macro_rules! delivery_columns {
    () => {
        "id, coalition_id, kind, dedupe_key, target_kind, target_id, subject_id, payload, status,
         attempts, due_at, next_attempt_at, claimed_until, message_id, channel_id, last_error,
         created_at, sent_at, COALESCE(claim_token, 0) AS claim_token"
    };
}

/// A delivery row as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub coalition_id: CoalitionId,
    pub kind: String,
    pub dedupe_key: String,
    pub target_kind: String,
    pub target_id: i64,
    pub subject_id: Option<i64>,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: i64,
    pub next_attempt_at: i64,
    pub claimed_until: Option<i64>,
    pub message_id: Option<MessageId>,
    pub channel_id: Option<ChannelId>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// The token of the latest claim (0 if never claimed): the sender holding it may record.
    pub claim_token: i64,
}

impl Delivery {
    /// What the delivery is (None for a kind this build doesn't know).
    pub fn kind(&self) -> Option<DeliveryKind> {
        DeliveryKind::parse(&self.kind)
    }

    /// Where it goes.
    pub fn target(&self) -> Target {
        if self.target_kind == "channel" {
            Target::Channel(ChannelId(self.target_id))
        } else {
            Target::User(UserId(self.target_id))
        }
    }

    /// What it carries, as its kind says it should; the error says what is wrong (an unknown
    /// kind, a missing field).
    pub fn payload(&self) -> std::result::Result<Payload, String> {
        let kind = self
            .kind()
            .ok_or_else(|| format!("unknown kind `{}` (written by a newer version?)", self.kind))?;
        Payload::decode(kind, &self.payload).map_err(|e| format!("bad {} payload: {e}", self.kind))
    }
}

/// Whether any row is due for a sender at `?1` (read first, so an idle sender takes no write lock).
pub const ANY_DUE_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1)
             OR EXISTS (SELECT 1 FROM deliveries WHERE status = 'sending' AND claimed_until <= ?1)";

/// The due rows a sender takes next: `?1` now, `?2` limit. Shared fairly between servers: each
/// server's rows are ranked by when they came due, and rows are taken rank by rank across servers,
/// so one server's flood of deliveries never holds another's digest back behind it.
pub const DUE_FAIRLY_SQL: &str = "SELECT d.id FROM (
         SELECT id, coalition_id, next_attempt_at AS at FROM deliveries
         WHERE status = 'pending' AND next_attempt_at <= ?1
         UNION ALL
         SELECT id, coalition_id, claimed_until AS at FROM deliveries
         WHERE status = 'sending' AND claimed_until <= ?1
     ) d
     JOIN coalitions c ON c.id = d.coalition_id
     ORDER BY ROW_NUMBER() OVER (PARTITION BY c.guild_id ORDER BY d.at, d.id), d.at, d.id
     LIMIT ?2";

/// Claims the rows `?2` (a JSON array of ids) until `?1`. Each claim bumps the row's token; a row
/// another sender claimed meanwhile is not due any more and is left alone. (SQLite; PostgreSQL's
/// text is [`CLAIM_POSTGRES_SQL`].)
pub const CLAIM_SQL: &str = concat!(
    "UPDATE deliveries SET status = 'sending', claimed_until = ?1,
                           claim_token = COALESCE(claim_token, 0) + 1
     WHERE id IN (SELECT value FROM json_each(?2))
       AND ((status = 'pending' AND next_attempt_at <= ?3) OR (status = 'sending' AND claimed_until <= ?3))
     RETURNING ",
    delivery_columns!()
);

/// [`CLAIM_SQL`] on PostgreSQL: the rows are locked `FOR UPDATE SKIP LOCKED`, so a sender never
/// waits on a row another is changing, and a row claimed meanwhile fails the status check again.
pub const CLAIM_POSTGRES_SQL: &str = concat!(
    "UPDATE deliveries SET status = 'sending', claimed_until = ?1,
                           claim_token = COALESCE(claim_token, 0) + 1
     WHERE id IN (SELECT id FROM deliveries
                   WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(?2 AS json)))
                     AND ((status = 'pending' AND next_attempt_at <= ?3)
                          OR (status = 'sending' AND claimed_until <= ?3))
                   FOR UPDATE SKIP LOCKED)
       AND ((status = 'pending' AND next_attempt_at <= ?3) OR (status = 'sending' AND claimed_until <= ?3))
     RETURNING ",
    delivery_columns!()
);

/// Claims up to `limit` due rows for one sender: pending rows whose time has come, and rows whose
/// sender's claim expired (it crashed or hung mid-send), shared fairly between servers
/// ([`DUE_FAIRLY_SQL`]). In one write transaction, so two senders never claim the same row; each
/// row comes back with a fresh `claim_token`, which the sender must present to record the result.
/// Rows come back in the fair order.
#[tracing::instrument(skip_all)]
pub async fn claim(store: &Store, now: i64, claim_until: i64, limit: i64) -> Result<Vec<Delivery>> {
    let due: bool = sql::query_scalar(ANY_DUE_SQL)
        .bind(now)
        .fetch_one(store.pool())
        .await?;
    if !due {
        return Ok(Vec::new());
    }
    let mut tx = store.claiming().await?;
    let order: Vec<DeliveryId> = sql::query_scalar(DUE_FAIRLY_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(&order.iter().map(|d| d.0).collect::<Vec<_>>())
        .map_err(|e| crate::error::Error::internal(format!("claim ids: {e}")))?;
    let mut rows: Vec<Delivery> = sql::query_as_for(CLAIM_SQL, CLAIM_POSTGRES_SQL)
        .bind(claim_until)
        .bind(ids)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.sort_by_key(|d| order.iter().position(|id| *id == d.id));
    Ok(rows)
}

/// Records a sent delivery (only if this sender still holds it: its claim `token` is the row's
/// latest); returns whether it did.
pub async fn mark_sent(
    tx: &mut Tx,
    id: DeliveryId,
    token: i64,
    channel: Option<ChannelId>,
    message: MessageId,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET status = 'sent', message_id = ?, channel_id = ?, sent_at = ?,
                claimed_until = NULL, last_error = NULL
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
    )
    .bind(message)
    .bind(channel)
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a delivery back in the queue for `next_attempt_at`, counting a failed attempt if `failed`
/// (only if this sender's claim `token` still holds); returns whether it did.
pub async fn mark_retry(
    store: &Store,
    id: DeliveryId,
    token: i64,
    next_attempt_at: i64,
    failed: bool,
    error: &str,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, claimed_until = NULL,
                attempts = attempts + ?, last_error = ?
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
    )
    .bind(next_attempt_at)
    .bind(i64::from(failed))
    .bind(error)
    .bind(id)
    .bind(token)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends this sender's claim on a row it is sending to `until` (UTC seconds), so a send waiting
/// out a rate limit keeps its place rather than going behind the queue; false when the claim
/// `token` no longer holds (nothing was written).
pub async fn extend_claim(store: &Store, id: DeliveryId, token: i64, until: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET claimed_until = MAX(COALESCE(claimed_until, 0), ?)
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
    )
    .bind(until)
    .bind(id)
    .bind(token)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up on a delivery, keeping the error (`dead`), or drops it as no longer wanted (`cancelled`)
/// — only if this sender's claim `token` still holds; returns whether it did.
pub async fn mark_final(
    tx: &mut Tx,
    id: DeliveryId,
    token: i64,
    dead: bool,
    error: &str,
    failed: bool,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET status = ?, claimed_until = NULL, last_error = ?, attempts = attempts + ?
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
    )
    .bind(if dead { "dead" } else { "cancelled" })
    .bind(error)
    .bind(i64::from(failed))
    .bind(id)
    .bind(token)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands claimed-but-unsent rows back (on shutdown), each as `(id, claim token)`: they are due
/// again at once. Rows another sender has claimed since are left alone.
pub async fn release(store: &Store, claims: &[(DeliveryId, i64)]) -> Result<()> {
    if claims.is_empty() {
        return Ok(());
    }
    let mut tx = store.write().await?;
    for (id, token) in claims {
        sql::query(
            "UPDATE deliveries SET status = 'pending', claimed_until = NULL
             WHERE id = ? AND status = 'sending' AND claim_token = ?",
        )
        .bind(id)
        .bind(token)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A delivery by id.
pub async fn get(store: &Store, id: DeliveryId) -> Result<Option<Delivery>> {
    Ok(sql::query_as(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM deliveries WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// All deliveries of a coalition in creation order (for tests and diagnostics).
pub async fn of_coalition(store: &Store, coalition: CoalitionId) -> Result<Vec<Delivery>> {
    Ok(sql::query_as(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM deliveries WHERE coalition_id = ? ORDER BY id"
    ))
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// Records a delivery that was work rather than a message (the next copy of a repeating task) as
/// done, in the transaction that did the work and only while this sender's claim `token` holds.
pub async fn mark_done(tx: &mut Tx, id: DeliveryId, token: i64, note: &str, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE deliveries SET status = 'sent', sent_at = ?, claimed_until = NULL, last_error = ?
         WHERE id = ? AND status = 'sending' AND claim_token = ?",
    )
    .bind(now)
    .bind(note)
    .bind(id)
    .bind(token)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The soonest time any pending delivery is due (the runner sleeps until then when it comes before
/// the next tick, so a rate-limited message goes out when Discord allows it).
pub async fn next_due(store: &Store) -> Result<Option<i64>> {
    Ok(
        sql::query_scalar("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// Deliveries that need a person's attention: dead ones due in the last `recent` seconds, and ones
/// still unsent more than `late_by` seconds after they were due (for `backbone doctor`), oldest
/// first, at most `limit`.
pub async fn troubled(
    store: &Store,
    now: i64,
    late_by: i64,
    recent: i64,
    limit: i64,
) -> Result<Vec<Delivery>> {
    Ok(sql::query_as(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM deliveries WHERE (status = 'dead' AND due_at >= ?)
             OR (status IN ('pending', 'sending') AND due_at < ?)
          ORDER BY due_at, id LIMIT ?"
    ))
    .bind(now - recent)
    .bind(now - late_by)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
