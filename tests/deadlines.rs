mod harness;
use harness::*;

use backbone::domain::*;

use backbone::actions::deadlines::{self, AddDeadline, DeadlineDone, ListDeadlines};
use backbone::actions::goals::{self, AddGoal};
use chrono::{Duration, NaiveDateTime};

/// Unix seconds of a UTC wall-clock time like `2026-11-28 09:00`.
fn utc(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn input(title: &str, due: &str) -> AddDeadline {
    AddDeadline {
        coalition: None,
        title: title.into(),
        due: due.into(),
        goal: None,
    }
}

async fn add(w: &World, title: &str, due: &str) -> Deadline {
    deadlines::add(&w.store, &w.actor(LEAD), w.now, input(title, due))
        .await
        .expect("add deadline")
        .deadline
}

async fn deadlines_in(w: &World, c: &Coalition) -> i64 {
    backbone::store::sql::query_scalar("SELECT COUNT(*) FROM deadlines WHERE coalition_id = ?")
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

fn done(deadline: &str) -> DeadlineDone {
    DeadlineDone {
        coalition: None,
        deadline: deadline.into(),
    }
}

#[tokio::test]
async fn lead_adds_deadline_with_pings_planned() {
    let w = World::new().await;
    let c = w.climate().await;
    let goal = goals::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddGoal {
            title: "Signatures".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .goal;
    let before = w.events(&c).await;
    let out = deadlines::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddDeadline {
            goal: Some("sig".into()),
            ..input("Submit petition", "2026-11-28 10:00")
        },
    )
    .await
    .unwrap();
    let due = utc("2026-11-28 09:00");
    assert_eq!(out.deadline.number, 1);
    assert_eq!(out.deadline.due_at, due);
    assert_eq!(out.deadline.next_ping_at, Some(due - 72 * 3600));
    assert_eq!(out.deadline.goal_id, Some(goal.id));
    assert_eq!(out.goal_title.as_deref(), Some("Signatures"));
    assert_eq!(out.due_text, "Sat 28 Nov 2026 10:00 (Europe/Berlin)");
    assert_eq!(out.coalition_name, "Climate Coalition");
    assert_eq!(deadlines_in(&w, &c).await, 1);
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn member_cannot_add_deadline() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    user_err(
        deadlines::add(&w.store, &w.actor(MEMBER), w.now, input("Mine", "friday")).await,
        "Only leads",
    );
    assert_eq!(deadlines_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn bad_deadline_inputs_are_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let lead = w.actor(LEAD);
    user_err(
        deadlines::add(&w.store, &lead, w.now, input("Late", "2026-11-01")).await,
        "in the past",
    );
    user_err(
        deadlines::add(&w.store, &lead, w.now, input("Vague", "soonish")).await,
        "Couldn't read",
    );
    user_err(
        deadlines::add(&w.store, &lead, w.now, input(&"d".repeat(300), "friday")).await,
        "300 characters",
    );
    let no_goal = AddDeadline {
        goal: Some("#4".into()),
        ..input("Linked", "friday")
    };
    user_err(
        deadlines::add(&w.store, &lead, w.now, no_goal).await,
        "No goal #4",
    );
    assert_eq!(deadlines_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn list_splits_upcoming_missed_and_met() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let later = add(&w, "Later", "2026-12-10").await;
    let missed = add(&w, "Missed", "2026-11-24 12:00").await;
    let soon = add(&w, "Soon", "2026-11-26").await;
    let met = add(&w, "Met", "2026-11-25").await;
    deadlines::done(&w.store, &w.actor(LEAD), w.now, done("Met"))
        .await
        .unwrap();
    w.advance(Duration::days(2));

    let out = deadlines::list(&w.store, &w.actor(OUTSIDER), w.now, ListDeadlines::default())
        .await
        .unwrap();
    assert_eq!(out.coalition_name, c.name);
    assert_eq!(
        out.upcoming.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![soon.id, later.id]
    );
    assert_eq!(
        out.missed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![missed.id]
    );
    assert_eq!(
        out.recently_met.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![met.id]
    );
    assert_eq!((out.upcoming_total, out.missed_total), (2, 1));
}

#[tokio::test]
async fn lead_marks_deadline_met_once() {
    let w = World::new().await;
    let c = w.climate().await;
    let d = add(&w, "Submit petition", "2026-11-28").await;
    let before = w.events(&c).await;
    user_err(
        deadlines::done(&w.store, &w.actor(MEMBER), w.now, done("#1")).await,
        "Only leads",
    );
    assert_eq!(w.events(&c).await, before);

    let out = deadlines::done(&w.store, &w.actor(LEAD), w.now, done("#1"))
        .await
        .unwrap();
    assert!(out.deadline.is_met());
    assert!(!out.late);
    assert_eq!(out.deadline.met_at, Some(w.now.timestamp()));
    assert_eq!(out.deadline.next_ping_at, None);
    assert_eq!(out.deadline.id, d.id);
    assert_eq!(w.events(&c).await, before + 1);

    user_err(
        deadlines::done(&w.store, &w.actor(LEAD), w.now, done("#1")).await,
        "already met",
    );
    user_err(
        deadlines::done(&w.store, &w.actor(LEAD), w.now, done("#7")).await,
        "No deadline #7",
    );
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn deadlines_are_scoped_to_their_guild() {
    let w = World::new().await;
    w.climate().await;
    add(&w, "Submit petition", "2026-11-28").await;
    let foreign = DeadlineDone {
        coalition: Some("Climate Coalition".into()),
        deadline: "#1".into(),
    };
    user_err(
        deadlines::done(&w.store, &w.foreign(LEAD), w.now, foreign).await,
        "No coalition named",
    );
    assert!(
        deadlines::suggest(&w.store, OTHER_GUILD, None, None, "")
            .await
            .unwrap()
            .is_empty()
    );
    let found = deadlines::suggest(&w.store, GUILD, None, None, "peti")
        .await
        .unwrap();
    assert_eq!(found, vec![("#1 Submit petition".to_string(), "#1".to_string())]);
}

#[tokio::test]
async fn deadline_suggestions_follow_the_home_channel_among_several_coalitions() {
    let w = World::new().await;
    let climate = w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    let due = w.now.timestamp() + 86_400;
    w.raw_deadline(&climate, "Climate milestone", due, "open").await;
    w.raw_deadline(&housing, "Housing milestone", due, "open").await;
    let labels = |v: Vec<(String, String)>| v.into_iter().map(|(label, _)| label).collect::<Vec<_>>();
    let in_channel = |channel: ChannelId| deadlines::suggest(&w.store, GUILD, Some(channel), None, "");
    assert_eq!(labels(in_channel(HOME).await.unwrap()), ["#1 Climate milestone"]);
    assert_eq!(
        labels(in_channel(housing.home_channel_id).await.unwrap()),
        ["#1 Housing milestone"]
    );
    assert!(in_channel(ChannelId(9999)).await.unwrap().is_empty());
}

#[tokio::test]
async fn ambiguous_deadline_title_says_or_more_at_the_lookup_limit() {
    let w = World::new().await;
    let c = w.climate().await;
    for n in 1..=6 {
        w.raw_deadline(&c, &format!("Hearing {n}"), w.now.timestamp() + 86_400, "open")
            .await;
    }
    let before = w.events(&c).await;
    user_err(
        deadlines::done(&w.store, &w.actor(LEAD), w.now, done("hear")).await,
        "`hear` matches 6 or more deadlines (",
    );
    assert_eq!(w.events(&c).await, before);
}
