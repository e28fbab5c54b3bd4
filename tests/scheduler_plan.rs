//! Planning: `tick` turns due schedules, nudges and ping stages into deliveries, exactly once.

mod harness;
use harness::*;

use backbone::actions::{self, checkins, coalitions, tasks};
use backbone::domain::*;
use backbone::scheduler::{self, TickReport};
use backbone::store::deliveries::{Delivery, Target};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

async fn tick(w: &World, at: DateTime<Utc>) -> TickReport {
    scheduler::tick(&w.store, &settings(), at).await.unwrap()
}

fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn keys(rows: &[Delivery], prefix: &str) -> Vec<String> {
    rows.iter()
        .filter(|d| d.dedupe_key.starts_with(prefix))
        .map(|d| d.dedupe_key.clone())
        .collect()
}

async fn assign(w: &World, c: &Coalition, to: UserId, title: &str, due: &str) -> Task {
    tasks::assign(
        &w.store,
        &w.actor(LEAD),
        w.now,
        tasks::AssignTask {
            coalition: Some(c.name.clone()),
            title: title.into(),
            assignee: to,
            assignee_name: format!("user{}", to.0),
            due: Some(due.into()),
            goal: None,
        },
    )
    .await
    .expect("assign task")
    .task
}

#[tokio::test]
async fn checkin_prompt_is_planned_once_at_the_local_time() {
    let w = World::new().await;
    let c = w.climate().await;
    // Fridays 10:00 in Berlin: Fri 27 Nov 2026 09:00 UTC (winter time).
    let at = berlin(2026, 11, 27, 10, 0);
    assert_eq!(c.next_checkin_at, Some(at.timestamp()));

    assert_eq!(tick(&w, at - Duration::seconds(1)).await.checkins, 0);
    assert_eq!(tick(&w, at).await.checkins, 1);
    assert_eq!(
        tick(&w, at).await,
        TickReport::default(),
        "a second tick plans nothing"
    );
    assert_eq!(tick(&w, at + Duration::minutes(5)).await, TickReport::default());

    let rows = rows(&w, &c).await;
    let prompts = keys(&rows, "checkin:");
    assert_eq!(prompts, vec![format!("checkin:{}:{}", c.id, at.timestamp())]);
    let d = &rows[0];
    assert_eq!(d.target(), Target::Channel(HOME));
    assert_eq!(d.status, "pending");
    let round = backbone::store::checkins::round_any(&w.store, RoundId(d.subject_id.unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.opens_at, at.timestamp());
    assert_eq!(
        round.nudge_at,
        Some(at.timestamp() + 24 * 3600),
        "nudges 24 h after opening"
    );

    let c2 = backbone::store::coalitions::get_any(&w.store, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c2.next_checkin_at, Some(berlin(2026, 12, 4, 10, 0).timestamp()));
}

#[tokio::test]
async fn digest_is_planned_on_monday_morning_local_time() {
    let w = World::new().await;
    let c = w.climate().await;
    let at = berlin(2026, 11, 30, 9, 0);
    assert_eq!(c.next_digest_at, Some(at.timestamp()));
    assert_eq!(tick(&w, at).await.digests, 1);
    assert_eq!(tick(&w, at + Duration::hours(1)).await.digests, 0);
    // The digest, and its leads' part to each lead (ADMIN and LEAD).
    assert_eq!(
        keys(&rows(&w, &c).await, "digest:"),
        vec![
            format!("digest:{}:{}", c.id, at.timestamp()),
            format!("digest:{}:{}:leads:u{ADMIN}", c.id, at.timestamp()),
            format!("digest:{}:{}:leads:u{LEAD}", c.id, at.timestamp()),
        ]
    );
}

#[tokio::test]
async fn after_downtime_only_the_latest_missed_occurrence_is_sent_within_grace() {
    let mut w = World::new().await;
    let c = w.climate().await;
    coalitions::settings(
        &w.store,
        &w.actor(LEAD),
        w.now,
        coalitions::UpdateSettings {
            checkin_schedule: Some("every day 9:00".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Down for three days; back two hours after Thursday's 09:00: only Thursday's round.
    w.now = berlin(2026, 11, 26, 11, 0);
    let report = tick(&w, w.now).await;
    assert_eq!(report.checkins, 1);
    assert_eq!(
        keys(&rows(&w, &c).await, "checkin:"),
        vec![format!(
            "checkin:{}:{}",
            c.id,
            berlin(2026, 11, 26, 9, 0).timestamp()
        )]
    );
    // Down again until Saturday 22:00: Saturday's 09:00 is 13 h late, past the 12 h grace (and so
    // is Thursday's round's nudge, due Friday 09:00).
    w.now = berlin(2026, 11, 28, 22, 0);
    let report = tick(&w, w.now).await;
    assert_eq!((report.checkins, report.nudges, report.skipped), (0, 0, 2));
    assert_eq!(keys(&rows(&w, &c).await, "checkin:").len(), 1);
    // The schedule goes on from there.
    let c2 = backbone::store::coalitions::get_any(&w.store, c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c2.next_checkin_at, Some(berlin(2026, 11, 29, 9, 0).timestamp()));
}

#[tokio::test]
async fn nudges_go_once_to_members_without_an_answer() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let opens = berlin(2026, 11, 27, 10, 0);
    w.now = opens;
    tick(&w, w.now).await;
    let round = backbone::store::checkins::current_round(&w.store, c.id, w.now.timestamp())
        .await
        .unwrap()
        .unwrap();
    w.advance(Duration::hours(2));
    checkins::submit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        checkins::SubmitCheckin {
            round: round.id,
            answers: vec![
                "drafted the letter".to_string(),
                "send it".to_string(),
                "".to_string(),
            ],
        },
    )
    .await
    .unwrap();

    assert_eq!(
        tick(&w, opens + Duration::hours(24) - Duration::seconds(1))
            .await
            .nudges,
        0
    );
    assert_eq!(tick(&w, opens + Duration::hours(24)).await.nudges, 3);
    assert_eq!(tick(&w, opens + Duration::hours(25)).await.nudges, 0);
    let mut nudged = keys(&rows(&w, &c).await, "nudge:");
    nudged.sort();
    let mut expected: Vec<String> = [ADMIN, LEAD, MEMBER2]
        .iter()
        .map(|u| format!("nudge:{}:{u}", round.id))
        .collect();
    expected.sort();
    assert_eq!(nudged, expected, "everyone but MEMBER, who answered");
}

#[tokio::test]
async fn task_pings_reach_assignee_and_leads_at_each_offset_then_when_overdue() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Book the venue", "2026-12-04 17:00").await;
    let due = berlin(2026, 12, 4, 17, 0).timestamp();
    assert_eq!(t.due_at, Some(due));
    assert_eq!(t.next_ping_at, Some(due - 72 * 3600));

    let at = |s: i64| Utc.timestamp_opt(s, 0).unwrap();
    assert_eq!(tick(&w, at(due - 72 * 3600 - 1)).await.pings, 0);
    assert_eq!(tick(&w, at(due - 72 * 3600)).await.pings, 3, "assignee + 2 leads");
    assert_eq!(tick(&w, at(due - 72 * 3600 + 60)).await.pings, 0);
    assert_eq!(tick(&w, at(due - 24 * 3600)).await.pings, 3);
    assert_eq!(tick(&w, at(due)).await.pings, 3, "overdue");
    assert_eq!(
        tick(&w, at(due + 7 * 86_400)).await.pings,
        0,
        "overdue is pinged once"
    );

    let pings = keys(&rows(&w, &c).await, "ping:task:");
    assert_eq!(pings.len(), 9);
    for offset in [72 * 3600, 24 * 3600, 0] {
        for user in [MEMBER, ADMIN, LEAD] {
            let key = format!("ping:task:{}:{due}:{offset}:u{user}", t.id);
            assert!(pings.contains(&key), "missing {key}");
        }
    }
    let t2 = backbone::store::tasks::get(&w.store, c.id, t.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t2.next_ping_at, None);
}

#[tokio::test]
async fn after_downtime_only_the_latest_ping_stage_is_sent() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Print flyers", "2026-12-04 17:00").await;
    let due = t.due_at.unwrap();
    let report = tick(&w, Utc.timestamp_opt(due - 3600, 0).unwrap()).await;
    assert_eq!(report.pings, 3);
    let pings = keys(&rows(&w, &c).await, "ping:task:");
    assert!(
        pings.iter().all(|k| k.contains(&format!(":{due}:86400:"))),
        "{pings:?}"
    );
}

