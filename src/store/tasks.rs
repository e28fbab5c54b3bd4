//! Tasks: numbered per coalition, assigned to members (and so to their org).

use super::sql;
use serde::Serialize;
use sqlx::FromRow;

use crate::domain::paging::Page;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// `SELECT … FROM tasks t` with every column of [`Task`], to extend with `concat!`.
macro_rules! select_task {
    () => {
        "SELECT t.id, t.coalition_id, t.number, t.title, t.assignee_id, t.org_id, t.goal_id, t.due_at,
                t.status, t.blocked_reason, t.created_by, t.created_at, t.updated_at, t.completed_at,
                t.next_ping_at, t.channel_id, t.message_id, t.cancel_reason, t.cancelled_at,
                t.repeat_every, t.repeat_of
         FROM tasks t "
    };
}

/// A task as `/task list` and `/task mine` show it: its line, and its assignee's name. Only these
/// columns are read: sqlx copies every value of every row from SQLite, so a page of whole tasks
/// cost three times as much.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ListedTask {
    pub id: TaskId,
    pub number: i64,
    pub title: String,
    pub status: TaskStatus,
    pub assignee_id: Option<UserId>,
    pub due_at: Option<i64>,
    pub blocked_reason: Option<String>,
    /// The assignee's remembered display name (None when unassigned or no longer a member).
    pub assignee_name: Option<String>,
}

impl ListedTask {
    /// Whether the task is past due and still open (the rule of [`Task::is_overdue`]).
    pub fn is_overdue(&self, now: i64) -> bool {
        overdue(self.status, self.due_at, now)
    }
}

/// Fields of a new task.
pub struct NewTask<'a> {
    pub coalition: CoalitionId,
    pub title: &'a str,
    pub assignee: UserId,
    pub org: Option<OrgId>,
    pub goal: Option<GoalId>,
    pub due_at: Option<i64>,
    pub next_ping_at: Option<i64>,
    pub created_by: UserId,
}

/// Inserts a task with the coalition's next number; returns it as stored.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut Tx, t: &NewTask<'_>, now: i64) -> Result<Task> {
    Ok(sql::query_as(
        "INSERT INTO tasks (coalition_id, number, title, assignee_id, org_id, goal_id, due_at,
                            next_ping_at, created_by, created_at, updated_at)
         VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM tasks WHERE coalition_id = ?),
                 ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id, coalition_id, number, title, assignee_id, org_id, goal_id, due_at, status,
                   blocked_reason, created_by, created_at, updated_at, completed_at, next_ping_at,
                   channel_id, message_id, cancel_reason, cancelled_at, repeat_every, repeat_of",
    )
    .bind(t.coalition)
    .bind(t.coalition)
    .bind(t.title)
    .bind(t.assignee)
    .bind(t.org)
    .bind(t.goal)
    .bind(t.due_at)
    .bind(t.next_ping_at)
    .bind(t.created_by)
    .bind(now)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// A task of `coalition` by row id.
