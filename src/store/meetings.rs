//! Meetings: occurrences, RSVPs, agenda items, attendance and minutes. Every query is scoped by
//! coalition; status changes are compare-and-set inside the caller's write transaction.

use super::sql;
use serde::Serialize;
use sqlx::FromRow;

use crate::domain::meeting::*;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// Every column of [`Meeting`].
macro_rules! columns {
    () => {
        "id, coalition_id, title, starts_at, ends_at, voice_channel_id, location, series_id,
         every, status, event_id, event_status, announce_channel_id, announce_message_id, thread_id,
         agenda_message_id, started_at, ended_at, created_by, created_at"
    };
}

/// `SELECT <every column> FROM meetings <rest>`.
macro_rules! select {
    ($rest:literal $(,)?) => {
        concat!("SELECT ", columns!(), " FROM meetings ", $rest)
    };
}

/// Every column of [`Item`].
macro_rules! item_columns {
    () => {
        "id, kind, text, proposed_by, carried_at, covered"
    };
}

/// Fields of a new occurrence.
pub struct NewMeeting<'a> {
    pub coalition: CoalitionId,
    pub title: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub place: Option<&'a MeetingPlace>,
    pub series: Option<MeetingId>,
    pub every: Option<&'a str>,
    pub created_by: UserId,
}

/// Inserts an occurrence; the first of a series is its own series.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut Tx, m: &NewMeeting<'_>, now: i64) -> Result<Meeting> {
    let (voice, location) = match m.place {
        Some(MeetingPlace::Voice(c)) => (Some(*c), None),
        Some(MeetingPlace::Text(t)) => (None, Some(t.as_str())),
        None => (None, None),
    };
    let mut meeting: Meeting = sql::query_as(concat!(
        "INSERT INTO meetings (coalition_id, title, starts_at, ends_at, voice_channel_id, location,
                               series_id, every, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
        columns!()
    ))
    .bind(m.coalition)
    .bind(m.title)
    .bind(m.starts_at)
    .bind(m.ends_at)
    .bind(voice)
    .bind(location)
    .bind(m.series)
    .bind(m.every)
    .bind(m.created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if m.every.is_some() && m.series.is_none() {
        sql::query("UPDATE meetings SET series_id = id WHERE id = ?")
            .bind(meeting.id)
            .execute(&mut **tx)
            .await?;
        meeting.series_id = Some(meeting.id);
    }
    Ok(meeting)
}

/// A meeting of `coalition` by id.
pub async fn get(db: impl sql::Conn<'_>, coalition: CoalitionId, id: MeetingId) -> Result<Option<Meeting>> {
    Ok(sql::query_as(select!("WHERE coalition_id = ? AND id = ?"))
        .bind(coalition)
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The guild a meeting belongs to — for button clicks, which are checked again by the actions.
pub async fn guild_of(store: &Store, id: MeetingId) -> Result<Option<GuildId>> {
    Ok(sql::query_scalar(
        "SELECT c.guild_id FROM meetings m JOIN coalitions c ON c.id = m.coalition_id WHERE m.id = ?",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// The name of the coalition of meeting `id`, if it is in `guild`.
pub async fn coalition_name_of(store: &Store, guild: GuildId, id: MeetingId) -> Result<Option<String>> {
    Ok(sql::query_scalar(
        "SELECT c.name FROM meetings m JOIN coalitions c ON c.id = m.coalition_id WHERE m.id = ? AND c.guild_id = ?",
    )
    .bind(id)
    .bind(guild)
    .fetch_optional(store.pool())
    .await?)
}

/// The name of the coalition whose meeting has `thread` as its thread, in `guild`.
pub async fn coalition_name_by_thread(
    store: &Store,
    guild: GuildId,
    thread: ChannelId,
) -> Result<Option<String>> {
    Ok(sql::query_scalar(
        "SELECT c.name FROM meetings m JOIN coalitions c ON c.id = m.coalition_id
         WHERE c.guild_id = ? AND m.thread_id = ? AND m.thread_id <> c.home_channel_id
         ORDER BY m.id DESC LIMIT 1",
    )
    .bind(guild)
    .bind(thread)
    .fetch_optional(store.pool())
    .await?)
}

/// The guild and meeting of an agenda item.
pub async fn item_owner(store: &Store, item: ItemId) -> Result<Option<(GuildId, MeetingId)>> {
    Ok(sql::query_as(
        "SELECT c.guild_id, i.meeting_id FROM meeting_items i JOIN coalitions c ON c.id = i.coalition_id
         WHERE i.id = ? AND i.meeting_id IS NOT NULL",
    )
    .bind(item)
    .fetch_optional(store.pool())
    .await?)
}

/// The meeting running now, if any.
pub async fn running(db: impl sql::Conn<'_>, coalition: CoalitionId) -> Result<Option<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1",
    ))
    .bind(coalition)
    .fetch_optional(db)
    .await?)
}

/// The next meeting: the one running, else the earliest scheduled one.
pub async fn next(store: &Store, coalition: CoalitionId) -> Result<Option<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status IN ('running', 'scheduled')
         ORDER BY status = 'running' DESC, starts_at, id LIMIT 1",
    ))
    .bind(coalition)
    .fetch_optional(store.pool())
    .await?)
}

