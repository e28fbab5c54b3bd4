mod harness;
use harness::*;

use backbone::actions::checkins::{self, SubmitCheckin, SubmitNewRound};
use backbone::domain::*;
use backbone::store;
use chrono::Duration;

fn answer(round: RoundId, done: &str, next: &str, blockers: &str) -> SubmitCheckin {
    SubmitCheckin {
        round,
        answers: vec![done.to_string(), next.to_string(), blockers.to_string()],
    }
}

/// Opens a scheduled round of `c` at `opens_at` the way the scheduler does.
async fn scheduled_round(w: &World, c: &Coalition, opens_at: i64) -> RoundId {
    let mut tx = w.store.write().await.unwrap();
    let id = store::checkins::open_round(&mut tx, c.id, opens_at, Some(opens_at + 86_400), opens_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn blocker_alerts(w: &World, c: &Coalition) -> Vec<(i64, i64)> {
    backbone::store::sql::query_as(
        "SELECT target_id, subject_id FROM deliveries
         WHERE coalition_id = ? AND kind = 'blocker_alert' AND target_kind = 'user' ORDER BY target_id, id",
    )
    .bind(c.id)
    .fetch_all(w.store.pool())
    .await
    .unwrap()
}

fn first_answer(c: &Coalition, done: &str, next: &str, blockers: &str) -> SubmitNewRound {
    SubmitNewRound {
        coalition: c.id,
        answers: vec![done.to_string(), next.to_string(), blockers.to_string()],
    }
}

#[tokio::test]
async fn member_answers_and_lead_sees_who_is_missing() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;

    // No round yet: the form is for a round that submitting it opens.
    let form = checkins::open_form(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    assert_eq!(form.coalition_name, "Climate Coalition");
    assert_eq!((form.round_id, form.coalition_id), (None, c.id));
    assert_eq!(form.opens_at, w.now.timestamp());
    assert!(form.existing.is_none());

    let done = checkins::submit_new_round(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        first_answer(&c, "Wrote the op-ed", "Pitch it", ""),
    )
    .await
    .unwrap();
    assert!(!done.updated);
    assert!(!done.has_blockers);
    assert_eq!(done.leads_alerted, 0);
    assert_eq!(done.coalition_name, "Climate Coalition");
    assert_eq!(
        w.events(&c).await,
        before + 2,
        "the ad-hoc round and the answer are recorded"
    );
    assert_eq!(w.rows_in("checkins", &c).await, 1);
    let round = store::checkins::current_round(&w.store, c.id, w.now.timestamp())
        .await
        .unwrap()
        .expect("the round opened on submit");
    assert_eq!(round.id, done.round_id);
    assert_eq!(round.opens_at, w.now.timestamp());
    assert_eq!(round.nudge_at, None, "an ad-hoc round nudges nobody");

    let status = checkins::status(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert_eq!(status.round_id, done.round_id);
    let answered: Vec<&str> = status.answered.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(answered, ["user3"]);
    assert!(!status.answered[0].has_blockers);
    let missing: Vec<UserId> = status.missing.iter().map(|(u, _)| *u).collect();
    assert_eq!(missing.len(), 3);
    for u in [ADMIN, LEAD, MEMBER2] {
        assert!(missing.contains(&u), "{u} should be missing");
    }
    assert!(!missing.contains(&MEMBER));

    // The form again: that round, pre-filled with the answer.
    let again = checkins::open_form(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    assert_eq!(again.round_id, Some(done.round_id));
    assert_eq!(again.existing.unwrap().done, "Wrote the op-ed");
}

#[tokio::test]
async fn opening_the_form_without_submitting_leaves_no_round() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    for user in [MEMBER, MEMBER2, LEAD] {
        let form = checkins::open_form(&w.store, &w.actor(user), w.now, None)
            .await
            .unwrap();
        assert_eq!(form.round_id, None);
    }
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 0);
    assert_eq!(w.events(&c).await, before, "opening a form changes nothing");
    // So `/checkin status` still says none has opened.
    user_err(
        checkins::status(&w.store, &w.actor(LEAD), w.now, None).await,
        "No check-in has opened",
    );
}

#[tokio::test]
async fn two_first_answers_share_one_new_round() {
    let mut w = World::new().await;
    let c = w.climate().await;
    // Both opened the form while there was no round.
    let a = checkins::submit_new_round(&w.store, &w.actor(MEMBER), w.now, first_answer(&c, "a", "", ""))
        .await
        .unwrap();
    w.advance(Duration::minutes(3));
    let b = checkins::submit_new_round(&w.store, &w.actor(MEMBER2), w.now, first_answer(&c, "b", "", ""))
        .await
        .unwrap();
    assert_eq!(a.round_id, b.round_id);
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 1);
    assert_eq!(w.rows_in("checkins", &c).await, 2);
}

#[tokio::test]
async fn first_answer_goes_to_a_round_opened_meanwhile() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let form = checkins::open_form(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    assert_eq!(form.round_id, None);
    // The scheduled round opens while the member is typing.
    let scheduled = scheduled_round(&w, &c, w.now.timestamp() + 60).await;
    w.advance(Duration::minutes(5));
    let before = w.events(&c).await;
    let out = checkins::submit_new_round(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        first_answer(&c, "", "", "No venue"),
    )
    .await
    .unwrap();
    assert_eq!(out.round_id, scheduled);
    assert_eq!(out.leads_alerted, 2);
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 1);
    assert_eq!(w.events(&c).await, before + 1, "only the answer is recorded");
}