#[tokio::test]
async fn a_task_done_before_its_ping_gets_none() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Call the mayor", "2026-12-04 17:00").await;
    w.advance(Duration::hours(1));
    tasks::done(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        Some(c.name.clone()),
        tasks::TaskSel::Id(t.id),
    )
    .await
    .unwrap();
    let due = t.due_at.unwrap();
    for s in [due - 72 * 3600, due - 24 * 3600, due, due + 86_400] {
        assert_eq!(tick(&w, Utc.timestamp_opt(s, 0).unwrap()).await.pings, 0);
    }
    assert!(keys(&rows(&w, &c).await, "ping:").is_empty());
}

#[tokio::test]
async fn deadline_pings_go_to_leads_only() {
    let w = World::new().await;
    let c = w.climate().await;
    let added = actions::deadlines::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        actions::deadlines::AddDeadline {
            coalition: Some(c.name.clone()),
            title: "Grant report".into(),
            due: "2026-12-10 12:00".into(),
            goal: None,
        },
    )
    .await
    .unwrap();
    let due = added.deadline.due_at;
    assert_eq!(
        tick(&w, Utc.timestamp_opt(due - 72 * 3600, 0).unwrap())
            .await
            .pings,
        2
    );
    let mut pings = keys(&rows(&w, &c).await, "ping:deadline:");
    pings.sort();
    let id = added.deadline.id;
    assert_eq!(
        pings,
        vec![
            format!("ping:deadline:{id}:{due}:259200:u{ADMIN}"),
            format!("ping:deadline:{id}:{due}:259200:u{LEAD}")
        ]
    );
}

