mod harness;
use harness::*;

use backbone::domain::*;

use backbone::actions::goals::{self, AddGoal, CloseGoal, ListGoals, SetProgress};

fn input(title: &str, target: Option<f64>) -> AddGoal {
    AddGoal {
        coalition: None,
        title: title.into(),
        target,
        metric: Some("signatures".into()),
        unit: Some("people".into()),
        due: None,
    }
}

async fn add(w: &World, title: &str, target: Option<f64>) -> Goal {
    goals::add(&w.store, &w.actor(LEAD), w.now, input(title, target))
        .await
        .expect("add goal")
        .goal
}

async fn goals_in(w: &World, c: &Coalition) -> i64 {
    backbone::store::sql::query_scalar("SELECT COUNT(*) FROM goals WHERE coalition_id = ?")
        .bind(c.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

async fn current(w: &World, g: &Goal) -> f64 {
    backbone::store::sql::query_scalar("SELECT current FROM goals WHERE id = ?")
        .bind(g.id)
        .fetch_one(w.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn lead_adds_goal_with_target_and_due_date() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let out = goals::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        AddGoal {
            due: Some("2026-12-31".into()),
            ..input("Collect signatures", Some(500.0))
        },
    )
    .await
    .unwrap();
    assert_eq!(out.coalition_name, "Climate Coalition");
    assert_eq!(out.goal.number, 1);
    assert_eq!(out.goal.title, "Collect signatures");
    assert_eq!(out.goal.target, Some(500.0));
    assert_eq!(out.goal.metric.as_deref(), Some("signatures"));
    assert_eq!(out.goal.current, 0.0);
    assert_eq!(out.goal.status, GoalStatus::Active);
    // 17:00 Berlin is 16:00 UTC in winter.
    assert_eq!(
        out.goal.due_at,
        Some(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
        )
    );
    assert_eq!(goals_in(&w, &c).await, 1);
    assert_eq!(w.events(&c).await, before + 1);
    assert_eq!(add(&w, "Second", None).await.number, 2);
}

#[tokio::test]
async fn member_cannot_add_goal() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    user_err(
        goals::add(&w.store, &w.actor(MEMBER), w.now, input("Mine", None)).await,
        "Only leads",
    );
    assert_eq!(goals_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn bad_goal_inputs_are_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let lead = w.actor(LEAD);
    for bad in [-5.0, 0.0, f64::NAN, f64::INFINITY] {
        user_err(
            goals::add(&w.store, &lead, w.now, input("Bad", Some(bad))).await,
            "above 0",
        );
    }
    user_err(
        goals::add(&w.store, &lead, w.now, input("  ", None)).await,
        "empty",
    );
    user_err(
        goals::add(&w.store, &lead, w.now, input(&"g".repeat(201), None)).await,
        "limit is 200",
    );
    let past = AddGoal {
        due: Some("2026-01-01".into()),
        ..input("Old", None)
    };
    user_err(goals::add(&w.store, &lead, w.now, past).await, "in the past");
    assert_eq!(goals_in(&w, &c).await, 0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn lead_sets_progress() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = add(&w, "Collect signatures", Some(500.0)).await;
    let before = w.events(&c).await;
    let set = SetProgress {
        coalition: None,
        goal: "collect".into(),
        value: 125.0,
    };
    let out = goals::progress(&w.store, &w.actor(LEAD), w.now, set)
        .await
        .unwrap();
    assert_eq!((out.previous, out.goal.current), (0.0, 125.0));
    assert_eq!(out.goal.progress(), Some(0.25));
    assert_eq!(current(&w, &g).await, 125.0);
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn bad_progress_is_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = add(&w, "Collect signatures", Some(500.0)).await;
    let before = w.events(&c).await;
    let set = |goal: &str, value: f64| SetProgress {
        coalition: None,
        goal: goal.into(),
        value,
    };
    user_err(
        goals::progress(&w.store, &w.actor(MEMBER), w.now, set("#1", 5.0)).await,
        "Only leads",
    );
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set("#1", -1.0)).await,
        "0 or more",
    );
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set("#1", f64::NAN)).await,
        "0 or more",
    );
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set("#9", 5.0)).await,
        "No goal #9 in **Climate Coalition**",
    );
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set("Plant", 5.0)).await,
        "No goal matching `Plant`",
    );
    assert_eq!(current(&w, &g).await, 0.0);
    assert_eq!(w.events(&c).await, before);
}

