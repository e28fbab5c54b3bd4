//! The digest covers its own period (issue 9): from the previous occurrence of its schedule up to
//! this one, fixed when planned (a retry doesn't move it), named in the title, exact around DST.

mod harness;
use backbone::store::payload::Payload;
use harness::*;

use backbone::actions::{coalitions, digest};
use backbone::domain::*;
use backbone::scheduler::{self, SendError};
use backbone::store::deliveries::Target;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Berlin;

fn berlin(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn set_digest(w: &World, c: &Coalition, schedule: &str) -> Coalition {
    let input = coalitions::UpdateSettings {
        coalition: Some(c.name.clone()),
        digest_schedule: Some(schedule.into()),
        ..Default::default()
    };
    coalitions::settings(&w.store, &w.actor(LEAD), w.now, input)
        .await
        .expect("settings");
    backbone::store::coalitions::get(w.store.pool(), GUILD, c.id)
        .await
        .unwrap()
        .unwrap()
}

fn text(m: &backbone::domain::message::Message) -> String {
    let mut s = m.content.clone();
    for e in &m.embeds {
        s += &format!("{}\n{}\n", e.title, e.description);
        for f in &e.fields {
            s += &format!("{}\n{}\n", f.name, f.value);
        }
    }
    s
}

#[tokio::test]
async fn a_fortnightly_digest_covers_both_weeks_and_a_retry_keeps_its_period() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let c = set_digest(&w, &c, "every 2 weeks mon 9:00").await;
    let occ = c.next_digest_at.expect("scheduled");
    let (from, to) = digest::period(&c, occ);
    assert_eq!(to - from, 14 * 86_400, "two weeks (no DST change in between)");

    // A win 10 days before the digest: a "last 7 days" digest would never show it.
    w.raw_win(&c, MEMBER, "Ten days ago", occ - 10 * 86_400).await;
    w.now = Utc.timestamp_opt(occ, 0).unwrap();
    let n = RecordingNotifier::new();
    scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
    // The first attempt fails; the retry an hour later covers the same period.
    n.fail_next(Target::Channel(HOME), SendError::Transient("502".into()));
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    w.raw_win(&c, MEMBER, "After the digest was due", occ + 60).await;
    w.advance(Duration::hours(1));
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    let posted = n.posted_to(Target::Channel(HOME));
    assert_eq!(posted.len(), 1);
    let t = text(&posted[0].msg);
    let title = format!("Digest · {}", period_title(from, to, Berlin));
    assert!(t.contains(&title), "{t}");
    assert!(t.contains("Ten days ago"), "{t}");
    assert!(
        !t.contains("After the digest was due"),
        "the retry didn't move the period: {t}"
    );
    assert!(!t.contains("Weekly"), "{t}");
}

fn period_title(from: i64, to: i64, tz: chrono_tz::Tz) -> String {
    backbone::domain::digest::period_title(from, to, tz)
}

#[tokio::test]
async fn daily_digests_neither_repeat_nor_miss_a_win() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let c = set_digest(&w, &c, "every day 9:00").await;
    let day1 = c.next_digest_at.unwrap();
    w.raw_win(&c, MEMBER, "Between the digests", day1 + 3600).await;
    let n = RecordingNotifier::new();
    for day in 0..3 {
        let at = Utc.timestamp_opt(day1 + day * 86_400, 0).unwrap();
        w.now = at;
        scheduler::tick(&w.store, &settings(), at).await.unwrap();
        scheduler::deliver(&w.store, &n, &settings(), at).await.unwrap();
    }
    let digests: Vec<String> = n
        .posted_to(Target::Channel(HOME))
        .iter()
        .map(|s| text(&s.msg))
        .filter(|t| t.contains("Digest ·"))
        .collect();
    assert_eq!(digests.len(), 3);
    let with: Vec<bool> = digests
        .iter()
        .map(|t| t.contains("Between the digests"))
        .collect();
    assert_eq!(with, [false, true, false], "the win is in exactly one digest");
}

#[tokio::test]
async fn around_dst_the_period_is_exact_in_local_time() {
    let mut w = World::new().await;
    // Back to October: Berlin leaves summer time on Sunday 25 Oct 2026.
    w.now = berlin(2026, 10, 20, 12);
    let c = w.climate().await;
    let c = set_digest(&w, &c, "mondays 9:00").await;
    let occ = berlin(2026, 10, 26, 9).timestamp();
    assert_eq!(c.next_digest_at, Some(occ));
    let (from, to) = digest::period(&c, occ);
    assert_eq!(
        from,
        berlin(2026, 10, 19, 9).timestamp(),
        "Monday 09:00 summer time"
    );
    assert_eq!(to - from, 7 * 86_400 + 3600, "the week had 169 hours");
    assert_eq!(period_title(from, to, Berlin), "19–26 Oct");
    scheduler::tick(&w.store, &settings(), Utc.timestamp_opt(occ, 0).unwrap())
        .await
        .unwrap();
    let rows = backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .unwrap();
    let d = rows.iter().find(|d| d.kind == "digest").expect("planned");
    let Ok(Payload::Digest(p)) = d.payload() else {
        panic!("a digest payload: {}", d.payload)
    };
    assert_eq!((p.from, p.to), (from, to), "fixed when planned");
}

#[tokio::test]
async fn preview_and_manual_send_cover_the_period_since_the_last_digest() {
    let mut w = World::new().await;
    let c = w.climate().await;
    // Default: Mondays 09:00. Wednesday 25 Nov: since Monday 23 Nov 09:00.
    w.now = berlin(2026, 11, 25, 12);
    let d = digest::preview(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    assert_eq!(
        (d.period_start, d.period_end),
        (berlin(2026, 11, 23, 9).timestamp(), w.now.timestamp())
    );
    digest::send(&w.store, &w.actor(LEAD), w.now, None).await.unwrap();
    let rows = backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .unwrap();
    let Ok(Payload::Digest(p)) = rows.iter().find(|d| d.kind == "digest").unwrap().payload() else {
        panic!("a digest payload")
    };
    assert_eq!((p.from, p.to), (d.period_start, d.period_end));
}

#[tokio::test]
async fn the_chart_bins_wins_by_the_schedules_weeks_even_in_a_partial_week() {
    let mut w = World::new().await;
    let c = w.climate().await;
    // Mondays 09:00 in Berlin; the preview is three days into the week.
    for at in [
        berlin(2026, 11, 13, 12), // two weeks back
        berlin(2026, 11, 17, 12), // last week
        berlin(2026, 11, 17, 15),
        berlin(2026, 11, 23, 8),  // Monday before 09:00: still last week
        berlin(2026, 11, 24, 12), // this week
    ] {
        w.raw_win(&c, MEMBER, "a win", at.timestamp()).await;
    }
    w.now = berlin(2026, 11, 25, 12);
    let d = digest::preview(&w.store, &w.actor(MEMBER), w.now, None)
        .await
        .unwrap();
    assert_eq!(d.wins_per_period.len(), 8);
    assert_eq!(&d.wins_per_period[5..], &[1, 3, 1], "{:?}", d.wins_per_period);
    let bounds = digest::chart_bounds(&c, d.period_start, d.period_end, 8);
    assert_eq!(bounds[7], berlin(2026, 11, 23, 9).timestamp());
    assert_eq!(bounds[6], berlin(2026, 11, 16, 9).timestamp());
    assert_eq!(bounds[8], w.now.timestamp());
}
