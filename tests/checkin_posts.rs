//! A round in the open (issue 9): the thread on the prompt, answer cards edited in place, the
//! summary mode, leads-only answers, fallbacks when a thread can't be used, the closing summary,
//! editing until the next round opens, and `/checkin settings`. Real SQLite, manual clock.

mod harness;
use harness::*;

use backbone::actions::{checkin_posts, checkins};
use backbone::domain::*;
use backbone::scheduler::{self, SendError};
use backbone::store::deliveries::Target;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The first round: Friday 27 Nov 2026, 10:00 in Berlin.
fn friday() -> DateTime<Utc> {
    berlin(2026, 11, 27, 10, 0)
}

/// Plans and sends everything due at `at`.
async fn run(w: &World, n: &RecordingNotifier, at: DateTime<Utc>) {
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    scheduler::deliver(&w.store, n, &settings(), at).await.unwrap();
}

fn three(done: &str, next: &str, blockers: &str) -> Vec<String> {
    vec![done.to_string(), next.to_string(), blockers.to_string()]
}

async fn answer(
    w: &World,
    user: UserId,
    round: RoundId,
    at: DateTime<Utc>,
    a: Vec<String>,
) -> backbone::Result<checkins::CheckinSubmitted> {
    checkins::submit(
        &w.store,
        &w.actor(user),
        at,
        checkins::SubmitCheckin { round, answers: a },
    )
    .await
}

async fn current_round(w: &World, c: &Coalition, at: DateTime<Utc>) -> RoundId {
    backbone::store::checkins::current_round(&w.store, c.id, at.timestamp())
        .await
        .unwrap()
        .expect("a round")
        .id
}

async fn posts_of(w: &World, c: &Coalition, round: RoundId) -> backbone::store::checkin_posts::RoundPosts {
    backbone::store::checkin_posts::round_posts(w.store.pool(), c.id, round)
        .await
        .unwrap()
        .unwrap()
}

fn text(m: &backbone::domain::message::Message) -> String {
    let mut s = m.content.clone();
    for e in &m.embeds {
        s += &format!("{}\n{}\n{}\n", e.title, e.description, e.footer);
        for f in &e.fields {
            s += &format!("{}\n{}\n", f.name, f.value);
        }
    }
    s
}

async fn set_report(w: &World, c: &Coalition, report: &str) {
    checkin_posts::settings(
        &w.store,
        &w.actor(LEAD),
        w.now,
        Some(&c.name),
        Some(report),
        None,
        86_400,
    )
    .await
    .expect("settings");
}

#[tokio::test]
async fn prompt_thread_card_edit_in_place_then_the_next_round_closes_it() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let t0 = friday();
    run(&w, &n, t0).await;

    // The prompt, then a thread on it named after the round's local date.
    let prompt = n.posted_to(Target::Channel(HOME));
    assert_eq!(prompt.len(), 1);
    let buttons: Vec<&str> = prompt[0]
        .msg
        .buttons
        .iter()
        .map(|b| b.custom_id.as_str())
        .collect();
    let round = current_round(&w, &c, t0).await;
    assert_eq!(
        buttons,
        [format!("checkin:open:{round}"), format!("checkin:edit:{round}")]
    );
    let threads = n.threads();
    assert_eq!(threads.len(), 1);
    let prompt_id = prompt[0].message_id.unwrap();
    assert_eq!(
        (threads[0].0, threads[0].1, threads[0].2.as_str()),
        (HOME, prompt_id, "Check-in · Fri 27 Nov")
    );
    let thread = posts_of(&w, &c, round).await.thread_id.expect("thread recorded");

    // An answer is posted in the thread as a card: who, org, answers; the blocker highlighted,
    // and the leads still alerted.
    let at = t0 + Duration::hours(1);
    let s = answer(
        &w,
        MEMBER,
        round,
        at,
        three("Called the mayor", "Write the letter", "No venue"),
    )
    .await
    .unwrap();
    assert_eq!(s.leads_alerted, 2, "ADMIN and LEAD");
    run(&w, &n, at).await;
    let cards = n.posted_to(Target::Channel(thread));
    assert_eq!(cards.len(), 1, "one card");
    let card = text(&cards[0].msg);
    for expected in [
        "user3",
        "Done since last check-in",
        "Called the mayor",
        "⚠️ Blockers",
        "No venue",
    ] {
        assert!(card.contains(expected), "card lacks {expected:?}: {card}");
    }
    assert_eq!(cards[0].msg.buttons[0].custom_id, format!("checkin:edit:{round}"));
    assert!(cards[0].msg.ping_users.is_empty(), "a card pings no one");
    let dms: Vec<String> = n
        .posted_to(Target::User(LEAD))
        .iter()
        .map(|s| text(&s.msg))
        .collect();
    assert_eq!(dms.len(), 1, "the blocker alert: {dms:?}");

    // Editing the answer updates the same card; nothing new is posted.
    let form = checkins::open_form_for_round(&w.store, &w.actor(MEMBER), at, round)
        .await
        .unwrap();
    assert_eq!(
        form.existing_answers[0],
        (1, "Called the mayor".to_string()),
        "the form is pre-filled"
    );
    let at = at + Duration::hours(2);
    answer(
        &w,
        MEMBER,
        round,
        at,
        three("Called the mayor twice", "Write the letter", "No venue"),
    )
    .await
    .unwrap();
    run(&w, &n, at).await;
    assert_eq!(n.posted_to(Target::Channel(thread)).len(), 1, "not posted twice");
    let card_id = cards[0].message_id.unwrap();
    let edits = n.edits_of(card_id);
    assert_eq!(edits.len(), 1);
    assert!(text(&edits[0]).contains("Called the mayor twice") && text(&edits[0]).contains("Edited"));
    assert_eq!(
        n.posted_to(Target::User(LEAD)).len(),
        1,
        "the same blocker alerts once"
    );

    // Next Friday the new round opens and closes this one with a summary in its thread.
    let t1 = t0 + Duration::days(7);
    run(&w, &n, t1).await;
    let in_thread = n.posted_to(Target::Channel(thread));
    assert_eq!(in_thread.len(), 2, "card + closing summary");
    let closing = text(&in_thread[1].msg);
    for expected in [
        "Closed — Check-in · Fri 27 Nov",
        "1 of 4 answered (25 %)",
        "Answered (1)",
        "user3",
        "No answer (3)",
        "Open blockers",
        "No venue",
    ] {
        assert!(
            closing.contains(expected),
            "closing lacks {expected:?}: {closing}"
        );
    }
    assert_eq!(n.threads().len(), 2, "the new round has its own thread");
    assert_eq!(n.threads()[1].2, "Check-in · Fri 4 Dec");

    // The old round can no longer be edited.
    let late = answer(
        &w,
        MEMBER,
        round,
        t1 + Duration::minutes(1),
        three("late", "", ""),
    )
    .await;
    user_err(late, "closed when the next one opened");
    assert!(
        checkins::open_form_for_round(&w.store, &w.actor(MEMBER), t1, round)
            .await
            .is_err()
    );

    // Running again sends nothing new.
    let before = n.calls().len();
    run(&w, &n, t1 + Duration::minutes(1)).await;
    assert_eq!(n.calls().len(), before);
}

