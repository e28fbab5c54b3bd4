//! One scheduler at a time: copies of Backbone on one database elect the sender through the lease
//! row. Only the holder plans and sends; when it dies another copy takes over once the lease has
//! expired; a clean shutdown hands it back at once; a holder that loses it stops sending.
//! Runners here share one database, one recording notifier and one manual clock.

mod harness;
use harness::*;

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use backbone::clock::{Clock, ManualClock};
use backbone::ops::health::Health;
use backbone::ops::metrics::Metrics;
use backbone::scheduler::{self, SchedulerSettings};
use backbone::store::lease;
use chrono::Duration;
use tokio::sync::{Notify, watch};

const LEASE: StdDuration = StdDuration::from_millis(900);

#[tokio::test]
async fn the_lease_goes_to_one_copy_until_it_expires_or_is_handed_back() {
    let w = World::new().await;
    let t = w.now.timestamp_millis();
    let a = lease::acquire(&w.store, "copy-a", t, 30_000).await.unwrap();
    assert!(a.held);
    assert_eq!((a.acquired_at, a.expires_at), (t, t + 30_000));

    // Another copy can't take it while it runs, and sees who has it.
    let b = lease::acquire(&w.store, "copy-b", t + 10_000, 30_000)
        .await
        .unwrap();
    assert!(!b.held);
    assert_eq!(b.holder.as_deref(), Some("copy-a"));

    // Renewing keeps when it was taken and moves when it ends.
    let a = lease::acquire(&w.store, "copy-a", t + 20_000, 30_000)
        .await
        .unwrap();
    assert!(a.held);
    assert_eq!((a.acquired_at, a.expires_at), (t, t + 50_000));

    // Once it has expired, the other copy takes it, and the old holder no longer has it.
    let b = lease::acquire(&w.store, "copy-b", t + 50_000, 30_000)
        .await
        .unwrap();
    assert!(b.held);
    assert_eq!(b.acquired_at, t + 50_000);
    let a = lease::acquire(&w.store, "copy-a", t + 51_000, 30_000)
        .await
        .unwrap();
    assert!(!a.held);
    assert_eq!(a.holder.as_deref(), Some("copy-b"));

    // Handing back is for the holder only; then anyone takes it at once.
    assert!(!lease::release(&w.store, "copy-a").await.unwrap());
    assert!(lease::release(&w.store, "copy-b").await.unwrap());
    let none = lease::current(&w.store, "copy-a").await.unwrap();
    assert_eq!(none.holder, None);
    assert!(
        lease::acquire(&w.store, "copy-a", t + 52_000, 30_000)
            .await
            .unwrap()
            .held
    );
}

#[tokio::test]
async fn two_copies_asking_at_once_never_both_get_it() {
    let w = World::new().await;
    let t = w.now.timestamp_millis();
    for round in 0..20 {
        let now = t + round * 100_000;
        let asks = (0..4).map(|i| {
            let store = w.store.clone();
            tokio::spawn(async move {
                lease::acquire(&store, &format!("copy-{round}-{i}"), now, 50_000)
                    .await
                    .unwrap()
                    .held
            })
        });
        let held = futures::future::join_all(asks)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(held, 1, "round {round}: {held} copies hold the lease");
    }
}

/// One copy's scheduler loop.
struct Copy {
    metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn start(
    w: &World,
    n: &Arc<RecordingNotifier>,
    clock: &Arc<ManualClock>,
    wake: &Arc<Notify>,
    name: &str,
) -> Copy {
    let metrics = Arc::new(Metrics::new());
    let settings = SchedulerSettings {
        tick: StdDuration::from_secs(3600),
        send_concurrency: 2,
        max_sends_per_second: 0,
        lease: LEASE,
        holder: name.to_string(),
        metrics: Some(metrics.clone()),
        ..SchedulerSettings::default()
    };
    let (stop, stopped) = watch::channel(false);
    let clock: Arc<dyn Clock> = clock.clone();
    let task = tokio::spawn(scheduler::run(
        w.store.clone(),
        n.clone(),
        settings,
        clock,
        stopped,
        wake.clone(),
    ));
    Copy { metrics, stop, task }
}

/// Starts a copy and waits until it holds the lease (nobody else has it).
async fn start_holding(
    w: &World,
    n: &Arc<RecordingNotifier>,
    clock: &Arc<ManualClock>,
    wake: &Arc<Notify>,
    name: &str,
) -> Copy {
    let copy = start(w, n, clock, wake, name);
    wait_for(&format!("{name} holds the lease"), || {
        copy.metrics.scheduler_lease_held.get() == 1
    })
    .await;
    copy
}

async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + StdDuration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

async fn holder(w: &World) -> Option<String> {
    lease::current(&w.store, "test").await.unwrap().holder
}

/// Each posted celebration's text, sorted (a double send shows as a repeat).
fn posted_texts(n: &RecordingNotifier) -> Vec<String> {
    let mut t: Vec<String> = n.posted().iter().map(|s| format!("{:?}", s.msg)).collect();
    t.sort();
    t
}

#[tokio::test]
async fn only_the_holder_sends_and_another_copy_takes_over_when_it_dies() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = Arc::new(RecordingNotifier::new());
    let clock = Arc::new(ManualClock::new(w.now));
    let wake = Arc::new(Notify::new());

