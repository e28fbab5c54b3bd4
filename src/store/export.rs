//! Every row a coalition owns, table by table, for `/export` and `backbone export`. Internal
//! scheduling state (next ping times, message ids, the outbox) is left out.

use super::sql;
use sqlx::{Row, TypeInfo, ValueRef};

use crate::domain::*;
use crate::error::{Error, Result};

use super::Store;

/// One exported value, as SQLite stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One table's rows for one coalition; `columns` is the header even when there are no rows.
#[derive(Debug, Clone)]
pub struct TableDump {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    sql: &'static str,
}

/// A table: its name, its exported columns, and the rest of the query (which binds the coalition).
macro_rules! table {
    ($name:literal, [$($col:ident),+ $(,)?], $rest:literal) => {
        Table {
            name: $name,
            columns: &[$(stringify!($col)),+],
            sql: concat!("SELECT ", stringify!($($col),+), " FROM ", $name, " ", $rest),
        }
    };
}

/// The exported tables, in the order a reader would want them.
const TABLES: &[Table] = &[
    table!(
        "coalitions",
        [
            id,
            guild_id,
            name,
            home_channel_id,
            timezone,
            checkin_schedule,
            digest_schedule,
            ping_offsets,
            created_by,
            created_at,
            archived_at
        ],
        "WHERE id = ?"
    ),
    table!(
        "orgs",
        [id, name, created_at],
        "WHERE coalition_id = ? ORDER BY id"
    ),
    table!(
        "members",
        [user_id, display_name, role, org_id, joined_at],
        "WHERE coalition_id = ? ORDER BY joined_at, user_id"
    ),
    table!(
        "responsibilities",
        [id, user_id, name, assigned_at],
        "WHERE coalition_id = ? ORDER BY id"
    ),
    table!(
        "goals",
        [
            id, number, title, metric, unit, target, current, due_at, status, created_by, created_at,
            closed_at
        ],
        "WHERE coalition_id = ? ORDER BY number"
    ),
    table!(
        "goal_values",
        [id, goal_id, value, at, cause],
        "WHERE coalition_id = ? ORDER BY goal_id, at, id"
    ),
    table!(
        "tasks",
        [
            id,
            number,
            title,
            assignee_id,
            org_id,
            goal_id,
            due_at,
            status,
            blocked_reason,
            created_by,
            created_at,
            updated_at,
            completed_at,
            cancelled_at,
            cancel_reason,
            repeat_every,
            repeat_of
        ],
        "WHERE coalition_id = ? ORDER BY number"
    ),
    table!(
        "deadlines",
        [
            id, number, title, goal_id, due_at, status, created_by, created_at, met_at
        ],
        "WHERE coalition_id = ? ORDER BY number"
    ),
    table!(
        "wins",
        [
            id, user_id, text, org_id, org_name, goal_id, task_id, amount, created_at
        ],
        "WHERE coalition_id = ? ORDER BY created_at, id"
    ),
    // Advocacy: targets, outreach to them, their stance history (append-only) and the library.
    // Leads' private notes on targets stay out: they are for the leads in Discord only.
    table!(
        "targets",
        [
            id,
            name,
            role,
            office,
            jurisdiction,
            stance,
            influence,
            created_by,
            created_at,
            updated_at
        ],
        "WHERE coalition_id = ? ORDER BY id"
    ),
    table!(
        "outreach",
        [
            id,
            target_id,
            target_name,
            user_id,
            org_id,
            org_name,
            kind,
            ask,
            outcome,
            stance_seen,
            task_id,
            created_at
        ],
        "WHERE coalition_id = ? ORDER BY created_at, id"
    ),
    table!(
        "stance_changes",
        [
            id,
            target_id,
            target_name,
            changed_by,
            from_stance,
            to_stance,
            outreach_id,
            at
        ],
        "WHERE coalition_id = ? ORDER BY at, id"
    ),
    table!(
        "resources",
        [
            id, number, url, title, tags, goal_id, target_id, created_by, created_at
        ],
        "WHERE coalition_id = ? ORDER BY number"
    ),
    table!(
        "checkin_questions",
        [version, position, label, is_blocker, created_at],
        "WHERE coalition_id = ? ORDER BY version, position"
    ),
    table!(
        "checkin_rounds",
        [id, opens_at, questions_version, created_at],
        "WHERE coalition_id = ? ORDER BY opens_at"
    ),
    table!(
        "checkins",
        [
            id,
            round_id,
            user_id,
            done,
            next,
            blockers,
            submitted_at,
            updated_at
        ],
        "WHERE coalition_id = ? ORDER BY round_id, id"
    ),
    // Each answer to each question, by the round's question version (`checkin_rounds`) and the
    // question's position in it (`checkin_questions`; version 0 is the default done/next/blockers).
    table!(
        "checkin_answers",
        [checkin_id, position, answer],
        "WHERE checkin_id IN (SELECT id FROM checkins WHERE coalition_id = ?) ORDER BY checkin_id, position"
    ),
    table!(
        "feedback",
        [
            id,
            author_id,
            anonymous,
            text,
            created_at,
            acknowledged_at,
            acknowledged_by
        ],
        "WHERE coalition_id = ? ORDER BY id"
    ),
    table!(
        "meetings",
        [
            id,
            title,
            starts_at,
            ends_at,
            location,
            voice_channel_id,
            series_id,
            every,
            status,
            started_at,
            ended_at,
            created_by,
            created_at
        ],
        "WHERE coalition_id = ? ORDER BY starts_at, id"
    ),
    table!(
        "meeting_items",
        [
            id,
            meeting_id,
            kind,
            text,
            proposed_by,
            carried_from,
            carried_at,
            covered,
            created_at
        ],
        "WHERE coalition_id = ? ORDER BY meeting_id, position, id"
    ),
    table!(
        "meeting_rsvps",
        [user_id, meeting_id, answer, answered_at],
        "WHERE meeting_id IN (SELECT id FROM meetings WHERE coalition_id = ?) ORDER BY meeting_id, answered_at"
    ),
    table!(
        "meeting_attendance",
        [user_id, meeting_id, org_name, at],
        "WHERE meeting_id IN (SELECT id FROM meetings WHERE coalition_id = ?) ORDER BY meeting_id, at"
    ),
    table!(
        "meeting_minutes",
        [id, meeting_id, kind, text, by_user, task_id, created_at],
        "WHERE coalition_id = ? ORDER BY meeting_id, id"
    ),
    table!(
        "events",
        [id, actor_id, kind, subject, detail, created_at],
        "WHERE coalition_id = ? ORDER BY id"
    ),
];

