//! Correcting and closing tasks: title and goal edits, cancelling, repeat rules, the next copy of
//! a repeating task, and the pending messages a closed task no longer needs.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::Tx;

/// Sets a task's title and goal, unless it was cancelled meanwhile; returns whether it did.
pub async fn set_title_goal(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    title: &str,
    goal: Option<GoalId>,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE tasks SET title = ?, goal_id = ?, updated_at = ?
         WHERE coalition_id = ? AND id = ? AND status <> 'cancelled'",
    )
    .bind(title)
    .bind(goal)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels a task that is still `from` (compare-and-set: a concurrent change wins and this
/// returns false). Its pings stop: nothing more is planned.
pub async fn cancel(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    from: TaskStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE tasks SET status = 'cancelled', cancel_reason = ?, cancelled_at = ?, blocked_reason = NULL,
                          next_ping_at = NULL, updated_at = ?
         WHERE coalition_id = ? AND id = ? AND status = ?",
    )
    .bind(reason)
    .bind(now)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets (or with `None` clears) how a task repeats, unless it closed meanwhile.
pub async fn set_repeat(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TaskId,
    rule: Option<&str>,
    now: i64,
) -> Result<bool> {
    let done = sql::query(concat!(
        "UPDATE tasks SET repeat_every = ?, updated_at = ?
             WHERE coalition_id = ? AND id = ? AND ",
        live_task!("tasks")
    ))
    .bind(rule)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels the not-yet-sent pings, alerts and assignment DMs about a task; returns how many.
pub async fn cancel_pending_about(tx: &mut Tx, coalition: CoalitionId, id: TaskId, why: &str) -> Result<u64> {
    let done = sql::query_for(
        "UPDATE deliveries SET status = 'cancelled', last_error = ?
         WHERE coalition_id = ? AND subject_id = ? AND status = 'pending'
           AND kind IN ('task_ping', 'task_assigned', 'blocker_alert')
           AND json_extract(payload, '$.source') IS NOT 'checkin'",
        "UPDATE deliveries SET status = 'cancelled', last_error = ?
         WHERE coalition_id = ? AND subject_id = ? AND status = 'pending'
           AND kind IN ('task_ping', 'task_assigned', 'blocker_alert')
           AND (CAST(payload AS json) ->> 'source') IS DISTINCT FROM 'checkin'",
    )
    .bind(why)
    .bind(coalition)
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Inserts the next copy of a repeating task `from`: same title, assignee, org, goal and rule, a
/// new number, due `due_at`. Returns its id and number.
pub async fn insert_copy(
    tx: &mut Tx,
    from: &Task,
    due_at: Option<i64>,
    next_ping_at: Option<i64>,
    now: i64,
) -> Result<(TaskId, i64)> {
    Ok(sql::query_as(
        "INSERT INTO tasks (coalition_id, number, title, assignee_id, org_id, goal_id, due_at,
                            next_ping_at, created_by, created_at, updated_at, repeat_every, repeat_of)
         VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM tasks WHERE coalition_id = ?),
                 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id, number",
    )
    .bind(from.coalition_id)
    .bind(from.coalition_id)
    .bind(&from.title)
    .bind(from.assignee_id)
    .bind(from.org_id)
    .bind(from.goal_id)
    .bind(due_at)
    .bind(next_ping_at)
    .bind(from.created_by)
    .bind(now)
    .bind(now)
    .bind(&from.repeat_every)
    .bind(from.id)
    .fetch_one(&mut **tx)
    .await?)
}

/// A task by id inside a write (the repeat job reads and copies it in one transaction).
pub async fn get_tx(tx: &mut Tx, coalition: CoalitionId, id: TaskId) -> Result<Option<Task>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, number, title, assignee_id, org_id, goal_id, due_at, status, blocked_reason,
                created_by, created_at, updated_at, completed_at, next_ping_at, channel_id, message_id,
                cancel_reason, cancelled_at, repeat_every, repeat_of
         FROM tasks WHERE coalition_id = ? AND id = ?",
    )
    .bind(coalition)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}
