//! Advocacy targets, the outreach logged with them, their stance history (append-only) and
//! leads' private notes. Every query takes the coalition it belongs to.

use super::sql;
use serde::Serialize;
use sqlx::FromRow;

use crate::domain::paging::Page;
use crate::domain::targets::*;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

macro_rules! target_columns {
    () => {
        "id, coalition_id, name, role, office, jurisdiction, stance, influence, created_by, created_at, updated_at"
    };
}

macro_rules! outreach_columns {
    () => {
        "id, coalition_id, target_id, target_name, user_id, org_id, org_name, kind, ask, outcome, stance_seen, task_id, created_at"
    };
}

/// Fields of a new target.
pub struct NewTarget<'a> {
    pub coalition: CoalitionId,
    pub name: &'a str,
    pub role: Option<&'a str>,
    pub office: Option<&'a str>,
    pub jurisdiction: Option<&'a str>,
    pub stance: Stance,
    pub influence: Option<Influence>,
    pub created_by: UserId,
}

/// Inserts a target; `None` when the coalition already has one by that name (any case).
pub async fn insert(tx: &mut Tx, t: &NewTarget<'_>, now: i64) -> Result<Option<Target>> {
    let sql = concat!(
        "INSERT INTO targets (coalition_id, name, name_key, role, office, jurisdiction, stance, influence, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (coalition_id, name_key) DO NOTHING
         RETURNING ", target_columns!(), ""
    );
    Ok(sql::query_as(sql)
        .bind(t.coalition)
        .bind(t.name)
        .bind(name_key(t.name))
        .bind(t.role)
        .bind(t.office)
        .bind(t.jurisdiction)
        .bind(t.stance)
        .bind(t.influence)
        .bind(t.created_by)
        .bind(now)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await?)
}

/// The target of `coalition` named `name` (any case).
pub async fn by_name(store: &Store, coalition: CoalitionId, name: &str) -> Result<Option<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? AND name_key = ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(name_key(name))
        .fetch_optional(store.pool())
        .await?)
}

/// Targets of `coalition` whose name starts with `prefix` (any case), at most
/// [`super::TITLE_MATCH_LIMIT`].
pub async fn by_prefix(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? AND name_key LIKE ? ESCAPE '\\'
         ORDER BY name_key LIMIT ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(format!("{}%", super::escape_like(&name_key(prefix))))
        .bind(super::TITLE_MATCH_LIMIT)
        .fetch_all(store.pool())
        .await?)
}

/// A target by row id, read inside a write (its stance as it is now).
pub async fn get_in(tx: &mut Tx, coalition: CoalitionId, id: TargetId) -> Result<Option<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? AND id = ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// A target by row id.
pub async fn get(store: &Store, coalition: CoalitionId, id: TargetId) -> Result<Option<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? AND id = ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Every target of `coalition`, by name.
pub async fn all(store: &Store, coalition: CoalitionId) -> Result<Vec<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? ORDER BY name_key"
    );
    Ok(sql::query_as(sql).bind(coalition).fetch_all(store.pool()).await?)
}

/// Every target of `coalition`, inside a write (to recount goals that count them).
pub async fn all_in(tx: &mut Tx, coalition: CoalitionId) -> Result<Vec<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? ORDER BY name_key"
    );
    Ok(sql::query_as(sql).bind(coalition).fetch_all(&mut **tx).await?)
}

/// A listed target with its last outreach and how many there were.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct TargetRow {
    #[sqlx(flatten)]
    pub target: Target,
    pub outreach_count: i64,
    pub last_outreach_at: Option<i64>,
}

#[derive(FromRow)]
struct Counted {
    #[sqlx(flatten)]
    row: TargetRow,
    matching: i64,
}

