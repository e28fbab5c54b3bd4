mod harness;
use harness::*;

use backbone::domain::*;

use backbone::actions::tasks::{self, ListTasks, ReassignTask, SetDue, TaskSel, UpdateTask};
use backbone::actions::{members, orgs};
use chrono::Duration;

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
    let key = format!("task_assigned:{}:{}:u{}", t.id.0, w.now.timestamp(), MEMBER2.0);
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
    assert_eq!(
        listed.tasks[0].id, t.id,
        "the org filter finds the task that moved to Blue Org"
    );
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
    assert_eq!(row(&w, &t).await.status, TaskStatus::Open);
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
    assert_eq!(row(&w, &t).await.status, TaskStatus::Open);
    assert_eq!(w.events(&c).await, before);
    let out = set(&w, LEAD, &t, TaskStatus::InProgress, None).await.unwrap();
    assert_eq!(out.task.status, TaskStatus::InProgress);
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
    assert_eq!(row(&w, &t).await.status, TaskStatus::Open);
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
    assert_eq!(out.task.status, TaskStatus::Done);

    let before = w.events(&c).await;
    user_err(
        set(&w, MEMBER2, &t, TaskStatus::Done, None).await,
        &format!("#1 was already marked done by <@{MEMBER2}>"),
    );
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
    assert_eq!(stored.status, TaskStatus::Blocked);
    assert_eq!(stored.blocked_reason.as_deref(), Some("the city said no"));
    let alerts = deliveries(&w, "blocker_alert").await;
    assert_eq!(alerts.len(), 4, "each lead is alerted again: {alerts:?}");
    for lead in [ADMIN, LEAD] {
        assert_eq!(alerts.iter().filter(|a| a.1 == lead.0).count(), 2);
    }
    assert_eq!(w.events(&c).await, before + 1);
    let detail: String = backbone::store::sql::query_scalar(
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
