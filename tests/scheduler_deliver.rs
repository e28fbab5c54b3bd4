//! Sending: claims are atomic, results are recorded, failures retry or die as Discord's errors say.

mod harness;
use harness::*;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use backbone::actions::{self, tasks};
use backbone::clock::{Clock, ManualClock};
use backbone::domain::message::Message;
use backbone::domain::*;
use backbone::scheduler::{self, Notifier, SchedulerSettings, SendError};
use backbone::store::Store;
use backbone::store::deliveries::{Delivery, Target};
use chrono::{DateTime, Duration, TimeZone, Utc};

async fn deliver(w: &World, n: &RecordingNotifier, at: DateTime<Utc>) -> scheduler::DeliverReport {
    scheduler::deliver(&w.store, n, &settings(), at).await.unwrap()
}

async fn assign(w: &World, c: &Coalition, to: UserId, title: &str, due: Option<&str>) -> Task {
    tasks::assign(
        &w.store,
        &w.actor(LEAD),
        w.now,
        tasks::AssignTask {
            coalition: Some(c.name.clone()),
            title: title.into(),
            assignee: to,
            assignee_name: format!("user{}", to.0),
            due: due.map(str::to_string),
            goal: None,
        },
    )
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

#[tokio::test]
async fn a_win_is_celebrated_once_with_a_nonce_from_its_delivery() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "500 signatures collected!").await;
    let n = RecordingNotifier::new();
    let report = deliver(&w, &n, w.now).await;
    assert_eq!((report.claimed, report.sent), (1, 1));
    assert_eq!(deliver(&w, &n, w.now).await.claimed, 0, "nothing left to send");

    let calls = n.calls();
    assert_eq!(calls.len(), 1);
    let d = &rows(&w, &c).await[0];
    assert_eq!(calls[0].target, Target::Channel(HOME));
    assert_eq!(calls[0].nonce.as_deref(), Some(format!("bb{}", d.id).as_str()));
    assert!(calls[0].nonce.as_ref().unwrap().len() <= 25);
    assert!(text_of(&calls[0].msg).contains("500 signatures collected!"));
    assert!(calls[0].msg.limit_violations().is_empty());
    assert_eq!(d.status, "sent");
    assert_eq!(d.message_id, calls[0].message_id);
    assert_eq!(d.channel_id, Some(HOME));
}

#[tokio::test]
async fn two_deliver_loops_at_once_send_nothing_twice() {
    let w = World::new().await;
    let c = w.climate().await;
    for i in 0..40 {
        log_win(&w, &c, MEMBER, &format!("win number {i}")).await;
    }
    let n = RecordingNotifier::new();
    let s = SchedulerSettings {
        send_concurrency: 3,
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    };
    let (a, b) = tokio::join!(
        scheduler::deliver(&w.store, &n, &s, w.now),
        scheduler::deliver(&w.store, &n, &s, w.now)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 40);
    assert_eq!(n.calls().len(), 40, "each row sent by exactly one loop");
    let mut nonces: Vec<String> = n.calls().into_iter().map(|s| s.nonce.unwrap()).collect();
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 40);
    assert!(rows(&w, &c).await.iter().all(|d| d.status == "sent"));
}

#[tokio::test]
async fn checkin_prompt_has_its_button_and_the_round_keeps_the_message() {
    let mut w = World::new().await;
    let c = w.climate().await;
    w.now = Utc.timestamp_opt(c.next_checkin_at.unwrap(), 0).unwrap();
    scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
    let n = RecordingNotifier::new();
    // The prompt, then the round's thread on it.
    assert_eq!(deliver(&w, &n, w.now).await.sent, 2);
    assert_eq!(n.threads().len(), 1);
    let d = rows(&w, &c)
        .await
        .into_iter()
        .find(|d| d.kind == "checkin_prompt")
        .unwrap();
    let round = RoundId(d.subject_id.unwrap());
    let posted = n.posted_to(Target::Channel(HOME));
    assert_eq!(posted.len(), 1);
    assert!(
        posted[0]
            .msg
            .buttons
            .iter()
            .any(|b| b.custom_id == format!("checkin:open:{round}") && b.label == "Check in")
    );
    let r = backbone::store::checkins::round_any(&w.store, round)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.channel_id, r.message_id), (Some(HOME), d.message_id));
}

