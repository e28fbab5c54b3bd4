//! Coalitions and their partner organizations.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// The active coalitions of a guild, by name.
pub async fn list_in_guild(store: &Store, guild: GuildId) -> Result<Vec<Coalition>> {
    Ok(sql::query_as(concat!(
        select_coalition!(),
        "WHERE guild_id = ? AND archived_at IS NULL ORDER BY name"
    ))
    .bind(guild)
    .fetch_all(store.pool())
    .await?)
}

/// The coalition of this guild with this name (case-insensitive).
pub async fn find_by_name(db: impl sql::Conn<'_>, guild: GuildId, name: &str) -> Result<Option<Coalition>> {
    Ok(sql::query_as(concat!(
        select_coalition!(),
        "WHERE guild_id = ? AND name = ? AND archived_at IS NULL"
    ))
    .bind(guild)
    .bind(name.trim())
    .fetch_optional(db)
    .await?)
}

/// A coalition by id, only if it belongs to `guild`. Read it inside a write (`&mut *tx`) to
/// change it based on what it holds.
pub async fn get(db: impl sql::Conn<'_>, guild: GuildId, id: CoalitionId) -> Result<Option<Coalition>> {
    Ok(
        sql::query_as(concat!(select_coalition!(), "WHERE guild_id = ? AND id = ?"))
            .bind(guild)
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// A coalition by id regardless of guild — for the scheduler, which works across guilds.
pub async fn get_any(store: &Store, id: CoalitionId) -> Result<Option<Coalition>> {
    Ok(sql::query_as(concat!(select_coalition!(), "WHERE id = ?"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Fields of a new coalition.
pub struct NewCoalition<'a> {
    pub guild_id: GuildId,
    pub name: &'a str,
    pub home_channel_id: ChannelId,
    pub timezone: &'a str,
    pub checkin_schedule: &'a str,
    pub digest_schedule: &'a str,
    pub ping_offsets: &'a str,
    pub next_checkin_at: Option<i64>,
    pub next_digest_at: Option<i64>,
    pub created_by: UserId,
}

/// Inserts a coalition; `None` when the guild already has one with that name.
pub async fn insert(tx: &mut Tx, c: &NewCoalition<'_>, now: i64) -> Result<Option<CoalitionId>> {
    let id: Option<i64> = sql::query_scalar(
        "INSERT INTO coalitions (guild_id, name, home_channel_id, timezone, checkin_schedule,
             digest_schedule, ping_offsets, next_checkin_at, next_digest_at, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (guild_id, name) DO NOTHING
         RETURNING id",
    )
    .bind(c.guild_id)
    .bind(c.name)
    .bind(c.home_channel_id)
    .bind(c.timezone)
    .bind(c.checkin_schedule)
    .bind(c.digest_schedule)
    .bind(c.ping_offsets)
    .bind(c.next_checkin_at)
    .bind(c.next_digest_at)
    .bind(c.created_by)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map(CoalitionId))
}

/// One line of `/coalition list`.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CoalitionSummary {
    pub id: CoalitionId,
    pub name: String,
    pub home_channel_id: ChannelId,
    pub members: i64,
    pub open_tasks: i64,
}

/// The active coalitions of a guild with their member and open-task counts, by name.
#[tracing::instrument(skip_all)]
pub async fn summaries(store: &Store, guild: GuildId) -> Result<Vec<CoalitionSummary>> {
    Ok(sql::query_as(concat!(
        "SELECT c.id, c.name, c.home_channel_id,
                (SELECT COUNT(*) FROM members m WHERE m.coalition_id = c.id) AS members,
                (SELECT COUNT(*) FROM tasks t WHERE t.coalition_id = c.id AND ",
        live_task!("t"),
        ") AS open_tasks
         FROM coalitions c
         WHERE c.guild_id = ? AND c.archived_at IS NULL
         ORDER BY c.name"
    ))
    .bind(guild)
    .fetch_all(store.pool())
    .await?)
}

/// Coalition names of a guild containing `typed` (any case), prefix matches first.
pub async fn suggest_names(store: &Store, guild: GuildId, typed: &str, limit: i64) -> Result<Vec<String>> {
    let typed = super::escape_like(typed.trim());
    Ok(sql::query_scalar(
        "SELECT name FROM coalitions
         WHERE guild_id = ? AND archived_at IS NULL AND name LIKE ? ESCAPE '\\'
         ORDER BY name NOT LIKE ? ESCAPE '\\', name
         LIMIT ?",
    )
    .bind(guild)
    .bind(format!("%{typed}%"))
    .bind(format!("{typed}%"))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Another active coalition of the guild whose home is `channel`, if any. Read it inside the
/// write (`&mut *tx`) so two coalitions created at the same time cannot both claim the channel.
pub async fn home_of_channel(
    db: impl sql::Conn<'_>,
    guild: GuildId,
    channel: ChannelId,
    except: CoalitionId,
) -> Result<Option<Coalition>> {
    Ok(sql::query_as(concat!(
        select_coalition!(),
        "WHERE guild_id = ? AND home_channel_id = ? AND id <> ? AND archived_at IS NULL
         ORDER BY name LIMIT 1"
    ))
    .bind(guild)
    .bind(channel)
    .bind(except)
    .fetch_optional(db)
    .await?)
}

/// The settings `/coalition settings` changes: `None` leaves a column as it is, so two leads
/// changing different settings at once both keep their change.
#[derive(Default)]
pub struct SettingsChange<'a> {
    pub home_channel_id: Option<ChannelId>,
    pub leads_channel_id: Option<ChannelId>,
    pub timezone: Option<&'a str>,
    pub checkin_schedule: Option<&'a str>,
    pub digest_schedule: Option<&'a str>,
    pub ping_offsets: Option<&'a str>,
    /// `Some(next)` sets the next check-in (to `next`, which may be none at all).
    pub next_checkin_at: Option<Option<i64>>,
    pub next_digest_at: Option<Option<i64>>,
}

/// Writes only the settings given in `s`.
pub async fn update_settings(tx: &mut Tx, id: CoalitionId, s: &SettingsChange<'_>) -> Result<()> {
    sql::query(
        "UPDATE coalitions SET
             home_channel_id  = COALESCE(?, home_channel_id),
             leads_channel_id = COALESCE(?, leads_channel_id),
             timezone         = COALESCE(?, timezone),
             checkin_schedule = COALESCE(?, checkin_schedule),
             digest_schedule  = COALESCE(?, digest_schedule),
             ping_offsets     = COALESCE(?, ping_offsets),
             next_checkin_at  = CASE WHEN ? THEN ? ELSE next_checkin_at END,
             next_digest_at   = CASE WHEN ? THEN ? ELSE next_digest_at END
         WHERE id = ?",
    )
    .bind(s.home_channel_id)
    .bind(s.leads_channel_id)
    .bind(s.timezone)
    .bind(s.checkin_schedule)
    .bind(s.digest_schedule)
    .bind(s.ping_offsets)
    .bind(s.next_checkin_at.is_some())
    .bind(s.next_checkin_at.flatten())
    .bind(s.next_digest_at.is_some())
    .bind(s.next_digest_at.flatten())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Something with a due date that gets deadline pings: a not-done task or an open deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingSubject {
    Task(TaskId),
    Deadline(DeadlineId),
}

/// The coalition's not-done tasks and open deadlines that have a due date, with that date.
pub async fn ping_subjects(tx: &mut Tx, coalition: CoalitionId) -> Result<Vec<(PingSubject, i64)>> {
    let rows: Vec<(String, i64, i64)> = sql::query_as(concat!(
        "SELECT 'task', id, due_at FROM tasks
         WHERE coalition_id = ? AND ",
        live_task!("tasks"),
        " AND due_at IS NOT NULL
         UNION ALL
         SELECT 'deadline', id, due_at FROM deadlines
         WHERE coalition_id = ? AND status = 'open'"
    ))
    .bind(coalition)
    .bind(coalition)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, id, due)| {
            let subject = if kind == "task" {
                PingSubject::Task(TaskId(id))
            } else {
                PingSubject::Deadline(DeadlineId(id))
            };
            (subject, due)
        })
        .collect())
}

/// Sets when the next deadline ping of a task or deadline of `coalition` is due.
pub async fn set_next_ping(
    tx: &mut Tx,
    coalition: CoalitionId,
    subject: PingSubject,
    next_ping_at: Option<i64>,
) -> Result<()> {
    let (sql, id) = match subject {
        PingSubject::Task(id) => (
            "UPDATE tasks SET next_ping_at = ? WHERE id = ? AND coalition_id = ?",
            id.0,
        ),
        PingSubject::Deadline(id) => (
            "UPDATE deadlines SET next_ping_at = ? WHERE id = ? AND coalition_id = ?",
            id.0,
        ),
    };
    sql::query(sql)
        .bind(next_ping_at)
        .bind(id)
        .bind(coalition)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An active goal's progress, for `/coalition info`.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GoalProgress {
    pub number: i64,
    pub title: String,
    pub current: f64,
    pub target: Option<f64>,
    pub unit: Option<String>,
}

// ---- partner organizations ----

/// The coalition's partner organizations, by name.
pub async fn orgs(store: &Store, coalition: CoalitionId) -> Result<Vec<Org>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, name, created_at FROM orgs WHERE coalition_id = ? ORDER BY name",
    )
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// The coalition's org with this name (case-insensitive).
pub async fn find_org(store: &Store, coalition: CoalitionId, name: &str) -> Result<Option<Org>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, name, created_at FROM orgs WHERE coalition_id = ? AND name = ?",
    )
    .bind(coalition)
    .bind(name.trim())
    .fetch_optional(store.pool())
    .await?)
}

