//! On SQLite each coalition's live tasks are kept in memory (`store::task_memory`), so `/task
//! list` needs no statement while no task changes and reads only the changed tasks after one.
//! These tests hold that the list served is always the one the database gives — after every kind
//! of change, in flight, rolled back, for every filter and page — and that memory is really used.
//! The same steps run on PostgreSQL, which keeps nothing, for the same answers.

mod harness;

use backbone::domain::paging::Page;
use backbone::domain::*;
use backbone::store::sql;
use backbone::store::task_memory::MOST_KEPT;
use backbone::store::tasks::{self as stored, LIVE_PAGE_SQL, ListedTask, TaskFilter};
use harness::*;

/// Lists served from memory so far (`None` on PostgreSQL, which keeps none).
fn hits(w: &World) -> Option<u64> {
    w.store.task_memory().map(|m| m.hits())
}

/// The page as the database gives it, bypassing memory.
async fn truth(w: &World, c: &Coalition, filter: &TaskFilter, page: Page) -> (Vec<String>, i64) {
    let rows: Vec<ListedTask> = sql::query_as(LIVE_PAGE_SQL)
        .bind(c.id)
        .bind(filter.assignee)
        .bind(filter.org)
        .bind(None::<String>)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(w.store.pool())
        .await
        .expect("page");
    let total = stored::count(&w.store, c.id, filter).await.expect("count");
    (rows.iter().map(|r| format!("{r:?}")).collect(), total)
}

/// The page as `/task list` gets it (from memory on SQLite).
async fn listed(w: &World, c: &Coalition, filter: &TaskFilter, page: Page) -> (Vec<String>, i64) {
    let (rows, total) = stored::list(&w.store, c.id, filter, page).await.expect("list");
    (rows.iter().map(|r| format!("{r:?}")).collect(), total)
}

/// Asserts that every filter and page of `c`'s list is the database's.
async fn same_as_database(w: &World, c: &Coalition, org: OrgId, step: &str) {
    let filters = [
        TaskFilter::default(),
        TaskFilter {
            assignee: Some(MEMBER),
            ..TaskFilter::default()
        },
        TaskFilter {
            assignee: Some(LEAD),
            ..TaskFilter::default()
        },
        TaskFilter {
            org: Some(org),
            ..TaskFilter::default()
        },
    ];
    for filter in &filters {
        for number in 1..=3 {
            let page = Page::new(number, 7);
            let (rows, total) = listed(w, c, filter, page).await;
            let (want, want_total) = truth(w, c, filter, page).await;
            assert_eq!(rows, want, "{step}: {filter:?} page {number}");
            // A page past the end carries no count from the database (the caller counts).
            if !want.is_empty() {
                assert_eq!(total, want_total, "{step}: {filter:?} page {number} total");
            }
        }
    }
}

async fn add_org(w: &World, c: &Coalition, name: &str) -> OrgId {
    sql::query_scalar("INSERT INTO orgs (coalition_id, name, created_at) VALUES (?, ?, 0) RETURNING id")
        .bind(c.id)
        .bind(name)
        .fetch_one(w.store.pool())
        .await
        .expect("org")
}

async fn run(w: &World, statement: &str, binds: &[Option<i64>]) {
    let mut q = sql::query(sqlx::AssertSqlSafe(statement.to_string()));
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(w.store.pool()).await.expect(statement);
}

