//! Each member's own hours in the scheduler: quiet hours hold DMs until they end (in the member's
//! zone, DST-correct), away members get no nudges or deadline DMs (their tasks' pings go to the
//! leads), `dms: pings_only` and `dms: none` — and a month with members in Berlin and Los Angeles.

mod harness;
use harness::*;

use std::collections::HashSet;

use backbone::actions::feedback::{self, AnonLimiter, SendFeedback};
use backbone::actions::me::{self, ChangeSettings, GoAway};
use backbone::actions::{checkins, tasks};
use backbone::domain::hours::{DmPolicy, QuietHours};
use backbone::domain::*;
use backbone::scheduler::{self, SchedulerSettings};
use backbone::store::deliveries::{Delivery, DeliveryKind, Target};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;

async fn set(w: &World, who: UserId, tz: &str, quiet: &str, dms: Option<DmPolicy>) {
    me::settings(
        &w.store,
        &w.actor(who),
        w.now,
        ChangeSettings {
            timezone: Some(tz.into()),
            quiet_hours: Some(quiet.into()),
            dms,
        },
    )
    .await
    .expect("settings");
}

async fn away(w: &World, who: UserId, until: &str) {
    me::away(
        &w.store,
        &w.actor(who),
        w.now,
        GoAway {
            until: until.into(),
            note: None,
        },
    )
    .await
    .expect("away");
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
    .expect("assign")
    .task
}

fn text_of(m: &backbone::domain::message::Message) -> String {
    format!("{m:?}")
}

fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_dm_in_quiet_hours_waits_until_they_end_in_the_members_zone() {
    let mut w = World::new().await;
    // 10:00 UTC is 02:00 in Los Angeles: inside 21:00-08:00.
    let c = w.climate().await;
    set(&w, MEMBER, "America/Los_Angeles", "21:00-08:00", None).await;
    let n = RecordingNotifier::new();
    assign(&w, &c, MEMBER, "Call the venue", Some("in 5 days")).await;
    let r = scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    assert_eq!(r.deferred, 1);
    assert!(n.posted_to(Target::User(MEMBER)).is_empty());
    let row = rows(&w, &c)
        .await
        .into_iter()
        .find(|d| d.kind() == Some(DeliveryKind::TaskAssigned))
        .unwrap();
    let ends = at(Los_Angeles, 2026, 11, 23, 8, 0);
    assert_eq!(row.next_attempt_at, ends.timestamp());
    assert_eq!(row.attempts, 0, "waiting for quiet hours is not a failure");
    assert!(row.last_error.unwrap().contains("quiet hours"));

    w.now = ends - Duration::seconds(1);
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    assert!(n.posted_to(Target::User(MEMBER)).is_empty());
    w.now = ends;
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    let sent = n.posted_to(Target::User(MEMBER));
    assert_eq!(sent.len(), 1);
    // Times in the DM are in the member's own zone.
    assert!(
        text_of(&sent[0].msg).contains("America/Los_Angeles"),
        "{}",
        text_of(&sent[0].msg)
    );
}

#[tokio::test]
async fn quiet_hours_end_at_local_time_across_dst_changes() {
    // Los Angeles falls back on 1 Nov 2026: 23:00 PDT on 31 Oct to 08:00 PST is 10 hours, not 9.
    let q = QuietHours::parse("21:00-08:00").unwrap().unwrap();
    let ends = q
        .ends_after(at(Los_Angeles, 2026, 10, 31, 23, 0), Los_Angeles)
        .unwrap();
    assert_eq!(ends, Utc.with_ymd_and_hms(2026, 11, 1, 16, 0, 0).unwrap());
    // Berlin springs forward on 28 Mar 2027 (02:00 -> 03:00): quiet hours ending at 02:30 end when
    // the clocks show 03:00.
    let q = QuietHours::parse("22:00-02:30").unwrap().unwrap();
    let ends = q.ends_after(at(Berlin, 2027, 3, 27, 23, 0), Berlin).unwrap();
    assert_eq!(ends, Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap());
    // A daytime window, and a time outside any window.
    let q = QuietHours::parse("12-14").unwrap().unwrap();
    assert_eq!(
        q.ends_after(at(Berlin, 2026, 7, 1, 13, 59), Berlin),
        Some(at(Berlin, 2026, 7, 1, 14, 0))
    );
    assert_eq!(q.ends_after(at(Berlin, 2026, 7, 1, 14, 0), Berlin), None);
}

