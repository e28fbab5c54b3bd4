mod common;
use common::*;

use backbone::domain::*;

use backbone::actions::tasks::{
    self, AssignTask, ListTasks, MyTasks, ReassignTask, SetDue, TaskSel, UpdateTask,
};
use backbone::actions::{members, orgs};
use chrono::{Duration, NaiveDateTime};

/// Unix seconds of a UTC wall-clock time like `2026-11-28 09:00`.
fn utc(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn input(c: &Coalition, title: &str, assignee: UserId, due: Option<&str>) -> AssignTask {
    AssignTask {
        coalition: Some(c.name.clone()),
        title: title.into(),
        assignee,
        assignee_name: format!("user{}", assignee.0),
        due: due.map(Into::into),
        goal: None,
    }
}

async fn assign(
    w: &World,
    by: UserId,
    c: &Coalition,
    title: &str,
    assignee: UserId,
    due: Option<&str>,
) -> Task {
    tasks::assign(&w.store, &w.actor(by), w.now, input(c, title, assignee, due))
        .await
        .expect("assign")
        .task
}

async fn set(
    w: &World,
    by: UserId,
    task: &Task,
    status: TaskStatus,
    note: Option<&str>,
) -> backbone::Result<tasks::TaskUpdated> {
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(task.id),
        status,
        note: note.map(Into::into),
    };
    tasks::update(&w.store, &w.actor(by), w.now, input).await
}

async fn row(w: &World, task: &Task) -> Task {
    tasks::get_by_id(&w.store, GUILD, task.id)
        .await
        .unwrap()
        .expect("task")
        .0
}

async fn tasks_in(w: &World, c: &Coalition) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE coalition_id = ?")
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

