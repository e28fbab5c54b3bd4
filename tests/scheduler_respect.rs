//! Scheduled messages that respect people and Discord's limits: a refused DM becomes one short
//! pointer per channel, a channel warning never goes to the dead channel, a lead is not alerted
//! about their own blocker, and a 429 holds back only its own message (a global one, all sends).

mod harness;
use harness::*;

use std::time::Instant;

use backbone::actions::{checkins, tasks};
use backbone::clock::ManualClock;
use backbone::domain::message::Message;
use backbone::domain::*;
use backbone::scheduler::{self, SchedulerSettings, SendError};
use backbone::store::deliveries::{self, Delivery, Target};
use chrono::{DateTime, Duration, Utc};

async fn deliver_with(
    w: &World,
    n: &RecordingNotifier,
    s: &SchedulerSettings,
    at: DateTime<Utc>,
) -> scheduler::DeliverReport {
    scheduler::deliver(&w.store, n, s, at).await.unwrap()
}

async fn deliver(w: &World, n: &RecordingNotifier, at: DateTime<Utc>) -> scheduler::DeliverReport {
    deliver_with(w, n, &settings(), at).await
}

async fn assign_to(w: &World, c: &Coalition, to: UserId, title: &str) -> Task {
    tasks::assign(&w.store, &w.actor(LEAD), w.now, input(c, title, to, None))
        .await
        .expect("assign task")
        .task
}

fn text_of(m: &Message) -> String {
    let mut s = m.content.clone();
    for e in &m.embeds {
        s += &format!("\n{}\n{}\n{}", e.title, e.description, e.footer);
        for f in &e.fields {
            s += &format!("\n{}: {}", f.name, f.value);
        }
    }
    s
}

fn block(c: &Coalition, t: &Task, why: &str) -> tasks::UpdateTask {
    tasks::UpdateTask {
        coalition: Some(c.name.clone()),
        task: tasks::TaskSel::Id(t.id),
        status: TaskStatus::Blocked,
        note: Some(why.into()),
    }
}

#[tokio::test]
async fn refused_dms_in_one_batch_share_one_pointer_per_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let a = assign_to(&w, &c, MEMBER, "Book the hall").await;
    let b = assign_to(&w, &c, MEMBER2, "Print the flyers").await;
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(MEMBER), SendError::DmClosed);
    n.fail_next(Target::User(MEMBER2), SendError::DmClosed);
    let report = deliver(&w, &n, w.now).await;
    assert_eq!((report.sent, report.dead, report.retried), (2, 0, 0));

    let posted = n.posted();
    assert_eq!(posted.len(), 1, "one pointer for both: {posted:#?}");
    let p = &posted[0];
    assert_eq!(p.target, Target::Channel(HOME));
    let text = text_of(&p.msg);
    assert!(
        text.contains(&format!(
            "<@{MEMBER}> <@{MEMBER2}> I couldn't DM you — `/task mine` has it"
        )),
        "{text}"
    );
    assert_eq!(p.msg.ping_users, vec![MEMBER, MEMBER2], "pings only them");
    for t in [&a, &b] {
        assert!(!text.contains(&t.title), "no private content in public: {text}");
    }
    assert!(p.msg.buttons.is_empty(), "no buttons meant for one person");

    // Both deliveries are recorded as sent, as the one pointer.
    let assigned: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.kind == "task_assigned")
        .collect();
    assert_eq!(assigned.len(), 2);
    for d in &assigned {
        assert_eq!(d.status, "sent");
        assert_eq!(d.channel_id, Some(HOME));
        assert_eq!(d.message_id, p.message_id);
    }
    // Nothing left to send: no repeat pointer on the next pass.
    assert_eq!(deliver(&w, &n, w.now + Duration::minutes(5)).await.claimed, 0);
    assert_eq!(n.posted().len(), 1);
}

