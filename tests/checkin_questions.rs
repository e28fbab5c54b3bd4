//! Questions the coalition owns (issue 9): `/checkin questions` validation, versions per round (a
//! change affects the next round, never the one in progress; old answers keep their questions),
//! the blocker question, `/checkin report` paging, and one participation figure.

mod harness;
use harness::*;

use backbone::actions::{checkin_posts, checkin_report, checkins, digest};
use backbone::domain::*;
use backbone::scheduler;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

fn friday() -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn typed(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn round_at(w: &World, c: &Coalition, at: DateTime<Utc>) -> RoundId {
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    backbone::store::checkins::current_round(&w.store, c.id, at.timestamp())
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn bad_questions_are_refused_and_change_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let events = w.events(&c).await;
    let lead = w.actor(LEAD);
    let long = "x".repeat(46);
    for (input, needle) in [
        (typed(&["", " ", "", "", ""]), "at least one question"),
        (typed(&[&long]), "at most 45"),
        (typed(&["a", "b", "c", "d", "e", "f"]), "at most 5"),
        (typed(&["!a", "!b"]), "Only one"),
    ] {
        user_err(
            checkin_posts::set_questions(&w.store, &lead, w.now, c.id, &input).await,
            needle,
        );
    }
    user_err(
        checkin_posts::set_questions(&w.store, &w.actor(MEMBER), w.now, c.id, &typed(&["Wins"])).await,
        "lead",
    );
    user_err(
        checkin_posts::questions_form(&w.store, &w.actor(MEMBER), None).await,
        "lead",
    );
    user_err(
        checkin_posts::set_questions(&w.store, &w.foreign(ADMIN), w.now, c.id, &typed(&["Wins"])).await,
        "no longer exists",
    );
    assert_eq!(w.events(&c).await, events, "nothing changed");
    let form = checkin_posts::questions_form(&w.store, &lead, None)
        .await
        .unwrap();
    let labels: Vec<&str> = form.questions.iter().map(|q| q.label.as_str()).collect();
    assert_eq!(labels, ["Done since last check-in", "Next", "Blockers"]);
    assert!(form.questions[2].is_blocker);
}

#[tokio::test]
async fn new_questions_wait_for_the_next_round_and_old_answers_keep_theirs() {
    let w = World::new().await;
    let c = w.climate().await;
    let t0 = friday();
    let r1 = round_at(&w, &c, t0).await;
    let lead = w.actor(LEAD);

    // Changed while round 1 is in progress: a blocker question first, marked with `!`.
    let saved = checkin_posts::set_questions(
        &w.store,
        &lead,
        t0,
        c.id,
        &typed(&["!What is in your way?", "Wins this week", "", "Plans", ""]),
    )
    .await
    .unwrap();
    assert!(saved.changed && saved.round_in_progress);
    let again = checkin_posts::set_questions(
        &w.store,
        &lead,
        t0,
        c.id,
        &typed(&["!What is in your way?", "Wins this week", "Plans"]),
    )
    .await
    .unwrap();
    assert!(!again.changed, "the same questions store nothing new");

    // Round 1 still asks the defaults: its form, and an answer to them.
    let form = checkins::open_form_for_round(&w.store, &w.actor(MEMBER), t0, r1)
        .await
        .unwrap();
    assert_eq!(form.questions[0].label, "Done since last check-in");
    let a = checkins::SubmitCheckin {
        round: r1,
        answers: typed(&["Old done", "Old next", "Old blocker"]),
    };
    assert_eq!(
        checkins::submit(&w.store, &w.actor(MEMBER), t0, a)
            .await
            .unwrap()
            .leads_alerted,
        2
    );

    // Round 2 asks the new ones; the first is the blocker question.
    let t1 = t0 + Duration::days(7);
    let r2 = round_at(&w, &c, t1).await;
    let form = checkins::open_form(&w.store, &w.actor(MEMBER), t1, None)
        .await
        .unwrap();
    assert_eq!(form.round_id, Some(r2));
    let labels: Vec<(&str, bool)> = form
        .questions
        .iter()
        .map(|q| (q.label.as_str(), q.is_blocker))
        .collect();
    assert_eq!(
        labels,
        [
            ("What is in your way?", true),
            ("Wins this week", false),
            ("Plans", false)
        ]
    );
    let a = checkins::SubmitCheckin {
        round: r2,
        answers: typed(&["The permit", "A petition", ""]),
    };
    let s = checkins::submit(&w.store, &w.actor(MEMBER), t1, a).await.unwrap();
    assert!(s.has_blockers && s.leads_alerted == 2);
    let k = backbone::store::checkins::answer(&w.store, r2, MEMBER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (k.blockers.as_str(), k.done.as_str()),
        ("The permit", "A petition")
    );

    // A form with more answers than the round has questions is refused (questions changed).
    let a = checkins::SubmitCheckin {
        round: r2,
        answers: typed(&["a", "b", "c", "d"]),
    };
    user_err(
        checkins::submit(&w.store, &w.actor(MEMBER2), t1, a).await,
        "questions changed",
    );

    // Reports show each round under its own questions.
    let old = checkin_report::report(&w.store, &lead, t1, None, Some(&r1.to_string()))
        .await
        .unwrap();
    assert!(!old.current);
    assert_eq!(old.questions[0].label, "Done since last check-in");
    assert_eq!(
        old.answers[0].answers,
        vec![
            (1, "Old done".into()),
            (2, "Old next".into()),
            (3, "Old blocker".into())
        ]
    );
    let new = checkin_report::report(&w.store, &w.actor(MEMBER2), t1, None, None)
        .await
        .unwrap();
    assert!(new.current && new.round == r2);
    assert_eq!(new.questions[1].label, "Wins this week");
}

#[tokio::test]
async fn the_report_pages_within_discord_limits_and_autocompletes_rounds() {
    let w = World::new().await;
    let c = w.climate().await;
    let t0 = friday();
    let round = round_at(&w, &c, t0).await;
    for i in 0..20 {
        let user = UserId(100 + i);
        w.add_member(&c, user, Role::Member).await;
        let a = checkins::SubmitCheckin {
            round,
            answers: vec![
                "d".repeat(1000),
                format!("next {i}"),
                if i % 3 == 0 { "stuck".into() } else { String::new() },
            ],
        };
        checkins::submit(&w.store, &w.actor(user), t0 + Duration::minutes(i), a)
            .await
            .unwrap();
    }
    let actor = w.actor(MEMBER);
    let first = checkin_report::report(&w.store, &actor, t0 + Duration::hours(1), None, None)
        .await
        .unwrap();
    assert_eq!((first.total, first.page, first.answers.len()), (20, 0, 8));
    let m = backbone::render::checkin_posts::report_message(&first);
    assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
    let ids: Vec<&str> = m.buttons.iter().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(ids, [format!("page:checkin-report:{round}:1")]);
    assert!(ids.iter().all(|id| id.len() <= 100));
    let last = checkin_report::report_page(&w.store, &actor, t0, round, 2)
        .await
        .unwrap();
    assert_eq!(last.answers.len(), 4);
    let m = backbone::render::checkin_posts::report_message(&last);
    let ids: Vec<&str> = m.buttons.iter().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(ids, [format!("page:checkin-report:{round}:1")]);
    // A page past the end shows the last one.
    assert_eq!(
        checkin_report::report_page(&w.store, &actor, t0, round, 9)
            .await
            .unwrap()
            .page,
        2
    );
    // Another guild can't read it.
    user_err(
        checkin_report::report_page(&w.store, &w.foreign(MEMBER), t0, round, 0).await,
        "no longer exists",
    );
    user_err(
        checkin_report::report(&w.store, &actor, t0, None, Some("yesterday")).await,
        "pick one from the list",
    );

    let t1 = t0 + Duration::days(7);
    round_at(&w, &c, t1).await;
    let choices = checkin_report::round_suggestions(&w.store, &actor, t1, None)
        .await
        .unwrap();
    assert_eq!(choices.len(), 2);
    assert!(
        choices[0]
            .0
            .starts_with("Check-in · Fri 4 Dec (current) — 0 answered"),
        "{choices:?}"
    );
    assert_eq!(
        choices[1],
        (
            "Check-in · Fri 27 Nov — 20 answered".to_string(),
            round.to_string()
        )
    );
}

#[tokio::test]
async fn status_and_digest_share_one_participation_figure() {
    let w = World::new().await;
    let c = w.climate().await;
    let t0 = friday();
    let round = round_at(&w, &c, t0).await;
    // A former member's answer doesn't count: participation is about current members.
    w.add_member(&c, OUTSIDER, Role::Member).await;
    for user in [MEMBER, OUTSIDER] {
        let a = checkins::SubmitCheckin {
            round,
            answers: typed(&["x", "", ""]),
        };
        checkins::submit(&w.store, &w.actor(user), t0, a).await.unwrap();
    }
    let input = backbone::actions::members::RemoveMember {
        coalition: Some(c.name.clone()),
        user: OUTSIDER,
    };
    backbone::actions::members::remove(&w.store, &w.actor(ADMIN), t0, input)
        .await
        .expect("remove");
    let status = checkins::status(&w.store, &w.actor(LEAD), t0, None)
        .await
        .unwrap();
    let d = digest::build(&w.store, &c, t0 + Duration::hours(1))
        .await
        .unwrap();
    let p = d.participation.unwrap();
    assert_eq!(status.participation.figure(), "1 of 4 answered (25 %)");
    assert_eq!(p.figure, status.participation.figure());
    assert_eq!((p.answered, p.members, p.away), (1, 4, 0));
    assert_eq!(status.answered.len(), 1);
}

#[tokio::test]
async fn away_members_are_counted_apart_never_as_missing() {
    let w = World::new().await;
    let c = w.climate().await;
    let t0 = friday();
    let round = round_at(&w, &c, t0).await;
    let input = backbone::actions::me::GoAway {
        until: "2026-12-10".into(),
        note: Some("holiday".into()),
    };
    backbone::actions::me::away(&w.store, &w.actor(MEMBER2), t0, input)
        .await
        .expect("away");
    let a = checkins::SubmitCheckin {
        round,
        answers: typed(&["x", "", ""]),
    };
    checkins::submit(&w.store, &w.actor(MEMBER), t0, a).await.unwrap();
    let status = checkins::status(&w.store, &w.actor(LEAD), t0, None)
        .await
        .unwrap();
    assert_eq!(status.participation.figure(), "1 of 3 answered (33 %) · 1 away");
    assert_eq!(status.away.len(), 1);
    assert!(status.away[0].1.contains("away until <t:"), "{:?}", status.away);
    assert!(
        status.missing.iter().all(|(u, _)| *u != MEMBER2),
        "away is not missing"
    );
    let d = digest::build(&w.store, &c, t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(d.participation.unwrap().figure, status.participation.figure());
}
