//! `/task edit`, `/task cancel`, `/task repeat`: who may, who may not, bad input, the event
//! written, and the repeating task's next copy (through the outbox, once, DST-correct).

mod harness;
use harness::*;

use backbone::actions::tasks::{self as task_edits, CancelTask, EditTask, RepeatTask};
use backbone::actions::tasks::{self, ListTasks, TaskSel};
use backbone::domain::*;
use backbone::scheduler::{self, SchedulerSettings};
use chrono::{Duration, TimeZone, Utc};

async fn last_event(w: &World, c: &Coalition) -> (String, String, String) {
    backbone::store::sql::query_as(
        "SELECT kind, subject, detail FROM events WHERE coalition_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(c.id)
    .fetch_one(w.store.pool())
    .await
    .unwrap()
}

fn edit_input(task: &Task, title: Option<&str>, goal: Option<&str>) -> EditTask {
    EditTask {
        coalition: None,
        task: TaskSel::Ref(format!("#{}", task.number)),
        title: title.map(Into::into),
        goal: goal.map(Into::into),
    }
}

fn cancel_input(task: &Task, reason: Option<&str>) -> CancelTask {
    CancelTask {
        coalition: None,
        task: TaskSel::Ref(format!("#{}", task.number)),
        reason: reason.map(Into::into),
    }
}

fn repeat_input(task: &Task, every: &str) -> RepeatTask {
    RepeatTask {
        coalition: None,
        task: TaskSel::Ref(format!("#{}", task.number)),
        every: every.into(),
    }
}

async fn run_outbox(w: &World) -> scheduler::DeliverReport {
    scheduler::deliver(
        &w.store,
        &RecordingNotifier::new(),
        &SchedulerSettings::default(),
        w.now,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn assignee_creator_and_lead_may_edit_a_title_and_goal_others_may_not() {
    let w = World::new().await;
    let c = w.climate().await;
    let goal = w
        .raw_goal(&c, "Plant trees", 0.0, Some(100.0), None, "active")
        .await;
    let t = assign(&w, MEMBER2, &c, "Flyrs", MEMBER, None).await;

    let before = people_state(&w).await;
    let refused = task_edits::edit(
        &w.store,
        &w.actor(OUTSIDER),
        w.now,
        edit_input(&t, Some("x"), None),
    )
    .await;
    user_err(refused, "Only whoever assigned task #1, its assignee or a lead");
    let nothing = task_edits::edit(&w.store, &w.actor(MEMBER), w.now, edit_input(&t, None, None)).await;
    user_err(nothing, "`title:` and/or `goal:`");
    let long = "x".repeat(201);
    let too_long = task_edits::edit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        edit_input(&t, Some(&long), None),
    )
    .await;
    assert!(too_long.unwrap_err().is_user());
    let no_goal = task_edits::edit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        edit_input(&t, None, Some("#9")),
    )
    .await;
    assert!(no_goal.unwrap_err().is_user());
    assert_eq!(people_state(&w).await, before, "refusals change nothing");

    // The assignee fixes the typo; the creator links the goal; a lead unlinks it.
    let out = task_edits::edit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        edit_input(&t, Some("Flyers"), None),
    )
    .await
    .unwrap();
    assert_eq!(out.task.title, "Flyers");
    assert_eq!(
        last_event(&w, &c).await,
        (
            "task.edit".into(),
            "task #1".into(),
            "title: Flyrs → Flyers".into()
        )
    );
    let out = task_edits::edit(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        edit_input(&t, None, Some("#1")),
    )
    .await
    .unwrap();
    assert_eq!(out.task.goal_id, Some(goal));
    assert_eq!(last_event(&w, &c).await.2, "goal: none → #1 Plant trees");
    let out = task_edits::edit(
        &w.store,
        &w.actor(LEAD),
        w.now,
        edit_input(&t, None, Some("none")),
    )
    .await
    .unwrap();
    assert_eq!(out.task.goal_id, None);
    let same = task_edits::edit(
        &w.store,
        &w.actor(LEAD),
        w.now,
        edit_input(&t, Some("Flyers"), None),
    )
    .await;
    user_err(same, "nothing to change");

    let listed = tasks::list(&w.store, &w.actor(OUTSIDER), w.now, ListTasks::default())
        .await
        .unwrap();
    assert_eq!(listed.tasks[0].title, "Flyers", "the list shows the new title");
}