/// Scheduled and running meetings, soonest first (at most `limit`).
pub async fn upcoming(store: &Store, coalition: CoalitionId, limit: i64) -> Result<Vec<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status IN ('running', 'scheduled') ORDER BY starts_at, id LIMIT ?",
    ))
    .bind(coalition)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Scheduled or running meetings whose title starts with `prefix` (case-insensitive).
pub async fn open_by_title(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status IN ('running', 'scheduled') AND title LIKE ? ESCAPE '\\'
         ORDER BY starts_at, id LIMIT ?",
    ))
    .bind(coalition)
    .bind(format!("{}%", super::escape_like(prefix)))
    .bind(super::TITLE_MATCH_LIMIT)
    .fetch_all(store.pool())
    .await?)
}

/// The last meeting that ended before `before` (for "wins since the last meeting").
pub async fn last_ended(store: &Store, coalition: CoalitionId, before: i64) -> Result<Option<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status = 'ended' AND ended_at <= ? ORDER BY ended_at DESC LIMIT 1",
    ))
    .bind(coalition)
    .bind(before)
    .fetch_optional(store.pool())
    .await?)
}

/// The scheduled meeting after `m` (for "deadlines before the next meeting").
pub async fn following(store: &Store, m: &Meeting) -> Result<Option<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE coalition_id = ? AND status = 'scheduled' AND starts_at > ? AND id <> ?
         ORDER BY starts_at LIMIT 1",
    ))
    .bind(m.coalition_id)
    .bind(m.starts_at)
    .bind(m.id)
    .fetch_optional(store.pool())
    .await?)
}

/// Marks a scheduled meeting cancelled; false when it was not scheduled any more.
pub async fn cancel(tx: &mut Tx, coalition: CoalitionId, id: MeetingId) -> Result<bool> {
    let done = sql::query(
        "UPDATE meetings SET status = 'cancelled' WHERE coalition_id = ? AND id = ? AND status = 'scheduled'",
    )
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts a scheduled meeting, unless another of the coalition runs; false when it didn't start.
pub async fn start(tx: &mut Tx, coalition: CoalitionId, id: MeetingId, by: UserId, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE meetings SET status = 'running', started_at = ?, started_by = ?
         WHERE coalition_id = ? AND id = ? AND status = 'scheduled'
           AND NOT EXISTS (SELECT 1 FROM meetings WHERE coalition_id = ? AND status = 'running')",
    )
    .bind(now)
    .bind(by)
    .bind(coalition)
    .bind(id)
    .bind(coalition)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a running meeting; false when it was not running (ended meanwhile by someone else).
pub async fn end(tx: &mut Tx, coalition: CoalitionId, id: MeetingId, by: UserId, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE meetings SET status = 'ended', ended_at = ?, ended_by = ?
         WHERE coalition_id = ? AND id = ? AND status = 'running'",
    )
    .bind(now)
    .bind(by)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Scheduled meetings whose end passed before `before` without being started (at most `limit`).
pub async fn passed(store: &Store, before: i64, limit: i64) -> Result<Vec<Meeting>> {
    Ok(sql::query_as(select!(
        "WHERE status = 'scheduled' AND ends_at < ? ORDER BY ends_at LIMIT ?"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Scheduled meetings starting within `before` seconds of `now` that were planned earlier than
/// that and have no reminder yet (at most `limit`), with their coalition's home channel.
pub async fn needing_reminder(
    store: &Store,
    now: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<(Meeting, ChannelId)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        meeting: Meeting,
        home: ChannelId,
    }
    let rows: Vec<Row> = sql::query_as(
        "SELECT m.id, m.coalition_id, m.title, m.starts_at, m.ends_at, m.voice_channel_id, m.location,
                m.series_id, m.every, m.status, m.event_id, m.event_status, m.announce_channel_id,
                m.announce_message_id, m.thread_id, m.agenda_message_id, m.started_at, m.ended_at,
                m.created_by, m.created_at, c.home_channel_id AS home
         FROM meetings m JOIN coalitions c ON c.id = m.coalition_id AND c.archived_at IS NULL
         WHERE m.status = 'scheduled' AND m.starts_at > ?1 AND m.starts_at <= ?1 + ?2
           AND m.created_at <= m.starts_at - ?2
           AND NOT EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.dedupe_key = 'meeting:' || m.id || ':reminder:' || m.starts_at)
         ORDER BY m.starts_at LIMIT ?3",
    )
    .bind(now)
    .bind(before)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.meeting, r.home)).collect())
}

