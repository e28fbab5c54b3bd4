//! The shared library: links with a title and tags, numbered per coalition.

use super::sql;
use serde::Serialize;
use sqlx::FromRow;

use crate::domain::paging::Page;
use crate::domain::targets::Resource;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

macro_rules! columns {
    () => {
        "r.id, r.coalition_id, r.number, r.url, r.title, r.tags, r.goal_id, r.target_id, r.created_by, r.created_at"
    };
}

/// Fields of a new resource.
pub struct NewResource<'a> {
    pub coalition: CoalitionId,
    pub url: &'a str,
    pub title: &'a str,
    /// Stored form `,a,b,` (see [`crate::domain::targets::parse_tags`]).
    pub tags: &'a str,
    pub goal: Option<GoalId>,
    pub target: Option<TargetId>,
    pub created_by: UserId,
}

/// Inserts a resource with the coalition's next number.
pub async fn insert(tx: &mut Tx, r: &NewResource<'_>, now: i64) -> Result<Resource> {
    Ok(sql::query_as(
        "INSERT INTO resources (coalition_id, number, url, title, tags, goal_id, target_id, created_by, created_at)
         VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM resources WHERE coalition_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         RETURNING id, coalition_id, number, url, title, tags, goal_id, target_id, created_by, created_at",
    )
    .bind(r.coalition)
    .bind(r.url)
    .bind(r.title)
    .bind(r.tags)
    .bind(r.goal)
    .bind(r.target)
    .bind(r.created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// A resource with the names a list shows next to it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ResourceRow {
    #[sqlx(flatten)]
    pub resource: Resource,
    pub author_name: Option<String>,
    pub goal_number: Option<i64>,
    pub target_name: Option<String>,
}

#[derive(FromRow)]
struct Counted {
    #[sqlx(flatten)]
    row: ResourceRow,
    matching: i64,
}

/// The filters of `/resource list`.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// One normalised tag.
    pub tag: Option<String>,
    /// Words found in the title, URL or tags.
    pub search: Option<String>,
}

macro_rules! select {
    ($($rest:expr),* $(,)?) => {
        concat!(
            "SELECT ", columns!(), ", m.display_name AS author_name, g.number AS goal_number, t.name AS target_name ",
            $($rest),*
        )
    };
}

macro_rules! from {
    () => {
        "FROM resources r
         LEFT JOIN members m ON m.coalition_id = r.coalition_id AND m.user_id = r.created_by
         LEFT JOIN goals g ON g.coalition_id = r.coalition_id AND g.id = r.goal_id
         LEFT JOIN targets t ON t.coalition_id = r.coalition_id AND t.id = r.target_id
         WHERE r.coalition_id = ?1
           AND (?2 IS NULL OR r.tags LIKE ?2 ESCAPE '\\')
           AND (?3 IS NULL OR r.title LIKE ?3 ESCAPE '\\' OR r.url LIKE ?3 ESCAPE '\\' OR r.tags LIKE ?3 ESCAPE '\\')"
    };
}

fn patterns(f: &ResourceFilter) -> (Option<String>, Option<String>) {
    (
        f.tag.as_ref().map(|t| format!("%,{},%", super::escape_like(t))),
        f.search.as_ref().map(|s| format!("%{}%", super::escape_like(s))),
    )
}

/// Resources matching `filter`, newest first: the rows of `page` and how many match.
pub async fn list(
    store: &Store,
    coalition: CoalitionId,
    filter: &ResourceFilter,
    page: Page,
) -> Result<(Vec<ResourceRow>, i64)> {
    let (tag, search) = patterns(filter);
    let sql = select!(concat!(
        ", COUNT(*) OVER () AS matching ",
        from!(),
        " ORDER BY r.created_at DESC, r.id DESC LIMIT ?4 OFFSET ?5"
    ));
    let rows: Vec<Counted> = sql::query_as(sql)
        .bind(coalition)
        .bind(tag)
        .bind(search)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(store.pool())
        .await?;
    let total = rows.first().map_or(0, |r| r.matching);
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// How many resources match `filter`.
pub async fn count(store: &Store, coalition: CoalitionId, filter: &ResourceFilter) -> Result<i64> {
    let (tag, search) = patterns(filter);
    let sql = concat!("SELECT COUNT(*) ", from!(), "");
    Ok(sql::query_scalar(sql)
        .bind(coalition)
        .bind(tag)
        .bind(search)
        .fetch_one(store.pool())
        .await?)
}

/// Resources added in `[from, to)`, oldest first, at most `limit`.
pub async fn added_between(
    store: &Store,
    coalition: CoalitionId,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<ResourceRow>> {
    let sql = select!(
        "FROM resources r
         LEFT JOIN members m ON m.coalition_id = r.coalition_id AND m.user_id = r.created_by
         LEFT JOIN goals g ON g.coalition_id = r.coalition_id AND g.id = r.goal_id
         LEFT JOIN targets t ON t.coalition_id = r.coalition_id AND t.id = r.target_id
         WHERE r.coalition_id = ? AND r.created_at >= ? AND r.created_at < ?
         ORDER BY r.created_at, r.id LIMIT ?",
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(store.pool())
        .await?)
}

/// A resource by its number.
pub async fn by_number(store: &Store, coalition: CoalitionId, number: i64) -> Result<Option<Resource>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM resources r WHERE r.coalition_id = ? AND r.number = ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(number)
        .fetch_optional(store.pool())
        .await?)
}

/// Resources whose title starts with `prefix` (any case), at most [`super::TITLE_MATCH_LIMIT`].
pub async fn by_title(store: &Store, coalition: CoalitionId, prefix: &str) -> Result<Vec<Resource>> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM resources r WHERE r.coalition_id = ? AND r.title LIKE ? ESCAPE '\\'
         ORDER BY r.number LIMIT ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(format!("{}%", super::escape_like(prefix)))
        .bind(super::TITLE_MATCH_LIMIT)
        .fetch_all(store.pool())
        .await?)
}

/// Resources for autocomplete: title containing `typed`, or number starting with it.
pub async fn suggest(
    store: &Store,
    coalition: CoalitionId,
    typed: &str,
    limit: i64,
) -> Result<Vec<Resource>> {
    let typed = typed.trim().trim_start_matches('#');
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM resources r WHERE r.coalition_id = ?
           AND (r.title LIKE ? ESCAPE '\\' OR CAST(r.number AS TEXT) LIKE ? ESCAPE '\\')
         ORDER BY r.number DESC LIMIT ?"
    );
    Ok(sql::query_as(sql)
        .bind(coalition)
        .bind(format!("%{}%", super::escape_like(typed)))
        .bind(format!("{}%", super::escape_like(typed)))
        .bind(limit)
        .fetch_all(store.pool())
        .await?)
}

/// Removes a resource; returns whether it was there.
pub async fn delete(tx: &mut Tx, coalition: CoalitionId, id: ResourceId) -> Result<bool> {
    let done = sql::query("DELETE FROM resources WHERE coalition_id = ? AND id = ?")
        .bind(coalition)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many resources `coalition` added in `[from, to)`.
pub async fn added_count(store: &Store, coalition: CoalitionId, from: i64, to: i64) -> Result<i64> {
    Ok(sql::query_scalar(
        "SELECT COUNT(*) FROM resources WHERE coalition_id = ? AND created_at >= ? AND created_at < ?",
    )
    .bind(coalition)
    .bind(from)
    .bind(to)
    .fetch_one(store.pool())
    .await?)
}