#[tokio::test]
async fn a_cancelled_task_is_not_done_its_pings_stop_and_old_buttons_change_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, LEAD, &c, "Book the hall", MEMBER, Some("2026-11-26 17:00")).await;
    assert!(row(&w, &t).await.next_ping_at.is_some());
    assert_eq!(deliveries(&w, "task_assigned").await.len(), 1);

    let before = people_state(&w).await;
    let refused = task_edits::cancel(&w.store, &w.actor(MEMBER), w.now, cancel_input(&t, None)).await;
    user_err(refused, "Only whoever assigned task #1 or a lead");
    assert_eq!(people_state(&w).await, before);

    let out = task_edits::cancel(
        &w.store,
        &w.actor(LEAD),
        w.now,
        cancel_input(&t, Some("venue closed")),
    )
    .await
    .unwrap();
    assert_eq!(out.task.status, TaskStatus::Cancelled);
    assert_eq!(out.task.cancel_reason.as_deref(), Some("venue closed"));
    assert_eq!(out.task.next_ping_at, None, "no more pings are planned");
    assert_eq!(out.pings_cancelled, 1, "the pending assignment DM is cancelled");
    assert_eq!(
        last_event(&w, &c).await,
        (
            "task.cancel".into(),
            "task #1".into(),
            "status: open → cancelled; reason: venue closed".into()
        )
    );

    // Not in the open list, not done; listed as cancelled when asked.
    let open = tasks::list(&w.store, &w.actor(LEAD), w.now, ListTasks::default())
        .await
        .unwrap();
    assert_eq!(open.total, 0);
    let done = ListTasks {
        status: Some(TaskStatus::Done),
        ..ListTasks::default()
    };
    assert_eq!(
        tasks::list(&w.store, &w.actor(LEAD), w.now, done)
            .await
            .unwrap()
            .total,
        0
    );
    let cancelled = ListTasks {
        status: Some(TaskStatus::Cancelled),
        ..ListTasks::default()
    };
    let cancelled = tasks::list(&w.store, &w.actor(LEAD), w.now, cancelled)
        .await
        .unwrap();
    assert_eq!(cancelled.total, 1);

    // The card's old Done button, and any further change, answer "this task was cancelled".
    let before = people_state(&w).await;
    let clicked = set(&w, MEMBER, &t, TaskStatus::Done, None).await;
    user_err(clicked, "This task was cancelled");
    let again = task_edits::cancel(&w.store, &w.actor(LEAD), w.now, cancel_input(&t, None)).await;
    user_err(again, "already cancelled");
    let edit = task_edits::edit(&w.store, &w.actor(LEAD), w.now, edit_input(&t, Some("New"), None)).await;
    user_err(edit, "This task was cancelled");
    assert_eq!(people_state(&w).await, before);

    // A done task can't be cancelled.
    let d = assign(&w, LEAD, &c, "Print", MEMBER, None).await;
    set(&w, MEMBER, &d, TaskStatus::Done, None).await.unwrap();
    let refused = task_edits::cancel(&w.store, &w.actor(LEAD), w.now, cancel_input(&d, None)).await;
    user_err(refused, "is done");
}

#[tokio::test]
async fn repeat_rules_are_read_like_schedules_and_refused_when_unreadable() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, MEMBER, &c, "Press round-up", MEMBER, Some("2026-11-30 09:00")).await;

    let before = people_state(&w).await;
    user_err(
        task_edits::set_repeat(
            &w.store,
            &w.actor(MEMBER2),
            w.now,
            repeat_input(&t, "every monday"),
        )
        .await,
        "Only whoever assigned task #1 or a lead",
    );
    user_err(
        task_edits::set_repeat(&w.store, &w.actor(MEMBER), w.now, repeat_input(&t, "sometimes")).await,
        "monthly on the 1st",
    );
    assert_eq!(people_state(&w).await, before);

    let out = task_edits::set_repeat(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        repeat_input(&t, "every monday"),
    )
    .await
    .unwrap();
    // No time given: the task's due time (09:00 Berlin) is kept.
    assert_eq!(out.every.as_deref(), Some("every Monday at 09:00"));
    assert_eq!(out.task.repeat_every.as_deref(), Some("every Monday at 09:00"));
    assert_eq!(out.next_due, Some(utc("2026-12-07 08:00")));
    assert_eq!(last_event(&w, &c).await.2, "repeat: off → every Monday at 09:00");
    let card = backbone::render::tasks::task_card(&out.task, &c.name, c.tz(), None, None, w.now.timestamp());
    assert!(
        card.embeds[0]
            .fields
            .iter()
            .any(|f| f.value.contains("repeats every Monday"))
    );

    let monthly = task_edits::set_repeat(
        &w.store,
        &w.actor(LEAD),
        w.now,
        repeat_input(&t, "monthly on the 1st"),
    )
    .await
    .unwrap();
    assert_eq!(monthly.every.as_deref(), Some("monthly on the 1st at 09:00"));
    let off = task_edits::set_repeat(&w.store, &w.actor(LEAD), w.now, repeat_input(&t, "off"))
        .await
        .unwrap();
    assert_eq!(off.task.repeat_every, None);
    user_err(
        task_edits::set_repeat(&w.store, &w.actor(LEAD), w.now, repeat_input(&t, "off")).await,
        "doesn't repeat",
    );
}

