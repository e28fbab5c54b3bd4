//! A goal's value over time as data (`goal_values`): every change of `goals.current` writes its
//! row in the same transaction, with the exact value; the report charts from it; migration 0170
//! rebuilds the history of older databases from their events.

mod harness;
use harness::*;

use backbone::actions::goals::{self, AddGoal, CloseGoal, SetProgress};
use backbone::actions::plan_edits::{self, EditGoal};
use backbone::actions::report::{self, ReportInput};
use backbone::actions::win_edits::{self, RemoveWin};
use backbone::actions::wins::{self, LogWin};
use backbone::domain::report::PeriodInput;
use backbone::domain::*;
use backbone::store::Store;
use chrono::Duration;

/// Every history row of `goal`: (value, at, cause), oldest first.
async fn history(w: &World, goal: GoalId) -> Vec<(f64, i64, String)> {
    backbone::store::sql::query_as(
        "SELECT value, at, cause FROM goal_values WHERE goal_id = ? ORDER BY at, id",
    )
    .bind(goal)
    .fetch_all(w.store.pool())
    .await
    .unwrap()
}

async fn current(w: &World, c: &Coalition, goal: GoalId) -> f64 {
    backbone::store::goals::get(&w.store, c.id, goal)
        .await
        .unwrap()
        .unwrap()
        .current
}

async fn add_goal(w: &World, title: &str) -> Goal {
    let add = AddGoal {
        title: title.into(),
        target: Some(5000.0),
        unit: Some("signatures".into()),
        ..Default::default()
    };
    goals::add(&w.store, &w.actor(LEAD), w.now, add)
        .await
        .unwrap()
        .goal
}

fn progress(goal: &Goal, value: f64) -> SetProgress {
    SetProgress {
        goal: format!("#{}", goal.number),
        value,
        ..Default::default()
    }
}

fn win(goal: &Goal, text: &str, amount: f64) -> LogWin {
    LogWin {
        text: text.into(),
        goal: Some(format!("#{}", goal.number)),
        amount: Some(amount),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_change_of_a_goals_value_writes_its_exact_value() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let t0 = w.now.timestamp();
    let g = add_goal(&w, "Petition").await;

    w.advance(Duration::hours(1));
    goals::progress(&w.store, &w.actor(LEAD), w.now, progress(&g, 1234.567))
        .await
        .unwrap();
    w.advance(Duration::hours(1));
    let logged = wins::log(&w.store, &w.actor(MEMBER), w.now, win(&g, "Stall", 0.125))
        .await
        .unwrap();
    w.advance(Duration::hours(1));
    win_edits::remove(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        RemoveWin {
            coalition: None,
            win: logged.win.id.to_string(),
        },
    )
    .await
    .unwrap();

    let h = history(&w, g.id).await;
    let hour = 3600;
    assert_eq!(
        h,
        [
            (0.0, t0, "created".to_string()),
            (1234.567, t0 + hour, "progress".to_string()),
            (1234.692, t0 + 2 * hour, "win".to_string()),
            (1234.567, t0 + 3 * hour, "win_removed".to_string()),
        ]
    );
    // Exactly what the goal holds, not the 2 decimals the events show ("→ 1234.57").
    assert_eq!(h.last().unwrap().0, current(&w, &c, g.id).await);
    let detail: String = backbone::store::sql::query_scalar(
        "SELECT detail FROM events WHERE kind = 'goal.progress' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    assert_eq!(detail, "0 → 1234.57");
}

#[tokio::test]
async fn changes_that_leave_the_value_alone_write_no_row() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let g = add_goal(&w, "Petition").await;
    let other = add_goal(&w, "Volunteers").await;
    w.advance(Duration::hours(1));
    // A win without an amount, an edit (it keeps the value), closing the goal.
    let plain = LogWin {
        text: "Press coverage".into(),
        goal: Some("#1".into()),
        ..Default::default()
    };
    wins::log(&w.store, &w.actor(MEMBER), w.now, plain).await.unwrap();
    let edit = EditGoal {
        coalition: None,
        goal: "#1".into(),
        title: Some("Petition signatures".into()),
        target: Some(6000.0),
        metric: None,
        unit: None,
        due: None,
    };
    plan_edits::edit_goal(&w.store, &w.actor(LEAD), w.now, edit)
        .await
        .unwrap();
    let close = CloseGoal {
        coalition: None,
        goal: "#1".into(),
        outcome: GoalStatus::Dropped,
    };
    goals::close(&w.store, &w.actor(LEAD), w.now, close)
        .await
        .unwrap();
    // Refused changes write nothing either: progress on a closed goal, a bad value, a win for a
    // closed goal.
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, progress(&g, 10.0)).await,
        "is closed",
    );
    user_err(
        goals::progress(&w.store, &w.actor(LEAD), w.now, progress(&other, -1.0)).await,
        "0 or more",
    );
    user_err(
        wins::log(&w.store, &w.actor(MEMBER), w.now, win(&g, "Late", 3.0)).await,
        "is closed",
    );
    user_err(
        goals::progress(&w.store, &w.actor(MEMBER), w.now, progress(&other, 5.0)).await,
        "lead",
    );
    assert_eq!(history(&w, g.id).await.len(), 1, "only its creation");
    assert_eq!(history(&w, other.id).await.len(), 1, "only its creation");
    assert_eq!(w.rows_in("goal_values", &c).await, 2);
}