/// Targets of `coalition`, optionally of one stance and influence, most favourable first then
/// by influence and name: the rows of `page` and how many match (one statement; a page past the
/// end comes back empty with 0).
pub async fn list(
    store: &Store,
    coalition: CoalitionId,
    stance: Option<Stance>,
    influence: Option<Influence>,
    page: Page,
) -> Result<(Vec<TargetRow>, i64)> {
    let rows: Vec<Counted> = sql::query_as(
        "SELECT t.id, t.coalition_id, t.name, t.role, t.office, t.jurisdiction, t.stance, t.influence,
                t.created_by, t.created_at, t.updated_at,
                (SELECT COUNT(*) FROM outreach o WHERE o.coalition_id = t.coalition_id AND o.target_id = t.id) AS outreach_count,
                (SELECT MAX(o.created_at) FROM outreach o WHERE o.coalition_id = t.coalition_id AND o.target_id = t.id) AS last_outreach_at,
                COUNT(*) OVER () AS matching
         FROM targets t
         WHERE t.coalition_id = ?1 AND (?2 IS NULL OR t.stance = ?2) AND (?3 IS NULL OR t.influence = ?3)
         ORDER BY CASE t.stance WHEN 'champion' THEN 0 WHEN 'supportive' THEN 1 WHEN 'neutral' THEN 2
                                WHEN 'opposed' THEN 3 ELSE 4 END,
                  CASE t.influence WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
                  t.name_key
         LIMIT ?4 OFFSET ?5",
    )
    .bind(coalition)
    .bind(stance)
    .bind(influence)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(store.pool())
    .await?;
    let total = rows.first().map_or(0, |r| r.matching);
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// How many targets match the filters of [`list`].
pub async fn count(
    store: &Store,
    coalition: CoalitionId,
    stance: Option<Stance>,
    influence: Option<Influence>,
) -> Result<i64> {
    Ok(sql::query_scalar(
        "SELECT COUNT(*) FROM targets
         WHERE coalition_id = ?1 AND (?2 IS NULL OR stance = ?2) AND (?3 IS NULL OR influence = ?3)",
    )
    .bind(coalition)
    .bind(stance)
    .bind(influence)
    .fetch_one(store.pool())
    .await?)
}

/// Targets for autocomplete: name containing `typed`.
pub async fn suggest(store: &Store, coalition: CoalitionId, typed: &str, limit: i64) -> Result<Vec<Target>> {
    let sql = concat!(
        "SELECT ",
        target_columns!(),
        " FROM targets WHERE coalition_id = ? AND name_key LIKE ? ESCAPE '\\'
         ORDER BY name_key LIMIT ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(format!("%{}%", super::escape_like(&name_key(typed))))
        .bind(limit)
        .fetch_all(store.pool())
        .await?)
}

/// The columns `/target edit` changes: `None` keeps the stored value.
#[derive(Default)]
pub struct TargetChange<'a> {
    pub name: Option<&'a str>,
    pub role: Option<&'a str>,
    pub office: Option<&'a str>,
    pub jurisdiction: Option<&'a str>,
    pub stance: Option<Stance>,
    pub influence: Option<Influence>,
}

/// How an update went.
pub enum Updated {
    Done(Box<Target>),
    /// Another target of the coalition has that name already.
    NameTaken,
    /// The target is gone.
    Missing,
}

/// Writes only the given columns of a target; returns it as stored.
pub async fn update(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TargetId,
    c: &TargetChange<'_>,
    now: i64,
) -> Result<Updated> {
    if let Some(name) = c.name {
        let taken: bool = sql::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM targets WHERE coalition_id = ? AND name_key = ? AND id <> ?)",
        )
        .bind(coalition)
        .bind(name_key(name))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if taken {
            return Ok(Updated::NameTaken);
        }
    }
    let sql = concat!(
        "UPDATE targets SET
            name = COALESCE(?1, name),
            name_key = COALESCE(?2, name_key),
            role = COALESCE(?3, role),
            office = COALESCE(?4, office),
            jurisdiction = COALESCE(?5, jurisdiction),
            stance = COALESCE(?6, stance),
            influence = COALESCE(?7, influence),
            updated_at = ?8
         WHERE coalition_id = ?9 AND id = ?10
         RETURNING ",
        target_columns!(),
        ""
    );
    let row: Option<Target> = sql::query_as(sql)
        .bind(c.name)
        .bind(c.name.map(name_key))
        .bind(c.role)
        .bind(c.office)
        .bind(c.jurisdiction)
        .bind(c.stance)
        .bind(c.influence)
        .bind(now)
        .bind(coalition)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(t) => Updated::Done(Box::new(t)),
        None => Updated::Missing,
    })
}

