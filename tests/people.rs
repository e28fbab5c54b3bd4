//! `/me settings|away|back` and `/feedback send|list` + acknowledge, on a real database with a
//! fixed clock.

mod harness;
use harness::*;

use backbone::actions::feedback::{self, AnonLimiter, SendFeedback};
use backbone::actions::me::{self, ChangeSettings, GoAway};
use backbone::domain::hours::{DmPolicy, QuietHours};
use backbone::domain::*;
use backbone::store::deliveries::{DeliveryKind, Target};
use chrono::{Duration, TimeZone, Utc};

async fn set(
    w: &World,
    who: UserId,
    tz: Option<&str>,
    quiet: Option<&str>,
    dms: Option<DmPolicy>,
) -> backbone::Result<me::MySettings> {
    me::settings(
        &w.store,
        &w.actor(who),
        w.now,
        ChangeSettings {
            timezone: tz.map(str::to_string),
            quiet_hours: quiet.map(str::to_string),
            dms,
        },
    )
    .await
}

async fn prefs(w: &World, who: UserId) -> backbone::store::people::Prefs {
    backbone::store::people::get(&w.store, GUILD, who).await.unwrap()
}

#[tokio::test]
async fn me_settings_changes_only_what_is_given_and_shows_the_rest() {
    let w = World::new().await;
    let c = w.climate().await;
    let shown = set(&w, MEMBER, None, None, None).await.unwrap();
    assert!(shown.changed.is_empty());
    assert_eq!(shown.prefs.dms, DmPolicy::All);
    assert_eq!(
        shown.shown_tz, "Europe/Berlin",
        "falls back to the coalition's zone"
    );
    assert!(!shown.own_tz);

    let before = w.events(&c).await;
    let s = set(&w, MEMBER, Some("america/los_angeles"), Some("21:00-08:00"), None)
        .await
        .unwrap();
    assert_eq!(s.changed, ["timezone", "quiet_hours"]);
    assert_eq!(s.prefs.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(
        s.prefs.quiet,
        Some(QuietHours {
            start: 21 * 60,
            end: 8 * 60
        })
    );
    assert_eq!(
        w.events(&c).await,
        before + 1,
        "one event per coalition the member is in"
    );

    let s = set(&w, MEMBER, None, None, Some(DmPolicy::PingsOnly))
        .await
        .unwrap();
    assert_eq!(s.prefs.timezone.as_deref(), Some("America/Los_Angeles"), "kept");
    assert_eq!(s.prefs.dms, DmPolicy::PingsOnly);
    let s = set(&w, MEMBER, None, Some("off"), None).await.unwrap();
    assert_eq!(s.prefs.quiet, None);
    let rendered = backbone::render::me::settings(&s);
    assert!(rendered.ephemeral);
    assert!(rendered.limit_violations().is_empty());
}

#[tokio::test]
async fn preferences_are_per_user_per_guild_and_cover_every_coalition_there() {
    let w = World::new().await;
    let a = w.climate().await;
    let b = w.coalition("Housing Coalition").await;
    w.add_member(&b, MEMBER, Role::Member).await;
    set(&w, MEMBER, Some("Europe/Berlin"), Some("22-7"), None)
        .await
        .unwrap();
    for c in [&a, &b] {
        let p = backbone::store::people::of_member(&w.store, c.id, MEMBER)
            .await
            .unwrap();
        assert_eq!(
            p.quiet,
            Some(QuietHours {
                start: 22 * 60,
                end: 7 * 60
            })
        );
    }
    // Another server knows nothing of them.
    let other = backbone::store::people::get(&w.store, OTHER_GUILD, MEMBER)
        .await
        .unwrap();
    assert_eq!(other, backbone::store::people::Prefs::default());
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    set(&w, MEMBER, Some("Europe/Berlin"), Some("21:00-08:00"), None)
        .await
        .unwrap();
    let before = (prefs(&w, MEMBER).await, w.events(&c).await);
    user_err(
        set(&w, MEMBER, Some("Mars/Olympus"), None, None).await,
        "Unknown time zone",
    );
    user_err(
        set(&w, MEMBER, Some("Europe/Paris"), Some("late evening"), None).await,
        "quiet hours",
    );
    user_err(
        set(&w, MEMBER, None, Some("25:00-08:00"), Some(DmPolicy::None)).await,
        "21:00-08:00",
    );
    user_err(
        set(&w, MEMBER, None, Some("08:00-08:00"), None).await,
        "same time",
    );
    assert_eq!((prefs(&w, MEMBER).await, w.events(&c).await), before);
}

async fn member_list(w: &World, who: UserId) -> backbone::actions::members::MemberList {
    backbone::actions::members::list(&w.store, &w.actor(who), w.now, None, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn away_is_read_in_the_members_zone_shown_to_leads_and_ends_by_itself() {
    let mut w = World::new().await;
    let c = w.climate().await;
    set(&w, MEMBER, Some("America/Los_Angeles"), None, None)
        .await
        .unwrap();
    let away = me::away(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        GoAway {
            until: "2026-11-30 09:00".into(),
            note: Some("conference".into()),
        },
    )
    .await
    .unwrap();
    let la = chrono_tz::America::Los_Angeles;
    assert_eq!(
        away.until,
        la.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap().timestamp()
    );

    let seen_by_lead = member_list(&w, LEAD).await;
    let entry = |l: &backbone::actions::members::MemberList, u: UserId| {
        l.groups
            .iter()
            .flat_map(|g| &g.members)
            .find(|m| m.user_id == u)
            .unwrap()
            .away_until
    };
    assert_eq!(entry(&seen_by_lead, MEMBER), Some(away.until));
    assert_eq!(entry(&seen_by_lead, MEMBER2), None);
    let text = format!("{:?}", backbone::render::people::member_list(&seen_by_lead));
    assert!(text.contains("away until"), "{text}");
    assert_eq!(
        entry(&member_list(&w, MEMBER2).await, MEMBER),
        None,
        "members don't see it"
    );

    let away_now = backbone::store::people::away_members(&w.store, c.id, w.now.timestamp())
        .await
        .unwrap();
    assert_eq!(away_now.len(), 1);
    assert_eq!(away_now[0].note.as_deref(), Some("conference"));

    w.now = la
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        backbone::store::people::away_members(&w.store, c.id, w.now.timestamp())
            .await
            .unwrap()
            .is_empty(),
        "away ends by itself at `until`"
    );
    user_err(me::back(&w.store, &w.actor(MEMBER), w.now).await, "not away");
}

#[tokio::test]
async fn away_in_the_past_or_unreadable_is_refused_and_back_ends_it_early() {
    let w = World::new().await;
    let c = w.climate().await;
    let actor = w.actor(MEMBER);
    let go = |until: &str| {
        me::away(
            &w.store,
            &actor,
            w.now,
            GoAway {
                until: until.into(),
                note: None,
            },
        )
    };
    let events = w.events(&c).await;
    user_err(go("2026-11-01").await, "in the past");
    user_err(go("someday maybe").await, "`until` is when you're back");
    assert_eq!(prefs(&w, MEMBER).await.away_until, None);
    assert_eq!(w.events(&c).await, events);

    go("in 2 weeks").await.unwrap();
    assert!(prefs(&w, MEMBER).await.away_at(w.now.timestamp()));
    me::back(&w.store, &w.actor(MEMBER), w.now).await.unwrap();
    assert!(!prefs(&w, MEMBER).await.away_at(w.now.timestamp()));
    assert_eq!(w.events(&c).await, events + 2);
}

fn send(text: &str, anonymous: bool) -> SendFeedback {
    SendFeedback {
        coalition: None,
        text: text.into(),
        anonymous,
    }
}

async fn feedback_rows(w: &World) -> Vec<(Option<i64>, bool, String)> {
    backbone::store::sql::query_as("SELECT author_id, anonymous, text FROM feedback ORDER BY id")
        .fetch_all(w.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn anonymous_feedback_stores_no_author_in_the_row_the_events_or_the_export() {
    let w = World::new().await;
    let c = w.climate().await;
    w.add_member(&c, UserId(6), Role::Lead).await;
    let limiter = AnonLimiter::default();
    let sent = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        send("Meetings run long", true),
    )
    .await
    .unwrap();
    assert!(sent.anonymous);
    assert_eq!(sent.leads, 3, "one DM per lead (the admin who created it is one)");
    assert_eq!(sent.anonymous_left, Some(2));
    let confirmation = format!("{:?}", backbone::render::feedback::sent(&sent));
    assert!(
        confirmation.contains("No author was stored anywhere"),
        "{confirmation}"
    );

    assert_eq!(
        feedback_rows(&w).await,
        [(None, true, "Meetings run long".to_string())]
    );
    let actors: Vec<(Option<i64>, String, String)> = backbone::store::sql::query_as(
        "SELECT actor_id, subject, detail FROM events WHERE kind = 'feedback.send'",
    )
    .fetch_all(w.store.pool())
    .await
    .unwrap();
    assert_eq!(actors, [(None, format!("feedback {}", sent.id), String::new())]);
    let dms = backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .unwrap();
    let dms: Vec<_> = dms
        .iter()
        .filter(|d| d.kind() == Some(DeliveryKind::FeedbackToLead))
        .map(|d| d.target())
        .collect();
    assert_eq!(
        dms,
        [Target::User(ADMIN), Target::User(LEAD), Target::User(UserId(6))]
    );

    let export = backbone::actions::export::export(
        &w.store,
        &w.actor(LEAD),
        w.now,
        backbone::actions::export::ExportInput {
            coalition: None,
            format: backbone::actions::export::ExportFormat::Json,
        },
    )
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&export.bytes).unwrap();
    let items = json["feedback"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["text"], "Meetings run long");
    assert!(items[0]["author_id"].is_null());
    // The member never did anything else, so their id must appear nowhere in the events.
    let events = json["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["actor_id"] != MEMBER.0), "{events:?}");
}

#[tokio::test]
async fn anonymous_feedback_is_limited_per_member_per_day_in_memory() {
    let mut w = World::new().await;
    w.climate().await;
    let limiter = AnonLimiter::new(3);
    for i in 0..3 {
        feedback::send(
            &w.store,
            &limiter,
            &w.actor(MEMBER),
            w.now,
            send(&format!("note {i}"), true),
        )
        .await
        .unwrap();
        w.advance(Duration::minutes(10));
    }
    user_err(
        feedback::send(
            &w.store,
            &limiter,
            &w.actor(MEMBER),
            w.now,
            send("one more", true),
        )
        .await,
        "3 anonymous notes",
    );
    // Others, and named feedback, are not limited by it.
    feedback::send(&w.store, &limiter, &w.actor(MEMBER2), w.now, send("mine", true))
        .await
        .unwrap();
    feedback::send(&w.store, &limiter, &w.actor(MEMBER), w.now, send("signed", false))
        .await
        .unwrap();
    assert_eq!(feedback_rows(&w).await.len(), 5);
    // A day after the first, a slot frees up.
    w.advance(Duration::hours(24) - Duration::minutes(29));
    feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        send("next day", true),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn named_feedback_is_limited_per_member_per_day_from_the_database() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let limiter = AnonLimiter::new(3);
    let first = w.now;
    for i in 0..feedback::NAMED_PER_DAY {
        feedback::send(
            &w.store,
            &limiter,
            &w.actor(MEMBER),
            w.now,
            send(&format!("signed {i}"), false),
        )
        .await
        .unwrap();
        w.advance(Duration::minutes(10));
    }
    let (rows, events) = (feedback_rows(&w).await.len(), w.events(&c).await);
    let dms = w.rows_in("deliveries", &c).await;
    let e = user_err(
        feedback::send(
            &w.store,
            &limiter,
            &w.actor(MEMBER),
            w.now,
            send("one more", false),
        )
        .await,
        "5 notes with your name",
    );
    let free_at = first.timestamp() + 24 * 3600;
    assert!(e.contains(&format!("<t:{free_at}:R>")), "{e}");
    // Refused: nothing stored, no event, no DM queued.
    assert_eq!(feedback_rows(&w).await.len(), rows);
    assert_eq!(w.events(&c).await, events);
    assert_eq!(w.rows_in("deliveries", &c).await, dms);

    // Others, and the member's anonymous feedback (limited in memory), are not limited by it.
    feedback::send(&w.store, &limiter, &w.actor(MEMBER2), w.now, send("mine", false))
        .await
        .unwrap();
    feedback::send(&w.store, &limiter, &w.actor(MEMBER), w.now, send("quiet", true))
        .await
        .unwrap();

    // A day after the first, one slot frees up — and only one.
    w.now = chrono::DateTime::from_timestamp(free_at - 1, 0).unwrap();
    user_err(
        feedback::send(&w.store, &limiter, &w.actor(MEMBER), w.now, send("early", false)).await,
        "5 notes with your name",
    );
    w.now = chrono::DateTime::from_timestamp(free_at, 0).unwrap();
    feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        send("next day", false),
    )
    .await
    .unwrap();
    user_err(
        feedback::send(&w.store, &limiter, &w.actor(MEMBER), w.now, send("again", false)).await,
        "5 notes with your name",
    );
}

#[tokio::test]
async fn bad_feedback_is_refused_and_changes_nothing() {
    let w = World::new().await;
    let c = w.climate().await;
    let limiter = AnonLimiter::default();
    let events = w.events(&c).await;
    user_err(
        feedback::send(&w.store, &limiter, &w.actor(MEMBER), w.now, send("   ", true)).await,
        "empty",
    );
    user_err(
        feedback::send(
            &w.store,
            &limiter,
            &w.actor(MEMBER),
            w.now,
            send(&"x".repeat(1001), false),
        )
        .await,
        "1000",
    );
    user_err(
        feedback::send(&w.store, &limiter, &w.actor(OUTSIDER), w.now, send("hi", false)).await,
        "not a member",
    );
    assert!(feedback_rows(&w).await.is_empty());
    assert_eq!(w.events(&c).await, events);
}

#[tokio::test]
async fn leads_list_and_acknowledge_feedback_and_a_named_sender_is_told_once() {
    let w = World::new().await;
    let c = w.climate().await;
    let limiter = AnonLimiter::default();
    let named = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        send("More notice please", false),
    )
    .await
    .unwrap();
    let anon = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER2),
        w.now,
        send("Too many pings", true),
    )
    .await
    .unwrap();

    user_err(
        feedback::list(&w.store, &w.actor(MEMBER), w.now, None).await,
        "Only leads",
    );
    let list = feedback::list(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert_eq!((list.total, list.open, list.items.len()), (2, 2, 2));
    let msg = backbone::render::feedback::list(&list);
    let ids: Vec<&str> = msg.buttons.iter().map(|b| b.custom_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            format!("feedback:ack:{}", anon.id),
            format!("feedback:ack:{}", named.id)
        ]
    );
    assert!(msg.limit_violations().is_empty());
    let text = format!("{msg:?}");
    assert!(text.contains("anonymous") && text.contains("user3"), "{text}");

    user_err(
        feedback::acknowledge(&w.store, &w.actor(MEMBER), w.now, named.id).await,
        "Only leads",
    );
    let foreign = w.foreign(LEAD);
    user_err(
        feedback::acknowledge(&w.store, &foreign, w.now, named.id).await,
        "no longer exists",
    );

    let ack = feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, named.id)
        .await
        .unwrap();
    assert!(ack.sender_told);
    user_err(
        feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, named.id).await,
        "already acknowledged",
    );
    let ack = feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, anon.id)
        .await
        .unwrap();
    assert!(!ack.sender_told);
    let to_senders: Vec<Target> = backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.kind() == Some(DeliveryKind::FeedbackAck))
        .map(|d| d.target())
        .collect();
    assert_eq!(to_senders, [Target::User(MEMBER)]);

    let list = feedback::list(&w.store, &w.actor(LEAD), w.now, None)
        .await
        .unwrap();
    assert_eq!(list.open, 0);
    assert!(backbone::render::feedback::list(&list).buttons.is_empty());
}

