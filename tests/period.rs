//! The period engine (`store::period`) against the rules computed in Rust over every row: wins,
//! completed, cancelled and overdue tasks, in total and per partner organization, for windows
//! and instants before, inside and after the data. A deterministic mix of tasks covers every
//! status, with and without their own organization, due dates and assignees.

mod harness;

use std::collections::HashMap;

use backbone::domain::*;
use backbone::store::period::{self, ByOrg, Window};
use harness::*;

/// A task row as the rules see it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    org_id: Option<i64>,
    assignee_id: Option<i64>,
    due_at: Option<i64>,
    status: String,
    created_at: i64,
    completed_at: Option<i64>,
    cancelled_at: Option<i64>,
}

const DAY: i64 = 86_400;
const T0: i64 = 1_780_000_000;

async fn exec(w: &World, sql: &'static str, binds: &[Option<i64>]) {
    let mut q = backbone::store::sql::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(w.store.pool()).await.expect(sql);
}

/// Three orgs; 12 members, a third in each org and a quarter in none (by user id); 400 tasks
/// and 150 wins spread over 60 days from `T0`.
async fn seed(w: &World, c: &Coalition) -> Vec<i64> {
    let mut orgs = Vec::new();
    for name in ["Eastside Pantry", "River Keepers", "Tenants United"] {
        let id: i64 = backbone::store::sql::query_scalar(
            "INSERT INTO orgs (coalition_id, name, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(c.id)
        .bind(name)
        .bind(T0)
        .fetch_one(w.store.pool())
        .await
        .expect("org");
        orgs.push(id);
    }
    for u in 0..12i64 {
        let org = if u % 4 == 3 {
            None
        } else {
            Some(orgs[(u % 3) as usize])
        };
        exec(
            w,
            "INSERT INTO members (coalition_id, user_id, role, display_name, joined_at, org_id)
             VALUES (?, ?, 'member', 'someone', ?, ?)",
            &[Some(c.id.0), Some(500 + u), Some(T0 + (u % 6) * 10 * DAY), org],
        )
        .await;
    }
    let mut g = Lcg(7);
    for i in 0..400i64 {
        let created = T0 + g.next(50) * DAY;
        let due = (g.next(5) > 0).then(|| created + (g.next(30) - 5) * DAY);
        let assignee = (g.next(6) > 0).then(|| 500 + g.next(14)); // 12, 13: not members
        let org = (g.next(3) == 0).then(|| orgs[g.next(3) as usize]);
        let (status, completed, cancelled) = match g.next(6) {
            0 | 1 => ("done", Some(created + g.next(40) * DAY + 1), None),
            2 => ("cancelled", None, Some(created + g.next(40) * DAY + 2)),
            3 => ("blocked", None, None),
            4 => ("in_progress", None, None),
            _ => ("open", None, None),
        };
        backbone::store::sql::query(
            "INSERT INTO tasks (coalition_id, number, title, assignee_id, org_id, due_at, status,
                                created_by, created_at, updated_at, completed_at, cancelled_at,
                                blocked_reason, cancel_reason)
             VALUES (?, ?, 'task', ?, ?, ?, ?, 1, ?, ?, ?, ?, 'waiting', 'not needed')",
        )
        .bind(c.id)
        .bind(1000 + i)
        .bind(assignee)
        .bind(org)
        .bind(due)
        .bind(status)
        .bind(created)
        .bind(created)
        .bind(completed)
        .bind(cancelled)
        .execute(w.store.pool())
        .await
        .expect("task");
    }
    for _ in 0..150 {
        let org = (g.next(4) > 0).then(|| orgs[g.next(3) as usize]);
        exec(
            w,
            "INSERT INTO wins (coalition_id, user_id, text, created_at, org_id) VALUES (?, ?, 'a win', ?, ?)",
            &[
                Some(c.id.0),
                Some(500 + g.next(12)),
                Some(T0 + g.next(60 * 24) * 3600),
                org,
            ],
        )
        .await;
    }
    orgs
}

fn unfinished_overdue_at(t: &Row, at: i64) -> bool {
    let unfinished = match t.status.as_str() {
        "done" => t.completed_at.is_some_and(|c| c > at),
        "cancelled" => t.cancelled_at.is_some_and(|c| c > at),
        _ => true,
    };
    unfinished && t.created_at <= at && t.due_at.is_some_and(|d| d < at)
}

fn completed_in(t: &Row, w: Window) -> bool {
    t.status == "done" && t.completed_at.is_some_and(|c| c > w.after && c <= w.end)
}

/// The org a task counts for: its own, else its assignee's as a member now.
fn org_of(t: &Row, members: &HashMap<i64, Option<i64>>) -> Option<OrgId> {
    t.org_id
        .or_else(|| t.assignee_id.and_then(|a| members.get(&a).copied().flatten()))
        .map(OrgId)
}

fn tally(keys: impl Iterator<Item = Option<OrgId>>) -> ByOrg {
    let mut m = ByOrg::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    m
}