#[tokio::test]
async fn a_crash_between_send_and_record_resends_with_the_same_nonce() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "Council vote passed").await;
    let n = RecordingNotifier::new();
    n.script(Target::Channel(HOME), Scripted::SucceedThenHang);
    // The process "dies" after Discord accepted the post but before it was recorded.
    let crashed = tokio::time::timeout(StdDuration::from_millis(300), deliver(&w, &n, w.now)).await;
    assert!(crashed.is_err());
    let d = rows(&w, &c).await.remove(0);
    assert_eq!(d.status, "sending");

    // Another sender leaves it alone while the claim holds…
    assert_eq!(deliver(&w, &n, w.now + Duration::seconds(60)).await.claimed, 0);
    // …and picks it up once the claim has expired.
    let later = w.now + Duration::seconds(settings().claim_seconds);
    assert_eq!(deliver(&w, &n, later).await.sent, 1);
    let calls = n.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].nonce, calls[1].nonce, "same nonce both times");
    assert!(calls[1].duplicate, "Discord drops the repeat");
    assert_eq!(n.posted().len(), 1, "one message in the channel");
    let d = rows(&w, &c).await.remove(0);
    assert_eq!((d.status.as_str(), d.message_id), ("sent", calls[0].message_id));
}

#[tokio::test]
async fn a_crash_after_a_dm_resends_it_with_the_same_nonce() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Draft the press release", None).await;
    let n = RecordingNotifier::new();
    n.script(Target::User(MEMBER), Scripted::SucceedThenHang);
    let crashed = tokio::time::timeout(StdDuration::from_millis(300), deliver(&w, &n, w.now)).await;
    assert!(
        crashed.is_err(),
        "the sender 'died' after Discord accepted the DM"
    );
    let later = w.now + Duration::seconds(settings().claim_seconds);
    assert_eq!(deliver(&w, &n, later).await.sent, 1);
    let calls = n.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].nonce, Some(scheduler::nonce(rows(&w, &c).await[0].id)));
    assert_eq!(calls[0].nonce, calls[1].nonce, "same nonce both times");
    assert!(calls[1].duplicate, "Discord drops the repeated DM");
    let d = rows(&w, &c).await.remove(0);
    assert_eq!((d.kind.as_str(), d.subject_id), ("task_assigned", Some(t.id.0)));
    assert_eq!((d.status.as_str(), d.message_id), ("sent", calls[0].message_id));
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_without_counting_an_attempt() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "Press coverage").await;
    let n = RecordingNotifier::new();
    n.fail_next(
        Target::Channel(HOME),
        SendError::RateLimited {
            retry_after: 2.5,
            global: false,
        },
    );
    assert_eq!(deliver(&w, &n, w.now).await.retried, 1);
    let d = rows(&w, &c).await.remove(0);
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 0));
    assert_eq!(d.next_attempt_at, w.now.timestamp() + 3);
    assert!(d.last_error.unwrap().contains("rate limited"));
    assert_eq!(deliver(&w, &n, w.now + Duration::seconds(2)).await.claimed, 0);
    assert_eq!(deliver(&w, &n, w.now + Duration::seconds(3)).await.sent, 1);
    assert_eq!(n.posted().len(), 1);
}

#[tokio::test]
async fn server_errors_and_timeouts_back_off_then_the_row_dies_with_its_error() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "Petition delivered").await;
    let n = RecordingNotifier::new();
    let s = settings();
    for i in 0..s.max_attempts {
        let err = if i % 2 == 0 {
            "502 Bad Gateway"
        } else {
            "timed out"
        };
        n.fail_next(Target::Channel(HOME), SendError::Transient(err.into()));
    }
    let mut at = w.now;
    let mut delays = Vec::new();
    for attempt in 1..=s.max_attempts {
        let report = scheduler::deliver(&w.store, &n, &s, at).await.unwrap();
        let d = rows(&w, &c).await.remove(0);
        assert_eq!(d.attempts, i64::from(attempt));
        if attempt < s.max_attempts {
            assert_eq!(report.retried, 1);
            assert_eq!(d.status, "pending");
            let delay = d.next_attempt_at - at.timestamp();
            assert_eq!(
                delay,
                scheduler::deliver::backoff(&s, d.id, i64::from(attempt)),
                "deterministic jitter"
            );
            let base = s.backoff_base << (attempt - 1);
            assert!(
                (base..=base + base / 2).contains(&delay),
                "attempt {attempt}: {delay}"
            );
            delays.push(delay);
            at = Utc.timestamp_opt(d.next_attempt_at, 0).unwrap();
        } else {
            assert_eq!(report.dead, 1);
            assert_eq!(d.status, "dead");
            assert!(d.last_error.unwrap().contains("timed out"), "the error is kept");
        }
    }
    assert!(delays.windows(2).all(|p| p[1] > p[0]), "exponential: {delays:?}");
    assert!(n.posted().is_empty());
}

