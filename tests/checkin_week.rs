//! What a coalition of 30 members sees in one week, for each `report` setting: messages in the home
//! channel, in the round's thread, and DMs. Simulated hour by hour with the real scheduler, real
//! SQLite and a manual clock, Monday 23 Nov 10:00 to Monday 30 Nov 10:00 (Europe/Berlin):
//!
//! * Friday 10:00 the check-in opens; 24 of the 30 answer within a day (3 with a blocker, 2 edit
//!   their answer later); the 6 others are nudged Saturday 10:00, and 2 of them answer then.
//! * Monday 09:00 the digest.
//!
//! The counts are printed (`cargo test --test checkin_week -- --nocapture`) and checked.

mod harness;
use harness::*;

use backbone::actions::{checkin_posts, checkins};
use backbone::domain::*;
use backbone::scheduler;
use backbone::store::deliveries::Target;
use chrono::{DateTime, Duration};

#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    channel: usize,
    thread: usize,
    dms: usize,
    /// Messages edited in place (not new messages).
    edits: usize,
}

async fn run(w: &World, n: &RecordingNotifier, at: DateTime<chrono::Utc>) {
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    scheduler::deliver(&w.store, n, &settings(), at).await.unwrap();
}

async fn week(report: &str) -> Seen {
    let mut w = World::new().await;
    let c = w.climate().await;
    // Members first, the two leads (ADMIN created the coalition, LEAD) last: they don't answer.
    let mut people = vec![MEMBER, MEMBER2];
    for i in 0..26 {
        w.add_member(&c, UserId(100 + i), Role::Member).await;
        people.push(UserId(100 + i));
    }
    people.extend([LEAD, ADMIN]);
    let roster = backbone::store::checkin_posts::roster(w.store.pool(), c.id, RoundId(0))
        .await
        .unwrap()
        .0;
    assert_eq!(roster.len(), 30, "30 members");
    checkin_posts::settings(&w.store, &w.actor(LEAD), w.now, None, Some(report), None, 86_400)
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    let end = w.now + Duration::days(7);
    let mut round = None;
    let mut answered = 0;
    while w.now <= end {
        run(&w, &n, w.now).await;
        if round.is_none() {
            round = backbone::store::checkins::current_round(&w.store, c.id, w.now.timestamp())
                .await
                .unwrap()
                .map(|r| r.id);
        }
        if let Some(r) = round {
            let opened = backbone::store::checkins::round_any(&w.store, r)
                .await
                .unwrap()
                .unwrap()
                .opens_at;
            let hours = (w.now.timestamp() - opened) / 3600;
            // One answer an hour for the first 24 hours; two late ones after the nudge.
            let who = match hours {
                0..=23 => Some(hours as usize),
                25 | 26 => Some(hours as usize - 1),
                _ => None,
            };
            if let Some(i) = who.filter(|i| *i < people.len()) {
                let blocker = if i % 8 == 3 { "Waiting on the permit" } else { "" };
                let a = vec![format!("Work {i}"), format!("Plan {i}"), blocker.to_string()];
                checkins::submit(
                    &w.store,
                    &w.actor(people[i]),
                    w.now,
                    checkins::SubmitCheckin { round: r, answers: a },
                )
                .await
                .unwrap();
                answered += 1;
            }
            // Two members fix a typo a few hours after answering.
            if hours == 30 {
                for i in [0, 1] {
                    let a = vec![format!("Work {i} (fixed)"), format!("Plan {i}"), String::new()];
                    checkins::submit(
                        &w.store,
                        &w.actor(people[i]),
                        w.now,
                        checkins::SubmitCheckin { round: r, answers: a },
                    )
                    .await
                    .unwrap();
                }
            }
        }
        run(&w, &n, w.now).await;
        w.advance(Duration::hours(1));
    }
    assert_eq!(answered, 26);
    let round = round.expect("a round opened");
    let thread = backbone::store::checkin_posts::round_posts(w.store.pool(), c.id, round)
        .await
        .unwrap()
        .unwrap()
        .thread_id;
    let posted = n.posted();
    let seen = Seen {
        channel: posted
            .iter()
            .filter(|s| s.target == Target::Channel(HOME))
            .count(),
        thread: posted
            .iter()
            .filter(|s| thread.is_some_and(|t| s.target == Target::Channel(t)))
            .count(),
        dms: posted
            .iter()
            .filter(|s| matches!(s.target, Target::User(_)))
            .count(),
        edits: n
            .changes()
            .iter()
            .filter(|c| c.msg.is_some() && c.error.is_none())
            .count(),
    };
    // Every answer appears once in its thread (thread mode), and each card went out once.
    if report == "thread" {
        let cards = posted
            .iter()
            .filter(|s| thread.is_some_and(|t| s.target == Target::Channel(t)))
            .count();
        assert_eq!(cards, 26, "one card per answer");
    }
    eprintln!("report={report}: {seen:?}");
    seen
}

#[tokio::test]
async fn what_thirty_members_see_in_a_week() {
    let thread = week("thread").await;
    let summary = week("summary").await;
    let leads = week("leads").await;
    // Home channel: the prompt and the digest, whatever the setting.
    for s in [&thread, &summary, &leads] {
        assert_eq!(s.channel, 2, "{s:?}");
    }
    // DMs: 6 nudges + 3 blockers × 2 leads (ADMIN and LEAD), the same in every mode, and the
    // digest's leads' part (the blockers' reasons) to each lead.
    for s in [&thread, &summary, &leads] {
        assert_eq!(s.dms, 6 + 3 * 2 + 2, "{s:?}");
    }
    assert_eq!(
        (thread.thread, thread.edits),
        (26, 2),
        "a card per answer; two edited in place"
    );
    // 25 later answers + the two fixes made in the same instant (one edit shows both).
    assert_eq!(
        (summary.thread, summary.edits),
        (1, 26),
        "one summary, edited as answers arrive"
    );
    assert_eq!((leads.thread, leads.edits), (0, 0), "nothing public");
}