#[tokio::test]
async fn a_weekly_monday_task_in_berlin_repeats_at_nine_across_the_october_change_once() {
    let mut w = World::new().await;
    w.now = Utc.with_ymd_and_hms(2026, 10, 14, 10, 0, 0).unwrap();
    let c = w.climate().await;
    let goal = w.raw_goal(&c, "Press", 0.0, None, None, "active").await;
    let mut input = input(&c, "Weekly press round-up", MEMBER, Some("2026-10-19 09:00"));
    input.goal = Some("#1".into());
    let t = tasks::assign(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .unwrap()
        .task;
    task_edits::set_repeat(&w.store, &w.actor(LEAD), w.now, repeat_input(&t, "every monday"))
        .await
        .unwrap();

    // Done on Monday 19 Oct (CEST); reopened and done again: still one copy.
    w.now = Utc.with_ymd_and_hms(2026, 10, 19, 8, 0, 0).unwrap();
    set(&w, MEMBER, &t, TaskStatus::Done, None).await.unwrap();
    set(&w, MEMBER, &t, TaskStatus::Open, None).await.unwrap();
    set(&w, MEMBER, &t, TaskStatus::Done, None).await.unwrap();
    run_outbox(&w).await;
    run_outbox(&w).await;
    let all = tasks::list(&w.store, &w.actor(LEAD), w.now, ListTasks::default())
        .await
        .unwrap();
    assert_eq!(all.total, 1, "exactly one next copy");
    let next = backbone::store::tasks::get(&w.store, c.id, all.tasks[0].id)
        .await
        .unwrap()
        .expect("the listed copy");
    assert_eq!(next.number, 2);
    assert_eq!((next.assignee_id, next.goal_id), (Some(MEMBER), Some(goal)));
    assert_eq!(next.repeat_every.as_deref(), Some("every Monday at 09:00"));
    assert_eq!(next.repeat_of, Some(t.id));
    // Mon 26 Oct 09:00 CET = 08:00 UTC (it was 07:00 UTC the week before, in CEST).
    assert_eq!(next.due_at, Some(utc("2026-10-26 08:00")));
    assert!(next.next_ping_at.is_some(), "the copy gets pings");
    let kinds: Vec<String> =
        backbone::store::sql::query_scalar("SELECT kind FROM events WHERE coalition_id = ? ORDER BY id")
            .bind(c.id)
            .fetch_all(w.store.pool())
            .await
            .unwrap();
    assert_eq!(kinds.iter().filter(|k| *k == "task.repeat_copy").count(), 1);

    // Cancelling the copy creates the one after, due the following Monday at 09:00 local.
    w.advance(Duration::hours(1));
    task_edits::cancel(&w.store, &w.actor(LEAD), w.now, cancel_input(&next, None))
        .await
        .unwrap();
    run_outbox(&w).await;
    let all = tasks::list(&w.store, &w.actor(LEAD), w.now, ListTasks::default())
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.tasks[0].number, 3);
    assert_eq!(all.tasks[0].due_at, Some(utc("2026-11-02 08:00")));
}

#[tokio::test]
async fn a_task_from_another_guild_is_not_found() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, LEAD, &c, "Secret", MEMBER, None).await;
    let input = CancelTask {
        coalition: Some(c.name.clone()),
        task: TaskSel::Id(t.id),
        reason: None,
    };
    let r = task_edits::cancel(&w.store, &w.foreign(LEAD), w.now, input).await;
    assert!(r.unwrap_err().is_user());
    assert_eq!(row(&w, &t).await.status, TaskStatus::Open);
}