/// Adds an org; `None` when the coalition already has one with that name (any case).
pub async fn insert_org(tx: &mut Tx, coalition: CoalitionId, name: &str, now: i64) -> Result<Option<OrgId>> {
    let id: Option<i64> = sql::query_scalar(
        "INSERT INTO orgs (coalition_id, name, created_at) VALUES (?, ?, ?)
         ON CONFLICT (coalition_id, name) DO NOTHING RETURNING id",
    )
    .bind(coalition)
    .bind(name)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id.map(OrgId))
}

/// How many members belong to `org` (read in the write transaction that may remove it).
pub async fn org_member_count(tx: &mut Tx, coalition: CoalitionId, org: OrgId) -> Result<i64> {
    Ok(
        sql::query_scalar("SELECT COUNT(*) FROM members WHERE coalition_id = ? AND org_id = ?")
            .bind(coalition)
            .bind(org)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Removes an org of `coalition`; returns whether it existed.
pub async fn delete_org(tx: &mut Tx, coalition: CoalitionId, org: OrgId) -> Result<bool> {
    let done = sql::query("DELETE FROM orgs WHERE coalition_id = ? AND id = ?")
        .bind(coalition)
        .bind(org)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One line of `/org list`.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct OrgStats {
    pub id: OrgId,
    pub name: String,
    pub members: i64,
    pub open_tasks: i64,
    /// Wins logged for the org at or after the `since` given to [`org_stats`].
    pub wins: i64,
}

/// Each org of the coalition with its member count, open tasks and wins since `since`.
#[tracing::instrument(skip_all)]
pub async fn org_stats(store: &Store, coalition: CoalitionId, since: i64) -> Result<Vec<OrgStats>> {
    Ok(sql::query_as(concat!(
        "SELECT o.id, o.name,
                (SELECT COUNT(*) FROM members m
                  WHERE m.coalition_id = o.coalition_id AND m.org_id = o.id) AS members,
                (SELECT COUNT(*) FROM tasks t
                  WHERE t.coalition_id = o.coalition_id AND t.org_id = o.id
                    AND ",
        live_task!("t"),
        ") AS open_tasks,
                (SELECT COUNT(*) FROM wins w
                  WHERE w.coalition_id = o.coalition_id AND w.org_id = o.id
                    AND w.created_at >= ?) AS wins
         FROM orgs o WHERE o.coalition_id = ? ORDER BY o.name"
    ))
    .bind(since)
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// Org names of the coalition containing `typed` (any case), prefix matches first.
pub async fn suggest_orgs(
    store: &Store,
    coalition: CoalitionId,
    typed: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let typed = super::escape_like(typed.trim());
    Ok(sql::query_scalar(
        "SELECT name FROM orgs
         WHERE coalition_id = ? AND name LIKE ? ESCAPE '\\'
         ORDER BY name NOT LIKE ? ESCAPE '\\', name
         LIMIT ?",
    )
    .bind(coalition)
    .bind(format!("%{typed}%"))
    .bind(format!("{typed}%"))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Every active coalition of every guild, by guild and name (for `backbone doctor`).
pub async fn list_all_active(store: &Store) -> Result<Vec<Coalition>> {
    Ok(sql::query_as(concat!(
        select_coalition!(),
        "WHERE archived_at IS NULL ORDER BY guild_id, name"
    ))
    .fetch_all(store.pool())
    .await?)
}