#[tokio::test]
async fn different_messages_get_their_own_hint_in_the_same_pointer() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign_to(&w, &c, MEMBER, "Call the mayor").await;
    deliver(&w, &RecordingNotifier::new(), w.now).await;
    // MEMBER blocks it: both leads get an alert; LEAD's DMs are closed, and so are MEMBER2's.
    tasks::update(&w.store, &w.actor(MEMBER), w.now, block(&c, &t, "no answer"))
        .await
        .unwrap();
    assign_to(&w, &c, MEMBER2, "Order chairs").await;
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(LEAD), SendError::DmClosed);
    n.fail_next(Target::User(MEMBER2), SendError::DmClosed);
    deliver(&w, &n, w.now).await;
    let to_home = n.posted_to(Target::Channel(HOME));
    assert_eq!(to_home.len(), 1, "{to_home:#?}");
    let text = text_of(&to_home[0].msg);
    assert!(
        text.contains(&format!("<@{MEMBER2}> I couldn't DM you — `/task mine`")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "<@{LEAD}> I couldn't DM you — `/task list status:blocked`"
        )),
        "{text}"
    );
    assert!(
        !text.contains("no answer"),
        "the blocker stays with the leads: {text}"
    );
    assert_eq!(
        n.posted_to(Target::User(ADMIN)).len(),
        1,
        "the other lead's DM works"
    );
}

#[tokio::test]
async fn a_failed_pointer_is_retried_with_its_deliveries() {
    let w = World::new().await;
    let c = w.climate().await;
    assign_to(&w, &c, MEMBER, "Book the hall").await;
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(MEMBER), SendError::DmClosed);
    n.fail_next(
        Target::Channel(HOME),
        SendError::RateLimited {
            retry_after: 1.0,
            global: false,
        },
    );
    assert_eq!(deliver(&w, &n, w.now).await.retried, 1);
    n.fail_next(Target::User(MEMBER), SendError::DmClosed);
    assert_eq!(deliver(&w, &n, w.now + Duration::seconds(1)).await.sent, 1);
    let posted = n.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].target, Target::Channel(HOME));
}

#[tokio::test]
async fn a_channel_warning_never_falls_back_to_the_dead_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    // The home channel is gone: the win's celebration dies and both leads are warned by DM.
    n.fail_next(
        Target::Channel(HOME),
        SendError::NoAccess {
            code: 10003,
            message: "Unknown Channel".into(),
        },
    );
    backbone::actions::wins::log(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        backbone::actions::wins::LogWin {
            coalition: Some(c.name.clone()),
            text: "Press coverage".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Both leads have closed DMs.
    n.fail_next(Target::User(ADMIN), SendError::DmClosed);
    n.fail_next(Target::User(LEAD), SendError::DmClosed);
    deliver(&w, &n, w.now).await;
    // The warnings go out in the same pass or the next one.
    deliver(&w, &n, w.now).await;
    assert!(n.posted().is_empty(), "{:#?}", n.posted());
    let home_calls: Vec<_> = n
        .calls()
        .into_iter()
        .filter(|s| s.target == Target::Channel(HOME))
        .collect();
    assert_eq!(
        home_calls.len(),
        1,
        "only the original failed post: {home_calls:#?}"
    );
    let warnings: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.kind == "channel_warning")
        .collect();
    assert_eq!(warnings.len(), 2);
    for d in &warnings {
        assert_eq!(d.status, "dead");
        let e = d.last_error.as_deref().unwrap_or("");
        assert!(e.contains("50007") && e.contains("unreachable channel"), "{e}");
    }
}

#[tokio::test]
async fn a_lead_who_blocks_a_task_is_not_alerted_about_it() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign_to(&w, &c, LEAD, "Venue contract").await;
    let done = tasks::update(&w.store, &w.actor(LEAD), w.now, block(&c, &t, "landlord away"))
        .await
        .unwrap();
    assert_eq!(done.leads_alerted, 1, "only the other lead");
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await;
    let alerts: Vec<_> = n
        .posted()
        .into_iter()
        .filter(|s| text_of(&s.msg).contains("landlord away"))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].target, Target::User(ADMIN));
}

