//! `/win remove`, `/goal edit`, `/deadline edit`, `/deadline remove`, `/coalition rename`,
//! `/coalition archive`, `/coalition restore`: who may, who may not, bad input, the event written.

mod harness;
use harness::*;

use backbone::actions::coalition_edits::{self, ArchiveCoalition, RenameCoalition, RestoreCoalition};
use backbone::actions::coalitions::{self, CreateCoalition};
use backbone::actions::export::{self, ExportFormat, ExportInput};
use backbone::actions::goals::{self, AddGoal};
use backbone::actions::plan_edits::{self, EditDeadline, EditGoal, RemoveDeadline};
use backbone::actions::win_edits::{self, RemoveWin};
use backbone::actions::wins::{self, LogWin};
use backbone::domain::*;
use backbone::scheduler::{self, SchedulerSettings};
use chrono::Duration;

async fn last_event(w: &World, c: &Coalition) -> (String, String, String) {
    backbone::store::sql::query_as(
        "SELECT kind, subject, detail FROM events WHERE coalition_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(c.id)
    .fetch_one(w.store.pool())
    .await
    .unwrap()
}

async fn goal_with_target(w: &World, target: f64) -> Goal {
    let add = AddGoal {
        title: "Signatures".into(),
        target: Some(target),
        unit: Some("people".into()),
        ..Default::default()
    };
    goals::add(&w.store, &w.actor(LEAD), w.now, add)
        .await
        .unwrap()
        .goal
}

async fn log_win(w: &World, who: UserId, text: &str, amount: Option<f64>) -> Win {
    let input = LogWin {
        text: text.into(),
        goal: amount.map(|_| "#1".into()),
        amount,
        ..Default::default()
    };
    wins::log(&w.store, &w.actor(who), w.now, input)
        .await
        .unwrap()
        .win
}

async fn current(w: &World, g: &Goal) -> f64 {
    backbone::store::goals::get(&w.store, g.coalition_id, g.id)
        .await
        .unwrap()
        .unwrap()
        .current
}

fn remove(win: &Win) -> RemoveWin {
    RemoveWin {
        coalition: None,
        win: win.id.to_string(),
    }
}

#[tokio::test]
async fn a_win_removed_by_its_author_or_a_lead_leaves_its_goal() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = goal_with_target(&w, 100.0).await;
    let twice = log_win(&w, MEMBER, "50 signatures", Some(50.0)).await;
    let other = log_win(&w, MEMBER2, "20 signatures", Some(20.0)).await;
    assert_eq!(current(&w, &g).await, 70.0);
    // Both celebrations go out.
    let n = RecordingNotifier::new();
    scheduler::deliver(&w.store, &n, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();

    let before = people_state(&w).await;
    user_err(
        win_edits::remove(&w.store, &w.actor(MEMBER2), w.now, remove(&twice)).await,
        "Only whoever logged win #1 or a lead",
    );
    user_err(
        win_edits::remove(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            RemoveWin {
                coalition: None,
                win: "lots".into(),
            },
        )
        .await,
        "isn't a win",
    );
    user_err(
        win_edits::remove(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            RemoveWin {
                coalition: None,
                win: "999".into(),
            },
        )
        .await,
        "no win #999",
    );
    assert_eq!(people_state(&w).await, before);
    assert_eq!(current(&w, &g).await, 70.0);

    let out = win_edits::remove(&w.store, &w.actor(MEMBER), w.now, remove(&twice))
        .await
        .unwrap();
    assert_eq!(current(&w, &g).await, 20.0, "its amount leaves the goal");
    assert_eq!(out.goal.as_ref().map(|g| g.current), Some(20.0));
    assert!(
        matches!(
            out.celebration,
            backbone::store::win_edits::Celebration::Posted(..)
        ),
        "the posted celebration is found, to be edited"
    );
    let (kind, subject, detail) = last_event(&w, &c).await;
    assert_eq!(
        (kind.as_str(), subject),
        ("win.remove", format!("win {}", twice.id))
    );
    assert!(
        detail.contains("50 signatures") && detail.contains("amount 50"),
        "{detail}"
    );
    user_err(
        win_edits::remove(&w.store, &w.actor(MEMBER), w.now, remove(&twice)).await,
        "no win",
    );

    // A lead removes someone else's; the goal never goes below zero.
    backbone::store::sql::query("UPDATE goals SET current = 5 WHERE id = ?")
        .bind(g.id)
        .execute(w.store.pool())
        .await
        .unwrap();
    let out = win_edits::remove(&w.store, &w.actor(LEAD), w.now, remove(&other))
        .await
        .unwrap();
    assert_eq!(current(&w, &g).await, 0.0);
    assert!(matches!(
        out.celebration,
        backbone::store::win_edits::Celebration::Posted(..)
    ));

    // A win removed before its celebration went out is never celebrated.
    let quick = log_win(&w, MEMBER, "Oops, logged by mistake", None).await;
    let out = win_edits::remove(&w.store, &w.actor(MEMBER), w.now, remove(&quick))
        .await
        .unwrap();
    assert!(
        out.celebration_cancelled,
        "its celebration hadn't gone out, and now won't"
    );
    assert_eq!(out.celebration, backbone::store::win_edits::Celebration::None);
    let before = n.posted().len();
    scheduler::deliver(&w.store, &n, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();
    assert_eq!(n.posted().len(), before);
}

#[tokio::test]
async fn win_autocomplete_offers_your_own_wins_and_leads_see_all() {
    let w = World::new().await;
    let _c = w.climate().await;
    log_win(&w, MEMBER, "Mine", None).await;
    log_win(&w, MEMBER2, "Theirs", None).await;
    let mine = win_edits::suggest(&w.store, &w.actor(MEMBER), None, "")
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].0.contains("Mine"), "{mine:?}");
    let all = win_edits::suggest(&w.store, &w.actor(LEAD), None, "")
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let typed = win_edits::suggest(&w.store, &w.actor(LEAD), None, "thei")
        .await
        .unwrap();
    assert_eq!(typed.len(), 1);
}