#[tokio::test]
async fn summary_mode_keeps_one_message_edited_as_answers_arrive() {
    let w = World::new().await;
    let c = w.climate().await;
    set_report(&w, &c, "summary").await;
    let n = RecordingNotifier::new();
    let t0 = friday();
    run(&w, &n, t0).await;
    let round = current_round(&w, &c, t0).await;
    let thread = posts_of(&w, &c, round).await.thread_id.unwrap();
    for (i, user) in [MEMBER, MEMBER2, LEAD].into_iter().enumerate() {
        let at = t0 + Duration::minutes(10 * (i as i64 + 1));
        answer(&w, user, round, at, three(&format!("done by {user}"), "", ""))
            .await
            .unwrap();
        run(&w, &n, at).await;
    }
    let posted = n.posted_to(Target::Channel(thread));
    assert_eq!(posted.len(), 1, "one summary message");
    let edits = n.edits_of(posted[0].message_id.unwrap());
    assert_eq!(edits.len(), 2);
    let last = text(&edits[1]);
    assert!(
        last.contains("done by 3") && last.contains("done by 4") && last.contains("done by 2"),
        "{last}"
    );
    assert!(last.contains("3 answered"), "{last}");
}

#[tokio::test]
async fn leads_only_posts_nothing_public_and_only_leads_read_the_report() {
    let w = World::new().await;
    let c = w.climate().await;
    set_report(&w, &c, "leads").await;
    let n = RecordingNotifier::new();
    let t0 = friday();
    run(&w, &n, t0).await;
    let round = current_round(&w, &c, t0).await;
    answer(&w, MEMBER, round, t0, three("quiet work", "", ""))
        .await
        .unwrap();
    run(&w, &n, t0).await;
    run(&w, &n, t0 + Duration::days(7)).await;
    assert!(n.threads().is_empty(), "no thread");
    let home = n.posted_to(Target::Channel(HOME));
    assert_eq!(home.len(), 2, "only the two prompts");
    assert!(home.iter().all(|s| text(&s.msg).contains("Check-in time")));

    let r = backbone::actions::checkin_report::report(&w.store, &w.actor(MEMBER), t0, None, None).await;
    user_err(r, "for the leads only");
    let r = backbone::actions::checkin_report::report(
        &w.store,
        &w.actor(LEAD),
        t0,
        None,
        Some(&round.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.answers[0].answers[0].1, "quiet work");
}

#[tokio::test]
async fn without_permission_to_make_threads_the_round_still_works_in_the_home_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let t0 = friday();
    let n2 = RecordingNotifier::new();
    scheduler::tick(&w.store, &settings(), t0).await.unwrap();
    scheduler::deliver(&w.store, &ThreadsRefused(&n2), &settings(), t0)
        .await
        .unwrap();
    let round = current_round(&w, &c, t0).await;
    let p = posts_of(&w, &c, round).await;
    assert!(p.thread_failed && p.thread_id.is_none(), "{p:?}");
    answer(&w, MEMBER, round, t0, three("on it", "", ""))
        .await
        .unwrap();
    scheduler::deliver(&w.store, &ThreadsRefused(&n2), &settings(), t0)
        .await
        .unwrap();
    let home = n2.posted_to(Target::Channel(HOME));
    assert_eq!(home.len(), 2, "prompt + card in the home channel");
    assert!(text(&home[1].msg).contains("on it"));
}