#[tokio::test]
async fn the_digest_counts_feedback_and_lists_who_is_away_without_any_text() {
    let mut w = World::new().await;
    let c = w.climate().await;
    let limiter = AnonLimiter::default();
    let a = feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER),
        w.now,
        send("Secret worry", true),
    )
    .await
    .unwrap();
    feedback::send(
        &w.store,
        &limiter,
        &w.actor(MEMBER2),
        w.now,
        send("Another thought", false),
    )
    .await
    .unwrap();
    feedback::acknowledge(&w.store, &w.actor(LEAD), w.now, a.id)
        .await
        .unwrap();
    me::away(
        &w.store,
        &w.actor(MEMBER2),
        w.now,
        GoAway {
            until: "in 10 days".into(),
            note: Some("private note".into()),
        },
    )
    .await
    .unwrap();
    w.advance(Duration::hours(1));
    let digest = backbone::actions::digest::build(&w.store, &c, w.now)
        .await
        .unwrap();
    assert_eq!((digest.feedback_new, digest.feedback_acknowledged), (2, 1));
    assert_eq!(digest.away.len(), 1);
    let text = format!("{:?}", backbone::render::digest::digest(&digest));
    assert!(text.contains("2 new, 1 acknowledged"), "{text}");
    assert!(text.contains("away until"), "{text}");
    assert!(!text.contains("Secret worry") && !text.contains("Another thought"));
    assert!(!text.contains("private note"));
}