#[tokio::test]
async fn an_away_assignees_deadline_pings_go_to_the_leads_only() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    assign(&w, &c, MEMBER, "Print flyers", Some("in 5 days")).await;
    away(&w, MEMBER, "in 10 days").await;
    // Run to past the due date.
    for _ in 0..(6 * 24) {
        scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
        scheduler::deliver(&w.store, &n, &settings(), w.now)
            .await
            .unwrap();
        w.advance(Duration::hours(1));
    }
    let pings: Vec<Delivery> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.kind() == Some(DeliveryKind::TaskPing))
        .collect();
    assert_eq!(
        pings.len(),
        6,
        "72h, 24h and overdue, to the two leads only: {pings:?}"
    );
    let leads = [Target::User(LEAD), Target::User(ADMIN)];
    assert!(pings.iter().all(|d| leads.contains(&d.target())));
    // The assignee got only the "task assigned" note, before going away.
    let to_member = n.posted_to(Target::User(MEMBER));
    assert_eq!(to_member.len(), 1, "{to_member:?}");
}

#[tokio::test]
async fn a_nudge_planned_before_someone_went_away_is_not_sent() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let n = RecordingNotifier::new();
    // Round opens Friday 27 Nov 10:00 Berlin; nudges plan a day later.
    w.now = at(Berlin, 2026, 11, 27, 10, 0);
    scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
    w.now += Duration::hours(24);
    scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
    let nudge = |d: &Delivery| d.kind() == Some(DeliveryKind::Nudge) && d.target() == Target::User(MEMBER2);
    assert!(
        rows(&w, &c).await.iter().any(nudge),
        "planned while they were here"
    );
    away(&w, MEMBER2, "in 3 days").await;
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    let row = rows(&w, &c).await.into_iter().find(nudge).unwrap();
    assert_eq!(row.status, "cancelled");
    assert!(n.posted_to(Target::User(MEMBER2)).is_empty());
    assert!(
        !n.posted_to(Target::User(MEMBER)).is_empty(),
        "others are still nudged"
    );
}

