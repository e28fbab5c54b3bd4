mod common;
use common::*;

use backbone::domain::*;

use backbone::actions::tasks::{self, ListTasks, MyTasks};
use chrono::Duration;

async fn tasks_in(w: &World, c: &Coalition) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE coalition_id = ?")
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
    let numbers: Vec<i64> = out.tasks.iter().map(|r| r.task.number).collect();
    assert_eq!(numbers, vec![soon.number, d.number, a.number, b.number]);
    assert_eq!(out.total, 4);
    assert!(out.tasks[0].task.is_overdue(out.now));
    assert_eq!(out.tasks[0].assignee_name.as_deref(), Some("user3"));

    let done = ListTasks {
        status: Some(TaskStatus::Done),
        ..Default::default()
    };
    let out = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, done)
        .await
        .unwrap();
    assert_eq!((out.total, out.tasks[0].task.number), (1, finished.number));

    let theirs = ListTasks {
        assignee: Some(MEMBER2),
        ..Default::default()
    };
    let out = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, theirs)
        .await
        .unwrap();
    assert_eq!(
        out.tasks.iter().map(|r| r.task.number).collect::<Vec<_>>(),
        vec![d.number, b.number]
    );
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
    assert_eq!(
        out.tasks.iter().map(|r| r.task.id).collect::<Vec<_>>(),
        vec![mine.id]
    );
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
