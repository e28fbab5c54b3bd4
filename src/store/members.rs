//! Members, their roles, and their responsibilities.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// A member of a coalition, if `user` is one.
pub async fn get(store: &Store, coalition: CoalitionId, user: UserId) -> Result<Option<Member>> {
    get_in(store.pool(), coalition, user).await
}

/// [`get`] on any executor: the pool, or a write transaction (`&mut *tx`) that must see the
/// membership it is about to rely on.
pub async fn get_in(db: impl sql::Conn<'_>, coalition: CoalitionId, user: UserId) -> Result<Option<Member>> {
    Ok(sql::query_as(
        "SELECT coalition_id, user_id, role, org_id, display_name, joined_at
         FROM members WHERE coalition_id = ? AND user_id = ?",
    )
    .bind(coalition)
    .bind(user)
    .fetch_optional(db)
    .await?)
}

/// Adds `user` to a coalition, or updates their role and org if they are already in it, and
/// returns the row as it now stands. `role`: `None` keeps a member's role (a newcomer is a
/// member). `org`: `None` keeps a member's org, `Some(None)` clears it, `Some(Some(id))` sets it.
/// Only what is given is written, so two leads changing different things both keep their change.
pub async fn upsert(
    tx: &mut Tx,
    coalition: CoalitionId,
    user: UserId,
    role: Option<Role>,
    org: Option<Option<OrgId>>,
    display_name: &str,
    now: i64,
) -> Result<Member> {
    Ok(sql::query_as(
        "INSERT INTO members (coalition_id, user_id, role, org_id, display_name, joined_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (coalition_id, user_id) DO UPDATE SET
             role = CASE WHEN ? THEN excluded.role ELSE members.role END,
             org_id = CASE WHEN ? THEN excluded.org_id ELSE members.org_id END,
             display_name = CASE WHEN excluded.display_name = '' THEN members.display_name
                                 ELSE excluded.display_name END
         RETURNING coalition_id, user_id, role, org_id, display_name, joined_at",
    )
    .bind(coalition)
    .bind(user)
    .bind(role.unwrap_or(Role::Member))
    .bind(org.flatten())
    .bind(display_name)
    .bind(now)
    .bind(role.is_some())
    .bind(org.is_some())
    .fetch_one(&mut **tx)
    .await?)
}

/// A member's org (`Some(None)`: a member without one; `None`: not a member). Read it inside a
/// write (`&mut *tx`) to act on it.
pub async fn org_of(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    user: UserId,
) -> Result<Option<Option<OrgId>>> {
    Ok(
        sql::query_scalar("SELECT org_id FROM members WHERE coalition_id = ? AND user_id = ?")
            .bind(coalition)
            .bind(user)
            .fetch_optional(db)
            .await?,
    )
}