async fn deliveries(w: &World, kind: &str) -> Vec<(String, i64, String)> {
    sqlx::query_as(
        "SELECT dedupe_key, target_id, target_kind FROM deliveries WHERE kind = ? ORDER BY target_id",
    )
    .bind(kind)
    .fetch_all(w.store.pool())
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
    assert_eq!(out.task.status(), TaskStatus::Open);
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
async fn task_takes_the_assignees_org_and_reassign_moves_it() {
    let w = World::new().await;
    let c = w.climate().await;
    let a = w.actor(ADMIN);
    let green = orgs::add(
        &w.store,
        &a,
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Green Org".into(),
        },
    )
    .await
    .unwrap()
    .org;
    let blue = orgs::add(
        &w.store,
        &a,
        w.now,
        orgs::AddOrg {
            coalition: None,
            name: "Blue Org".into(),
        },
    )
    .await
    .unwrap()
    .org;
    for (user, org) in [(MEMBER, "Green Org"), (MEMBER2, "Blue Org")] {
        let input = members::AddMember {
            coalition: None,
            user,
            user_name: format!("user{}", user.0),
            role: None,
            org: Some(org.into()),
        };
        members::add(&w.store, &a, w.now, input).await.unwrap();
    }
    let t = assign(&w, MEMBER, &c, "Flyers", MEMBER, None).await;
    assert_eq!(t.org_id, Some(green.id));

    let before = w.events(&c).await;
    let input = ReassignTask {
        coalition: None,
        task: TaskSel::Ref("#1".into()),
        assignee: MEMBER2,
        assignee_name: "Bea".into(),
    };
    let out = tasks::reassign(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap();
    assert_eq!(out.previous_assignee, Some(MEMBER));
    assert_eq!(out.assignee_name, "Bea");
    assert!(out.notified);
    let now = row(&w, &t).await;
    assert_eq!((now.assignee_id, now.org_id), (Some(MEMBER2), Some(blue.id)));
    let key = format!("task_assigned:{}:{}", t.id.0, w.now.timestamp());
    assert_eq!(
        deliveries(&w, "task_assigned").await,
        vec![(key, MEMBER2.0, "user".into())]
    );
    assert_eq!(w.events(&c).await, before + 1);

    let listed = tasks::list(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        ListTasks {
            org: Some("blue org".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.tasks[0].org_name.as_deref(), Some("Blue Org"));
    let r = tasks::list(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        ListTasks {
            org: Some("Red".into()),
            ..Default::default()
        },
    )
    .await;
    user_err(r, "/org list");
}

#[tokio::test]
async fn reassign_needs_creator_or_lead_and_a_member() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, LEAD, &c, "Venue", MEMBER, None).await;
    let before = w.events(&c).await;
    let by_assignee = ReassignTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        assignee: MEMBER2,
        assignee_name: String::new(),
    };
    user_err(
        tasks::reassign(&w.store, &w.actor(MEMBER), w.now, by_assignee).await,
        "Only whoever assigned",
    );
    let to_outsider = ReassignTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        assignee: OUTSIDER,
        assignee_name: "Olga".into(),
    };
    user_err(
        tasks::reassign(&w.store, &w.actor(LEAD), w.now, to_outsider).await,
        "/member add",
    );
    let same = ReassignTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        assignee: MEMBER,
        assignee_name: String::new(),
    };
    user_err(
        tasks::reassign(&w.store, &w.actor(LEAD), w.now, same).await,
        "already assigned",
    );
    assert_eq!(row(&w, &t).await.assignee_id, Some(MEMBER));
    assert!(deliveries(&w, "task_assigned").await.len() == 1);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn pings_follow_the_due_date() {
    let w = World::new().await;
    let c = w.climate().await;
    // 10:00 Berlin on Saturday is 09:00 UTC: just under five days from Monday 10:00 UTC.
    let t = assign(&w, MEMBER, &c, "Report", MEMBER2, Some("2026-11-28 10:00")).await;
    let due = utc("2026-11-28 09:00");
    assert_eq!(t.next_ping_at, Some(due - 72 * 3600));

    let before = w.events(&c).await;
    let input = SetDue {
        coalition: None,
        task: TaskSel::Id(t.id),
        due: "2026-11-25 12:00".into(),
    };
    let out = tasks::set_due(&w.store, &w.actor(MEMBER), w.now, input)
        .await
        .unwrap();
    let due = utc("2026-11-25 11:00");
    assert_eq!(out.previous_due, Some(utc("2026-11-28 09:00")));
    assert_eq!(out.due_text, "Wed 25 Nov 2026 12:00 (Europe/Berlin)");
    // The 72 h stage is already behind us; the 24 h one is next.
    assert_eq!(row(&w, &t).await.due_at, Some(due));
    assert_eq!(row(&w, &t).await.next_ping_at, Some(due - 24 * 3600));
    assert_eq!(w.events(&c).await, before + 1);

    let done = set(&w, MEMBER2, &t, TaskStatus::Done, None).await.unwrap();
    assert_eq!(done.task.next_ping_at, None);
    assert_eq!(done.task.completed_at, Some(w.now.timestamp()));
}

#[tokio::test]
async fn set_due_needs_creator_or_lead_and_a_future_date() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, LEAD, &c, "Budget", MEMBER, Some("2026-12-01")).await;
    let before = w.events(&c).await;
    let by_member = SetDue {
        coalition: None,
        task: TaskSel::Id(t.id),
        due: "2026-12-05".into(),
    };
    user_err(
        tasks::set_due(&w.store, &w.actor(MEMBER2), w.now, by_member).await,
        "Only whoever assigned",
    );
    let past = SetDue {
        coalition: None,
        task: TaskSel::Id(t.id),
        due: "2026-11-01".into(),
    };
    user_err(
        tasks::set_due(&w.store, &w.actor(LEAD), w.now, past).await,
        "in the past",
    );
    let unreadable = SetDue {
        coalition: None,
        task: TaskSel::Id(t.id),
        due: "someday".into(),
    };
    user_err(
        tasks::set_due(&w.store, &w.actor(LEAD), w.now, unreadable).await,
        "Couldn't read",
    );
    assert_eq!(row(&w, &t).await.due_at, t.due_at);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn blocked_needs_a_note() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    let before = w.events(&c).await;
    user_err(
        set(&w, MEMBER2, &t, TaskStatus::Blocked, None).await,
        "add `note:`",
    );
    user_err(
        set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("   ")).await,
        "add `note:`",
    );
    assert_eq!(row(&w, &t).await.status(), TaskStatus::Open);
    assert!(deliveries(&w, "blocker_alert").await.is_empty());
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn blocker_alerts_each_lead_once() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    let before = w.events(&c).await;
    let out = set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("waiting for the city"))
        .await
        .unwrap();
    assert_eq!(out.previous, TaskStatus::Open);
    assert_eq!(out.leads_alerted, 2);
    assert_eq!(out.task.blocked_reason.as_deref(), Some("waiting for the city"));
    let alerts = deliveries(&w, "blocker_alert").await;
    let prefix = format!("blocker:task:{}:{}", t.id.0, w.now.timestamp());
    assert_eq!(
        alerts,
        vec![
            (format!("{prefix}:u{}", ADMIN.0), ADMIN.0, "user".into()),
            (format!("{prefix}:u{}", LEAD.0), LEAD.0, "user".into()),
        ]
    );
    assert_eq!(w.events(&c).await, before + 1);

    // Unblocking clears the reason.
    let out = set(&w, MEMBER2, &t, TaskStatus::InProgress, None).await.unwrap();
    assert_eq!(out.task.blocked_reason, None);
}