#[tokio::test]
async fn the_list_served_is_the_databases_after_every_kind_of_change() {
    let w = World::new().await;
    let c = w.climate().await;
    let other = w.coalition("River Alliance").await;
    let org = add_org(&w, &c, "Green Org").await;
    let day = 86_400;
    let start = w.now.timestamp();
    for i in 0..30 {
        let who = [MEMBER, LEAD, MEMBER2][i % 3];
        let due = (i % 4 != 0).then_some(start + (i as i64 % 9) * day);
        w.raw_task(
            &c,
            RawTask {
                title: "a task",
                assignee: Some(who),
                due_at: due,
                ..Default::default()
            },
        )
        .await;
    }
    same_as_database(&w, &c, org, "start").await;
    let first_hits = hits(&w);

    let mut steps = Lcg(17);
    for step in 0..120 {
        let task: i64 = sql::query_scalar(
            "SELECT id FROM tasks WHERE coalition_id = ? ORDER BY (id * 7919 + ?) % 101 LIMIT 1",
        )
        .bind(c.id)
        .bind(step as i64)
        .fetch_one(w.store.pool())
        .await
        .expect("a task");
        let t = Some(task);
        let what = steps.next(12);
        match what {
            0 => {
                w.raw_task(
                    &c,
                    RawTask {
                        title: "a new task",
                        assignee: Some([MEMBER, LEAD, OUTSIDER][steps.next(3) as usize]),
                        due_at: (steps.next(2) == 0).then_some(start + steps.next(20) * 3600),
                        ..Default::default()
                    },
                )
                .await;
            }
            1 => {
                let status = ["open", "in_progress", "done", "cancelled"][steps.next(4) as usize];
                sql::query("UPDATE tasks SET status = ?, blocked_reason = NULL WHERE id = ?")
                    .bind(status)
                    .bind(task)
                    .execute(w.store.pool())
                    .await
                    .expect("status");
            }
            2 => {
                sql::query("UPDATE tasks SET status = 'blocked', blocked_reason = ? WHERE id = ?")
                    .bind(format!("waiting {step}"))
                    .bind(task)
                    .execute(w.store.pool())
                    .await
                    .expect("blocked");
            }
            3 => {
                let due = (steps.next(3) != 0).then_some(start - day + steps.next(30) * 7200);
                run(&w, "UPDATE tasks SET due_at = ? WHERE id = ?", &[due, t]).await;
            }
            4 => {
                let who = [MEMBER, LEAD, MEMBER2, OUTSIDER][steps.next(4) as usize];
                run(
                    &w,
                    "UPDATE tasks SET assignee_id = ? WHERE id = ?",
                    &[Some(who.0), t],
                )
                .await;
            }
            5 => {
                let to = (steps.next(2) == 0).then_some(org.0);
                run(&w, "UPDATE tasks SET org_id = ? WHERE id = ?", &[to, t]).await;
            }
            6 => {
                sql::query("UPDATE tasks SET title = ? WHERE id = ?")
                    .bind(format!("renamed at step {step}"))
                    .bind(task)
                    .execute(w.store.pool())
                    .await
                    .expect("title");
            }
            7 => run(&w, "DELETE FROM tasks WHERE id = ?", &[t]).await,
            8 => {
                sql::query("UPDATE members SET display_name = ? WHERE coalition_id = ? AND user_id = ?")
                    .bind(format!("Milo {step}"))
                    .bind(c.id)
                    .bind(MEMBER)
                    .execute(w.store.pool())
                    .await
                    .expect("rename");
            }
            9 => {
                // Someone leaves, or comes back.
                let gone: i64 =
                    sql::query_scalar("SELECT COUNT(*) FROM members WHERE coalition_id = ? AND user_id = ?")
                        .bind(c.id)
                        .bind(MEMBER2)
                        .fetch_one(w.store.pool())
                        .await
                        .unwrap();
                if gone == 1 {
                    run(
                        &w,
                        "DELETE FROM members WHERE coalition_id = ? AND user_id = ?",
                        &[Some(c.id.0), Some(MEMBER2.0)],
                    )
                    .await;
                } else {
                    w.add_member(&c, MEMBER2, Role::Member).await;
                }
            }
            10 => {
                // A change in another coalition changes nothing here.
                w.raw_task(
                    &other,
                    RawTask {
                        title: "elsewhere",
                        assignee: Some(LEAD),
                        ..Default::default()
                    },
                )
                .await;
            }
            _ => {
                // A change rolled back.
                let mut tx = w.store.write().await.expect("begin");
                sql::query("UPDATE tasks SET title = 'never' WHERE id = ?")
                    .bind(task)
                    .execute(&mut tx)
                    .await
                    .expect("title");
                drop(tx);
            }
        }
        same_as_database(&w, &c, org, &format!("step {step} ({what})")).await;
    }
    if let (Some(first), Some(last)) = (first_hits, hits(&w)) {
        assert!(
            last > first + 1000,
            "lists are served from memory: {first} → {last}"
        );
    }
}

#[tokio::test]
async fn a_list_kept_needs_no_statement_and_a_change_in_flight_is_never_served() {
    let w = World::new().await;
    let c = w.climate().await;
    let first = assign(&w, LEAD, &c, "Book the hall", MEMBER, Some("friday")).await;
    let all = TaskFilter::default();
    let page = Page::new(1, 20);
    let title = |rows: &(Vec<String>, i64)| rows.0[0].contains("Book the hall");
    assert!(title(&listed(&w, &c, &all, page).await));
    let before = hits(&w);
    assert!(title(&listed(&w, &c, &all, page).await));
    if let Some(before) = before {
        assert_eq!(hits(&w), Some(before + 1));
    }

    let mut tx = w.store.write().await.expect("begin");
    sql::query("UPDATE tasks SET title = 'Book the bigger hall' WHERE id = ?")
        .bind(first.id)
        .execute(&mut tx)
        .await
        .expect("rename");
    // Not committed: the committed title, every time.
    for _ in 0..3 {
        let rows = listed(&w, &c, &all, page).await;
        assert!(title(&rows) && !rows.0[0].contains("bigger"), "{rows:?}");
    }
    tx.commit().await.expect("commit");
    for _ in 0..2 {
        let rows = listed(&w, &c, &all, page).await;
        assert!(rows.0[0].contains("Book the bigger hall"), "{rows:?}");
    }

    // Through the command: a task done leaves the list at once.
    set(&w, MEMBER, &first, TaskStatus::Done, None)
        .await
        .expect("done");
    assert_eq!(listed(&w, &c, &all, page).await, (vec![], 0));
    let second = assign(&w, LEAD, &c, "Print flyers", MEMBER2, None).await;
    let rows = listed(&w, &c, &all, page).await;
    assert_eq!(rows.1, 1);
    assert!(rows.0[0].contains("Print flyers") && rows.0[0].contains(&format!("{:?}", second.id)));
}

#[tokio::test]
async fn a_coalition_with_too_many_live_tasks_is_listed_by_the_database() {
    let w = World::new().await;
    let c = w.climate().await;
    sql::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO tasks (coalition_id, number, title, assignee_id, status, created_by, created_at, updated_at)
         SELECT ?1, i, 'task ' || i, 3, 'open', 2, 0, 0 FROM n",
    )
    .bind(c.id)
    .bind(MOST_KEPT as i64 + 1)
    .execute(w.store.pool())
    .await
    .expect("many tasks");
    let all = TaskFilter::default();
    let before = hits(&w);
    for number in [1, 3] {
        let page = Page::new(number, 20);
        assert_eq!(listed(&w, &c, &all, page).await, truth(&w, &c, &all, page).await);
    }
    assert_eq!(hits(&w), before, "not kept");
    assert_eq!(
        listed(&w, &c, &all, Page::new(1, 20)).await.1,
        MOST_KEPT as i64 + 1
    );
}
