//! The scheduler's planning queries. Each reads rows whose `next_*` time has come through a partial
//! index (so a tick with nothing due touches no table rows) and moves that time past `now`.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// Whether anything has come due by `?1` (see [`anything_due`]).
pub const ANYTHING_DUE_SQL: &str =
    "SELECT EXISTS (SELECT 1 FROM coalitions WHERE archived_at IS NULL AND next_checkin_at <= ?1)
             OR EXISTS (SELECT 1 FROM coalitions WHERE archived_at IS NULL AND next_digest_at <= ?1)
             OR EXISTS (SELECT 1 FROM checkin_rounds WHERE nudge_at <= ?1)
             OR EXISTS (SELECT 1 FROM tasks WHERE next_ping_at <= ?1)
             OR EXISTS (SELECT 1 FROM deadlines WHERE next_ping_at <= ?1)";

/// Whether anything at all has come due: one read over the five partial indexes, so an idle tick
/// takes no write lock.
pub async fn anything_due(store: &Store, now: i64) -> Result<bool> {
    Ok(sql::query_scalar(ANYTHING_DUE_SQL)
        .bind(now)
        .fetch_one(store.pool())
        .await?)
}

/// Coalitions due a check-in: `?1` now, `?2` limit.
pub const DUE_CHECKINS_SQL: &str = concat!(
    select_coalition!(),
    "WHERE archived_at IS NULL AND next_checkin_at <= ?1 ORDER BY next_checkin_at LIMIT ?2"
);

/// Coalitions due a digest: `?1` now, `?2` limit.
pub const DUE_DIGESTS_SQL: &str = concat!(
    select_coalition!(),
    "WHERE archived_at IS NULL AND next_digest_at <= ?1 ORDER BY next_digest_at LIMIT ?2"
);