#[tokio::test]
async fn a_closed_dm_becomes_a_short_pointer_in_the_home_channel_not_a_copy() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Draft the press release", None).await;
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(MEMBER), SendError::DmClosed);
    assert_eq!(deliver(&w, &n, w.now).await.sent, 1);
    let posted = n.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].target, Target::Channel(HOME));
    assert_eq!(
        posted[0].msg.ping_users,
        vec![MEMBER],
        "only the member is pinged"
    );
    let text = text_of(&posted[0].msg);
    assert!(text.contains(&format!("<@{MEMBER}> I couldn't DM you")), "{text}");
    assert!(text.contains("`/task mine`"), "{text}");
    assert!(!text.contains(&t.title), "the DM itself stays private: {text}");
    assert!(posted[0].msg.buttons.is_empty() && posted[0].msg.embeds.is_empty());
    let d = rows(&w, &c)
        .await
        .into_iter()
        .find(|d| d.kind == "task_assigned")
        .unwrap();
    assert_eq!((d.status.as_str(), d.channel_id), ("sent", Some(HOME)));
}

#[tokio::test]
async fn a_dead_channel_kills_its_rows_and_warns_the_leads_once() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    for i in 0..3 {
        n.fail_next(
            Target::Channel(HOME),
            SendError::NoAccess {
                code: 50013,
                message: "Missing Permissions".into(),
            },
        );
        log_win(&w, &c, MEMBER, &format!("win {i}")).await;
        deliver(&w, &n, w.now).await;
        w.advance(Duration::minutes(1));
    }
    // The warnings themselves go out on the next pass.
    deliver(&w, &n, w.now).await;
    let all = rows(&w, &c).await;
    let wins: Vec<&Delivery> = all.iter().filter(|d| d.kind == "win_celebration").collect();
    assert!(
        wins.iter()
            .all(|d| d.status == "dead" && d.last_error.as_deref().unwrap().contains("50013"))
    );
    let warnings: Vec<&Delivery> = all.iter().filter(|d| d.kind == "channel_warning").collect();
    assert_eq!(warnings.len(), 2, "one per lead, once");
    let warned: Vec<Target> = n.posted().iter().map(|s| s.target).collect();
    assert_eq!(warned.len(), 2);
    assert!(warned.contains(&Target::User(ADMIN)) && warned.contains(&Target::User(LEAD)));
    assert!(text_of(&n.posted()[0].msg).contains(&format!("<#{HOME}>")));
}

#[tokio::test]
async fn a_task_done_after_its_ping_was_planned_is_not_pinged() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Send invitations", Some("2026-12-04 17:00")).await;
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await; // the assignment DM
    n.clear();
    let ping_at = Utc.timestamp_opt(t.due_at.unwrap() - 24 * 3600, 0).unwrap();
    scheduler::tick(&w.store, &settings(), ping_at).await.unwrap();
    w.now = ping_at;
    tasks::done(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        Some(c.name.clone()),
        tasks::TaskSel::Id(t.id),
    )
    .await
    .unwrap();
    let report = deliver(&w, &n, w.now).await;
    assert_eq!((report.cancelled, report.sent), (3, 0));
    assert!(n.calls().is_empty());
    let pings: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.kind == "task_ping")
        .collect();
    assert!(
        pings
            .iter()
            .all(|d| d.status == "cancelled" && d.last_error.as_deref() == Some("task done"))
    );
}

