mod harness;
use harness::*;

use backbone::domain::*;

use backbone::actions::tasks::{self, ListTasks, MyTasks, TaskSel};
use chrono::Duration;

async fn tasks_in(w: &World, c: &Coalition) -> i64 {
    backbone::store::sql::query_scalar("SELECT COUNT(*) FROM tasks WHERE coalition_id = ?")
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn member_assigns_task_and_assignee_gets_a_dm() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let out = tasks::assign(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input(&c, "Draft the press release", MEMBER2, Some("2026-11-28 10:00")),
    )
    .await
    .unwrap();
    assert_eq!(out.task.number, 1);
    assert_eq!(out.task.title, "Draft the press release");
    assert_eq!(out.coalition_name, "Climate Coalition");
    assert_eq!(out.timezone, "Europe/Berlin");
    assert_eq!(out.assignee_name, "user4");
    assert!(out.notified);
    assert_eq!(out.task.status, TaskStatus::Open);
    assert_eq!(out.task.assignee_id, Some(MEMBER2));
    assert_eq!(out.task.created_by, MEMBER);
    assert_eq!(out.task.due_at, Some(utc("2026-11-28 09:00")));
    assert_eq!(tasks_in(&w, &c).await, 1);
    let dms = deliveries(&w, "task_assigned").await;
    assert_eq!(
        dms,
        vec![(
            format!("task_assigned:{}", out.task.id.0),
            MEMBER2.0,
            "user".into()
        )]
    );
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn assigning_yourself_sends_no_dm() {
    let w = World::new().await;
    let c = w.climate().await;
    let out = tasks::assign(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input(&c, "Book the room", MEMBER, None),
    )
    .await
    .unwrap();
    assert!(!out.notified);
    assert_eq!(out.task.next_ping_at, None);
    assert!(deliveries(&w, "task_assigned").await.is_empty());
}

#[tokio::test]
async fn task_numbers_are_per_coalition() {
    let w = World::new().await;
    let climate = w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    w.add_member(&housing, MEMBER, Role::Member).await;
    let a = assign(&w, MEMBER, &climate, "Climate task", MEMBER, None).await;
    let b = assign(&w, MEMBER, &housing, "Housing task", MEMBER, None).await;
    let a2 = assign(&w, MEMBER, &climate, "Second climate task", MEMBER, None).await;
    assert_eq!((a.number, b.number, a2.number), (1, 1, 2));
    assert_eq!(b.coalition_id, housing.id);
}

#[tokio::test]
async fn everyone_in_a_title_is_stored_as_typed() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "@everyone bring snacks", MEMBER2, None).await;
    assert_eq!(row(&w, &t).await.title, "@everyone bring snacks");
}