#[tokio::test]
async fn the_report_charts_exact_values_from_the_history() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let g = add_goal(&w, "Petition").await;
    w.advance(Duration::days(1));
    let t1 = w.now.timestamp();
    goals::progress(&w.store, &w.actor(LEAD), w.now, progress(&g, 1234.567))
        .await
        .unwrap();
    w.advance(Duration::days(1));
    let t2 = w.now.timestamp();
    let logged = wins::log(&w.store, &w.actor(MEMBER), w.now, win(&g, "Stall", 100.0))
        .await
        .unwrap();
    w.advance(Duration::days(1));
    let t3 = w.now.timestamp();
    win_edits::remove(
        &w.store,
        &w.actor(LEAD),
        w.now,
        RemoveWin {
            coalition: None,
            win: logged.win.id.to_string(),
        },
    )
    .await
    .unwrap();
    w.advance(Duration::days(1));
    let input = ReportInput {
        coalition: None,
        period: PeriodInput::period("month"),
    };
    let r = report::report(&w.store, &w.actor(MEMBER), w.now, input)
        .await
        .unwrap();
    let points = &r.goals[0].points;
    // Created on 23 Nov at 0: the chart starts there, in the month.
    assert_eq!(
        points[..],
        [
            (g.created_at, 0.0),
            (t1, 1234.567),
            (t2, 1334.567),
            (t3, 1234.567),
            (w.now.timestamp(), 1234.567),
        ]
    );
    assert_eq!(r.goals[0].current, 1234.567);
    assert_eq!(current(&w, &c, g.id).await, 1234.567);
}

// ---- Migration 0170 on a database written before it.

const T0: i64 = 1_780_000_000;

async fn event(pool: &sqlx::SqlitePool, coalition: i64, kind: &str, subject: &str, detail: &str, at: i64) {
    sqlx::query(
        "INSERT INTO events (coalition_id, actor_id, kind, subject, detail, created_at) VALUES (?, 2, ?, ?, ?, ?)",
    )
    .bind(coalition)
    .bind(kind)
    .bind(subject)
    .bind(detail)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

async fn coalition(pool: &sqlx::SqlitePool, name: &str, channel: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO coalitions (guild_id, name, home_channel_id, checkin_schedule, digest_schedule, created_by, created_at)
         VALUES (1000, ?, ?, 'fridays 10:00', 'mondays 9:00', 1, ?) RETURNING id",
    )
    .bind(name)
    .bind(channel)
    .bind(T0)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn goal(pool: &sqlx::SqlitePool, coalition: i64, number: i64, current: f64, created_at: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO goals (coalition_id, number, title, current, created_by, created_at)
         VALUES (?, ?, 'goal ' || ?, ?, 2, ?) RETURNING id",
    )
    .bind(coalition)
    .bind(number)
    .bind(number)
    .bind(current)
    .bind(created_at)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A win still stored, with its `win.log` event; returns its id.
async fn stored_win(pool: &sqlx::SqlitePool, coalition: i64, goal: i64, amount: f64, at: i64) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wins (coalition_id, user_id, text, goal_id, amount, created_at) VALUES (?, 3, 'a win', ?, ?, ?)
         RETURNING id",
    )
    .bind(coalition)
    .bind(goal)
    .bind(amount)
    .bind(at)
    .fetch_one(pool)
    .await
    .unwrap();
    event(pool, coalition, "win.log", &format!("win {id}"), "a win", at).await;
    id
}