#[tokio::test]
async fn a_moved_due_date_is_pinged_on_its_new_date_and_not_the_old_one() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Submit the grant", Some("2026-12-04 17:00")).await;
    let old_due = t.due_at.unwrap();
    let n = RecordingNotifier::new();
    // The 72 h ping is planned; before it goes out the due date moves a week later.
    let at = Utc.timestamp_opt(old_due - 72 * 3600, 0).unwrap();
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    w.now = at;
    tasks::set_due(
        &w.store,
        &w.actor(LEAD),
        w.now,
        tasks::SetDue {
            coalition: Some(c.name.clone()),
            task: tasks::TaskSel::Id(t.id),
            due: "2026-12-11 17:00".into(),
        },
    )
    .await
    .unwrap();
    let report = deliver(&w, &n, w.now).await;
    assert_eq!(report.cancelled, 3, "pings for the old date are dropped");
    n.clear();
    let new_due = old_due + 7 * 86_400;
    for s in [old_due - 24 * 3600, old_due] {
        let at = Utc.timestamp_opt(s, 0).unwrap();
        scheduler::tick(&w.store, &settings(), at).await.unwrap();
        deliver(&w, &n, at).await;
    }
    let dms = |n: &RecordingNotifier| {
        n.posted()
            .into_iter()
            .filter(|s| matches!(s.target, Target::User(_)))
            .collect::<Vec<_>>()
    };
    assert!(dms(&n).is_empty(), "no pings on the old dates");
    let at = Utc.timestamp_opt(new_due - 72 * 3600, 0).unwrap();
    scheduler::tick(&w.store, &settings(), at).await.unwrap();
    deliver(&w, &n, at).await;
    assert_eq!(dms(&n).len(), 3);
    assert!(text_of(&dms(&n)[0].msg).contains("Submit the grant"));
    let keys: Vec<String> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.status == "sent")
        .map(|d| d.dedupe_key)
        .collect();
    assert!(
        keys.iter()
            .any(|k| k.starts_with(&format!("ping:task:{}:{new_due}:259200:", t.id))),
        "{keys:?}"
    );
}

#[tokio::test]
async fn user_text_never_pings_anyone() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "@everyone look <@&42> **bold** @here").await;
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await;
    let m = &n.posted()[0].msg;
    let text = text_of(m);
    assert!(
        !text.contains("@everyone") && !text.contains("@here") && !text.contains("<@&"),
        "{text}"
    );
    assert!(m.ping_users.is_empty());
}

#[tokio::test]
async fn blocker_alerts_reach_leads_with_the_current_reason() {
    let w = World::new().await;
    let c = w.climate().await;
    let t = assign(&w, &c, MEMBER, "Venue contract", None).await;
    tasks::update(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        tasks::UpdateTask {
            coalition: Some(c.name.clone()),
            task: tasks::TaskSel::Id(t.id),
            status: TaskStatus::Blocked,
            note: Some("waiting for the landlord".into()),
        },
    )
    .await
    .unwrap();
    let n = RecordingNotifier::new();
    deliver(&w, &n, w.now).await;
    let alerts: Vec<_> = n
        .posted()
        .into_iter()
        .filter(|s| s.target != Target::User(MEMBER))
        .collect();
    assert_eq!(alerts.len(), 2);
    assert!(text_of(&alerts[0].msg).contains("waiting for the landlord"));
}

#[tokio::test]
async fn the_runner_wakes_on_demand_and_stops_cleanly_handing_back_claimed_rows() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = Arc::new(RecordingNotifier::new());
    for _ in 0..30 {
        n.script_any(Scripted::Delay(StdDuration::from_millis(40)));
    }
    let clock = Arc::new(ManualClock::new(w.now));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let wake = Arc::new(tokio::sync::Notify::new());
    let s = SchedulerSettings {
        tick: StdDuration::from_secs(3600),
        send_concurrency: 2,
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    };
    let runner = tokio::spawn(scheduler::run(
        w.store.clone(),
        n.clone(),
        s,
        clock.clone(),
        stopped,
        wake.clone(),
    ));

    // A command queues a win and wakes the scheduler: it goes out long before the next tick.
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    log_win(&w, &c, MEMBER, "first").await;
    wake.notify_one();
    wait_for(|| n.posted().len() == 1).await;

    // Many rows; shut down while they are being sent.
    for i in 0..20 {
        log_win(&w, &c, MEMBER, &format!("win {i}")).await;
    }
    wake.notify_one();
    wait_for(|| n.posted().len() >= 3).await;
    stop.send(true).unwrap();
    tokio::time::timeout(StdDuration::from_secs(5), runner)
        .await
        .expect("runner stops")
        .unwrap();

    let all = rows(&w, &c).await;
    assert!(
        all.iter().all(|d| d.status == "sent" || d.status == "pending"),
        "nothing left claimed"
    );
    let sent = all.iter().filter(|d| d.status == "sent").count();
    assert_eq!(sent, n.posted().len(), "every post was recorded");
    assert!(sent < 21, "shutdown stopped the round early ({sent})");
    let pending: Vec<&Delivery> = all.iter().filter(|d| d.status == "pending").collect();
    assert!(
        pending
            .iter()
            .all(|d| d.claimed_until.is_none() && d.next_attempt_at <= w.now.timestamp())
    );
}