/// Removes a target and its private notes (its outreach and stance history stay, by name).
/// Returns how many notes went with it, or `None` when it was already gone.
pub async fn delete(tx: &mut Tx, coalition: CoalitionId, id: TargetId) -> Result<Option<i64>> {
    let notes: i64 =
        sql::query_scalar("SELECT COUNT(*) FROM target_notes WHERE coalition_id = ? AND target_id = ?")
            .bind(coalition)
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    let done = sql::query("DELETE FROM targets WHERE coalition_id = ? AND id = ?")
        .bind(coalition)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok((done.rows_affected() == 1).then_some(notes))
}

/// Appends a stance to a target's history.
pub async fn record_stance(
    tx: &mut Tx,
    target: &Target,
    by: UserId,
    from: Option<Stance>,
    to: Stance,
    outreach: Option<OutreachId>,
    now: i64,
) -> Result<()> {
    sql::query(
        "INSERT INTO stance_changes (coalition_id, target_id, target_name, changed_by, from_stance, to_stance, outreach_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(target.coalition_id)
    .bind(target.id)
    .bind(&target.name)
    .bind(by)
    .bind(from)
    .bind(to)
    .bind(outreach)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a target's stance if it is still `from` (compare-and-set); returns whether it changed.
pub async fn set_stance(
    tx: &mut Tx,
    coalition: CoalitionId,
    id: TargetId,
    from: Stance,
    to: Stance,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE targets SET stance = ?, updated_at = ? WHERE coalition_id = ? AND id = ? AND stance = ?",
    )
    .bind(to)
    .bind(now)
    .bind(coalition)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Fields of a new outreach.
pub struct NewOutreach<'a> {
    pub target: &'a Target,
    pub user: UserId,
    pub org: Option<OrgId>,
    pub kind: OutreachKind,
    pub ask: Option<&'a str>,
    pub outcome: &'a str,
    pub stance_seen: Option<Stance>,
}

/// Inserts an outreach with its target's and org's names as they are now.
pub async fn insert_outreach(tx: &mut Tx, o: &NewOutreach<'_>, now: i64) -> Result<Outreach> {
    let sql = concat!(
        "INSERT INTO outreach (coalition_id, target_id, target_name, user_id, org_id, org_name, kind, ask, outcome, stance_seen, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, (SELECT name FROM orgs WHERE coalition_id = ?1 AND id = ?5), ?6, ?7, ?8, ?9, ?10)
         RETURNING ", outreach_columns!(), ""
    );
    Ok(sql::query_as(sql)
        .bind(o.target.coalition_id)
        .bind(o.target.id)
        .bind(&o.target.name)
        .bind(o.user)
        .bind(o.org)
        .bind(o.kind)
        .bind(o.ask)
        .bind(o.outcome)
        .bind(o.stance_seen)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
}

/// Links an outreach to the follow-up task it created.
pub async fn set_outreach_task(
    store: &Store,
    coalition: CoalitionId,
    id: OutreachId,
    task: TaskId,
) -> Result<()> {
    sql::query("UPDATE outreach SET task_id = ? WHERE coalition_id = ? AND id = ?")
        .bind(task)
        .bind(coalition)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// An outreach with the names a timeline shows.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct OutreachRow {
    #[sqlx(flatten)]
    pub outreach: Outreach,
    /// The member's remembered display name (None when no longer a member).
    pub user_name: Option<String>,
    /// The follow-up task's number.
    pub task_number: Option<i64>,
}

/// One entry of a target's timeline: an outreach, or a stance change (with the outreach's
/// org when one showed it).
#[derive(Debug, Clone, Serialize)]
pub enum TimelineEntry {
    Outreach(OutreachRow),
    Stance(StanceChange),
}

impl TimelineEntry {
    /// When it happened.
    pub fn at(&self) -> i64 {
        match self {
            TimelineEntry::Outreach(o) => o.outreach.created_at,
            TimelineEntry::Stance(s) => s.at,
        }
    }
}

/// A target's outreach and stance changes, newest first, at most `limit` of each, with how many
/// outreach there are in all.
pub async fn timeline(
    store: &Store,
    coalition: CoalitionId,
    target: TargetId,
    limit: i64,
) -> Result<(Vec<TimelineEntry>, i64)> {
    let outreach: Vec<OutreachRowCounted> = sql::query_as(
        "SELECT o.id, o.coalition_id, o.target_id, o.target_name, o.user_id, o.org_id,
                COALESCE(g.name, o.org_name) AS org_name, o.kind, o.ask, o.outcome, o.stance_seen,
                o.task_id, o.created_at, m.display_name AS user_name, t.number AS task_number,
                COUNT(*) OVER () AS matching
         FROM outreach o
         LEFT JOIN members m ON m.coalition_id = o.coalition_id AND m.user_id = o.user_id
         LEFT JOIN orgs g ON g.coalition_id = o.coalition_id AND g.id = o.org_id
         LEFT JOIN tasks t ON t.coalition_id = o.coalition_id AND t.id = o.task_id
         WHERE o.coalition_id = ? AND o.target_id = ?
         ORDER BY o.created_at DESC, o.id DESC LIMIT ?",
    )
    .bind(coalition)
    .bind(target)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let total = outreach.first().map_or(0, |r| r.matching);
    let changes: Vec<StanceChange> = sql::query_as(
        "SELECT id, coalition_id, target_id, target_name, changed_by, from_stance, to_stance, outreach_id, at
         FROM stance_changes WHERE coalition_id = ? AND target_id = ?
         ORDER BY at DESC, id DESC LIMIT ?",
    )
    .bind(coalition)
    .bind(target)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut entries: Vec<TimelineEntry> = outreach
        .into_iter()
        .map(|r| TimelineEntry::Outreach(r.row))
        .chain(changes.into_iter().map(TimelineEntry::Stance))
        .collect();
    // Newest first; within one second, the outreach before the stance changes (the one it
    // showed reads right under it), later rows first.
    entries.sort_by_key(|e| match e {
        TimelineEntry::Outreach(o) => (
            std::cmp::Reverse(o.outreach.created_at),
            0,
            std::cmp::Reverse(o.outreach.id.0),
        ),
        TimelineEntry::Stance(s) => (std::cmp::Reverse(s.at), 1, std::cmp::Reverse(s.id)),
    });
    Ok((entries, total))
}

#[derive(FromRow)]
struct OutreachRowCounted {
    #[sqlx(flatten)]
    row: OutreachRow,
    matching: i64,
}

/// The whole stance history of a target, oldest first.
pub async fn history(store: &Store, coalition: CoalitionId, target: TargetId) -> Result<Vec<StanceChange>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, target_id, target_name, changed_by, from_stance, to_stance, outreach_id, at
         FROM stance_changes WHERE coalition_id = ? AND target_id = ? ORDER BY at, id",
    )
    .bind(coalition)
    .bind(target)
    .fetch_all(store.pool())
    .await?)
}