#[tokio::test]
async fn only_assignee_or_lead_can_update() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    let before = w.events(&c).await;
    // The creator is neither the assignee nor a lead.
    user_err(
        set(&w, MEMBER, &t, TaskStatus::InProgress, None).await,
        "assignee or a lead",
    );
    user_err(
        set(&w, OUTSIDER, &t, TaskStatus::Done, None).await,
        "assignee or a lead",
    );
    assert_eq!(row(&w, &t).await.status(), TaskStatus::Open);
    assert_eq!(w.events(&c).await, before);
    let out = set(&w, LEAD, &t, TaskStatus::InProgress, None).await.unwrap();
    assert_eq!(out.task.status(), TaskStatus::InProgress);
    assert_eq!(out.assignee_name.as_deref(), Some("user4"));
}

#[tokio::test]
async fn button_id_from_another_guild_is_not_found() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    let before = w.events(&c).await;
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        status: TaskStatus::Done,
        note: None,
    };
    user_err(
        tasks::update(&w.store, &w.foreign(MEMBER2), w.now, input).await,
        "no longer exists",
    );
    let by_ref = UpdateTask {
        coalition: None,
        task: TaskSel::Ref("#1".into()),
        status: TaskStatus::Done,
        note: None,
    };
    user_err(
        tasks::update(&w.store, &w.foreign(MEMBER2), w.now, by_ref).await,
        "no coalition",
    );
    assert!(
        tasks::get_by_id(&w.store, OTHER_GUILD, t.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(row(&w, &t).await.status(), TaskStatus::Open);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn unknown_number_and_ambiguous_title_are_explained() {
    let w = World::new().await;
    let c = w.climate().await;
    assign(&w, MEMBER, &c, "Print flyers", MEMBER2, None).await;
    assign(&w, MEMBER, &c, "Print posters", MEMBER2, None).await;
    let by = |r: &str| UpdateTask {
        coalition: None,
        task: TaskSel::Ref(r.into()),
        status: TaskStatus::InProgress,
        note: None,
    };
    user_err(
        tasks::update(&w.store, &w.actor(LEAD), w.now, by("#12")).await,
        "No task #12 in **Climate Coalition**",
    );
    user_err(
        tasks::update(&w.store, &w.actor(LEAD), w.now, by("print")).await,
        "use its number",
    );
    let out = tasks::update(&w.store, &w.actor(LEAD), w.now, by("print p"))
        .await
        .unwrap();
    assert_eq!(out.task.number, 2);
}

#[tokio::test]
async fn done_offers_a_win_and_reopening_restarts_pings() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Report", MEMBER2, Some("2026-11-28 10:00")).await;
    let out = tasks::done(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        None,
        TaskSel::Ref("#1".into()),
    )
    .await
    .unwrap();
    assert!(out.offer_win);
    assert_eq!(out.previous, TaskStatus::Open);
    assert_eq!(out.task.status(), TaskStatus::Done);

    let before = w.events(&c).await;
    user_err(set(&w, MEMBER2, &t, TaskStatus::Done, None).await, "already done");
    user_err(
        set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("oops")).await,
        "reopen it first",
    );
    let due = ReassignTask {
        coalition: None,
        task: TaskSel::Id(t.id),
        assignee: MEMBER,
        assignee_name: String::new(),
    };
    user_err(
        tasks::reassign(&w.store, &w.actor(LEAD), w.now, due).await,
        "reopen it first",
    );
    assert_eq!(w.events(&c).await, before);

    w.advance(Duration::days(3));
    let out = set(&w, MEMBER2, &t, TaskStatus::Open, None).await.unwrap();
    assert_eq!(out.previous, TaskStatus::Done);
    assert!(!out.offer_win);
    assert_eq!(out.task.completed_at, None);
    assert_eq!(out.task.next_ping_at, Some(utc("2026-11-28 09:00") - 24 * 3600));
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
async fn reblocking_with_a_new_note_updates_the_reason_and_alerts_again() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("waiting for the city"))
        .await
        .unwrap();
    let before = w.events(&c).await;
    // In the same second as the first alert: the new one must not be taken for a duplicate.
    let out = set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("the city said no"))
        .await
        .unwrap();
    assert_eq!(out.previous, TaskStatus::Blocked);
    assert_eq!(out.leads_alerted, 2);
    let stored = row(&w, &t).await;
    assert_eq!(stored.status(), TaskStatus::Blocked);
    assert_eq!(stored.blocked_reason.as_deref(), Some("the city said no"));
    let alerts = deliveries(&w, "blocker_alert").await;
    assert_eq!(alerts.len(), 4, "each lead is alerted again: {alerts:?}");
    for lead in [ADMIN, LEAD] {
        assert_eq!(alerts.iter().filter(|a| a.1 == lead.0).count(), 2);
    }
    assert_eq!(w.events(&c).await, before + 1);
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM events WHERE coalition_id = ? AND kind = 'task.update' ORDER BY id DESC LIMIT 1",
    )
    .bind(c.id)
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    assert_eq!(detail, "blocked → blocked: the city said no");
}