async fn wait_for(cond: impl Fn() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!("condition not met in time");
}

#[test]
fn settings_come_from_config() {
    let config = backbone::config::Config::from_sources(
        Some("tick_seconds = 3\ngrace_hours = 2\nsend_concurrency = 7\nmax_sends_per_second = 20\nsend_timeout_seconds = 9"),
        |_| None,
    )
    .unwrap();
    let s = SchedulerSettings::from_config(&config);
    assert_eq!(s.tick, StdDuration::from_secs(3));
    assert_eq!(s.grace, 2 * 3600);
    assert_eq!(s.nudge_after, 24 * 3600);
    assert_eq!(s.send_concurrency, 7);
    assert_eq!(s.max_sends_per_second, 20);
    assert_eq!(s.send_timeout, StdDuration::from_secs(9));
    let defaults =
        SchedulerSettings::from_config(&backbone::config::Config::from_sources(None, |_| None).unwrap());
    assert_eq!(defaults.max_sends_per_second, 40);
    assert_eq!(defaults.send_timeout, StdDuration::from_secs(30));
    assert!((defaults.send_timeout.as_secs() as i64) < defaults.claim_seconds);
}

#[tokio::test]
async fn the_digest_fits_discords_limits_however_big_the_coalition() {
    let w = World::new().await;
    let c = w.climate().await;
    let now = w.now.timestamp();
    let long = "x".repeat(180);
    for i in 0..300 {
        w.raw_win(
            &c,
            MEMBER,
            &format!("win {i} {} @everyone", "w".repeat(900)),
            now - 3600 - i,
        )
        .await;
        w.raw_task(
            &c,
            RawTask {
                title: &format!("overdue {i} {long}"),
                assignee: Some(MEMBER),
                due_at: Some(now - 86_400 - i),
                ..Default::default()
            },
        )
        .await;
        w.raw_task(
            &c,
            RawTask {
                title: &format!("soon {i} {long}"),
                assignee: Some(MEMBER2),
                due_at: Some(now + 86_400 + i),
                ..Default::default()
            },
        )
        .await;
        w.raw_task(
            &c,
            RawTask {
                title: &format!("blocked {i} {long}"),
                status: "blocked",
                blocked_reason: Some(&long),
                ..Default::default()
            },
        )
        .await;
    }
    for i in 0..40 {
        w.raw_goal(
            &c,
            &format!("goal {i} {long}"),
            3.0,
            Some(10.0),
            Some("people"),
            "active",
        )
        .await;
    }
    actions::digest::send(&w.store, &w.actor(LEAD), w.now, Some(&c.name))
        .await
        .unwrap();
    let n = RecordingNotifier::new();
    // The public digest, and beside it the leads' part (blocker reasons) to the lead.
    assert_eq!(deliver(&w, &n, w.now).await.sent, 3, "one digest, two leads");
    let leads = &n.posted_to(Target::User(LEAD))[0].msg;
    assert!(
        leads.limit_violations().is_empty(),
        "{:?}",
        leads.limit_violations()
    );
    assert!(text_of(leads).contains(&long[..80]), "the leads read the reasons");
    let m = &n.posted_to(Target::Channel(HOME))[0].msg;
    assert!(m.limit_violations().is_empty(), "{:?}", m.limit_violations());
    assert!(
        !text_of(m).contains(&format!(": {}", &long[..50])),
        "no blocker reason in public"
    );
    let text = text_of(m);
    assert!(text.contains("🏆 Wins (300)") && text.contains("more"), "{text}");
    assert!(text.contains("▓▓▓░░░░░░░ 30%"), "progress bars: {text}");
    assert!(!text.contains("@everyone"));
}