/// Reads every exported table of `coalition`.
#[tracing::instrument(skip_all)]
pub async fn dump(store: &Store, coalition: CoalitionId) -> Result<Vec<TableDump>> {
    let mut out = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let rows: Vec<sql::Row> = sql::query(t.sql).bind(coalition).fetch_all(store.pool()).await?;
        let rows = rows
            .iter()
            .map(|r| cells(r, t.columns.len()))
            .collect::<Result<Vec<_>>>()?;
        out.push(TableDump {
            name: t.name,
            columns: t.columns,
            rows,
        });
    }
    Ok(out)
}

fn cells(row: &sql::Row, n: usize) -> Result<Vec<Cell>> {
    (0..n)
        .map(|i| match row {
            sql::Row::Sqlite(r) => cell(r, i),
            sql::Row::Postgres(r) => cell(r, i),
        })
        .collect()
}

/// Column `i` of `row` by the stored value's own type, so no declared-type check is wanted.
fn cell<R>(row: &R, i: usize) -> Result<Cell>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database>,
{
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let kind = raw.type_info().name().to_string();
    Ok(match kind.as_str() {
        // SQLite's storage classes, then PostgreSQL's types.
        "INTEGER" | "BOOLEAN" | "INT8" => Cell::Int(row.try_get_unchecked(i)?),
        "BOOL" => Cell::Int(i64::from(row.try_get_unchecked::<bool, _>(i)?)),
        "REAL" | "FLOAT8" => Cell::Real(row.try_get_unchecked(i)?),
        "TEXT" | "VARCHAR" => Cell::Text(row.try_get_unchecked(i)?),
        other => {
            return Err(Error::internal(format!(
                "export: unexpected column type {other} in column {i}"
            )));
        }
    })
}