#[tokio::test]
async fn long_title_is_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let r = tasks::assign(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input(&c, &"x".repeat(300), MEMBER2, None),
    )
    .await;
    user_err(r, "300 characters");
    assert_eq!(tasks_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn past_due_date_is_refused_showing_how_it_was_read() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let r = tasks::assign(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input(&c, "Too late", MEMBER2, Some("2026-11-20")),
    )
    .await;
    let msg = user_err(r, "in the past");
    assert!(msg.contains("Fri 20 Nov 2026"), "{msg}");
    assert_eq!(tasks_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn assignee_must_be_a_member() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let r = tasks::assign(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        input(&c, "Call the mayor", OUTSIDER, None),
    )
    .await;
    let msg = user_err(r, "/member add");
    assert!(msg.contains("/coalition join"), "{msg}");
    assert_eq!(tasks_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn outsider_cannot_assign() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let r = tasks::assign(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        input(&c, "Sneaky", MEMBER, None),
    )
    .await;
    user_err(r, "not a member");
    assert_eq!(tasks_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn list_shows_overdue_first_then_by_due_date() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let a = assign(&w, MEMBER, &c, "In five days", MEMBER, Some("2026-11-28 10:00")).await;
    let b = assign(&w, MEMBER, &c, "Undated", MEMBER2, None).await;
    let soon = assign(&w, MEMBER, &c, "Tomorrow", MEMBER, Some("2026-11-24 12:00")).await;
    let d = assign(&w, MEMBER, &c, "In two days", MEMBER2, Some("2026-11-25 12:00")).await;
    let finished = assign(&w, MEMBER, &c, "Finished", MEMBER, Some("2026-11-24 11:00")).await;
    set(&w, MEMBER, &finished, TaskStatus::Done, None).await.unwrap();
    w.advance(Duration::hours(36));

    let out = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, ListTasks::default())
        .await
        .unwrap();
    let numbers: Vec<i64> = out.tasks.iter().map(|r| r.number).collect();
    assert_eq!(numbers, vec![soon.number, d.number, a.number, b.number]);
    assert_eq!(out.total, 4);
    assert!(out.tasks[0].is_overdue(out.now));
    assert_eq!(out.tasks[0].assignee_name.as_deref(), Some("user3"));

    let done = ListTasks {
        status: Some(TaskStatus::Done),
        ..Default::default()
    };
    let out = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, done)
        .await
        .unwrap();
    assert_eq!((out.total, out.tasks[0].number), (1, finished.number));

    let theirs = ListTasks {
        assignee: Some(MEMBER2),
        ..Default::default()
    };
    let out = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, theirs)
        .await
        .unwrap();
    assert_eq!(
        out.tasks.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![d.number, b.number]
    );
}