#[tokio::test]
async fn a_lead_corrects_a_goal_and_its_value_is_kept() {
    let w = World::new().await;
    let c = w.climate().await;
    let g = goal_with_target(&w, 1000.0).await;
    log_win(&w, MEMBER, "120 signatures", Some(120.0)).await;
    let edit = |by: UserId, e: EditGoal| {
        let (w, a) = (&w, w.actor(by));
        async move { plan_edits::edit_goal(&w.store, &a, w.now, e).await }
    };

    let before = people_state(&w).await;
    let too_high = EditGoal {
        goal: "#1".into(),
        target: Some(500.0),
        ..Default::default()
    };
    user_err(edit(MEMBER, too_high.clone()).await, "Only leads");
    user_err(
        edit(
            LEAD,
            EditGoal {
                goal: "#1".into(),
                ..Default::default()
            },
        )
        .await,
        "Say what to change on goal #1",
    );
    user_err(
        edit(
            LEAD,
            EditGoal {
                goal: "#1".into(),
                target: Some(-3.0),
                ..Default::default()
            },
        )
        .await,
        "above 0",
    );
    user_err(
        edit(
            LEAD,
            EditGoal {
                goal: "#1".into(),
                due: Some("yesterday".into()),
                ..Default::default()
            },
        )
        .await,
        "",
    );
    user_err(
        edit(
            LEAD,
            EditGoal {
                goal: "#7".into(),
                ..too_high.clone()
            },
        )
        .await,
        "No goal #7",
    );
    assert_eq!(people_state(&w).await, before);

    let out = edit(
        LEAD,
        EditGoal {
            title: Some("Petition signatures".into()),
            unit: Some("none".into()),
            ..too_high
        },
    )
    .await
    .unwrap();
    assert_eq!(out.goal.target, Some(500.0));
    assert_eq!(out.goal.current, 120.0, "the current value is kept");
    assert_eq!(out.goal.unit, None);
    assert_eq!(out.goal.title, "Petition signatures");
    let (kind, subject, detail) = last_event(&w, &c).await;
    assert_eq!((kind.as_str(), subject.as_str()), ("goal.edit", "goal #1"));
    assert!(
        detail.contains("target: 1000 → 500") && detail.contains("unit: people → none"),
        "{detail}"
    );
    let _ = g;
}