#[tokio::test]
async fn reblocking_needs_a_different_note() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Permit", MEMBER2, None).await;
    set(&w, MEMBER2, &t, TaskStatus::Blocked, Some("waiting for the city"))
        .await
        .unwrap();
    let before = w.events(&c).await;
    let stored = row(&w, &t).await;
    user_err(
        set(&w, MEMBER2, &t, TaskStatus::Blocked, None).await,
        "already blocked — add `note:`",
    );
    user_err(
        set(
            &w,
            MEMBER2,
            &t,
            TaskStatus::Blocked,
            Some("  waiting for the city "),
        )
        .await,
        "already blocked for that reason",
    );
    user_err(
        set(&w, MEMBER, &t, TaskStatus::Blocked, Some("something else")).await,
        "assignee or a lead",
    );
    let after = row(&w, &t).await;
    assert_eq!(
        (after.blocked_reason, after.updated_at),
        (stored.blocked_reason, stored.updated_at)
    );
    assert_eq!(deliveries(&w, "blocker_alert").await.len(), 2);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn ambiguous_title_counts_matches_up_to_the_lookup_limit() {
    let w = World::new().await;
    let c = w.climate().await;
    for n in 1..=3 {
        assign(&w, MEMBER, &c, &format!("Print batch {n}"), MEMBER2, None).await;
    }
    let by = |r: &str| UpdateTask {
        coalition: None,
        task: TaskSel::Ref(r.into()),
        status: TaskStatus::InProgress,
        note: None,
    };
    user_err(
        tasks::update(&w.store, &w.actor(LEAD), w.now, by("print")).await,
        "`print` matches 3 tasks (",
    );
    for n in 4..=9 {
        assign(&w, MEMBER, &c, &format!("Print batch {n}"), MEMBER2, None).await;
    }
    let before = w.events(&c).await;
    let msg = user_err(
        tasks::update(&w.store, &w.actor(LEAD), w.now, by("print")).await,
        "`print` matches 6 or more tasks (",
    );
    assert!(!msg.contains("matches 6 tasks"), "{msg}");
    assert_eq!(w.events(&c).await, before);
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
