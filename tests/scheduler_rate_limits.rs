//! A 429 slows one message, not the round: the limited send waits out its own `retry_after` in
//! line — to the millisecond, on the scheduler's clock — and goes again with the same nonce, while
//! the other sends go on; it is not put back behind the whole backlog, even when its claim would
//! end mid-wait (the claim is extended), and check-in threads and posts wait the same way. Driven with a manual clock
//! (the test moves it), so nothing here depends on how fast the machine is.

mod harness;
use harness::*;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use backbone::actions::tasks;
use backbone::clock::ManualClock;
use backbone::domain::*;
use backbone::ops::metrics::Metrics;
use backbone::scheduler::counting::Counting;
use backbone::scheduler::{self, SchedulerSettings, SendError};
use backbone::store::deliveries::{self, Target};
use chrono::Duration;

async fn assign_to(w: &World, c: &Coalition, to: UserId, title: &str) -> Task {
    tasks::assign(&w.store, &w.actor(LEAD), w.now, input(c, title, to, None))
        .await
        .expect("assign task")
        .task
}

/// Waits (real time, generously) until `done` holds; panics with `what` otherwise.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

fn limited(retry_after: f64) -> SendError {
    SendError::RateLimited {
        retry_after,
        global: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_send_goes_again_once_its_retry_after_has_passed_while_the_others_go_on() {
    let w = World::new().await;
    let c = w.climate().await;
    for title in ["One", "Two", "Three"] {
        assign_to(&w, &c, MEMBER, title).await;
    }
    let n = Arc::new(RecordingNotifier::new());
    n.fail_next(Target::User(MEMBER), limited(5.0));
    let metrics = Arc::new(Metrics::new());
    let counted = Counting::new(n.clone(), metrics.clone());
    // One send at a time: the others can only go out if the waiting one leaves them room.
    let s = SchedulerSettings {
        send_concurrency: 1,
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    };
    let clock = ManualClock::new(w.now);
    let driver = async {
        // The clock stands still: the two others go out while the limited one waits.
        until("the two other DMs", || n.posted().len() == 2).await;
        let calls = n.calls();
        assert_eq!(calls.len(), 3, "one 429, two posts: {calls:?}");
        assert_eq!(calls[0].error, Some(limited(5.0)));
        // A millisecond early: still waiting (it has had time to go, were it going to).
        clock.set(w.now + Duration::milliseconds(4_999));
        tokio::time::sleep(StdDuration::from_millis(150)).await;
        assert_eq!(n.calls().len(), 3, "not before retry_after");
        clock.set(w.now + Duration::milliseconds(5_000));
        until("the limited DM, sent again", || n.posted().len() == 3).await;
    };
    let (report, ()) = tokio::join!(
        scheduler::deliver_until(&w.store, &counted, &s, &clock, None),
        driver
    );
    let report = report.unwrap();
    assert_eq!(
        (report.claimed, report.sent, report.retried, report.resent),
        (3, 3, 0, 1),
        "sent again in line, not put back in the queue: {report:?}"
    );
    let calls = n.calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[3].nonce, calls[0].nonce, "the same message, the same nonce");
    assert!(calls[3].posted());
    for d in deliveries::of_coalition(&w.store, c.id).await.unwrap() {
        assert_eq!((d.status.as_str(), d.attempts), ("sent", 0), "{d:?}");
    }
    // Counted once each: one 429 met by the scheduler, three DMs sent.
    assert_eq!(metrics.rate_limited.with_label_values(&["scheduler"]).get(), 1);
    assert_eq!(metrics.rate_limited.with_label_values(&["serenity"]).get(), 0);
    assert_eq!(metrics.sends.with_label_values(&["dm", "ok"]).get(), 3);
    assert_eq!(metrics.sends.with_label_values(&["dm", "rate_limited"]).get(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_send_is_not_put_behind_the_backlog() {
    let w = World::new().await;
    let c = w.climate().await;
    // A backlog of 120 DMs, paced at 40 a second (three seconds of sending).
    for i in 0..120 {
        let to = if i % 2 == 0 { MEMBER } else { MEMBER2 };
        assign_to(&w, &c, to, &format!("Task {i}")).await;
    }
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(MEMBER), limited(2.0));
    let s = SchedulerSettings {
        max_sends_per_second: 40,
        ..SchedulerSettings::default()
    };
    let clock = ManualClock::new(w.now);
    let driver = async {
        until("the 429", || n.calls().iter().any(|c| c.error.is_some())).await;
        // retry_after passes on the scheduler's clock while most of the backlog is still queued.
        clock.set(w.now + Duration::seconds(2));
    };
    let (report, ()) = tokio::join!(scheduler::deliver_until(&w.store, &n, &s, &clock, None), driver);
    let report = report.unwrap();
    assert_eq!(
        (report.claimed, report.sent, report.retried, report.resent),
        (120, 120, 0, 1),
        "{report:?}"
    );
    let calls = n.calls();
    let limited_nonce = calls
        .iter()
        .find(|c| c.error.is_some())
        .and_then(|c| c.nonce.clone());
    let resent = calls
        .iter()
        .rposition(|c| c.nonce == limited_nonce)
        .expect("sent again");
    let after = calls.len() - 1 - resent;
    assert!(
        after >= 40,
        "the limited DM went again once retry_after had passed, with {after} of the backlog still after it"
    );
    assert_eq!(n.posted().len(), 120, "each DM once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_limited_longer_than_is_waited_in_line_goes_back_to_the_queue() {
    let w = World::new().await;
    let c = w.climate().await;
    assign_to(&w, &c, MEMBER, "One").await;
    let n = RecordingNotifier::new();
    // Longer than is waited out in line: the row goes back to the queue, due when it has passed.
    n.fail_next(Target::User(MEMBER), limited(30.0));
    let s = SchedulerSettings {
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    };
    let report = scheduler::deliver(&w.store, &n, &s, w.now).await.unwrap();
    assert_eq!((report.retried, report.resent), (1, 0));
    let rows = deliveries::of_coalition(&w.store, c.id).await.unwrap();
    assert_eq!(rows[0].status, "pending");
    assert_eq!(rows[0].next_attempt_at, w.now.timestamp() + 30);
    assert_eq!(rows[0].attempts, 0, "a 429 is not a failed attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_send_whose_claim_would_end_mid_wait_extends_it_and_goes_again_in_line() {
    let w = World::new().await;
    let c = w.climate().await;
    assign_to(&w, &c, MEMBER, "One").await;
    let n = RecordingNotifier::new();
    n.fail_next(Target::User(MEMBER), limited(5.0));
    // A claim of 12 s can't hold a 5 s wait and two sends of up to 5 s each.
    let s = SchedulerSettings {
        max_sends_per_second: 0,
        claim_seconds: 12,
        send_timeout: StdDuration::from_secs(5),
        ..SchedulerSettings::default()
    };
    let clock = ManualClock::new(w.now);
    let t0 = w.now.timestamp();
    let driver = async {
        until("the 429", || n.calls().len() == 1).await;
        // While it waits, the row's claim reaches past the wait: a sender arriving once the first
        // claim would have run out finds nothing to take over.
        let extended = || async {
            let rows = deliveries::of_coalition(&w.store, c.id).await.unwrap();
            rows[0].claimed_until.unwrap_or(0)
        };
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
        while extended().await <= t0 + 12 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the claim was never extended"
            );
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        assert_eq!(extended().await, t0 + 5 + 12);
        let taken = deliveries::claim(&w.store, t0 + 13, t0 + 60, 10).await.unwrap();
        assert!(taken.is_empty(), "another sender took the row over: {taken:?}");
        clock.set(w.now + Duration::seconds(5));
        until("the DM, sent again", || n.posted().len() == 1).await;
    };
    let (report, ()) = tokio::join!(scheduler::deliver_until(&w.store, &n, &s, &clock, None), driver);
    let report = report.unwrap();
    assert_eq!(
        (
            report.claimed,
            report.sent,
            report.retried,
            report.resent,
            report.lost
        ),
        (1, 1, 0, 1, 0),
        "waited out in line under its extended claim, not put back in the queue: {report:?}"
    );
    let calls = n.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].nonce, calls[0].nonce);
    let rows = deliveries::of_coalition(&w.store, c.id).await.unwrap();
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("sent", 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_check_in_thread_waits_out_its_retry_after_in_line_too() {
    let w = World::new().await;
    w.climate().await;
    // The first round opens on Friday 27 Nov 2026, 10:00 in Berlin.
    let friday = chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Europe::Berlin, 2026, 11, 27, 10, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let s = SchedulerSettings {
        max_sends_per_second: 0,
        ..SchedulerSettings::default()
    };
    scheduler::tick(&w.store, &s, friday).await.unwrap();
    let n = RecordingNotifier::new();
    n.fail_next_thread(limited(2.0));
    let clock = ManualClock::new(friday);
    let started = || {
        n.changes()
            .iter()
            .filter(|c| c.thread_name.is_some() && c.error.is_none())
            .count()
    };
    let driver = async {
        until("the limited thread", || {
            n.changes().iter().any(|c| c.error.is_some())
        })
        .await;
        assert_eq!(started(), 0, "not before retry_after");
        clock.set(friday + Duration::seconds(2));
        until("the thread", || started() == 1).await;
    };
    let (report, ()) = tokio::join!(scheduler::deliver_until(&w.store, &n, &s, &clock, None), driver);
    let report = report.unwrap();
    assert_eq!((report.retried, report.resent), (0, 1), "{report:?}");
    assert_eq!(started(), 1, "one thread, started once");
    assert_eq!(n.changes().len(), 2, "one 429, one thread: {:?}", n.changes());
}