#[tokio::test]
async fn pings_only_drops_nudges_and_notes_but_keeps_deadline_pings() {
    let mut w = World::new().await;
    let c = w.climate().await;
    set(&w, MEMBER, "Europe/Berlin", "off", Some(DmPolicy::PingsOnly)).await;
    let n = RecordingNotifier::new();
    assign(&w, &c, MEMBER, "Book the hall", Some("in 2 days")).await;
    for _ in 0..4 {
        scheduler::tick(&w.store, &settings(), w.now).await.unwrap();
        scheduler::deliver(&w.store, &n, &settings(), w.now)
            .await
            .unwrap();
        w.advance(Duration::hours(12));
    }
    let kinds: Vec<(Option<DeliveryKind>, String)> = rows(&w, &c)
        .await
        .into_iter()
        .filter(|d| d.target() == Target::User(MEMBER))
        .map(|d| (d.kind(), d.status))
        .collect();
    assert!(
        kinds.contains(&(Some(DeliveryKind::TaskAssigned), "cancelled".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(Some(DeliveryKind::TaskPing), "sent".into())),
        "{kinds:?}"
    );
    assert!(scheduler::pings_only_allows(Some(DeliveryKind::BlockerAlert)));
    assert!(!scheduler::pings_only_allows(Some(DeliveryKind::Nudge)));
}

#[tokio::test]
async fn no_dms_means_a_pointer_in_the_home_channel_that_carries_none_of_the_dm() {
    let w = World::new().await;
    let c = w.climate().await;
    set(&w, MEMBER, "Europe/Berlin", "off", Some(DmPolicy::None)).await;
    set(&w, LEAD, "Europe/Berlin", "off", Some(DmPolicy::None)).await;
    let n = RecordingNotifier::new();
    assign(&w, &c, MEMBER, "Draft the letter", None).await;
    feedback::send(
        &w.store,
        &AnonLimiter::default(),
        &w.actor(MEMBER2),
        w.now,
        SendFeedback {
            coalition: None,
            text: "The rota is unfair".into(),
            anonymous: true,
        },
    )
    .await
    .unwrap();
    scheduler::deliver(&w.store, &n, &settings(), w.now)
        .await
        .unwrap();
    assert!(n.posted_to(Target::User(MEMBER)).is_empty());
    assert!(n.posted_to(Target::User(LEAD)).is_empty());
    let home = n.posted_to(Target::Channel(c.home_channel_id));
    assert_eq!(home.len(), 2);
    let assigned = home
        .iter()
        .find(|s| s.msg.ping_users == [MEMBER])
        .expect("a mention");
    // A personal DM is for its reader alone: the home channel gets where to look, not the DM.
    assert!(!text_of(&assigned.msg).contains("Draft the letter"));
    assert!(
        text_of(&assigned.msg).contains("/task mine"),
        "{}",
        text_of(&assigned.msg)
    );
    let pointer = home
        .iter()
        .find(|s| s.msg.ping_users == [LEAD])
        .expect("a pointer");
    assert!(
        !text_of(&pointer.msg).contains("rota"),
        "feedback text never goes public"
    );
    assert!(text_of(&pointer.msg).contains("/feedback list"));
}

/// Whether `at` is in `who`'s quiet hours, as they set them.
fn in_quiet(at: i64, quiet: &QuietHours, tz: Tz) -> bool {
    quiet.contains(Utc.timestamp_opt(at, 0).unwrap(), tz)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_with_members_in_berlin_and_los_angeles_respects_quiet_hours_and_away() {
    let mut w = World::new().await;
    w.now = Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap();
    let c = w.climate().await;
    // Berlin: quiet 22:00-07:00; Los Angeles: quiet 21:00-08:00; the lead in Berlin, 23:00-06:30.
    set(&w, MEMBER, "Europe/Berlin", "22:00-07:00", None).await;
    set(&w, MEMBER2, "America/Los_Angeles", "21:00-08:00", None).await;
    set(&w, LEAD, "Europe/Berlin", "23:00-06:30", None).await;
    let quiet: Vec<(UserId, QuietHours, Tz)> = vec![
        (MEMBER, QuietHours::parse("22:00-07:00").unwrap().unwrap(), Berlin),
        (
            MEMBER2,
            QuietHours::parse("21:00-08:00").unwrap().unwrap(),
            Los_Angeles,
        ),
        (LEAD, QuietHours::parse("23:00-06:30").unwrap().unwrap(), Berlin),
    ];
    let s = SchedulerSettings {
        max_sends_per_second: 0,
        send_concurrency: 3,
        ..SchedulerSettings::default()
    };
    let n = RecordingNotifier::new();
    assign(&w, &c, MEMBER, "Venue booking", Some("2026-10-20 17:00")).await;
    assign(&w, &c, MEMBER2, "Flyer design", Some("2026-10-14 23:30")).await;
    assign(&w, &c, MEMBER2, "Press list", Some("2026-10-28 09:00")).await;

    // MEMBER2 is away 10-17 Oct (Los Angeles time); MEMBER answers the odd rounds only.
    let away_from = at(Los_Angeles, 2026, 10, 10, 0, 0);
    let away_until = at(Los_Angeles, 2026, 10, 17, 0, 0);
    let mut went_away = false;
    let mut rounds_seen = HashSet::new();
    let mut answers: Vec<(RoundId, UserId, String)> = Vec::new();
    let mut edited = HashSet::new();
    while w.now < end {
        let now = w.now;
        if !went_away && now >= away_from {
            away(&w, MEMBER2, "2026-10-17 00:00").await;
            went_away = true;
        }
        scheduler::tick(&w.store, &s, now).await.unwrap();
        scheduler::deliver(&w.store, &n, &s, now).await.unwrap();
        if let Some(round) = backbone::store::checkins::current_round(&w.store, c.id, now.timestamp())
            .await
            .unwrap()
            && now.timestamp() >= round.opens_at + 3600
            && rounds_seen.insert(round.id)
        {
            // MEMBER answers the odd rounds, MEMBER2 the even ones (and fixes it an hour later).
            let who = if rounds_seen.len() % 2 == 1 {
                MEMBER
            } else {
                MEMBER2
            };
            let done = format!("calls of round {} by {who}", round.id);
            let input = checkins::SubmitCheckin {
                round: round.id,
                answers: vec![done.clone(), "more calls".into(), String::new()],
            };
            checkins::submit(&w.store, &w.actor(who), now, input)
                .await
                .unwrap();
            answers.push((round.id, who, done));
        }
        if let Some((round, who, done)) = answers.last()
            && *who == MEMBER2
            && !edited.contains(round)
            && backbone::store::checkins::current_round(&w.store, c.id, now.timestamp())
                .await
                .unwrap()
                .is_some_and(|r| r.id == *round && now.timestamp() >= r.opens_at + 2 * 3600)
        {
            let input = checkins::SubmitCheckin {
                round: *round,
                answers: vec![format!("{done} (fixed)"), "more calls".into(), String::new()],
            };
            checkins::submit(&w.store, &w.actor(MEMBER2), now, input)
                .await
                .unwrap();
            edited.insert(*round);
        }
        w.advance(Duration::minutes(15));
    }

    let all = rows(&w, &c).await;
    let dms: Vec<&Delivery> = all.iter().filter(|d| d.target_kind == "user").collect();
    // No DM landed in anyone's quiet hours.
    for d in dms.iter().filter(|d| d.status == "sent") {
        if let Some((_, q, tz)) = quiet.iter().find(|(u, _, _)| d.target_id == u.0) {
            assert!(
                !in_quiet(d.sent_at.unwrap(), q, *tz),
                "{} sent in quiet hours at {}",
                d.dedupe_key,
                Utc.timestamp_opt(d.sent_at.unwrap(), 0)
                    .unwrap()
                    .with_timezone(tz)
            );
        }
    }
    // Some were held back by quiet hours (the Berlin nudge time is night in Los Angeles) and
    // went out when they ended.
    let held: Vec<&&Delivery> = dms
        .iter()
        .filter(|d| d.status == "sent" && d.sent_at.unwrap() - d.due_at > 15 * 60)
        .collect();
    assert!(
        !held.is_empty(),
        "quiet hours never mattered: the test proves nothing"
    );
    assert!(
        held.iter()
            .any(|d| d.target_id == MEMBER2.0 && d.kind() == Some(DeliveryKind::Nudge))
    );

    // No nudge or deadline DM reached the away member while away.
    for d in dms
        .iter()
        .filter(|d| d.target_id == MEMBER2.0 && d.status == "sent")
    {
        let paused = matches!(
            d.kind(),
            Some(DeliveryKind::Nudge | DeliveryKind::TaskPing | DeliveryKind::DeadlinePing)
        );
        let sent = d.sent_at.unwrap();
        assert!(
            !(paused && sent >= away_from.timestamp() && sent < away_until.timestamp()),
            "{} reached MEMBER2 while away",
            d.dedupe_key
        );
    }
    // …while the lead got the pings of MEMBER2's task due during the away week.
    let flyer_pings_to_lead = all
        .iter()
        .filter(|d| {
            d.kind() == Some(DeliveryKind::TaskPing) && d.target_id == LEAD.0 && d.dedupe_key.contains(":u")
        })
        .count();
    assert!(flyer_pings_to_lead >= 3);
    // Both members were nudged in some week they were around: the rule is not vacuous.
    for who in [MEMBER, MEMBER2] {
        assert!(
            dms.iter()
                .any(|d| d.target_id == who.0 && d.kind() == Some(DeliveryKind::Nudge) && d.status == "sent"),
            "{who} was never nudged"
        );
    }
    // Every answer appears once in its round's thread: posted once, a fix edits the card in place.
    assert!(answers.len() >= 4 && !edited.is_empty(), "{answers:?}");
    let posted = n.posted();
    for (round, who, done) in &answers {
        let thread = backbone::store::checkin_posts::round_posts(w.store.pool(), c.id, *round)
            .await
            .unwrap()
            .and_then(|p| p.thread_id)
            .expect("the round has a thread");
        let cards: Vec<_> = posted
            .iter()
            .filter(|p| format!("{:?}", p.msg).contains(done.as_str()))
            .collect();
        assert_eq!(cards.len(), 1, "{who}'s answer to round {round}: {cards:?}");
        assert_eq!(cards[0].target, Target::Channel(thread));
    }
    let fixes = n
        .changes()
        .iter()
        .filter(|ch| {
            ch.msg
                .as_ref()
                .is_some_and(|m| format!("{m:?}").contains("(fixed)"))
        })
        .count();
    assert_eq!(fixes, edited.len(), "each fix edited its card in place");
    assert!(!posted.iter().any(|p| format!("{:?}", p.msg).contains("(fixed)")));

    // Every call went out once: nothing was sent twice.
    let calls = n.calls();
    let nonces: HashSet<_> = calls.iter().filter_map(|s| s.nonce.clone()).collect();
    assert_eq!(nonces.len(), calls.len());
}