#[tokio::test]
async fn refused_first_answers_open_no_round() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let refusals = [
        (
            w.actor(MEMBER),
            first_answer(&c, " ", "", ""),
            "Your check-in is empty",
        ),
        (
            w.actor(MEMBER),
            first_answer(&c, &"x".repeat(1001), "", ""),
            "1001 characters",
        ),
        (w.actor(OUTSIDER), first_answer(&c, "hi", "", ""), "not a member"),
        (
            w.foreign(MEMBER),
            first_answer(&c, "hi", "", ""),
            "no longer exists",
        ),
        (
            w.actor(MEMBER),
            SubmitNewRound {
                coalition: CoalitionId(c.id.0 + 99),
                ..first_answer(&c, "hi", "", "")
            },
            "no longer exists",
        ),
    ];
    for (actor, input, needle) in refusals {
        user_err(
            checkins::submit_new_round(&w.store, &actor, w.now, input).await,
            needle,
        );
    }
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 0);
    assert_eq!(w.rows_in("checkins", &c).await, 0);
    assert_eq!(w.events(&c).await, before);
    assert!(blocker_alerts(&w, &c).await.is_empty());
}

#[tokio::test]
async fn resubmitting_updates_the_answer() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let round = scheduled_round(&w, &c, w.now.timestamp() - 3600).await;

    let first = checkins::submit(&w.store, &w.actor(MEMBER), w.now, answer(round, "draft", "", ""))
        .await
        .unwrap();
    w.advance(Duration::minutes(5));
    let before = w.events(&c).await;
    let second = checkins::submit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        answer(round, "  final  ", "review", ""),
    )
    .await
    .unwrap();
    assert!(second.updated);
    assert_eq!(second.checkin_id, first.checkin_id);
    assert_eq!(w.events(&c).await, before + 1);
    assert_eq!(w.rows_in("checkins", &c).await, 1);

    let stored = store::checkins::answer(&w.store, round, MEMBER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.done.as_str(), stored.next.as_str()), ("final", "review"));
    assert_eq!(stored.updated_at, w.now.timestamp());
    assert!(stored.submitted_at < stored.updated_at);
}

#[tokio::test]
async fn blocker_alerts_each_lead_once_per_new_blocker() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let round = scheduled_round(&w, &c, w.now.timestamp()).await;

    let out = checkins::submit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        answer(round, "", "", "Waiting on the permit"),
    )
    .await
    .unwrap();
    assert!(out.has_blockers);
    assert_eq!(out.leads_alerted, 2);
    let alerts = blocker_alerts(&w, &c).await;
    assert_eq!(alerts, [(ADMIN.0, out.checkin_id.0), (LEAD.0, out.checkin_id.0)]);

    // Fixing a typo elsewhere does not alert again; a new blocker does.
    w.advance(Duration::minutes(1));
    let same = checkins::submit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        answer(round, "typo fixed", "", "Waiting on the permit"),
    )
    .await
    .unwrap();
    assert_eq!(same.leads_alerted, 0);
    assert_eq!(blocker_alerts(&w, &c).await.len(), 2);
    w.advance(Duration::minutes(1));
    let changed = checkins::submit(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        answer(round, "", "", "Permit refused"),
    )
    .await
    .unwrap();
    assert_eq!(changed.leads_alerted, 2);
    assert_eq!(blocker_alerts(&w, &c).await.len(), 4);

    let status = checkins::status(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert!(status.answered[0].has_blockers);
}

#[tokio::test]
async fn empty_checkin_is_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let round = scheduled_round(&w, &c, w.now.timestamp()).await;
    let before = w.events(&c).await;

    let r = checkins::submit(&w.store, &w.actor(MEMBER), w.now, answer(round, "  ", "\n", "")).await;
    user_err(r, "Your check-in is empty");
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("checkins", &c).await, 0);
}

#[tokio::test]
async fn answer_over_1000_characters_is_refused() {
    let w = World::new().await;
    let c = w.climate().await;
    let round = scheduled_round(&w, &c, w.now.timestamp()).await;
    let before = w.events(&c).await;

    let long = "x".repeat(1001);
    let r = checkins::submit(&w.store, &w.actor(MEMBER), w.now, answer(round, "ok", "", &long)).await;
    user_err(r, "1001 characters");
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("checkins", &c).await, 0);
    assert!(blocker_alerts(&w, &c).await.is_empty());

    // Exactly the limit is fine.
    let ok = "y".repeat(1000);
    checkins::submit(&w.store, &w.actor(MEMBER), w.now, answer(round, &ok, "", ""))
        .await
        .unwrap();
}