/// Pages of a long list hold every task the filter matches once, in the list's order (overdue
/// first, then by due date with undated last, then number), with the right total — for the live
/// tasks, one status, one assignee, and a page past the end.
#[tokio::test]
async fn long_lists_page_through_every_task_in_order() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let mut all = Vec::new();
    for i in 0..57u32 {
        let assignee = [MEMBER, MEMBER2, LEAD][i as usize % 3];
        let due = (i % 7 != 0).then(|| format!("2026-11-{} {}:00", 24 + i % 6, 10 + i % 8));
        let t = assign(&w, LEAD, &c, &format!("Task {i}"), assignee, due.as_deref()).await;
        match i % 9 {
            1 => drop(set(&w, LEAD, &t, TaskStatus::Done, None).await.unwrap()),
            2 => drop(
                set(&w, LEAD, &t, TaskStatus::Blocked, Some("waiting"))
                    .await
                    .unwrap(),
            ),
            3 => drop(set(&w, LEAD, &t, TaskStatus::InProgress, None).await.unwrap()),
            4 => drop(
                tasks::cancel(
                    &w.store,
                    &w.actor(LEAD),
                    w.now,
                    tasks::CancelTask {
                        coalition: None,
                        task: TaskSel::Id(t.id),
                        reason: None,
                    },
                )
                .await
                .unwrap(),
            ),
            _ => {}
        }
        all.push(t);
    }
    w.advance(Duration::days(3));
    let now = w.now.timestamp();
    let mut rows = Vec::new();
    for t in &all {
        rows.push(row(&w, t).await);
    }
    // The order as the list has always defined it, computed here.
    let expected = |keep: &dyn Fn(&Task) -> bool| {
        let mut want: Vec<&Task> = rows.iter().filter(|t| keep(t)).collect();
        want.sort_by_key(|t| {
            let live = !matches!(t.status, TaskStatus::Done | TaskStatus::Cancelled);
            let overdue = live && t.due_at.is_some_and(|d| d < now);
            (!overdue, t.due_at.is_none(), t.due_at, t.number)
        });
        want.iter().map(|t| t.number).collect::<Vec<i64>>()
    };
    let live = |t: &Task| !matches!(t.status, TaskStatus::Done | TaskStatus::Cancelled);
    let cases: Vec<(ListTasks, Vec<i64>)> = vec![
        (ListTasks::default(), expected(&live)),
        (
            ListTasks {
                status: Some(TaskStatus::Blocked),
                ..Default::default()
            },
            expected(&|t: &Task| t.status == TaskStatus::Blocked),
        ),
        (
            ListTasks {
                status: Some(TaskStatus::Done),
                ..Default::default()
            },
            expected(&|t: &Task| t.status == TaskStatus::Done),
        ),
        (
            ListTasks {
                assignee: Some(MEMBER2),
                ..Default::default()
            },
            expected(&|t: &Task| live(t) && t.assignee_id == Some(MEMBER2)),
        ),
    ];
    assert!(
        cases[0].1.len() > 2 * tasks::PAGE_SIZE as usize,
        "three pages at least"
    );
    for (filter, want) in cases {
        let mut got = Vec::new();
        for page in 1.. {
            let input = ListTasks {
                page,
                ..filter.clone()
            };
            let out = tasks::list(&w.store, &w.actor(LEAD), w.now, input).await.unwrap();
            assert_eq!(out.total as usize, want.len(), "{filter:?}");
            assert!(out.tasks.len() <= tasks::PAGE_SIZE as usize);
            got.extend(out.tasks.iter().map(|r| r.number));
            if got.len() >= want.len() || out.tasks.is_empty() {
                break;
            }
        }
        assert_eq!(got, want, "{filter:?}");
    }
    // A page past the end shows the last page.
    let out = tasks::list(
        &w.store,
        &w.actor(LEAD),
        w.now,
        ListTasks {
            page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let want = expected(&live);
    let last = (want.len() - 1) / tasks::PAGE_SIZE as usize * tasks::PAGE_SIZE as usize;
    assert_eq!(
        out.tasks.iter().map(|r| r.number).collect::<Vec<_>>(),
        want[last..]
    );
    assert_eq!(out.total as usize, want.len());
}

/// `/task list` picks its page along the live tasks' index, stopping after the page, and sorts
/// only the page's rows: not every open task of the coalition joined and sorted.
#[tokio::test]
async fn the_live_list_reads_its_page_along_the_index() {
    if sqlite_only("SQLite's EXPLAIN QUERY PLAN") {
        return;
    }
    let w = World::new().await;
    let plan: Vec<(i64, i64, i64, String)> = backbone::store::sql::query_as(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {}",
        backbone::store::tasks::LIVE_PAGE_SQL
    )))
    .bind(1)
    .bind(None::<i64>)
    .bind(None::<i64>)
    .bind(None::<String>)
    .bind(20)
    .bind(0)
    .fetch_all(w.store.pool())
    .await
    .unwrap();
    let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
    let on_index = |name: &str| {
        steps
            .iter()
            .filter(|s| {
                s.starts_with("SEARCH t USING COVERING INDEX") && s.contains(&format!("INDEX {name} ("))
            })
            .count()
    };
    // The page, and the count: each reads an index of the live tasks only (it covers the filter's
    // columns). The page walks the due-date order; the count may read either live index.
    assert_eq!(
        on_index("tasks_live_due") + on_index("tasks_live_org"),
        2,
        "{steps:#?}"
    );
    assert!(steps[1].contains("INDEX tasks_live_due ("), "{steps:#?}");
    let sorts = steps.iter().filter(|s| s.contains("TEMP B-TREE")).count();
    assert_eq!(sorts, 1, "only the page's rows are sorted: {steps:#?}");
    assert!(!steps.iter().any(|s| s.starts_with("SCAN t")), "{steps:#?}");
}