#[tokio::test]
async fn idle_planning_queries_are_index_lookups() {
    use backbone::store::{deliveries, schedule};
    if sqlite_only("SQLite's EXPLAIN QUERY PLAN") {
        return;
    }
    let w = World::new().await;
    // The statements the scheduler runs, each with its parameters (now, limit…).
    let queries: [(&str, &[i64]); 9] = [
        (schedule::ANYTHING_DUE_SQL, &[1]),
        (schedule::DUE_CHECKINS_SQL, &[1, 200]),
        (schedule::DUE_DIGESTS_SQL, &[1, 200]),
        (schedule::DUE_NUDGES_SQL, &[1, 200]),
        (schedule::DUE_TASK_PINGS_SQL, &[1, 200]),
        (schedule::DUE_DEADLINE_PINGS_SQL, &[1, 200]),
        (deliveries::ANY_DUE_SQL, &[1]),
        (deliveries::DUE_FAIRLY_SQL, &[1, 20]),
        (deliveries::CLAIM_SQL, &[121, 1, 1]),
    ];
    for (q, params) in queries {
        let mut explain =
            backbone::store::sql::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {q}")));
        for p in params {
            explain = explain.bind(*p);
        }
        let plan: Vec<(i64, i64, i64, String)> = explain.fetch_all(w.store.pool()).await.unwrap();
        // Every table is reached through an index: nothing is scanned but a constant row or an
        // intermediate result (the claim's candidate list, itself read through indexes).
        let scans: Vec<&String> = plan
            .iter()
            .map(|p| &p.3)
            .filter(|step| step.starts_with("SCAN ") && step.as_str() != "SCAN CONSTANT ROW")
            .filter(|step| !step.to_ascii_lowercase().contains("subquery"))
            // The claim's id list (json_each over the ids just chosen) and the union of due rows.
            .filter(|step| !step.contains("VIRTUAL TABLE") && step.as_str() != "SCAN d")
            .collect();
        assert!(scans.is_empty(), "{scans:?} in\n{q}\n{plan:?}");
        assert!(plan.iter().any(|p| p.3.starts_with("SEARCH ")), "{q}\n{plan:?}");
    }
}