/// Active coalitions whose next check-in is at or before `now`, oldest first.
pub async fn due_checkins(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<Coalition>> {
    Ok(sql::query_as(DUE_CHECKINS_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Active coalitions whose next digest is at or before `now`, oldest first.
pub async fn due_digests(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<Coalition>> {
    Ok(sql::query_as(DUE_DIGESTS_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Moves a coalition's next check-in.
pub async fn set_next_checkin(tx: &mut Tx, coalition: CoalitionId, next: Option<i64>) -> Result<()> {
    sql::query("UPDATE coalitions SET next_checkin_at = ? WHERE id = ?")
        .bind(next)
        .bind(coalition)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a coalition's next digest.
pub async fn set_next_digest(tx: &mut Tx, coalition: CoalitionId, next: Option<i64>) -> Result<()> {
    sql::query("UPDATE coalitions SET next_digest_at = ? WHERE id = ?")
        .bind(next)
        .bind(coalition)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A check-in round whose nudge time has come.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueNudge {
    pub round_id: RoundId,
    pub coalition_id: CoalitionId,
    pub opens_at: i64,
    pub nudge_at: i64,
    /// Whether the coalition is archived (no nudges then).
    pub archived: bool,
    /// Whether a later round has opened by now (the round is closed: no nudges).
    pub superseded: bool,
}

/// Rounds due their nudges: `?1` now, `?2` limit.
pub const DUE_NUDGES_SQL: &str = "SELECT r.id AS round_id, r.coalition_id, r.opens_at, r.nudge_at,
                c.archived_at IS NOT NULL AS archived,
                EXISTS (SELECT 1 FROM checkin_rounds n
                        WHERE n.coalition_id = r.coalition_id AND n.opens_at > r.opens_at
                          AND n.opens_at <= ?1) AS superseded
         FROM checkin_rounds r JOIN coalitions c ON c.id = r.coalition_id
         WHERE r.nudge_at <= ?1 ORDER BY r.nudge_at LIMIT ?2";

/// Rounds whose nudge time is at or before `now`, oldest first.
pub async fn due_nudges(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<DueNudge>> {
    Ok(sql::query_as(DUE_NUDGES_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Members of the round's coalition who have not answered it.
pub async fn unanswered(tx: &mut Tx, coalition: CoalitionId, round: RoundId) -> Result<Vec<UserId>> {
    Ok(sql::query_scalar(
        "SELECT m.user_id FROM members m
         WHERE m.coalition_id = ?
           AND NOT EXISTS (SELECT 1 FROM checkins k WHERE k.round_id = ? AND k.user_id = m.user_id)
         ORDER BY m.user_id",
    )
    .bind(coalition)
    .bind(round)
    .fetch_all(&mut **tx)
    .await?)
}

/// Marks a round's nudges as planned.
pub async fn clear_nudge(tx: &mut Tx, round: RoundId) -> Result<()> {
    sql::query("UPDATE checkin_rounds SET nudge_at = NULL WHERE id = ?")
        .bind(round)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A task or milestone whose next deadline ping has come.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuePing {
    pub id: i64,
    pub coalition_id: CoalitionId,
    /// None for a task without a due date (nothing to ping).
    pub due_at: Option<i64>,
    /// Whether the task is done or the milestone met.
    pub closed: bool,
    /// The task's assignee (always None for milestones).
    pub assignee_id: Option<UserId>,
    pub next_ping_at: i64,
    pub ping_offsets: String,
    pub archived: bool,
}

/// Tasks due a ping: `?1` now, `?2` limit.
pub const DUE_TASK_PINGS_SQL: &str =
    "SELECT t.id, t.coalition_id, t.due_at, t.status IN ('done', 'cancelled') AS closed, t.assignee_id,
                t.next_ping_at, c.ping_offsets, c.archived_at IS NOT NULL AS archived
         FROM tasks t JOIN coalitions c ON c.id = t.coalition_id
         WHERE t.next_ping_at <= ?1 ORDER BY t.next_ping_at LIMIT ?2";

/// Tasks whose next ping is at or before `now`, oldest first.
pub async fn due_task_pings(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<DuePing>> {
    Ok(sql::query_as(DUE_TASK_PINGS_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Milestones due a ping: `?1` now, `?2` limit.
pub const DUE_DEADLINE_PINGS_SQL: &str =
    "SELECT d.id, d.coalition_id, d.due_at, d.status <> 'open' AS closed, NULL AS assignee_id,
                d.next_ping_at, c.ping_offsets, c.archived_at IS NOT NULL AS archived
         FROM deadlines d JOIN coalitions c ON c.id = d.coalition_id
         WHERE d.next_ping_at <= ?1 ORDER BY d.next_ping_at LIMIT ?2";

/// Milestones whose next ping is at or before `now`, oldest first.
pub async fn due_deadline_pings(tx: &mut Tx, now: i64, limit: i64) -> Result<Vec<DuePing>> {
    Ok(sql::query_as(DUE_DEADLINE_PINGS_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// Moves a task's next ping.
pub async fn set_task_next_ping(tx: &mut Tx, id: TaskId, next: Option<i64>) -> Result<()> {
    sql::query("UPDATE tasks SET next_ping_at = ? WHERE id = ?")
        .bind(next)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a milestone's next ping.
pub async fn set_deadline_next_ping(tx: &mut Tx, id: DeadlineId, next: Option<i64>) -> Result<()> {
    sql::query("UPDATE deadlines SET next_ping_at = ? WHERE id = ?")
        .bind(next)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The leads of a coalition, read inside the planning transaction.
pub async fn lead_ids(tx: &mut Tx, coalition: CoalitionId) -> Result<Vec<UserId>> {
    Ok(sql::query_scalar(
        "SELECT user_id FROM members WHERE coalition_id = ? AND role = 'lead' ORDER BY user_id",
    )
    .bind(coalition)
    .fetch_all(&mut **tx)
    .await?)
}

// ---- checks made when a delivery is sent ----

/// Whether `round` is still the round members answer (no later round has opened by `now`).
pub async fn round_is_current(
    store: &Store,
    coalition: CoalitionId,
    round: RoundId,
    now: i64,
) -> Result<bool> {
    Ok(sql::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM checkin_rounds n, checkin_rounds r
                            WHERE r.id = ? AND r.coalition_id = ? AND n.coalition_id = r.coalition_id
                              AND n.opens_at > r.opens_at AND n.opens_at <= ?)",
    )
    .bind(round)
    .bind(coalition)
    .bind(now)
    .fetch_one(store.pool())
    .await?)
}

/// The role of `user` in `coalition`, if they are a member.
pub async fn role_of(store: &Store, coalition: CoalitionId, user: UserId) -> Result<Option<Role>> {
    Ok(
        sql::query_scalar("SELECT role FROM members WHERE coalition_id = ? AND user_id = ?")
            .bind(coalition)
            .bind(user)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A member's remembered display name (or `user <id>`).
pub async fn display_name(store: &Store, coalition: CoalitionId, user: UserId) -> Result<String> {
    let name: Option<String> =
        sql::query_scalar("SELECT display_name FROM members WHERE coalition_id = ? AND user_id = ?")
            .bind(coalition)
            .bind(user)
            .fetch_optional(store.pool())
            .await?;
    Ok(name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("user {user}")))
}

/// A goal's title, progress and unit, for a win celebration.
pub async fn goal_progress(
    store: &Store,
    coalition: CoalitionId,
    goal: GoalId,
) -> Result<Option<(String, f64, Option<f64>, Option<String>)>> {
    Ok(
        sql::query_as("SELECT title, current, target, unit FROM goals WHERE coalition_id = ? AND id = ?")
            .bind(coalition)
            .bind(goal)
            .fetch_optional(store.pool())
            .await?,
    )
}