#[tokio::test]
async fn closed_goal_cannot_progress_or_close_again() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = add(&w, "Collect signatures", Some(500.0)).await;
    let before = w.events(&c).await;
    let close = |outcome| CloseGoal {
        coalition: None,
        goal: "#1".into(),
        outcome,
    };
    user_err(
        goals::close(&w.store, &w.actor(MEMBER), w.now, close(GoalStatus::Achieved)).await,
        "Only leads",
    );
    let out = goals::close(&w.store, &w.actor(LEAD), w.now, close(GoalStatus::Achieved))
        .await
        .unwrap();
    assert_eq!(out.goal.status, GoalStatus::Achieved);
    assert_eq!(out.goal.closed_at, Some(w.now.timestamp()));
    assert_eq!(w.events(&c).await, before + 1);

    user_err(
        goals::close(&w.store, &w.actor(LEAD), w.now, close(GoalStatus::Dropped)).await,
        "already achieved",
    );
    let set = SetProgress {
        coalition: None,
        goal: "#1".into(),
        value: 5.0,
    };
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set).await,
        "is closed",
    );
    assert_eq!(current(&w, &g).await, 0.0);
    assert_eq!(w.events(&c).await, before + 1);
}

#[tokio::test]
async fn list_shows_active_goals_first_with_progress() {
    let w = World::new().await;
    let c = w.climate().await;
    let old = add(&w, "Old goal", None).await;
    add(&w, "Signatures", Some(200.0)).await;
    let close = CloseGoal {
        coalition: None,
        goal: "#1".into(),
        outcome: GoalStatus::Dropped,
    };
    goals::close(&w.store, &w.actor(LEAD), w.now, close)
        .await
        .unwrap();
    let set = SetProgress {
        coalition: None,
        goal: "#2".into(),
        value: 50.0,
    };
    goals::progress(&w.store, &w.actor(LEAD), w.now, set)
        .await
        .unwrap();

    let out = goals::list(&w.store, &w.actor(OUTSIDER), w.now, ListGoals::default())
        .await
        .unwrap();
    assert_eq!(out.coalition_name, c.name);
    assert_eq!((out.active, out.closed), (1, 1));
    assert_eq!(out.goals[0].goal.title, "Signatures");
    assert_eq!(out.goals[0].progress, Some(0.25));
    assert!(out.goals[0].active);
    assert_eq!(out.goals[1].goal.id, old.id);
    assert!(!out.goals[1].active);
}

#[tokio::test]
async fn goals_are_scoped_to_their_guild() {
    let w = World::new().await;
    w.climate().await;
    add(&w, "Signatures", Some(200.0)).await;
    let set = SetProgress {
        coalition: Some("Climate Coalition".into()),
        goal: "#1".into(),
        value: 5.0,
    };
    user_err(
        goals::progress(&w.store, &w.foreign(LEAD), w.now, set).await,
        "No coalition named",
    );
    assert!(
        goals::suggest(&w.store, OTHER_GUILD, None, None, "")
            .await
            .unwrap()
            .is_empty()
    );
    let found = goals::suggest(&w.store, GUILD, None, None, "sig").await.unwrap();
    assert_eq!(found, vec![("#1 Signatures".to_string(), "#1".to_string())]);
}

#[tokio::test]
async fn goal_suggestions_follow_the_home_channel_among_several_coalitions() {
    let w = World::new().await;
    let climate = w.climate().await;
    let housing = w.coalition("Housing Alliance").await;
    w.raw_goal(&climate, "Climate goal", 1.0, Some(5.0), None, "active")
        .await;
    w.raw_goal(&housing, "Housing goal", 1.0, Some(5.0), None, "active")
        .await;
    let labels = |v: Vec<(String, String)>| v.into_iter().map(|(label, _)| label).collect::<Vec<_>>();
    let in_channel = |channel: ChannelId| goals::suggest(&w.store, GUILD, Some(channel), None, "");
    assert_eq!(labels(in_channel(HOME).await.unwrap()), ["#1 Climate goal"]);
    assert_eq!(
        labels(in_channel(housing.home_channel_id).await.unwrap()),
        ["#1 Housing goal"]
    );
    assert!(in_channel(ChannelId(9999)).await.unwrap().is_empty());
}

#[tokio::test]
async fn ambiguous_goal_title_says_or_more_at_the_lookup_limit() {
    let w = World::new().await;
    let c = w.climate().await;
    for n in 1..=7 {
        w.raw_goal(&c, &format!("Sign up {n}"), 0.0, Some(10.0), None, "active")
            .await;
    }
    let before = w.events(&c).await;
    let set = SetProgress {
        coalition: None,
        goal: "sign".into(),
        value: 5.0,
    };
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, set).await,
        "`sign` matches 6 or more goals (",
    );
    assert_eq!(w.events(&c).await, before);
}