#[tokio::test]
async fn a_hung_send_times_out_and_is_retried_while_the_rest_go_out() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "Hall booked").await;
    assign(&w, &c, MEMBER, "Print the flyers", None).await;
    let n = RecordingNotifier::new();
    // The celebration's request never comes back.
    n.script(Target::Channel(HOME), Scripted::Hang);
    let s = SchedulerSettings {
        send_concurrency: 1,
        send_timeout: StdDuration::from_millis(200),
        ..settings()
    };
    let report = tokio::time::timeout(
        StdDuration::from_secs(10),
        scheduler::deliver(&w.store, &n, &s, w.now),
    )
    .await
    .expect("a hung send does not stall the round")
    .unwrap();
    assert_eq!(
        (report.claimed, report.sent, report.retried),
        (2, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        n.posted_to(Target::User(MEMBER)).len(),
        1,
        "the DM went out after the hung send"
    );
    let win = rows(&w, &c)
        .await
        .into_iter()
        .find(|d| d.kind == "win_celebration")
        .unwrap();
    assert_eq!((win.status.as_str(), win.attempts), ("pending", 1));
    assert!(
        win.last_error.as_deref().unwrap().contains("timed out"),
        "{win:?}"
    );
    assert_eq!(
        win.next_attempt_at,
        w.now.timestamp() + scheduler::deliver::backoff(&s, win.id, 1),
        "backoff applies"
    );
    // Retried later, it goes out.
    let later = Utc.timestamp_opt(win.next_attempt_at, 0).unwrap();
    assert_eq!(scheduler::deliver(&w.store, &n, &s, later).await.unwrap().sent, 1);
    assert_eq!(n.posted_to(Target::Channel(HOME)).len(), 1);
}

/// Sends through a [`RecordingNotifier`], each send taking `step` on the clock; notes the claim
/// each row was sent under.
struct Slow {
    inner: RecordingNotifier,
    clock: Arc<ManualClock>,
    step: Duration,
    store: Store,
    claims: std::sync::Mutex<Vec<(DeliveryId, Option<i64>)>>,
}

impl Slow {
    async fn note(&self, nonce: &str) {
        let id = DeliveryId(nonce.trim_start_matches("bb").parse().unwrap());
        let d = backbone::store::deliveries::get(&self.store, id)
            .await
            .unwrap()
            .unwrap();
        self.claims.lock().unwrap().push((id, d.claimed_until));
        self.clock.advance(self.step);
    }
}

impl Notifier for Slow {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        self.note(nonce).await;
        self.inner.send_channel(channel, msg, nonce).await
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        self.note(nonce).await;
        self.inner.send_dm(user, msg, nonce).await
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> Result<(), SendError> {
        self.inner.edit_message(channel, message, msg).await
    }

    async fn create_thread(
        &self,
        channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> Result<ChannelId, SendError> {
        self.inner.create_thread(channel, message, name).await
    }
}

#[tokio::test]
async fn a_long_round_reads_the_clock_for_each_batch_and_each_result() {
    let w = World::new().await;
    let c = w.climate().await;
    for i in 0..6 {
        log_win(&w, &c, MEMBER, &format!("win {i}")).await;
    }
    let ids: Vec<DeliveryId> = rows(&w, &c).await.iter().map(|d| d.id).collect();
    let t0 = w.now.timestamp();
    // The last one is only due 3 s in: a round that lasts longer picks it up too.
    backbone::store::sql::query("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?")
        .bind(t0 + 3)
        .bind(ids[5])
        .execute(w.store.pool())
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(w.now));
    let n = Slow {
        inner: RecordingNotifier::new(),
        clock: clock.clone(),
        step: Duration::seconds(1),
        store: w.store.clone(),
        claims: Default::default(),
    };
    n.inner.fail_next(
        Target::Channel(HOME),
        SendError::Transient("502 Bad Gateway".into()),
    );
    // One at a time, so four rows a batch.
    let s = SchedulerSettings {
        send_concurrency: 1,
        ..settings()
    };
    let report = scheduler::deliver_until(&w.store, &n, &s, clock.as_ref(), None)
        .await
        .unwrap();
    assert_eq!(
        (report.claimed, report.sent, report.retried),
        (6, 5, 1),
        "{report:?}"
    );
    assert_eq!(clock.now().timestamp(), t0 + 6);