pub async fn get(store: &Store, coalition: CoalitionId, id: TaskId) -> Result<Option<Task>> {
    Ok(
        sql::query_as(concat!(select_task!(), "WHERE t.coalition_id = ? AND t.id = ?"))
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A task by row id, only if its coalition belongs to `guild` (button ids are untrusted).
pub async fn get_in_guild(store: &Store, guild: GuildId, id: TaskId) -> Result<Option<Task>> {
    Ok(sql::query_as(concat!(
        select_task!(),
        "JOIN coalitions c ON c.id = t.coalition_id WHERE c.guild_id = ? AND t.id = ?"
    ))
    .bind(guild)
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// A task of `coalition` by its number, whatever its status.
pub async fn by_number(store: &Store, coalition: CoalitionId, number: i64) -> Result<Option<Task>> {
    Ok(sql::query_as(concat!(
        select_task!(),
        "WHERE t.coalition_id = ? AND t.number = ?"
    ))
    .bind(coalition)
    .bind(number)
    .fetch_optional(store.pool())
    .await?)
}

/// Not-done tasks of `coalition` whose title starts with `prefix` (case-insensitive), at most
/// [`super::TITLE_MATCH_LIMIT`].
pub async fn open_by_title(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Task>> {
    Ok(sql::query_as(concat!(
        select_task!(),
        "WHERE t.coalition_id = ? AND ",
        live_task!("t"),
        " AND t.title LIKE ? ESCAPE '\\'
         ORDER BY t.number LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("{}%", super::escape_like(prefix)))
    .bind(super::TITLE_MATCH_LIMIT)
    .fetch_all(store.pool())
    .await?)
}

/// Which tasks a list shows. `status: None` means every status except done.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub assignee: Option<UserId>,
    pub status: Option<TaskStatus>,
    pub org: Option<OrgId>,
}

/// The WHERE clauses of [`list`] and [`count`]: the coalition's live tasks (neither done nor
/// cancelled — what the partial index `tasks_live_due` holds, in due-date order), or its tasks in
/// one status; either optionally of one assignee and of one org. Two statements rather than a
/// `CASE` on the status, so that SQLite sees the live list is within that index.
/// Numbered binds: ?1 coalition, ?2 assignee, ?3 org, ?4 status (ignored by `live`).
macro_rules! task_filter {
    (live) => {
        concat!(
            "WHERE t.coalition_id = ?1 AND ",
            live_task!("t"),
            "
           AND (?2 IS NULL OR t.assignee_id = ?2)
           AND (?3 IS NULL OR t.org_id = ?3) "
        )
    };
    (one_status) => {
        "WHERE t.coalition_id = ?1 AND t.status = ?4
           AND (?2 IS NULL OR t.assignee_id = ?2)
           AND (?3 IS NULL OR t.org_id = ?3) "
    };
}

/// The page statement of [`list`] for `task_filter!($filter)`; binds as the filter's, then ?5 limit
/// and ?6 offset. The page's ids are picked from the tasks alone (along the index, in order,
/// stopping after the page), only those rows are joined with their assignee's, org's and goal's
/// names, and the total is one count over the index — rather than joining and sorting every
/// matching task to keep twenty.
macro_rules! task_page {
    ($filter:tt) => {
        concat!(
            "WITH page AS (SELECT t.id FROM tasks t ",
            task_filter!($filter),
            "ORDER BY t.due_at NULLS LAST, t.number LIMIT ?5 OFFSET ?6)
             SELECT t.id, t.number, t.title, t.status, t.assignee_id, t.due_at, t.blocked_reason,
                    m.display_name AS assignee_name,
                    (SELECT COUNT(*) FROM tasks t ",
            task_filter!($filter),
            ") AS matching
             FROM page JOIN tasks t ON t.id = page.id
             LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
             ORDER BY t.due_at NULLS LAST, t.number"
        )
    };
}

/// The page statement of the live task list (`/task list` without a status), for plan tests.
pub const LIVE_PAGE_SQL: &str = task_page!(live);

/// A listed task with how many tasks matched in all (counted by the same statement).
#[derive(FromRow)]
struct Counted {
    #[sqlx(flatten)]
    row: ListedTask,
    matching: i64,
}

/// Tasks matching `filter`: overdue first, then by due date (undated last), then number; the rows
/// of `page`, with how many matched in all. On SQLite the live tasks come from memory
/// ([`super::task_memory`]); otherwise one statement, where a page past the end has no rows to
/// carry the count: it comes back as 0, and the caller counts separately.
///
/// Overdue tasks come first because they are due earliest: a list holds either the live tasks or
/// those of one status, so "overdue first, then by due date" is the due-date order, which the
/// index keeps.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    coalition: CoalitionId,
    filter: &TaskFilter,
    page: Page,
) -> Result<(Vec<ListedTask>, i64)> {
    if let Some(found) = super::task_memory::page(store, coalition, filter, page).await? {
        return Ok(found);
    }
    let sql = match filter.status {
        None => LIVE_PAGE_SQL,
        Some(_) => task_page!(one_status),
    };
    let rows: Vec<Counted> = sql::query_as(sql)
        .bind(coalition)
        .bind(filter.assignee)
        .bind(filter.org)
        .bind(filter.status.map(TaskStatus::as_str))
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(store.pool())
        .await?;
    let total = rows.first().map_or(0, |r| r.matching);
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// How many tasks match `filter`.
pub async fn count(store: &Store, coalition: CoalitionId, filter: &TaskFilter) -> Result<i64> {
    let sql = match filter.status {
        None => concat!("SELECT COUNT(*) FROM tasks t ", task_filter!(live)),
        Some(_) => concat!("SELECT COUNT(*) FROM tasks t ", task_filter!(one_status)),
    };
    Ok(sql::query_scalar(sql)
        .bind(coalition)
        .bind(filter.assignee)
        .bind(filter.org)
        .bind(filter.status.map(TaskStatus::as_str))
        .fetch_one(store.pool())
        .await?)
}

/// What a status change does to the task's next deadline ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextPing {
    /// Leave it as stored (whatever a concurrent `/task due` set).
    Keep,
    /// No more pings (the task is done).
    Clear,
    /// Set it, only if the due date is still `due_at` (the date it was computed from).
    Set { value: Option<i64>, due_at: Option<i64> },
}

/// A status change with everything that moves with it. It applies only while the task is still
/// in `from` (and, for a blocked task, still blocked for `from_reason`): compare-and-set.
pub struct StatusChange<'a> {
    pub from: TaskStatus,
    pub from_reason: Option<&'a str>,
    pub status: TaskStatus,
    pub blocked_reason: Option<&'a str>,
    pub completed_at: Option<i64>,
    pub next_ping: NextPing,
    pub by: UserId,
    /// Only while the task is still assigned to this user (when that is what allows the change).
    pub while_assigned_to: Option<UserId>,
}

/// Changes a task's status (and the fields that follow it) if it is still as the caller read
/// it; `false` when someone else changed it first (nothing was written).
pub async fn set_status(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    c: &StatusChange<'_>,
    now: i64,
) -> Result<bool> {
    // (write next_ping_at?, its value, check the due date?, the due date it was computed from)
    let (set_ping, ping, check_due, due) = match c.next_ping {
        NextPing::Keep => (false, None, false, None),
        NextPing::Clear => (true, None, false, None),
        NextPing::Set { value, due_at } => (true, value, true, due_at),
    };
    let done = sql::query(
        "UPDATE tasks SET status = ?, blocked_reason = ?, completed_at = ?, status_by = ?, updated_at = ?,
                next_ping_at = CASE WHEN ? THEN ? ELSE next_ping_at END
         WHERE coalition_id = ? AND id = ? AND status = ?
           AND (status <> 'blocked' OR blocked_reason IS ?)
           AND (NOT ? OR due_at IS ?)
           AND (? IS NULL OR assignee_id = ?)",
    )
    .bind(c.status)
    .bind(c.blocked_reason)
    .bind(c.completed_at)
    .bind(c.by)
    .bind(now)
    .bind(set_ping)
    .bind(ping)
    .bind(coalition)
    .bind(id)
    .bind(c.from)
    .bind(c.from_reason)
    .bind(check_due)
    .bind(due)
    .bind(c.while_assigned_to)
    .bind(c.while_assigned_to)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A task's status as it is now; read it inside a write (`&mut *tx`) to act on it.
pub async fn status_of(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    id: TaskId,
) -> Result<Option<TaskStatus>> {
    Ok(
        sql::query_scalar("SELECT status FROM tasks WHERE coalition_id = ? AND id = ?")
            .bind(coalition)
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Who made the task's last status change (unknown for changes from before that was stored).
pub async fn status_by(store: &Store, coalition: CoalitionId, id: TaskId) -> Result<Option<UserId>> {
    Ok(
        sql::query_scalar("SELECT status_by FROM tasks WHERE coalition_id = ? AND id = ?")
            .bind(coalition)
            .bind(id)
            .fetch_optional(store.pool())
            .await?
            .flatten(),
    )
}

/// Moves a task that is still being worked on (open, in progress, blocked) from `from` to `assignee` (and the org they are in now), if it is still
/// assigned to `from` and `assignee` is still a member; `false` otherwise (nothing was written).
pub async fn set_assignee(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    from: Option<UserId>,
    assignee: UserId,
    now: i64,
) -> Result<bool> {
    let done = sql::query(concat!(
        "UPDATE tasks SET assignee_id = m.user_id, org_id = m.org_id, updated_at = ?
             FROM (SELECT user_id, org_id FROM members WHERE coalition_id = ? AND user_id = ?) AS m
             WHERE tasks.coalition_id = ? AND tasks.id = ? AND ",
        live_task!("tasks"),
        " AND tasks.assignee_id IS ?"
    ))
    .bind(now)
    .bind(coalition)
    .bind(assignee)
    .bind(coalition)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the due date of a task still being worked on from `from` to `due_at`, with its next ping;
/// `false` when the task is closed or its due date is no longer `from` (nothing was written).
pub async fn set_due(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    from: Option<i64>,
    due_at: i64,
    next_ping_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sql::query(concat!(
        "UPDATE tasks SET due_at = ?, next_ping_at = ?, updated_at = ?
             WHERE coalition_id = ? AND id = ? AND ",
        live_task!("tasks"),
        " AND due_at IS ?"
    ))
    .bind(due_at)
    .bind(next_ping_at)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers where a task's card was posted, so its buttons and later edits can find it.
pub async fn set_message(store: &Store, id: TaskId, channel: ChannelId, message: MessageId) -> Result<()> {
    sql::query("UPDATE tasks SET channel_id = ?, message_id = ? WHERE id = ?")
        .bind(channel)
        .bind(message)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Not-done tasks for autocomplete: title containing `typed`, or number starting with it.
pub async fn suggest(store: &Store, coalition: CoalitionId, typed: &str, limit: i64) -> Result<Vec<Task>> {
    let typed = typed.trim().trim_start_matches('#');
    Ok(sql::query_as(concat!(
        select_task!(),
        "WHERE t.coalition_id = ? AND ",
        live_task!("t"),
        "
           AND (t.title LIKE ? ESCAPE '\\' OR CAST(t.number AS TEXT) LIKE ? ESCAPE '\\')
         ORDER BY t.number DESC LIMIT ?"
    ))
    .bind(coalition)
    .bind(format!("%{}%", super::escape_like(typed)))
    .bind(format!("{}%", super::escape_like(typed)))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// A partner organization's name, if `org` belongs to `coalition`.
pub async fn org_name(db: impl sql::Conn<'_>, coalition: CoalitionId, org: OrgId) -> Result<Option<String>> {
    Ok(
        sql::query_scalar("SELECT name FROM orgs WHERE coalition_id = ? AND id = ?")
            .bind(coalition)
            .bind(org)
            .fetch_optional(db)
            .await?,
    )
}