/// The leads of a coalition.
pub async fn leads(store: &Store, coalition: CoalitionId) -> Result<Vec<Member>> {
    Ok(sql::query_as(
        "SELECT coalition_id, user_id, role, org_id, display_name, joined_at
         FROM members WHERE coalition_id = ? AND role = 'lead' ORDER BY joined_at",
    )
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// How many members (leads included) a coalition has.
pub async fn count(store: &Store, coalition: CoalitionId) -> Result<i64> {
    Ok(
        sql::query_scalar("SELECT COUNT(*) FROM members WHERE coalition_id = ?")
            .bind(coalition)
            .fetch_one(store.pool())
            .await?,
    )
}

/// How many leads a coalition has, read inside the write transaction that may remove one.
pub async fn count_leads(tx: &mut Tx, coalition: CoalitionId) -> Result<i64> {
    Ok(
        sql::query_scalar("SELECT COUNT(*) FROM members WHERE coalition_id = ? AND role = 'lead'")
            .bind(coalition)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Removes `user` from a coalition (their responsibilities go with the row); returns whether they were in it.
pub async fn remove(tx: &mut Tx, coalition: CoalitionId, user: UserId) -> Result<bool> {
    let done = sql::query("DELETE FROM members WHERE coalition_id = ? AND user_id = ?")
        .bind(coalition)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The coalitions of `guild` (archived ones too) that `user` is a member of, as (id, name).
pub async fn memberships_in_guild(
    tx: &mut Tx,
    guild: GuildId,
    user: UserId,
) -> Result<Vec<(CoalitionId, String)>> {
    Ok(sql::query_as(
        "SELECT c.id, c.name FROM members m JOIN coalitions c ON c.id = m.coalition_id
         WHERE c.guild_id = ? AND m.user_id = ? ORDER BY c.id",
    )
    .bind(guild)
    .bind(user)
    .fetch_all(&mut **tx)
    .await?)
}

/// A task left without an assignee when its assignee left the coalition.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UnassignedTask {
    pub number: i64,
    pub title: String,
}

/// Unassigns `user`'s not-done tasks in `coalition`; returns them by number.
pub async fn unassign_open_tasks(
    tx: &mut Tx,
    coalition: CoalitionId,
    user: UserId,
    now: i64,
) -> Result<Vec<UnassignedTask>> {
    let mut tasks: Vec<UnassignedTask> = sql::query_as(concat!(
        "UPDATE tasks SET assignee_id = NULL, updated_at = ?
             WHERE coalition_id = ? AND assignee_id = ? AND ",
        live_task!("tasks"),
        " RETURNING number, title"
    ))
    .bind(now)
    .bind(coalition)
    .bind(user)
    .fetch_all(&mut **tx)
    .await?;
    tasks.sort_by_key(|t| t.number);
    Ok(tasks)
}

/// A member with their org's name, for `/member list`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: UserId,
    pub display_name: String,
    pub role: Role,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    /// Away until then (UTC seconds), when away at the time asked about.
    pub away_until: Option<i64>,
    /// Their responsibilities by name, joined by [`DUTY_SEPARATOR`].
    pub duties: Option<String>,
}

/// What joins a member's responsibilities in [`MemberRow::duties`] (a character no name has).
pub const DUTY_SEPARATOR: char = '\u{1f}';

impl MemberRow {
    /// The member's responsibilities, by name.
    pub fn responsibilities(&self) -> Vec<String> {
        self.duties
            .as_deref()
            .map(|d| d.split(DUTY_SEPARATOR).map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// The part of the member list's statement after its columns.
macro_rules! member_list_tail {
    () => {
        "
         FROM members m
         JOIN coalitions c ON c.id = m.coalition_id
         LEFT JOIN orgs o ON o.id = m.org_id AND o.coalition_id = m.coalition_id
         WHERE m.coalition_id = ?2 AND (?3 IS NULL OR m.org_id = ?3)
         ORDER BY m.org_id IS NULL, o.name, m.role <> 'lead', m.display_name COLLATE NOCASE, m.user_id"
    };
}

/// The coalition's members (only `org`'s when given), grouped by org name with the no-org
/// group last, leads first within a group; each with when they are back if away at `now`, and
/// their responsibilities — one statement.
#[tracing::instrument(skip_all)]
pub async fn list(
    store: &Store,
    coalition: CoalitionId,
    org: Option<OrgId>,
    now: i64,
) -> Result<Vec<MemberRow>> {
    Ok(sql::query_as_for(
        concat!(
            "SELECT m.user_id, m.display_name, m.role, m.org_id, o.name AS org_name,
                (SELECT p.away_until FROM member_prefs p
                  WHERE p.guild_id = c.guild_id AND p.user_id = m.user_id AND p.away_until > ?1)
                  AS away_until,
                (SELECT group_concat(name, char(31)) FROM
                   (SELECT r.name FROM responsibilities r
                     WHERE r.coalition_id = m.coalition_id AND r.user_id = m.user_id
                     ORDER BY r.name COLLATE NOCASE)) AS duties",
            member_list_tail!()
        ),
        concat!(
            "SELECT m.user_id, m.display_name, m.role, m.org_id, o.name AS org_name,
                (SELECT p.away_until FROM member_prefs p
                  WHERE p.guild_id = c.guild_id AND p.user_id = m.user_id AND p.away_until > ?1)
                  AS away_until,
                (SELECT string_agg(r.name, chr(31) ORDER BY r.name) FROM responsibilities r
                  WHERE r.coalition_id = m.coalition_id AND r.user_id = m.user_id) AS duties",
            member_list_tail!()
        ),
    )
    .bind(now)
    .bind(coalition)
    .bind(org)
    .fetch_all(store.pool())
    .await?)
}

// ---- responsibilities ----

/// A responsibility with its holder's display name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Held {
    pub user_id: UserId,
    pub display_name: String,
    pub name: String,
}

/// The coalition's responsibilities, by name (any case) then holder's name.
pub async fn responsibilities(store: &Store, coalition: CoalitionId) -> Result<Vec<Held>> {
    Ok(sql::query_as(
        "SELECT r.user_id, m.display_name, r.name
         FROM responsibilities r
         JOIN members m ON m.coalition_id = r.coalition_id AND m.user_id = r.user_id
         WHERE r.coalition_id = ?
         ORDER BY r.name COLLATE NOCASE, m.display_name COLLATE NOCASE, r.user_id",
    )
    .bind(coalition)
    .fetch_all(store.pool())
    .await?)
}

/// Gives `user` a responsibility; `false` when they already hold one with that name (any case).
pub async fn add_responsibility(
    tx: &mut Tx,
    coalition: CoalitionId,
    user: UserId,
    name: &str,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "INSERT INTO responsibilities (coalition_id, user_id, name, assigned_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (coalition_id, user_id, name) DO NOTHING",
    )
    .bind(coalition)
    .bind(user)
    .bind(name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a responsibility (any case) away from `user`; returns its name as stored, if they held it.
pub async fn remove_responsibility(
    tx: &mut Tx,
    coalition: CoalitionId,
    user: UserId,
    name: &str,
) -> Result<Option<String>> {
    Ok(sql::query_scalar(
        "DELETE FROM responsibilities WHERE coalition_id = ? AND user_id = ? AND name = ? RETURNING name",
    )
    .bind(coalition)
    .bind(user)
    .bind(name.trim())
    .fetch_optional(&mut **tx)
    .await?)
}

/// Distinct responsibility names of the coalition containing `typed` (any case), for autocomplete.
pub async fn suggest_responsibilities(
    store: &Store,
    coalition: CoalitionId,
    typed: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let typed = super::escape_like(typed.trim());
    Ok(sql::query_scalar(
        "SELECT MIN(name) FROM responsibilities
         WHERE coalition_id = ? AND name LIKE ? ESCAPE '\\'
         GROUP BY name COLLATE NOCASE
         ORDER BY MIN(name) NOT LIKE ? ESCAPE '\\', MIN(name) COLLATE NOCASE
         LIMIT ?",
    )
    .bind(coalition)
    .bind(format!("%{typed}%"))
    .bind(format!("{typed}%"))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