#[tokio::test]
async fn the_period_engine_counts_what_the_rules_say_in_total_and_per_org() {
    let w = World::new().await;
    let c = w.coalition("Counted Coalition").await;
    let other = w.coalition("Other Coalition").await;
    seed(&w, &c).await;
    seed(&w, &other).await; // another coalition's rows never count

    let tasks: Vec<Row> = backbone::store::sql::query_as(
        "SELECT org_id, assignee_id, due_at, status, created_at, completed_at, cancelled_at
         FROM tasks WHERE coalition_id = ?",
    )
    .bind(c.id)
    .fetch_all(w.store.pool())
    .await
    .unwrap();
    let wins: Vec<(Option<i64>, i64)> =
        backbone::store::sql::query_as("SELECT org_id, created_at FROM wins WHERE coalition_id = ?")
            .bind(c.id)
            .fetch_all(w.store.pool())
            .await
            .unwrap();
    let members: Vec<(i64, Option<i64>, i64)> = backbone::store::sql::query_as(
        "SELECT user_id, org_id, joined_at FROM members WHERE coalition_id = ?",
    )
    .bind(c.id)
    .fetch_all(w.store.pool())
    .await
    .unwrap();
    let member_org: HashMap<i64, Option<i64>> = members.iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(tasks.len(), 400);

    let mut checked_nonzero = [0; 4];
    for (after, end) in [
        (T0 - 10 * DAY, T0 - DAY),
        (T0 - 1, T0 + 7 * DAY),
        (T0 + 10 * DAY, T0 + 24 * DAY),
        (T0 + 20 * DAY - 1, T0 + 51 * DAY),
        (T0, T0 + 120 * DAY),
    ] {
        let win = Window::new(after, end);
        let want_wins = tally(
            wins.iter()
                .filter(|x| x.1 > after && x.1 <= end)
                .map(|x| x.0.map(OrgId)),
        );
        let want_done = tally(
            tasks
                .iter()
                .filter(|t| completed_in(t, win))
                .map(|t| org_of(t, &member_org)),
        );
        let want_overdue = tally(
            tasks
                .iter()
                .filter(|t| unfinished_overdue_at(t, end))
                .map(|t| org_of(t, &member_org)),
        );
        let want_members = tally(members.iter().filter(|m| m.2 <= end).map(|m| m.1.map(OrgId)));

        assert_eq!(
            period::wins_by_org(&w.store, c.id, win).await.unwrap(),
            want_wins,
            "wins {win:?}"
        );
        assert_eq!(
            period::completed_by_org(&w.store, c.id, win).await.unwrap(),
            want_done,
            "done {win:?}"
        );
        assert_eq!(
            period::overdue_by_org(&w.store, c.id, end).await.unwrap(),
            want_overdue,
            "overdue at {end}"
        );
        assert_eq!(
            period::members_by_org(&w.store, c.id, end).await.unwrap(),
            want_members,
            "members at {end}"
        );

        let sum = |m: &ByOrg| m.values().sum::<i64>();
        assert_eq!(period::wins(&w.store, c.id, win).await.unwrap(), sum(&want_wins));
        assert_eq!(
            period::completed(&w.store, c.id, win).await.unwrap(),
            sum(&want_done)
        );
        assert_eq!(
            period::overdue(&w.store, c.id, end).await.unwrap(),
            sum(&want_overdue)
        );
        let cancelled = tasks
            .iter()
            .filter(|t| t.status == "cancelled" && t.cancelled_at.is_some_and(|x| x > after && x <= end))
            .count() as i64;
        assert_eq!(period::cancelled(&w.store, c.id, win).await.unwrap(), cancelled);

        for (i, n) in [sum(&want_wins), sum(&want_done), sum(&want_overdue), cancelled]
            .into_iter()
            .enumerate()
        {
            checked_nonzero[i] += (n > 0) as usize;
        }
    }
    // The windows above exercise real counts, not only empty ones.
    assert!(checked_nonzero.iter().all(|n| *n >= 2), "{checked_nonzero:?}");

    // An overdue count at a past instant sees tasks finished only after it (the report of a
    // past period), and the same count now does not.
    let past = T0 + 20 * DAY;
    let finished_later = tasks
        .iter()
        .filter(|t| unfinished_overdue_at(t, past) && matches!(t.status.as_str(), "done" | "cancelled"))
        .count();
    assert!(finished_later > 0, "the mix has tasks finished after {past}");
}

#[tokio::test]
async fn wins_per_period_bins_each_win_into_the_period_that_ends_at_or_after_it() {
    let w = World::new().await;
    let c = w.coalition("Binned Coalition").await;
    for at in [T0, T0 + 1, T0 + DAY, T0 + DAY + 1, T0 + 3 * DAY] {
        exec(
            &w,
            "INSERT INTO wins (coalition_id, user_id, text, created_at) VALUES (?, 1, 'w', ?)",
            &[Some(c.id.0), Some(at)],
        )
        .await;
    }
    // Periods (T0, T0+1d], (T0+1d, T0+2d], (T0+2d, T0+3d]: the win at T0 itself is before them.
    let bounds = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY];
    assert_eq!(
        period::wins_per_period(&w.store, c.id, &bounds).await.unwrap(),
        vec![2, 1, 1]
    );
    assert!(
        period::wins_per_period(&w.store, c.id, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        period::wins(&w.store, c.id, Window::new(T0, T0 + 3 * DAY))
            .await
            .unwrap(),
        4
    );
}