    let all = rows(&w, &c).await;
    // Each result carries the time its send ended.
    let failed = &all[0];
    assert_eq!(failed.status, "pending");
    assert_eq!(
        failed.next_attempt_at,
        t0 + 1 + scheduler::deliver::backoff(&s, failed.id, 1),
        "the retry counts from when the send failed"
    );
    let sent_at: Vec<Option<i64>> = all[1..].iter().map(|d| d.sent_at).collect();
    assert_eq!(sent_at, (2..=6).map(|k| Some(t0 + k)).collect::<Vec<_>>());
    // The second batch is claimed at the time it starts, with a claim running from then.
    let claims = n.claims.lock().unwrap().clone();
    let claim = s.claim_seconds;
    let expected: Vec<(DeliveryId, Option<i64>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, Some(if i < 4 { t0 + claim } else { t0 + 4 + claim })))
        .collect();
    assert_eq!(claims, expected);
}

/// A notifier whose sends each wait until the test says how they end.
struct Gate {
    started: tokio::sync::mpsc::UnboundedSender<String>,
    results: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Result<MessageId, SendError>>>,
}

/// A gate, the nonces of sends that reached it, and the sender of their results.
fn gate() -> (
    Gate,
    tokio::sync::mpsc::UnboundedReceiver<String>,
    tokio::sync::mpsc::UnboundedSender<Result<MessageId, SendError>>,
) {
    let (started, started_rx) = tokio::sync::mpsc::unbounded_channel();
    let (finish, results) = tokio::sync::mpsc::unbounded_channel();
    let g = Gate {
        started,
        results: tokio::sync::Mutex::new(results),
    };
    (g, started_rx, finish)
}

impl Gate {
    async fn wait(&self, nonce: &str) -> Result<MessageId, SendError> {
        let _ = self.started.send(nonce.to_string());
        let mut results = self.results.lock().await;
        results
            .recv()
            .await
            .unwrap_or_else(|| Err(SendError::Other("gate dropped".into())))
    }
}

impl Notifier for Gate {
    async fn send_channel(&self, _: ChannelId, _: &Message, nonce: &str) -> Result<MessageId, SendError> {
        self.wait(nonce).await
    }

    async fn send_dm(&self, _: UserId, _: &Message, nonce: &str) -> Result<MessageId, SendError> {
        self.wait(nonce).await
    }

    async fn edit_message(&self, _: ChannelId, _: MessageId, _: &Message) -> Result<(), SendError> {
        Err(SendError::Other("the gate only sends".into()))
    }

    async fn create_thread(&self, _: ChannelId, _: MessageId, _: &str) -> Result<ChannelId, SendError> {
        Err(SendError::Other("the gate only sends".into()))
    }
}

#[tokio::test]
async fn a_sender_whose_claim_was_taken_over_records_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    log_win(&w, &c, MEMBER, "Mayor signed").await;
    let s = settings();

    // A claims the row and its send hangs past the claim…
    let (a, mut a_started, a_finish) = gate();
    let (store, sa) = (w.store.clone(), s.clone());
    let t0 = w.now;
    let a_round = tokio::spawn(async move { scheduler::deliver(&store, &a, &sa, t0).await });
    a_started.recv().await.unwrap();
    // …so B claims it once the claim has expired, and starts sending.
    let (b, mut b_started, b_finish) = gate();
    let (store, sb) = (w.store.clone(), s.clone());
    let t1 = w.now + Duration::seconds(s.claim_seconds);
    let b_round = tokio::spawn(async move { scheduler::deliver(&store, &b, &sb, t1).await });
    b_started.recv().await.unwrap();
    let claimed = rows(&w, &c).await.remove(0);
    assert_eq!(claimed.claimed_until, Some(t1.timestamp() + s.claim_seconds));

    // A's late 5xx changes nothing: the row is B's.
    a_finish
        .send(Err(SendError::Transient("502 Bad Gateway".into())))
        .unwrap();
    let a_report = a_round.await.unwrap().unwrap();
    assert_eq!((a_report.lost, a_report.retried), (1, 0), "{a_report:?}");
    let d = rows(&w, &c).await.remove(0);
    assert_eq!(
        (
            d.status.as_str(),
            d.attempts,
            d.claimed_until,
            d.last_error.as_deref()
        ),
        ("sending", 0, claimed.claimed_until, None)
    );

    // B's send is recorded.
    b_finish.send(Ok(MessageId(4242))).unwrap();
    let b_report = b_round.await.unwrap().unwrap();
    assert_eq!(b_report.sent, 1, "{b_report:?}");
    let d = rows(&w, &c).await.remove(0);
    assert_eq!(
        (d.status.as_str(), d.message_id, d.attempts),
        ("sent", Some(MessageId(4242)), 0)
    );

    // A stale sender can't mark or release it either.
    let mut tx = w.store.write().await.unwrap();
    let stale = claimed.claim_token - 1;
    assert!(
        !backbone::store::deliveries::mark_final(&mut tx, d.id, stale, true, "late", true)
            .await
            .unwrap()
    );
    drop(tx);
    assert!(
        !backbone::store::deliveries::mark_retry(&w.store, d.id, stale, 0, true, "late")
            .await
            .unwrap()
    );
    backbone::store::deliveries::release(&w.store, &[(d.id, stale)])
        .await
        .unwrap();
    assert_eq!(rows(&w, &c).await.remove(0).status, "sent");
}

