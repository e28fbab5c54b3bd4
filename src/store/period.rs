//! The period engine: what a coalition did in a window `(after, end]` and what stood unfinished at
//! an instant — totals for the digest, the same counts per partner organization for the impact
//! report. Both read their numbers here, so each rule has one spelling (see `store/rules.rs`), and
//! each count is one index range: the big coalition of `cargo bench --bench scheduler` (50,000
//! tasks, 20,000 wins) answers each in a few milliseconds.

use super::sql;
use std::collections::HashMap;

use crate::domain::*;
use crate::error::Result;

use super::Store;

/// Counts keyed by partner organization (`None`: no organization).
pub type ByOrg = HashMap<Option<OrgId>, i64>;

/// What happened in `(after, end]`: `after` is the last instant before the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: i64,
    pub end: i64,
}

impl Window {
    pub fn new(after: i64, end: i64) -> Window {
        Window { after, end }
    }
}

/// A task's organization: its own, else its assignee's (as they are now). The inner query
/// groups by (org, assignee) first, so members are looked up once per assignee, not per task.
macro_rules! tasks_by_org {
    ($tasks:expr) => {
        groups_by_org!(concat!(
            "SELECT org_id, assignee_id, COUNT(*) AS n FROM (",
            $tasks,
            ") AS t GROUP BY org_id, assignee_id"
        ))
    };
}

/// The same sum over `$groups`, rows `(org_id, assignee_id, n)` already counted (possibly the
/// same pair in more than one row).
macro_rules! groups_by_org {
    ($groups:expr) => {
        concat!(
            "SELECT COALESCE(g.org_id, m.org_id), CAST(SUM(g.n) AS BIGINT) FROM (",
            $groups,
            ") g
             LEFT JOIN members m ON m.coalition_id = ?1 AND m.user_id = g.assignee_id
             GROUP BY 1"
        )
    };
}

/// Tasks completed in the window (binds ?1 coalition, ?2 after, ?3 end).
macro_rules! completed_in {
    ($cols:literal) => {
        concat!(
            "SELECT ",
            $cols,
            " FROM tasks t WHERE t.coalition_id = ?1 AND t.status = 'done'
               AND t.completed_at > ?2 AND t.completed_at <= ?3"
        )
    };
}

/// Answers to the round `$round` by people who are members now (a round belongs to one
/// coalition, and members are joined within it).
macro_rules! answers_by_members {
    ($round:literal) => {
        concat!(
            "(SELECT COUNT(*) FROM checkins k
              JOIN members m ON m.coalition_id = k.coalition_id AND m.user_id = k.user_id
              WHERE k.round_id = ",
            $round,
            ")"
        )
    };
}

async fn count(store: &Store, sql: &'static str, binds: &[i64]) -> Result<i64> {
    let mut q = sql::query_scalar(sql);
    for b in binds {
        q = q.bind(*b);
    }
    Ok(q.fetch_one(store.pool()).await?)
}

async fn by_org(store: &Store, sql: &'static str, binds: &[i64]) -> Result<ByOrg> {
    let mut q = sql::query_as::<(Option<OrgId>, i64)>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    Ok(q.fetch_all(store.pool()).await?.into_iter().collect())
}

/// Wins logged in the window.
#[tracing::instrument(skip_all)]
pub async fn wins(store: &Store, coalition: CoalitionId, w: Window) -> Result<i64> {
    count(
        store,
        "SELECT COUNT(*) FROM wins WHERE coalition_id = ?1 AND created_at > ?2 AND created_at <= ?3",
        &[coalition.0, w.after, w.end],
    )
    .await
}

/// Wins in the window per organization they were logged for (never the author's current one).
#[tracing::instrument(skip_all)]
pub async fn wins_by_org(store: &Store, coalition: CoalitionId, w: Window) -> Result<ByOrg> {
    by_org(
        store,
        "SELECT org_id, COUNT(*) FROM wins
         WHERE coalition_id = ?1 AND created_at > ?2 AND created_at <= ?3
         GROUP BY org_id",
        &[coalition.0, w.after, w.end],
    )
    .await
}