#[tokio::test]
async fn mine_lists_my_open_tasks() {
    let w = World::new().await;
    let c = w.climate().await;
    let mine = assign(&w, LEAD, &c, "Mine", MEMBER, None).await;
    assign(&w, LEAD, &c, "Theirs", MEMBER2, None).await;
    let finished = assign(&w, LEAD, &c, "Finished", MEMBER, None).await;
    set(&w, MEMBER, &finished, TaskStatus::Done, None).await.unwrap();
    let out = tasks::mine(&w.store, &w.actor(MEMBER), w.now, MyTasks::default())
        .await
        .unwrap();
    assert_eq!(out.tasks.iter().map(|r| r.id).collect::<Vec<_>>(), vec![mine.id]);
    assert_eq!(out.total, 1);
    user_err(
        tasks::mine(&w.store, &w.actor(OUTSIDER), w.now, MyTasks::default()).await,
        "not a member",
    );
}

#[tokio::test]
async fn card_message_is_remembered_and_suggestions_match() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Print flyers", MEMBER2, None).await;
    tasks::remember_message(&w.store, t.id, HOME, MessageId(77))
        .await
        .unwrap();
    let (task, coalition) = tasks::get_by_id(&w.store, GUILD, t.id).await.unwrap().unwrap();
    assert_eq!(
        (task.channel_id, task.message_id),
        (Some(HOME), Some(MessageId(77)))
    );
    assert_eq!(coalition.id, c.id);

    let found = tasks::suggest(&w.store, GUILD, None, None, "flyer")
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![("#1 Print flyers (open)".to_string(), "#1".to_string())]
    );
    assert!(
        tasks::suggest(&w.store, OTHER_GUILD, None, None, "flyer")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        tasks::suggest(&w.store, GUILD, None, Some("Nope"), "")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn task_suggestions_follow_the_home_channel_among_several_coalitions() {
    let w = World::new().await;
    let climate = w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    assert_ne!(housing.home_channel_id, HOME);
    for (c, title) in [(&climate, "Climate flyers"), (&housing, "Housing flyers")] {
        let task = RawTask {
            title,
            ..Default::default()
        };
        w.raw_task(c, task).await;
    }
    let labels = |v: Vec<(String, String)>| v.into_iter().map(|(label, _)| label).collect::<Vec<_>>();
    let suggest = |channel: Option<ChannelId>, coalition: Option<&'static str>| {
        tasks::suggest(&w.store, GUILD, channel, coalition, "")
    };
    assert_eq!(
        labels(suggest(Some(HOME), None).await.unwrap()),
        ["#1 Climate flyers (open)"]
    );
    assert_eq!(
        labels(suggest(Some(housing.home_channel_id), None).await.unwrap()),
        ["#1 Housing flyers (open)"]
    );
    // The coalition option wins over the channel.
    assert_eq!(
        labels(suggest(Some(HOME), Some("Housing Alliance")).await.unwrap()),
        ["#1 Housing flyers (open)"]
    );
    // Outside any home channel, with no coalition option, nothing is clear.
    assert!(suggest(Some(ChannelId(9999)), None).await.unwrap().is_empty());
    assert!(suggest(None, None).await.unwrap().is_empty());
    assert!(
        tasks::suggest(&w.store, OTHER_GUILD, Some(HOME), None, "")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn list_reads_back_every_field_as_stored() {
    // Titles with quotes, backslashes, mentions and emoji, large ids and empty fields read back
    // in the list exactly as `/task show` reads them.
    let w = World::new().await;
    let c = w.climate().await;
    let title = r#"Print "Vote" flyers \ 50% off — <@&123> 🚀"#;
    let t = assign(&w, MEMBER, &c, title, MEMBER, Some("2026-11-28 10:00")).await;
    let out = tasks::list(&w.store, &w.actor(MEMBER), w.now, ListTasks::default())
        .await
        .unwrap();
    let row = out.tasks.iter().find(|r| r.id == t.id).expect("listed");
    assert_eq!(row.title, title);
    assert_eq!(
        (
            row.number,
            row.status,
            row.assignee_id,
            row.due_at,
            &row.blocked_reason
        ),
        (t.number, t.status, t.assignee_id, t.due_at, &t.blocked_reason)
    );
    assert_eq!(row.assignee_name.as_deref(), Some("user3"));
}