/// A notifier that posts and edits but may not start threads (missing permission).
struct ThreadsRefused<'a>(&'a RecordingNotifier);

impl backbone::scheduler::Notifier for ThreadsRefused<'_> {
    async fn send_channel(
        &self,
        c: ChannelId,
        m: &backbone::domain::message::Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        self.0.send_channel(c, m, nonce).await
    }
    async fn send_dm(
        &self,
        u: UserId,
        m: &backbone::domain::message::Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        self.0.send_dm(u, m, nonce).await
    }
    async fn edit_message(
        &self,
        c: ChannelId,
        id: MessageId,
        m: &backbone::domain::message::Message,
    ) -> Result<(), SendError> {
        self.0.edit_message(c, id, m).await
    }
    async fn create_thread(&self, _: ChannelId, _: MessageId, _: &str) -> Result<ChannelId, SendError> {
        Err(SendError::NoAccess {
            code: 50013,
            message: "Missing Permissions".into(),
        })
    }
}

#[tokio::test]
async fn a_deleted_thread_sends_the_rest_of_the_round_to_the_home_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let t0 = friday();
    run(&w, &n, t0).await;
    let round = current_round(&w, &c, t0).await;
    let thread = posts_of(&w, &c, round).await.thread_id.unwrap();
    answer(&w, MEMBER, round, t0, three("first", "", ""))
        .await
        .unwrap();
    run(&w, &n, t0).await;
    assert_eq!(n.posted_to(Target::Channel(thread)).len(), 1);

    n.break_channel(
        thread,
        SendError::NoAccess {
            code: 10003,
            message: "Unknown Channel".into(),
        },
    );
    // An edit of a card in the deleted thread and a new card both land in the home channel.
    let at = t0 + Duration::hours(1);
    answer(&w, MEMBER, round, at, three("first, edited", "", ""))
        .await
        .unwrap();
    answer(&w, MEMBER2, round, at, three("second", "", ""))
        .await
        .unwrap();
    run(&w, &n, at).await;
    let home = n.posted_to(Target::Channel(HOME));
    let texts: Vec<String> = home.iter().map(|s| text(&s.msg)).collect();
    assert_eq!(home.len(), 3, "prompt + two cards: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("first, edited")) && texts.iter().any(|t| t.contains("second")));
    assert!(posts_of(&w, &c, round).await.thread_failed);
    // No warning to the leads: the home channel works.
    assert!(n.posted_to(Target::User(LEAD)).is_empty());
}

#[tokio::test]
async fn settings_change_reminders_and_bad_input_changes_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let events = w.events(&c).await;
    let lead = w.actor(LEAD);
    for (report, nudge, needle) in [
        (Some("loud"), None, "choose `thread`, `summary` or `leads`"),
        (None, Some("soon"), "`24h`"),
        (None, Some("1m"), "between `15m` and `14d`"),
    ] {
        let r = checkin_posts::settings(&w.store, &lead, w.now, None, report, nudge, 86_400).await;
        user_err(r, needle);
    }
    user_err(
        checkin_posts::settings(
            &w.store,
            &w.actor(MEMBER),
            w.now,
            None,
            Some("leads"),
            None,
            86_400,
        )
        .await,
        "lead",
    );
    assert_eq!(w.events(&c).await, events, "nothing changed");

    let shown = checkin_posts::settings(&w.store, &lead, w.now, None, None, None, 86_400)
        .await
        .unwrap();
    assert_eq!(
        (
            shown.report,
            shown.nudge_after,
            shown.nudge_default,
            shown.changed
        ),
        (checkin::ReportMode::Thread, 86_400, true, false)
    );
    let shown = checkin_posts::settings(&w.store, &lead, w.now, None, None, Some("4h"), 86_400)
        .await
        .unwrap();
    assert_eq!((shown.nudge_after, shown.changed), (4 * 3600, true));
    assert_eq!(w.events(&c).await, events + 1);

    let t0 = friday();
    scheduler::tick(&w.store, &settings(), t0).await.unwrap();
    let round = backbone::store::checkins::current_round(&w.store, c.id, t0.timestamp())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.nudge_at, Some(t0.timestamp() + 4 * 3600));

    checkin_posts::settings(&w.store, &lead, w.now, None, None, Some("off"), 86_400)
        .await
        .unwrap();
    let t1 = t0 + Duration::days(7);
    scheduler::tick(&w.store, &settings(), t1).await.unwrap();
    let round = backbone::store::checkins::current_round(&w.store, c.id, t1.timestamp())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.nudge_at, None, "nudges off");
    let report = scheduler::tick(&w.store, &settings(), t1 + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(report.nudges, 0);
}