    let a = start_holding(&w, &n, &clock, &wake, "copy-a").await;
    let b = start(&w, &n, &clock, &wake, "copy-b");
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    assert_eq!(b.metrics.scheduler_lease_held.get(), 0, "copy-b waits");
    let page = b
        .metrics
        .render(&w.store, &Health::default(), w.now.timestamp())
        .await
        .unwrap();
    assert!(
        page.contains("backbone_scheduler_lease_holder{holder=\"copy-a\"} 1")
            && page.contains("backbone_scheduler_lease_held 0"),
        "copy-b's /metrics shows who holds the lease: {page}"
    );

    for i in 0..6 {
        log_win(&w, &c, MEMBER, &format!("first batch {i}")).await;
    }
    wake.notify_waiters();
    wait_for("the first batch is sent", || n.posted().len() == 6).await;
    assert_eq!(holder(&w).await.as_deref(), Some("copy-a"));

    // kill -9: copy-a stops without handing the lease back. Until it expires nobody sends.
    a.task.abort();
    let _ = a.task.await;
    for i in 0..6 {
        log_win(&w, &c, MEMBER, &format!("second batch {i}")).await;
    }
    wake.notify_waiters();
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(
        n.posted().len(),
        6,
        "nothing is sent while the dead copy's lease runs"
    );

    // The lease runs out: copy-b takes over within a poll (a second at most) and sends the rest.
    clock.advance(Duration::milliseconds(LEASE.as_millis() as i64 + 1));
    let expired = Instant::now();
    wait_for("copy-b takes the lease", || {
        b.metrics.scheduler_lease_held.get() == 1
    })
    .await;
    assert!(
        expired.elapsed() < StdDuration::from_secs(2),
        "took {:?}",
        expired.elapsed()
    );
    wake.notify_waiters();
    wait_for("the second batch is sent", || n.posted().len() == 12).await;
    let texts = posted_texts(&n);
    let mut unique = texts.clone();
    unique.dedup();
    assert_eq!(unique.len(), 12, "every win celebrated exactly once");

    // A clean shutdown hands the lease back: a new copy takes it without waiting for it to expire.
    b.stop.send(true).unwrap();
    tokio::time::timeout(StdDuration::from_secs(5), b.task)
        .await
        .expect("copy-b stops")
        .unwrap();
    assert_eq!(holder(&w).await, None);
    let c2 = start_holding(&w, &n, &clock, &wake, "copy-c").await;
    c2.stop.send(true).unwrap();
    let _ = c2.task.await;
}

#[tokio::test]
async fn a_holder_that_loses_the_lease_stops_sending() {
    let w = World::new().await;
    let c = w.climate().await;
    let n = Arc::new(RecordingNotifier::new());
    for _ in 0..40 {
        n.script_any(Scripted::Delay(StdDuration::from_millis(60)));
    }
    let clock = Arc::new(ManualClock::new(w.now));
    let wake = Arc::new(Notify::new());
    let a = start_holding(&w, &n, &clock, &wake, "copy-a").await;
    for i in 0..30 {
        log_win(&w, &c, MEMBER, &format!("win {i}")).await;
    }
    wake.notify_waiters();
    wait_for("sending has begun", || !n.posted().is_empty()).await;

    // copy-a's clock stalls past its lease (a paused VM): another copy takes the lease over.
    clock.advance(Duration::milliseconds(LEASE.as_millis() as i64 + 1));
    let t = clock.now().timestamp_millis();
    assert!(
        lease::acquire(&w.store, "intruder", t, 60_000)
            .await
            .unwrap()
            .held
    );

    // At its next renewal copy-a finds out, and starts no more sends.
    wait_for("copy-a notices", || a.metrics.scheduler_lease_held.get() == 0).await;
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    let after = n.posted().len();
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    assert_eq!(
        n.posted().len(),
        after,
        "copy-a went on sending without the lease"
    );
    assert!(after < 30, "the round was cut short ({after} sent)");
    let pending = rows(&w, &c)
        .await
        .iter()
        .filter(|d| d.status == "pending")
        .count();
    assert_eq!(pending + after, 30, "the rest waits for the new holder");
    a.stop.send(true).unwrap();
    let _ = a.task.await;
    assert_eq!(
        holder(&w).await.as_deref(),
        Some("intruder"),
        "a copy never hands back a lease it lost"
    );
}