#[tokio::test]
async fn the_until_preview_reads_the_text_in_the_members_own_zone() {
    let w = World::new().await;
    w.climate().await;
    let before = me::preview_until(&w.store, &w.actor(MEMBER), w.now, "2026-12-01 09:00")
        .await
        .unwrap();
    assert!(
        before.contains("Europe/Berlin"),
        "the coalition's zone until they set one: {before}"
    );
    set(&w, MEMBER, Some("America/Los_Angeles"), None, None)
        .await
        .unwrap();
    let after = me::preview_until(&w.store, &w.actor(MEMBER), w.now, "2026-12-01 09:00")
        .await
        .unwrap();
    assert_eq!(after, "Tue 1 Dec 2026 09:00 (America/Los_Angeles)");
    let past = me::preview_until(&w.store, &w.actor(MEMBER), w.now, "2026-11-01")
        .await
        .unwrap();
    assert!(past.contains("in the past"), "{past}");
}

#[tokio::test]
async fn private_lists_show_times_in_the_viewers_own_zone_due_dates_still_read_in_the_coalitions() {
    let w = World::new().await;
    let c = w.climate().await;
    set(&w, MEMBER, Some("America/Los_Angeles"), None, None)
        .await
        .unwrap();
    let task = backbone::actions::tasks::assign(
        &w.store,
        &w.actor(LEAD),
        w.now,
        backbone::actions::tasks::AssignTask {
            coalition: None,
            title: "Call the printer".into(),
            assignee: MEMBER,
            assignee_name: "user3".into(),
            due: Some("2026-12-01 17:00".into()),
            goal: None,
        },
    )
    .await
    .unwrap()
    .task;
    // Typed by the lead, read in Berlin.
    let berlin = chrono_tz::Europe::Berlin;
    assert_eq!(
        task.due_at,
        Some(
            berlin
                .with_ymd_and_hms(2026, 12, 1, 17, 0, 0)
                .unwrap()
                .timestamp()
        )
    );
    let mine = backbone::actions::tasks::mine(
        &w.store,
        &w.actor(MEMBER),
        w.now,
        backbone::actions::tasks::MyTasks {
            coalition: None,
            page: 1,
        },
    )
    .await
    .unwrap();
    assert_eq!(mine.timezone, "America/Los_Angeles");
    let deadlines = |who: UserId| {
        let actor = w.actor(who);
        let store = w.store.clone();
        let now = w.now;
        async move {
            backbone::actions::deadlines::list(&store, &actor, now, Default::default())
                .await
                .unwrap()
                .timezone
        }
    };
    assert_eq!(deadlines(MEMBER).await, "America/Los_Angeles");
    assert_eq!(
        deadlines(MEMBER2).await,
        c.timezone,
        "others keep the coalition's zone"
    );
}