/// Appends a lead's private note to a target.
pub async fn insert_note(tx: &mut Tx, target: &Target, author: UserId, text: &str, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO target_notes (coalition_id, target_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(target.coalition_id)
    .bind(target.id)
    .bind(author)
    .bind(text)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A target's private notes, newest first (for leads only: the caller checks).
pub async fn notes(store: &Store, coalition: CoalitionId, target: TargetId) -> Result<Vec<TargetNote>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, target_id, author_id, text, created_at FROM target_notes
         WHERE coalition_id = ? AND target_id = ? ORDER BY created_at DESC, id DESC LIMIT 10",
    )
    .bind(coalition)
    .bind(target)
    .fetch_all(store.pool())
    .await?)
}

/// A stance change in a period, with whose outreach showed it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Moved {
    pub target_name: String,
    pub from_stance: Option<Stance>,
    pub to_stance: Stance,
    pub at: i64,
    pub kind: Option<OutreachKind>,
    /// The outreach's org (its name then), else the member's remembered name.
    pub org_name: Option<String>,
    pub user_name: Option<String>,
}

/// Stance changes of `coalition` in `[from, to)` (not the stances targets were added with),
/// oldest first, at most `limit`.
pub async fn moved_between(
    store: &Store,
    coalition: CoalitionId,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<Moved>> {
    Ok(sql::query_as(
        "SELECT s.target_name, s.from_stance, s.to_stance, s.at, o.kind,
                COALESCE(g.name, o.org_name) AS org_name, m.display_name AS user_name
         FROM stance_changes s
         LEFT JOIN outreach o ON o.coalition_id = s.coalition_id AND o.id = s.outreach_id
         LEFT JOIN orgs g ON g.coalition_id = o.coalition_id AND g.id = o.org_id
         LEFT JOIN members m ON m.coalition_id = o.coalition_id AND m.user_id = o.user_id
         WHERE s.coalition_id = ? AND s.from_stance IS NOT NULL AND s.at >= ? AND s.at < ?
         ORDER BY s.at, s.id LIMIT ?",
    )
    .bind(coalition)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Every stance change of `coalition` up to `until` (for the report's distributions), oldest first.
pub async fn stances_until(store: &Store, coalition: CoalitionId, until: i64) -> Result<Vec<StanceChange>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, target_id, target_name, changed_by, from_stance, to_stance, outreach_id, at
         FROM stance_changes WHERE coalition_id = ? AND at < ? ORDER BY at, id",
    )
    .bind(coalition)
    .bind(until)
    .fetch_all(store.pool())
    .await?)
}

/// Outreach of `coalition` in `[from, to)`, oldest first.
pub async fn outreach_between(
    store: &Store,
    coalition: CoalitionId,
    from: i64,
    to: i64,
) -> Result<Vec<Outreach>> {
    let sql = concat!(
        "SELECT ",
        outreach_columns!(),
        " FROM outreach WHERE coalition_id = ? AND created_at >= ? AND created_at < ?
         ORDER BY created_at, id"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(from)
        .bind(to)
        .fetch_all(store.pool())
        .await?)
}

/// The coalition a target belongs to (for buttons and forms, which carry only its id; the
/// caller checks that coalition is in the clicking user's guild).
pub async fn coalition_of(store: &Store, id: TargetId) -> Result<Option<CoalitionId>> {
    Ok(sql::query_scalar("SELECT coalition_id FROM targets WHERE id = ?")
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Active goals of `coalition` whose metric may count targets (`targets …`).
pub async fn target_goals(tx: &mut Tx, coalition: CoalitionId) -> Result<Vec<Goal>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, number, title, metric, unit, target, current, due_at, status,
                created_by, created_at, closed_at
         FROM goals WHERE coalition_id = ? AND status = 'active' AND lower(trim(metric)) LIKE 'targets%'",
    )
    .bind(coalition)
    .fetch_all(&mut **tx)
    .await?)
}

/// Sets an active goal's current value to a count of targets and records it in the goal's
/// history; returns whether it changed.
pub async fn set_goal_count(
    tx: &mut Tx,
    coalition: CoalitionId,
    goal: GoalId,
    value: f64,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE goals SET current = ? WHERE coalition_id = ? AND id = ? AND status = 'active' AND current <> ?",
    )
    .bind(value)
    .bind(coalition)
    .bind(goal)
    .bind(value)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    super::goals::record_value(tx, coalition, goal, value, now, GoalValueCause::Targets).await?;
    Ok(true)
}

/// How many stance changes (not first stances) `coalition` had in `[from, to)`.
pub async fn moved_count(store: &Store, coalition: CoalitionId, from: i64, to: i64) -> Result<i64> {
    Ok(sql::query_scalar(
        "SELECT COUNT(*) FROM stance_changes WHERE coalition_id = ? AND from_stance IS NOT NULL AND at >= ? AND at < ?",
    )
    .bind(coalition)
    .bind(from)
    .bind(to)
    .fetch_one(store.pool())
    .await?)
}