#[tokio::test]
async fn a_channel_that_breaks_again_a_week_later_warns_again() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    let no_access = || SendError::NoAccess {
        code: 50013,
        message: "Missing Permissions".into(),
    };
    let warnings = |all: &[Delivery]| all.iter().filter(|d| d.kind == "channel_warning").count();
    // Monday, then Thursday of the same week: one warning per lead.
    for (i, later) in [(0, Duration::days(3)), (1, Duration::days(7))] {
        n.fail_next(Target::Channel(HOME), no_access());
        log_win(&w, &c, MEMBER, &format!("win {i}")).await;
        deliver(&w, &n, w.now).await;
        deliver(&w, &n, w.now).await;
        w.advance(later);
    }
    assert_eq!(warnings(&rows(&w, &c).await), 2, "once within a week");
    // A week later it is broken again: the leads hear about it again.
    n.fail_next(Target::Channel(HOME), no_access());
    log_win(&w, &c, MEMBER, "win 2").await;
    deliver(&w, &n, w.now).await;
    deliver(&w, &n, w.now).await;
    assert_eq!(warnings(&rows(&w, &c).await), 4, "again the next week");
    assert_eq!(n.posted_to(Target::User(LEAD)).len(), 2);
    assert_eq!(n.posted_to(Target::User(ADMIN)).len(), 2);
}

#[tokio::test]
async fn a_delivery_that_cannot_be_read_dies_loudly_with_the_reason() {
    let w = World::new().await;
    let c = w.climate().await;
    for (kind, payload) in [("task_ping", r#"{"offset":3600}"#), ("from_the_future", "{}")] {
        backbone::store::sql::query(
            "INSERT INTO deliveries (coalition_id, kind, dedupe_key, target_kind, target_id, subject_id,
                                     payload, due_at, next_attempt_at, created_at)
             VALUES (?, ?, ?, 'user', ?, 1, ?, ?, ?, ?)",
        )
        .bind(c.id)
        .bind(kind)
        .bind(format!("broken:{kind}"))
        .bind(MEMBER)
        .bind(payload)
        .bind(w.now.timestamp())
        .bind(w.now.timestamp())
        .bind(w.now.timestamp())
        .execute(w.store.pool())
        .await
        .unwrap();
    }
    let n = RecordingNotifier::new();
    let report = deliver(&w, &n, w.now).await;
    assert_eq!(report.dead, 2, "{report:?}");
    assert!(
        n.calls().is_empty(),
        "nothing is sent from a row that can't be read"
    );
    let rows = rows(&w, &c).await;
    let error = |kind: &str| {
        rows.iter()
            .find(|d| d.kind == kind)
            .and_then(|d| d.last_error.clone())
            .unwrap_or_default()
    };
    assert!(error("task_ping").contains("due_at"), "{}", error("task_ping"));
    assert!(
        error("from_the_future").contains("unknown kind"),
        "{}",
        error("from_the_future")
    );
}