#[tokio::test]
async fn moving_a_deadline_reschedules_its_pings_without_resending_past_stages() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let add = backbone::actions::deadlines::AddDeadline {
        title: "Submit the grant".into(),
        due: "2026-11-30 17:00".into(),
        ..Default::default()
    };
    backbone::actions::deadlines::add(&w.store, &w.actor(LEAD), w.now, add)
        .await
        .unwrap();
    // Thursday: the 72 h ping (Fri 27th 16:00 UTC) is planned… and it's past by Saturday.
    w.advance(Duration::days(5));
    let n = RecordingNotifier::new();
    scheduler::tick(&w.store, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();
    scheduler::deliver(&w.store, &n, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();
    let pinged = n.posted().len();
    assert!(pinged > 0, "the 72 h stage pinged the leads");

    let edit = |by: UserId, e: EditDeadline| {
        let (w, a) = (&w, w.actor(by));
        async move { plan_edits::edit_deadline(&w.store, &a, w.now, e).await }
    };
    let before = people_state(&w).await;
    let later = EditDeadline {
        deadline: "#1".into(),
        due: Some("2026-12-10 17:00".into()),
        ..Default::default()
    };
    user_err(edit(MEMBER, later.clone()).await, "Only leads");
    user_err(
        edit(
            LEAD,
            EditDeadline {
                deadline: "#1".into(),
                ..Default::default()
            },
        )
        .await,
        "`title` and/or `due`",
    );
    user_err(
        edit(
            LEAD,
            EditDeadline {
                due: Some("2026-01-01".into()),
                ..later.clone()
            },
        )
        .await,
        "",
    );
    assert_eq!(people_state(&w).await, before);

    let out = edit(LEAD, later).await.unwrap();
    assert_eq!(out.deadline.due_at, utc("2026-12-10 16:00"));
    // Next stage: 72 h before the new date, not the ones already past for the old date.
    assert_eq!(out.deadline.next_ping_at, Some(utc("2026-12-07 16:00")));
    assert_eq!(last_event(&w, &c).await.0, "deadline.edit");
    scheduler::tick(&w.store, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();
    scheduler::deliver(&w.store, &n, &SchedulerSettings::default(), w.now)
        .await
        .unwrap();
    assert_eq!(n.posted().len(), pinged, "nothing is resent now");

    let removed = plan_edits::remove_deadline(
        &w.store,
        &w.actor(LEAD),
        w.now,
        RemoveDeadline {
            coalition: None,
            deadline: "#1".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(removed.deadline.number, 1);
    assert_eq!(w.rows_in("deadlines", &c).await, 0);
    assert_eq!(last_event(&w, &c).await.0, "deadline.remove");
    user_err(
        plan_edits::remove_deadline(
            &w.store,
            &w.actor(LEAD),
            w.now,
            RemoveDeadline {
                coalition: None,
                deadline: "#1".into(),
            },
        )
        .await,
        "No deadline #1",
    );
}

#[tokio::test]
async fn rename_archive_and_restore_keep_the_name_and_data() {
    let w = World::new().await;
    let c = w.climate().await;
    let rename = |by: UserId, name: &str| {
        let (w, a, name) = (&w, w.actor(by), name.to_string());
        async move {
            coalition_edits::rename(
                &w.store,
                &a,
                w.now,
                RenameCoalition {
                    coalition: None,
                    name,
                },
            )
            .await
        }
    };
    user_err(rename(MEMBER, "Climate Alliance").await, "Only leads");
    user_err(rename(LEAD, "  ").await, "");
    let out = rename(LEAD, "Climate Alliance").await.unwrap();
    assert_eq!(
        (out.previous.as_str(), out.name.as_str()),
        ("Climate Coalition", "Climate Alliance")
    );
    assert_eq!(
        last_event(&w, &c).await,
        (
            "coalition.rename".into(),
            "Climate Alliance".into(),
            "name: Climate Coalition → Climate Alliance".into()
        )
    );

    let archive = |by: UserId| {
        let (w, a) = (&w, w.actor(by));
        async move { coalition_edits::archive(&w.store, &a, w.now, ArchiveCoalition::default()).await }
    };
    user_err(archive(LEAD).await, "Only server admins");
    let out = archive(ADMIN).await.unwrap();
    assert_eq!(out.name, "Climate Alliance");
    assert_eq!(last_event(&w, &c).await.0, "coalition.archive");
    assert!(
        coalitions::list(&w.store, &w.actor(ADMIN))
            .await
            .unwrap()
            .is_empty(),
        "hidden from lists"
    );

    // The name stays taken while the archive exists; export still works.
    let again = CreateCoalition {
        name: "climate alliance".into(),
        ..Default::default()
    };
    user_err(
        coalitions::create(&w.store, &w.actor(ADMIN), w.now, again).await,
        "archived coalition",
    );
    let file = export::export(
        &w.store,
        &w.actor(ADMIN),
        w.now,
        ExportInput {
            coalition: Some("Climate Alliance".into()),
            format: ExportFormat::Json,
        },
    )
    .await
    .unwrap();
    assert!(!file.bytes.is_empty());

    let restore = |by: UserId, name: &str| {
        let (w, a, coalition) = (&w, w.actor(by), name.to_string());
        async move { coalition_edits::restore(&w.store, &a, w.now, RestoreCoalition { coalition }).await }
    };
    user_err(restore(LEAD, "Climate Alliance").await, "Only server admins");
    user_err(restore(ADMIN, "Nope").await, "No archived coalition");
    let out = restore(ADMIN, "climate alliance").await.unwrap();
    assert!(out.coalition.archived_at.is_none());
    assert!(
        out.next_digest_at.unwrap() > w.now.timestamp(),
        "schedules resume in the future"
    );
    assert_eq!(last_event(&w, &c).await.0, "coalition.restore");
    user_err(restore(ADMIN, "Climate Alliance").await, "isn't archived");
}
