//! A simulated month for a coalition in Europe/Berlin across the end of DST (2026-10-25): exactly
//! the expected check-ins, nudges, pings and digests, each once, at local times that don't drift.

mod harness;
use harness::*;

use std::collections::{HashMap, HashSet};

use backbone::actions::{checkins, deadlines, tasks};
use backbone::domain::*;
use backbone::scheduler::{self, SchedulerSettings};
use backbone::store::deliveries::{Delivery, Target};
use chrono::{Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::Berlin;

const STEP_MINUTES: i64 = 5;

fn berlin(m: u32, d: u32, h: u32) -> i64 {
    Berlin.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap().timestamp()
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
    .expect("assign")
    .task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_in_berlin_across_the_end_of_dst_sends_everything_exactly_once() {
    let mut w = World::new().await;
    w.now = Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap();
    let c = w.climate().await;
    let s = SchedulerSettings {
        max_sends_per_second: 0,
        send_concurrency: 3,
        ..SchedulerSettings::default()
    };
    let n = RecordingNotifier::new();

    let a = assign(&w, &c, MEMBER, "Venue booking", "2026-10-20 17:00").await;
    let b = assign(&w, &c, MEMBER2, "Flyer design", "2026-10-28 12:00").await;
    let d = assign(&w, &c, MEMBER, "Press list", "2026-10-15 17:00").await;
    let milestone = deadlines::add(
        &w.store,
        &w.actor(LEAD),
        w.now,
        deadlines::AddDeadline {
            coalition: Some(c.name.clone()),
            title: "Rally day".into(),
            due: "2026-10-26 10:00".into(),
            goal: None,
        },
    )
    .await
    .unwrap()
    .deadline;

    let mut answered = HashSet::new();
    let (mut b_done, mut d_moved) = (false, false);
    while w.now < end {
        let now = w.now;
        // Planning twice, and two senders at once, must change nothing.
        scheduler::tick(&w.store, &s, now).await.unwrap();
        scheduler::tick(&w.store, &s, now).await.unwrap();
        let (r1, r2) = tokio::join!(
            scheduler::deliver(&w.store, &n, &s, now),
            scheduler::deliver(&w.store, &n, &s, now)
        );
        r1.unwrap();
        r2.unwrap();

        // MEMBER answers every round an hour after it opens; the second time with a blocker.
        if let Some(round) = backbone::store::checkins::current_round(&w.store, c.id, now.timestamp())
            .await
            .unwrap()
            && now.timestamp() >= round.opens_at + 3600
            && answered.insert(round.id)
        {
            let blockers = if answered.len() == 2 { "no venue yet" } else { "" };
            let input = checkins::SubmitCheckin {
                round: round.id,
                answers: vec![
                    "calls".to_string(),
                    "more calls".to_string(),
                    blockers.to_string(),
                ],
            };
            checkins::submit(&w.store, &w.actor(MEMBER), now, input)
                .await
                .unwrap();
        }
        if !d_moved && now.timestamp() >= Utc.with_ymd_and_hms(2026, 10, 13, 12, 0, 0).unwrap().timestamp() {
            let input = tasks::SetDue {
                coalition: None,
                task: tasks::TaskSel::Id(d.id),
                due: "2026-10-29 17:00".into(),
            };
            tasks::set_due(&w.store, &w.actor(LEAD), now, input)
                .await
                .unwrap();
            d_moved = true;
        }
        if !b_done && now.timestamp() >= Utc.with_ymd_and_hms(2026, 10, 26, 12, 0, 0).unwrap().timestamp() {
            tasks::done(&w.store, &w.actor(MEMBER2), now, None, tasks::TaskSel::Id(b.id))
                .await
                .unwrap();
            b_done = true;
        }
        w.advance(Duration::minutes(STEP_MINUTES));
    }

    let rows: Vec<Delivery> = backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .unwrap();
    let by_kind = |k: &str| rows.iter().filter(|d| d.kind == k).collect::<Vec<_>>();
    // Every message went out once; a digest's leads' part is dropped in a week with nothing
    // only the leads may read.
    let quiet_leads_part = |d: &Delivery| {
        d.kind == "digest_leads" && d.last_error.as_deref() == Some("nothing only the leads may read")
    };
    assert!(
        rows.iter().all(|d| d.status == "sent" || quiet_leads_part(d)),
        "{:?}",
        rows.iter()
            .filter(|d| d.status != "sent" && !quiet_leads_part(d))
            .collect::<Vec<_>>()
    );

    // Nothing posted twice: one call per delivery (no failures, no repeats) — a post, or the
    // thread started on a check-in prompt.
    let calls = n.calls();
    let quiet = rows.iter().filter(|d| quiet_leads_part(d)).count();
    assert_eq!(calls.len() + n.threads().len() + quiet, rows.len());
    assert_eq!(n.threads().len(), by_kind("checkin_thread").len());
    assert!(calls.iter().all(|s| s.posted()));

    // Check-ins: Fridays at 10:00 Berlin — 08:00 UTC in summer time, 09:00 UTC after 25 Oct.
    let prompts: Vec<i64> = by_kind("checkin_prompt").iter().map(|d| d.due_at).collect();
    assert_eq!(
        prompts,
        vec![
            berlin(10, 9, 10),
            berlin(10, 16, 10),
            berlin(10, 23, 10),
            berlin(10, 30, 10)
        ]
    );
    assert_eq!(Utc.timestamp_opt(prompts[2], 0).unwrap().hour(), 8);
    assert_eq!(Utc.timestamp_opt(prompts[3], 0).unwrap().hour(), 9);
    // Digests: Mondays at 09:00 Berlin.
    let digests: Vec<i64> = by_kind("digest").iter().map(|d| d.due_at).collect();
    assert_eq!(
        digests,
        vec![
            berlin(10, 5, 9),
            berlin(10, 12, 9),
            berlin(10, 19, 9),
            berlin(10, 26, 9),
            berlin(11, 2, 9)
        ]
    );
    for d in by_kind("checkin_prompt").iter().chain(by_kind("digest").iter()) {
        let local = Utc.timestamp_opt(d.due_at, 0).unwrap().with_timezone(&Berlin);
        let expected = if d.kind == "digest" {
            (Weekday::Mon, 9)
        } else {
            (Weekday::Fri, 10)
        };
        assert_eq!(
            (local.weekday(), local.hour(), local.minute()),
            (expected.0, expected.1, 0),
            "{}",
            d.dedupe_key
        );
    }
    // Every message went out within one step of its time (actions queue between steps).
    for d in rows.iter().filter(|d| !quiet_leads_part(d)) {
        let late = d.sent_at.unwrap() - d.due_at;
        assert!(
            (0..=STEP_MINUTES * 60).contains(&late),
            "{} sent {late}s late",
            d.dedupe_key
        );
    }

    // Nudges: 24 h after each round, to the three who never answer (MEMBER always does).
    let nudges = by_kind("nudge");
    assert_eq!(nudges.len(), 12);
    for d in &nudges {
        assert!(
            [ADMIN, LEAD, MEMBER2].contains(&UserId(d.target_id)),
            "{}",
            d.dedupe_key
        );
        assert!(prompts.contains(&(d.due_at - 24 * 3600)));
    }
    assert_eq!(
        by_kind("blocker_alert").len(),
        2,
        "one per lead for the reported blocker"
    );
    assert_eq!(by_kind("task_assigned").len(), 3);

    // Deadline pings, by subject and stage.
    let mut stages: HashMap<(String, i64), Vec<(i64, i64)>> = HashMap::new();
    for d in by_kind("task_ping").into_iter().chain(by_kind("deadline_ping")) {
        let p: serde_json::Value = serde_json::from_str(&d.payload).unwrap();
        let key = (d.kind.clone(), d.subject_id.unwrap());
        stages
            .entry(key)
            .or_default()
            .push((p["due_at"].as_i64().unwrap(), p["offset"].as_i64().unwrap()));
    }
    let pinged = |kind: &str, id: i64| {
        let mut v = stages.get(&(kind.to_string(), id)).cloned().unwrap_or_default();
        v.sort();
        v
    };
    let (h72, h24) = (72 * 3600, 24 * 3600);
    let all3 = |due: i64| {
        let mut v: Vec<(i64, i64)> = [(due, 0), (due, h24), (due, h72)]
            .iter()
            .flat_map(|s| vec![*s; 3])
            .collect();
        v.sort();
        v
    };
    // A: all three stages, each to the assignee and both leads.
    assert_eq!(pinged("task_ping", a.id.0), all3(berlin(10, 20, 17)));
    // B: done on 26 Oct, before its 24 h ping: only the 72 h one (25 Oct 12:00, after DST ended).
    assert_eq!(pinged("task_ping", b.id.0), vec![(berlin(10, 28, 12), h72); 3]);
    // D: the 72 h ping of its old date, then every stage of the new one.
    let mut expected_d = vec![(berlin(10, 15, 17), h72); 3];
    expected_d.extend(all3(berlin(10, 29, 17)));
    expected_d.sort();
    assert_eq!(pinged("task_ping", d.id.0), expected_d);
    // The milestone: every stage, to the two leads only.
    let due = berlin(10, 26, 10);
    let mut expected_m: Vec<(i64, i64)> = [(due, 0), (due, h24), (due, h72)]
        .iter()
        .flat_map(|s| vec![*s; 2])
        .collect();
    expected_m.sort();
    assert_eq!(pinged("deadline_ping", milestone.id.0), expected_m);

    // Each round in the open: a thread on its prompt, the member's answer card in it, and (for all
    // but the last round) the closing summary when the next one opens.
    let in_the_open =
        by_kind("checkin_thread").len() + by_kind("checkin_card").len() + by_kind("checkin_close").len();
    assert_eq!(
        (
            by_kind("checkin_thread").len(),
            by_kind("checkin_card").len(),
            by_kind("checkin_close").len()
        ),
        (4, 4, 3)
    );
    // Each of the 5 digests has its leads' part for the 2 leads (sent, or dropped when empty).
    assert_eq!(by_kind("digest_leads").len(), 5 * 2);
    let total = 4 + 5 + 12 + 2 + 3 + 9 + 3 + 12 + 6 + in_the_open + 5 * 2;
    assert_eq!(rows.len(), total);
    let keys: HashSet<&str> = rows.iter().map(|d| d.dedupe_key.as_str()).collect();
    assert_eq!(keys.len(), total);
    let dms = calls
        .iter()
        .filter(|s| matches!(s.target, Target::User(_)))
        .count();
    assert_eq!(
        dms,
        total - 9 - in_the_open - quiet,
        "everything but prompts, digests and the rounds' threads and posts is a DM"
    );
}