/// Marks a scheduled meeting missed; false when it was started or cancelled meanwhile.
pub async fn miss(tx: &mut Tx, coalition: CoalitionId, id: MeetingId) -> Result<bool> {
    let done = sql::query(
        "UPDATE meetings SET status = 'missed' WHERE coalition_id = ? AND id = ? AND status = 'scheduled'",
    )
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers the Discord event and the status Discord accepted.
pub async fn set_event(db: impl sql::Conn<'_>, id: MeetingId, event: i64, status: EventStatus) -> Result<()> {
    sql::query("UPDATE meetings SET event_id = ?, event_status = ? WHERE id = ?")
        .bind(event)
        .bind(status as i64)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Remembers where the announcement is.
pub async fn set_announcement(
    db: impl sql::Conn<'_>,
    id: MeetingId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    sql::query("UPDATE meetings SET announce_channel_id = ?, announce_message_id = ? WHERE id = ?")
        .bind(channel)
        .bind(message)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Remembers the meeting's thread and its agenda message.
pub async fn set_thread(
    db: impl sql::Conn<'_>,
    id: MeetingId,
    thread: ChannelId,
    agenda: Option<MessageId>,
) -> Result<()> {
    sql::query(
        "UPDATE meetings SET thread_id = ?, agenda_message_id = COALESCE(?, agenda_message_id) WHERE id = ?",
    )
    .bind(thread)
    .bind(agenda)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Records `user`'s answer (a new answer replaces the old one).
pub async fn set_rsvp(tx: &mut Tx, id: MeetingId, user: UserId, answer: Rsvp, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO meeting_rsvps (meeting_id, user_id, answer, answered_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (meeting_id, user_id) DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
    )
    .bind(id)
    .bind(user)
    .bind(answer)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One answer with the person's name.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct RsvpRow {
    pub user_id: UserId,
    pub name: String,
    pub answer: Rsvp,
}

/// Everyone's answers to a meeting, by answer time.
pub async fn rsvps(db: impl sql::Conn<'_>, coalition: CoalitionId, id: MeetingId) -> Result<Vec<RsvpRow>> {
    Ok(sql::query_as(
        "SELECT r.user_id, COALESCE(NULLIF(m.display_name, ''), 'user ' || r.user_id) AS name, r.answer
         FROM meeting_rsvps r
         JOIN meetings g ON g.id = r.meeting_id AND g.coalition_id = ?
         LEFT JOIN members m ON m.coalition_id = g.coalition_id AND m.user_id = r.user_id
         WHERE r.meeting_id = ? ORDER BY r.answered_at, r.user_id",
    )
    .bind(coalition)
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// A stored agenda item.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    pub text: String,
    pub proposed_by: Option<UserId>,
    pub carried_at: Option<i64>,
    pub covered: bool,
}

/// Adds an item to a meeting's agenda.
pub async fn add_item(
    tx: &mut Tx,
    coalition: CoalitionId,
    meeting: MeetingId,
    kind: ItemKind,
    text: &str,
    by: Option<UserId>,
    now: i64,
) -> Result<Item> {
    Ok(sql::query_as(concat!(
        "INSERT INTO meeting_items (coalition_id, meeting_id, kind, text, proposed_by, position, created_at)
         VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM meeting_items WHERE meeting_id = ?), ?)
         RETURNING ",
        item_columns!()
    ))
    .bind(coalition)
    .bind(meeting)
    .bind(kind)
    .bind(text)
    .bind(by)
    .bind(meeting)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// A meeting's stored items, in order.
pub async fn items(db: impl sql::Conn<'_>, coalition: CoalitionId, meeting: MeetingId) -> Result<Vec<Item>> {
    Ok(sql::query_as(concat!(
        "SELECT ",
        item_columns!(),
        " FROM meeting_items WHERE coalition_id = ? AND meeting_id = ? ORDER BY position, id"
    ))
    .bind(coalition)
    .bind(meeting)
    .fetch_all(db)
    .await?)
}

/// Items carried over and waiting for the coalition's next meeting to start.
pub async fn waiting_items(store: &Store, coalition: CoalitionId) -> Result<Vec<Item>> {
    Ok(sql::query_as(concat!(
        "SELECT ",
        item_columns!(),
        " FROM meeting_items WHERE coalition_id = ? AND meeting_id IS NULL ORDER BY id"
    ))
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// Moves the waiting carried items onto `meeting` (when it starts), after its own items.
pub async fn take_waiting(tx: &mut Tx, coalition: CoalitionId, meeting: MeetingId) -> Result<u64> {
    let done = sql::query(
        "UPDATE meeting_items SET meeting_id = ?, position = 100000 + id
         WHERE coalition_id = ? AND meeting_id IS NULL",
    )
    .bind(meeting)
    .bind(coalition)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Carries the items of `meeting` nobody covered (proposed or already carried) over to the next
/// meeting; the coalition's data brings its own items back by itself. Returns how many.
pub async fn carry_over(
    tx: &mut Tx,
    coalition: CoalitionId,
    meeting: MeetingId,
    held_at: i64,
    now: i64,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO meeting_items (coalition_id, meeting_id, kind, text, proposed_by, carried_from, carried_at, created_at)
         SELECT coalition_id, NULL, 'carried', text, proposed_by, meeting_id, ?, ?
         FROM meeting_items
         WHERE coalition_id = ? AND meeting_id = ? AND NOT covered AND kind IN ('proposed', 'carried')
         ORDER BY position, id",
    )
    .bind(held_at)
    .bind(now)
    .bind(coalition)
    .bind(meeting)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Flips an item's "covered" mark while its meeting runs; returns the meeting and the new mark,
/// or `None` when the item is unknown or its meeting is not running.
pub async fn toggle_covered(
    tx: &mut Tx,
    coalition: CoalitionId,
    item: ItemId,
) -> Result<Option<(MeetingId, bool)>> {
    Ok(sql::query_as(
        "UPDATE meeting_items SET covered = NOT covered
         WHERE coalition_id = ? AND id = ?
           AND meeting_id IN (SELECT id FROM meetings WHERE coalition_id = ? AND status = 'running')
         RETURNING meeting_id, covered",
    )
    .bind(coalition)
    .bind(item)
    .bind(coalition)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Records `user` as present with their org as it is now; false when already recorded.
pub async fn mark_here(
    tx: &mut Tx,
    coalition: CoalitionId,
    meeting: MeetingId,
    user: UserId,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "INSERT INTO meeting_attendance (meeting_id, user_id, org_name, at)
         VALUES (?, ?, (SELECT o.name FROM members m JOIN orgs o ON o.id = m.org_id
                        WHERE m.coalition_id = ? AND m.user_id = ?), ?)
         ON CONFLICT (meeting_id, user_id) DO NOTHING",
    )
    .bind(meeting)
    .bind(user)
    .bind(coalition)
    .bind(user)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Someone who was there.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Attendee {
    pub user_id: UserId,
    pub name: String,
    pub org_name: Option<String>,
}

/// Who was at `meeting`, by org then name.
pub async fn attendance(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    meeting: MeetingId,
) -> Result<Vec<Attendee>> {
    Ok(sql::query_as(
        "SELECT a.user_id, COALESCE(NULLIF(m.display_name, ''), 'user ' || a.user_id) AS name, a.org_name
         FROM meeting_attendance a
         JOIN meetings g ON g.id = a.meeting_id AND g.coalition_id = ?
         LEFT JOIN members m ON m.coalition_id = g.coalition_id AND m.user_id = a.user_id
         WHERE a.meeting_id = ? ORDER BY a.org_name IS NULL, a.org_name, name",
    )
    .bind(coalition)
    .bind(meeting)
    .fetch_all(db)
    .await?)
}

/// A line of the minutes to add.
pub struct NewMinute<'a> {
    pub coalition: CoalitionId,
    pub meeting: MeetingId,
    pub kind: MinuteKind,
    pub text: &'a str,
    pub by: UserId,
    /// The task an action item is.
    pub task: Option<TaskId>,
}

/// Adds a line to the minutes of its meeting only while it runs; false when it doesn't.
pub async fn add_minute(tx: &mut Tx, n: &NewMinute<'_>, now: i64) -> Result<bool> {
    let done = sql::query(
        "INSERT INTO meeting_minutes (coalition_id, meeting_id, kind, text, by_user, task_id, created_at)
         SELECT ?, ?, ?, ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM meetings WHERE coalition_id = ? AND id = ? AND status = 'running')",
    )
    .bind(n.coalition)
    .bind(n.meeting)
    .bind(n.kind)
    .bind(n.text)
    .bind(n.by)
    .bind(n.task)
    .bind(now)
    .bind(n.coalition)
    .bind(n.meeting)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A line of the minutes, with its task's number, status and assignee for actions.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Minute {
    pub kind: MinuteKind,
    pub text: String,
    pub by_name: String,
    pub task_number: Option<i64>,
    pub task_status: Option<TaskStatus>,
    pub task_due_at: Option<i64>,
    pub assignee_name: Option<String>,
}

/// The minutes of `meeting`, in the order they were taken.
pub async fn minutes(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    meeting: MeetingId,
) -> Result<Vec<Minute>> {
    Ok(sql::query_as(
        "SELECT n.kind, n.text, COALESCE(NULLIF(b.display_name, ''), 'user ' || n.by_user) AS by_name,
                t.number AS task_number, t.status AS task_status, t.due_at AS task_due_at,
                CASE WHEN t.assignee_id IS NULL THEN NULL
                     ELSE COALESCE(NULLIF(a.display_name, ''), 'user ' || t.assignee_id) END AS assignee_name
         FROM meeting_minutes n
         LEFT JOIN members b ON b.coalition_id = n.coalition_id AND b.user_id = n.by_user
         LEFT JOIN tasks t ON t.id = n.task_id AND t.coalition_id = n.coalition_id
         LEFT JOIN members a ON a.coalition_id = t.coalition_id AND a.user_id = t.assignee_id
         WHERE n.coalition_id = ? AND n.meeting_id = ? ORDER BY n.id",
    )
    .bind(coalition)
    .bind(meeting)
    .fetch_all(db)
    .await?)
}

/// An active goal with a target and a due date: (number, title, current, target, created_at, due_at).
pub type PacedGoal = (i64, String, f64, f64, i64, i64);

/// Active goals that have a target and a due date, by number.
pub async fn paced_goals(store: &Store, coalition: CoalitionId) -> Result<Vec<PacedGoal>> {
    Ok(sql::query_as(
        "SELECT number, title, current, target, created_at, due_at FROM goals
         WHERE coalition_id = ? AND status = 'active' AND target IS NOT NULL AND due_at IS NOT NULL
         ORDER BY number LIMIT 50",
    )
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// The meetings of a coalition for the export, oldest first.
pub async fn all_for_export(store: &Store, coalition: CoalitionId) -> Result<Vec<Meeting>> {
    Ok(
        sql::query_as(select!("WHERE coalition_id = ? ORDER BY starts_at, id"))
            .bind(coalition)
            .fetch_all(store.pool())
            .await?,
    )
}

/// The digest's meetings: the last one held by `end` (its decisions, its actions and how many are
/// done) and the next one planned after `end`.
pub async fn digest_summary(
    store: &Store,
    coalition: CoalitionId,
    end: i64,
    limit: i64,
) -> Result<crate::domain::digest::DigestMeetings> {
    let mut out = crate::domain::digest::DigestMeetings::default();
    let last: Option<(MeetingId, String, i64)> = sql::query_as(
        "SELECT id, title, COALESCE(started_at, starts_at) FROM meetings
         WHERE coalition_id = ? AND status = 'ended' AND ended_at <= ? ORDER BY ended_at DESC LIMIT 1",
    )
    .bind(coalition)
    .bind(end)
    .fetch_optional(store.pool())
    .await?;
    if let Some((id, title, at)) = last {
        out.last = Some((title, at));
        out.decisions = sql::query_scalar(
            "SELECT text FROM meeting_minutes WHERE coalition_id = ? AND meeting_id = ? AND kind = 'decision'
             ORDER BY id LIMIT ?",
        )
        .bind(coalition)
        .bind(id)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
        (out.actions, out.actions_done) = sql::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END), 0) FROM meeting_minutes n
             LEFT JOIN tasks t ON t.id = n.task_id AND t.coalition_id = n.coalition_id
             WHERE n.coalition_id = ? AND n.meeting_id = ? AND n.kind = 'action'",
        )
        .bind(coalition)
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    }
    out.next = sql::query_as(
        "SELECT title, starts_at FROM meetings WHERE coalition_id = ? AND status = 'scheduled' AND starts_at > ?
         ORDER BY starts_at LIMIT 1",
    )
    .bind(coalition)
    .bind(end)
    .fetch_optional(store.pool())
    .await?;
    Ok(out)
}

/// Most decisions the impact report lists.
const REPORT_DECISIONS: i64 = 50;

/// Meetings held (ended) in `(after, end]` for the impact report: how many, attendance by partner
/// org against its current members, and the decisions taken.
pub async fn held(
    store: &Store,
    coalition: CoalitionId,
    after: i64,
    end: i64,
) -> Result<crate::domain::report::MeetingsHeld> {
    let held: i64 = sql::query_scalar(
        "SELECT COUNT(*) FROM meetings WHERE coalition_id = ? AND status = 'ended' AND ended_at > ? AND ended_at <= ?",
    )
    .bind(coalition)
    .bind(after)
    .bind(end)
    .fetch_one(store.pool())
    .await?;
    // Per org: attendances at those meetings, and its members now (times the meetings held).
    let attendance: Vec<(Option<String>, i64, i64)> = sql::query_as(
        "WITH held AS (SELECT id FROM meetings WHERE coalition_id = ?1 AND status = 'ended'
                         AND ended_at > ?2 AND ended_at <= ?3),
              came AS (SELECT a.org_name AS org, COUNT(*) AS n FROM meeting_attendance a
                        WHERE a.meeting_id IN (SELECT id FROM held) GROUP BY a.org_name),
              sizes AS (SELECT o.name AS org, COUNT(m.user_id) AS n FROM members m
                         LEFT JOIN orgs o ON o.id = m.org_id WHERE m.coalition_id = ?1 GROUP BY o.name)
         SELECT s.org, COALESCE(c.n, 0), s.n * (SELECT COUNT(*) FROM held)
         FROM sizes s LEFT JOIN came c ON c.org IS s.org
         ORDER BY s.org IS NULL, s.org",
    )
    .bind(coalition)
    .bind(after)
    .bind(end)
    .fetch_all(store.pool())
    .await?;
    let decisions = sql::query_as(
        "SELECT COALESCE(g.started_at, g.starts_at), g.title, n.text FROM meeting_minutes n
         JOIN meetings g ON g.id = n.meeting_id AND g.coalition_id = n.coalition_id
         WHERE n.coalition_id = ? AND n.kind = 'decision' AND g.status = 'ended' AND g.ended_at > ? AND g.ended_at <= ?
         ORDER BY g.started_at, n.id LIMIT ?",
    )
    .bind(coalition)
    .bind(after)
    .bind(end)
    .bind(REPORT_DECISIONS)
    .fetch_all(store.pool())
    .await?;
    Ok(crate::domain::report::MeetingsHeld {
        held,
        attendance: if held > 0 { attendance } else { Vec::new() },
        decisions,
    })
}