#[tokio::test]
async fn a_lead_who_reports_a_blocker_in_a_checkin_is_not_alerted_about_it() {
    let w = World::new().await;
    let c = w.climate().await;
    let done = checkins::submit_new_round(
        &w.store,
        &w.actor(LEAD),
        w.now,
        checkins::SubmitNewRound {
            coalition: c.id,
            answers: vec!["Budget".into(), "Permits".into(), "City hall closed".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(done.leads_alerted, 1);
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await;
    let alerts: Vec<Target> = n
        .posted()
        .into_iter()
        .filter(|s| text_of(&s.msg).contains("City hall closed"))
        .map(|s| s.target)
        .filter(|t| matches!(t, Target::User(_)))
        .collect();
    assert_eq!(alerts, vec![Target::User(ADMIN)]);
}

#[tokio::test]
async fn an_alert_queued_for_the_lead_who_raised_it_is_cancelled() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign_to(&w, &c, LEAD, "Venue contract").await;
    deliver(&w, &RecordingNotifier::new(), w.now).await;
    tasks::update(&w.store, &w.actor(LEAD), w.now, block(&c, &t, "landlord away"))
        .await
        .unwrap();
    // An alert queued the old way, to every lead, the raiser included.
    let mut tx = w.store.write().await.unwrap();
    let payload = backbone::store::payload::Payload::BlockerAlert(backbone::store::payload::Blocker::Task {
        reason: Some("landlord away".into()),
        by: LEAD,
        by_name: String::new(),
    });
    deliveries::enqueue_to_leads(
        &mut tx,
        c.id,
        "old-style",
        Some(t.id.0),
        &payload,
        None,
        w.now.timestamp(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await;
    assert!(n.posted_to(Target::User(LEAD)).is_empty());
    let cancelled: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.dedupe_key.starts_with("old-style") && d.status == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].target(), Target::User(LEAD));
    assert_eq!(cancelled[0].last_error.as_deref(), Some("raised by this lead"));
}

#[tokio::test]
async fn a_429_holds_back_only_its_own_message_until_retry_after_has_passed() {
    let w = World::new().await;
    let c = w.climate().await;
    for title in ["One", "Two", "Three"] {
        assign_to(&w, &c, MEMBER, title).await;
    }
    let n = RecordingNotifier::new();
    n.fail_next(
        Target::User(MEMBER),
        SendError::RateLimited {
            retry_after: 1.0,
            global: false,
        },
    );
    let s = settings();
    // The clock stands still, so the 429 is not waited out in line (see scheduler_rate_limits.rs):
    // the row goes back to the queue. 300 ms into the second: the retry is due at the first whole
    // second after now + 1.0 s.
    let at = w.now + Duration::milliseconds(300);
    let report = deliver_with(&w, &n, &s, at).await;
    assert_eq!(
        (report.sent, report.retried),
        (2, 1),
        "the others went out at once"
    );
    let pending: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].next_attempt_at, w.now.timestamp() + 2);
    assert_eq!(pending[0].attempts, 0, "a 429 is not a failed attempt");
    assert_eq!(
        deliver_with(&w, &n, &s, w.now + Duration::milliseconds(1300))
            .await
            .claimed,
        0,
        "not before retry_after"
    );
    assert_eq!(
        deliver_with(&w, &n, &s, w.now + Duration::seconds(2)).await.sent,
        1
    );
    assert_eq!(n.posted().len(), 3);
}

#[tokio::test]
async fn a_global_429_pauses_every_send_until_it_expires() {
    let w = World::new().await;
    let c = w.climate().await;
    for title in ["One", "Two", "Three"] {
        assign_to(&w, &c, MEMBER, title).await;
    }
    let n = RecordingNotifier::new();
    n.fail_next(
        Target::User(MEMBER),
        SendError::RateLimited {
            retry_after: 0.6,
            global: true,
        },
    );
    let s = SchedulerSettings {
        send_concurrency: 1,
        ..settings()
    };
    let clock = ManualClock::new(w.now);
    let started = Instant::now();
    let report = scheduler::deliver_until(&w.store, &n, &s, &clock, None)
        .await
        .unwrap();
    assert_eq!((report.sent, report.retried), (2, 1));
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(550),
        "the other sends waited for the global limit: {:?}",
        started.elapsed()
    );
}