#[tokio::test]
async fn migration_0170_rebuilds_goal_history_from_old_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations").run_to(160, &pool).await.unwrap();

    // Climate: goal #1 went 0 → 10 (win) → 30 (progress) → 35 (win) → 37.5 (win) → 35 (that
    // win removed) → 42.5 (progress). Goal #2 never changed through an action (7 by hand);
    // goal #3 has a progress event that doesn't read as numbers.
    let climate = coalition(&pool, "Climate", 1100).await;
    let g1 = goal(&pool, climate, 1, 42.5, T0).await;
    let g2 = goal(&pool, climate, 2, 7.0, T0 + 50).await;
    let g3 = goal(&pool, climate, 3, 3.0, T0 + 60).await;
    event(&pool, climate, "goal.add", "goal #1", "goal 1", T0).await;
    stored_win(&pool, climate, g1, 10.0, T0 + 100).await;
    event(&pool, climate, "goal.progress", "goal #1", "10 → 30", T0 + 200).await;
    stored_win(&pool, climate, g1, 5.0, T0 + 300).await;
    // Logged, then removed: the row is gone; its events remain. The text has parentheses and
    // an arrow of its own.
    event(
        &pool,
        climate,
        "win.log",
        "win 77",
        "Trees (by the river) → 2",
        T0 + 400,
    )
    .await;
    let removed =
        format!("removed: Trees (by the river) → 2 (by 3, amount 2.5, goal {g1}); goal {g1} current → 35");
    event(&pool, climate, "win.remove", "win 77", &removed, T0 + 500).await;
    event(&pool, climate, "goal.progress", "goal #1", "35 → 42.5", T0 + 600).await;
    event(&pool, climate, "goal.progress", "goal #3", "abc → 3", T0 + 700).await;
    event(&pool, climate, "goal.progress", "goal #99", "1 → 2", T0 + 700).await;
    // A removal without a goal change, and one of a win never logged: nothing to rebuild.
    event(
        &pool,
        climate,
        "win.remove",
        "win 78",
        "removed: x (by 3, amount none, goal none)",
        T0 + 800,
    )
    .await;
    event(
        &pool,
        climate,
        "win.remove",
        "win 79",
        &format!("removed: y (by 3, amount 1, goal {g1}); goal {g1} current → 41.5"),
        T0 + 800,
    )
    .await;

    // Water: its own goal #1, set by progress; Climate's goal #1 must not get its event.
    let water = coalition(&pool, "Water", 1200).await;
    let w1 = goal(&pool, water, 1, 5.0, T0 + 10).await;
    event(&pool, water, "goal.progress", "goal #1", "0 → 5", T0 + 900).await;
    pool.close().await;

    let store = Store::open_file(&path).await.expect("migrates to the latest");
    let rows = |goal: i64| {
        let store = store.clone();
        async move {
            backbone::store::sql::query_as::<(f64, i64, String)>(
                "SELECT value, at, cause FROM goal_values WHERE goal_id = ? ORDER BY at, id",
            )
            .bind(goal)
            .fetch_all(store.pool())
            .await
            .unwrap()
        }
    };
    let row = |v: f64, at: i64, cause: &str| (v, at, cause.to_string());
    assert_eq!(
        rows(g1).await,
        [
            row(0.0, T0, "created"),
            row(10.0, T0 + 100, "win"),
            row(30.0, T0 + 200, "progress"),
            row(35.0, T0 + 300, "win"),
            row(37.5, T0 + 400, "win"),
            row(35.0, T0 + 500, "win_removed"),
            row(42.5, T0 + 600, "progress"),
        ]
    );
    // No recorded change: its value now, from its creation (as the old report drew it).
    assert_eq!(rows(g2).await, [row(7.0, T0 + 50, "created")]);
    assert_eq!(rows(g3).await, [row(3.0, T0 + 60, "created")]);
    assert_eq!(
        rows(w1).await,
        [row(0.0, T0 + 10, "created"), row(5.0, T0 + 900, "progress")]
    );
    let coalitions: Vec<(i64, i64)> = backbone::store::sql::query_as(
        "SELECT goal_id, coalition_id FROM goal_values GROUP BY goal_id ORDER BY goal_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        coalitions,
        [(g1, climate), (g2, climate), (g3, climate), (w1, water)]
    );
}