#[tokio::test]
async fn non_member_cannot_check_in() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;

    user_err(
        checkins::open_form(&w.store, &w.actor(OUTSIDER), w.now, None).await,
        "not a member",
    );
    assert_eq!(
        w.rows_in("checkin_rounds", &c).await,
        0,
        "a refused form opens no round"
    );

    let round = scheduled_round(&w, &c, w.now.timestamp()).await;
    let r = checkins::submit(&w.store, &w.actor(OUTSIDER), w.now, answer(round, "hi", "", "")).await;
    user_err(r, "not a member");
    user_err(
        checkins::open_form_for_round(&w.store, &w.actor(OUTSIDER), w.now, round).await,
        "not a member",
    );
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("checkins", &c).await, 0);
}

#[tokio::test]
async fn round_from_another_guild_is_not_found() {
    let w = World::new().await;
    let c = w.climate().await;
    let round = scheduled_round(&w, &c, w.now.timestamp()).await;
    let before = w.events(&c).await;

    let r = checkins::submit(&w.store, &w.foreign(MEMBER), w.now, answer(round, "hi", "", "")).await;
    user_err(r, "no longer exists");
    user_err(
        checkins::open_form_for_round(&w.store, &w.foreign(MEMBER), w.now, round).await,
        "no longer exists",
    );
    user_err(
        checkins::open_form_for_round(&w.store, &w.actor(MEMBER), w.now, RoundId(round.0 + 99)).await,
        "`/checkin submit`",
    );
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("checkins", &c).await, 0);
}

#[tokio::test]
async fn button_for_an_old_round_points_to_checkin_submit() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let old = scheduled_round(&w, &c, w.now.timestamp() - 7 * 86_400).await;
    let current = scheduled_round(&w, &c, w.now.timestamp()).await;
    // A round scheduled for later is not current yet.
    scheduled_round(&w, &c, w.now.timestamp() + 7 * 86_400).await;

    let r = checkins::open_form_for_round(&w.store, &w.actor(MEMBER), w.now, old).await;
    user_err(r, "use `/checkin submit`");
    let form = checkins::open_form_for_round(&w.store, &w.actor(MEMBER), w.now, current)
        .await
        .unwrap();
    assert_eq!(form.round_id, Some(current));

    // `/checkin submit` picks the current round and opens none.
    w.advance(Duration::hours(1));
    let form = checkins::open_form(&w.store, &w.actor(MEMBER2), w.now, Some("climate coalition"))
        .await
        .unwrap();
    assert_eq!(form.round_id, Some(current));
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 3);
}

#[tokio::test]
async fn status_before_any_round_says_when_the_next_opens() {
    let w = World::new().await;
    let c = w.climate().await;
    let r = checkins::status(&w.store, &w.actor(LEAD), w.now, None).await;
    let msg = user_err(r, "No check-in has opened in **Climate Coalition** yet");
    assert!(
        msg.contains("Europe/Berlin"),
        "names when, in the coalition's zone: {msg}"
    );
    assert!(msg.contains("`/checkin submit`"));
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 0);
}

#[tokio::test]
async fn member_cannot_see_checkin_status() {
    let w = World::new().await;
    let c = w.climate().await;
    scheduled_round(&w, &c, w.now.timestamp()).await;
    user_err(
        checkins::status(&w.store, &w.actor(MEMBER), w.now, None).await,
        "Only leads",
    );
    let foreign = checkins::status(&w.store, &w.foreign(LEAD), w.now, Some("Climate Coalition")).await;
    user_err(foreign, "No coalition named");
}

#[tokio::test]
async fn opening_the_same_round_twice_is_harmless() {
    let w = World::new().await;
    let c = w.climate().await;
    let at = w.now.timestamp();
    let a = scheduled_round(&w, &c, at).await;
    let b = scheduled_round(&w, &c, at).await;
    assert_eq!(a, b);
    assert_eq!(w.rows_in("checkin_rounds", &c).await, 1);

    store::checkins::set_round_message(w.store.pool(), a, HOME, MessageId(77))
        .await
        .unwrap();
    let (round, coalition) = store::checkins::round_by_id(&w.store, GUILD, a)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.message_id, Some(MessageId(77)));
    assert_eq!(coalition.id, c.id);
    assert!(
        store::checkins::round_by_id(&w.store, OTHER_GUILD, a)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_new_round_form_finds_its_guild_from_the_coalition() {
    // A form submitted in a DM carries no guild: `modal:checkin-new:<coalition>` names it.
    let w = World::new().await;
    let c = w.climate().await;
    assert_eq!(
        store::guild_of_coalition(&w.store, c.id).await.unwrap(),
        Some(GUILD)
    );
    assert_eq!(
        store::guild_of_coalition(&w.store, CoalitionId(c.id.0 + 99))
            .await
            .unwrap(),
        None
    );
}