/// Wins in each period between consecutive `bounds` (ascending UTC seconds): period `i` is
/// `(bounds[i], bounds[i + 1]]`. One range read over the coalition's wins by time.
#[tracing::instrument(skip_all)]
pub async fn wins_per_period(store: &Store, coalition: CoalitionId, bounds: &[i64]) -> Result<Vec<i64>> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
        return Ok(Vec::new());
    };
    let times: Vec<i64> = sql::query_scalar(
        "SELECT created_at FROM wins WHERE coalition_id = ? AND created_at > ? AND created_at <= ?",
    )
    .bind(coalition)
    .bind(first)
    .bind(last)
    .fetch_all(store.pool())
    .await?;
    let mut counts = vec![0; bounds.len().saturating_sub(1)];
    for t in times {
        // The period whose end is the first bound at or after the win.
        let i = bounds.partition_point(|b| *b < t);
        if let Some(n) = i.checked_sub(1).and_then(|i| counts.get_mut(i)) {
            *n += 1;
        }
    }
    Ok(counts)
}

/// Tasks completed in the window.
#[tracing::instrument(skip_all)]
pub async fn completed(store: &Store, coalition: CoalitionId, w: Window) -> Result<i64> {
    count(
        store,
        concat!("SELECT COUNT(*) FROM (", completed_in!("1"), ") AS t"),
        &[coalition.0, w.after, w.end],
    )
    .await
}

/// Tasks completed in the window per organization (the task's, else its assignee's).
#[tracing::instrument(skip_all)]
pub async fn completed_by_org(store: &Store, coalition: CoalitionId, w: Window) -> Result<ByOrg> {
    by_org(
        store,
        tasks_by_org!(completed_in!("t.org_id, t.assignee_id")),
        &[coalition.0, w.after, w.end],
    )
    .await
}

/// Tasks cancelled in the window.
#[tracing::instrument(skip_all)]
pub async fn cancelled(store: &Store, coalition: CoalitionId, w: Window) -> Result<i64> {
    count(
        store,
        "SELECT COUNT(*) FROM tasks
         WHERE coalition_id = ?1 AND status = 'cancelled' AND cancelled_at > ?2 AND cancelled_at <= ?3",
        &[coalition.0, w.after, w.end],
    )
    .await
}

/// Tasks unfinished and past their due date at `at` (now, or the end of a past period).
#[tracing::instrument(skip_all)]
pub async fn overdue(store: &Store, coalition: CoalitionId, at: i64) -> Result<i64> {
    count(
        store,
        concat!("SELECT COUNT(*) FROM (", overdue_at!("1"), ") AS t"),
        &[coalition.0, at],
    )
    .await
}

/// Tasks unfinished and past their due date at `at`, per organization.
#[tracing::instrument(skip_all)]
pub async fn overdue_by_org(store: &Store, coalition: CoalitionId, at: i64) -> Result<ByOrg> {
    by_org(
        store,
        groups_by_org!(overdue_at!(
            "t.org_id, t.assignee_id, COUNT(*) AS n",
            "GROUP BY t.org_id, t.assignee_id"
        )),
        &[coalition.0, at],
    )
    .await
}

/// Members who had joined by `at` (and are still members), per organization.
#[tracing::instrument(skip_all)]
pub async fn members_by_org(store: &Store, coalition: CoalitionId, at: i64) -> Result<ByOrg> {
    by_org(
        store,
        "SELECT org_id, COUNT(*) FROM members WHERE coalition_id = ?1 AND joined_at <= ?2 GROUP BY org_id",
        &[coalition.0, at],
    )
    .await
}

/// A check-in round in the period: (opens_at, answers by current members, current members who
/// had joined when it opened).
pub type RoundRow = (i64, i64, i64);

/// Check-in rounds that opened in `(start, end]`, oldest first.
#[tracing::instrument(skip_all)]
pub async fn rounds(store: &Store, coalition: CoalitionId, start: i64, end: i64) -> Result<Vec<RoundRow>> {
    Ok(sql::query_as(concat!(
        "SELECT r.opens_at,
                ", answers_by_members!("r.id"), ",
                (SELECT COUNT(*) FROM members m WHERE m.coalition_id = r.coalition_id AND m.joined_at <= r.opens_at)
         FROM checkin_rounds r
         WHERE r.coalition_id = ? AND r.opens_at > ? AND r.opens_at <= ?
         ORDER BY r.opens_at"
    ))
    .bind(coalition)
    .bind(start)
    .bind(end)
    .fetch_all(store.pool())
    .await?)
}
