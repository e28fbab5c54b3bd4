mod harness;
use harness::*;

use backbone::actions::checkins::{self, SubmitCheckin};
use backbone::actions::digest;
use backbone::domain::digest::{BlockerSource, DueKind, progress_bar, to_text};
use backbone::domain::*;
use backbone::store;

const H: i64 = 3600;
const D: i64 = 86_400;

/// A week of Climate Coalition, built by hand with exact times, plus a neighbour whose rows must
/// never show up in Climate's digest.
async fn week(w: &World) -> Coalition {
    let c = w.climate().await;
    let now = w.now.timestamp();

    // Wins: user3 ×3, user4 ×2, then three with one each (ties go to whoever won first).
    for at in [now - D, now - 2 * D, now - 3 * D] {
        w.raw_win(&c, MEMBER, "Member win", at).await;
    }
    w.raw_win(&c, MEMBER2, "Council adopted the plan", now - H).await;
    w.raw_win(&c, MEMBER2, "Second win", now - 5 * D).await;
    w.raw_win(&c, ADMIN, "Admin win", now - 6 * D - H).await;
    w.raw_win(&c, LEAD, "Lead win", now - 6 * D).await;
    w.raw_win(&c, OUTSIDER, "A guest's win", now - D).await;
    // Outside the week: exactly 7 days ago belongs to last week's digest.
    w.raw_win(&c, ADMIN, "Last week", now - 7 * D).await;
    w.raw_win(&c, ADMIN, "Older", now - 8 * D).await;

    // Completed this week ×2, last week ×1.
    for at in [now - 2 * D, now - D] {
        let t = RawTask {
            title: "Done",
            status: "done",
            completed_at: Some(at),
            due_at: Some(now - 5 * D),
            ..Default::default()
        };
        w.raw_task(&c, t).await;
    }
    w.raw_task(
        &c,
        RawTask {
            title: "Old done",
            status: "done",
            completed_at: Some(now - 8 * D),
            ..Default::default()
        },
    )
    .await;

    // Overdue ×3 (one of them blocked).
    let open = RawTask {
        title: "Draft letter",
        assignee: Some(MEMBER),
        due_at: Some(now - 2 * D),
        ..Default::default()
    };
    w.raw_task(&c, open).await;
    let started = RawTask {
        title: "Book hall",
        status: "in_progress",
        due_at: Some(now - H),
        ..Default::default()
    };
    w.raw_task(&c, started).await;
    let blocked = RawTask {
        title: "Print flyers",
        assignee: Some(MEMBER2),
        status: "blocked",
        due_at: Some(now - 3 * D),
        blocked_reason: Some("Need budget sign-off"),
        ..Default::default()
    };
    w.raw_task(&c, blocked).await;

    // Due soon: within 14 days counts, 15 days does not, done never does.
    w.raw_task(
        &c,
        RawTask {
            title: "Call press",
            assignee: Some(MEMBER),
            due_at: Some(now + D),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Edge task",
            due_at: Some(now + 14 * D - 60),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Far task",
            due_at: Some(now + 15 * D),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &c,
        RawTask {
            title: "Done early",
            status: "done",
            completed_at: Some(now - 10 * D),
            due_at: Some(now + 2 * D),
            ..Default::default()
        },
    )
    .await;
    w.raw_deadline(&c, "Launch", now + 3 * D, "open").await;
    w.raw_deadline(&c, "Edge milestone", now + 14 * D, "open").await;
    w.raw_deadline(&c, "Far milestone", now + 15 * D, "open").await;
    w.raw_deadline(&c, "Met milestone", now + 5 * D, "met").await;
    w.raw_deadline(&c, "Missed milestone", now - D, "open").await;

    w.raw_goal(&c, "Plant trees", 40.0, Some(100.0), Some("trees"), "active")
        .await;
    w.raw_goal(&c, "Sign petitions", 5.0, None, None, "active").await;
    w.raw_goal(&c, "Old goal", 10.0, Some(10.0), None, "achieved")
        .await;

    // Check-in: 2 of 4 members answered, one with a blocker.
    let mut tx = w.store.write().await.unwrap();
    let round = store::checkins::open_round(&mut tx, c.id, now - H, None, now - H)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for (user, blockers) in [(MEMBER, ""), (MEMBER2, "No venue")] {
        let input = SubmitCheckin {
            round,
            answers: vec!["things".to_string(), "more".to_string(), blockers.to_string()],
        };
        checkins::submit(&w.store, &w.actor(user), w.now, input)
            .await
            .unwrap();
    }

    // The neighbour: everything here would change Climate's numbers if it leaked.
    let other = w.coalition("Water Coalition").await;
    w.raw_win(&other, MEMBER, "Water win", now - H).await;
    w.raw_task(
        &other,
        RawTask {
            title: "Water overdue",
            due_at: Some(now - D),
            ..Default::default()
        },
    )
    .await;
    w.raw_task(
        &other,
        RawTask {
            title: "Water blocked",
            status: "blocked",
            blocked_reason: Some("x"),
            ..Default::default()
        },
    )
    .await;
    w.raw_deadline(&other, "Water milestone", now + D, "open").await;
    w.raw_goal(&other, "Water goal", 1.0, Some(2.0), None, "active")
        .await;
    c
}

#[tokio::test]
async fn digest_counts_a_hand_built_week() {
    let w = World::new().await;
    let c = week(&w).await;
    let now = w.now.timestamp();
    let d = digest::build_period(&w.store, &c, w.now.timestamp() - 7 * D, w.now.timestamp())
        .await
        .unwrap();

    assert_eq!(d.coalition, "Climate Coalition");
    assert_eq!(d.timezone, "Europe/Berlin");
    assert_eq!((d.period_start, d.period_end), (now - 7 * D, now));

    assert_eq!(d.wins_count, 8);
    assert_eq!(d.wins.len(), 8);
    assert_eq!(d.wins[0].text, "Council adopted the plan");
    assert_eq!(d.wins[0].who, "user4");
    assert!(
        d.wins.iter().any(|w| w.who == "user 5"),
        "non-members get a fallback name"
    );
    let top: Vec<(&str, i64)> = d
        .top_contributors
        .iter()
        .map(|c| (c.name.as_str(), c.wins))
        .collect();
    assert_eq!(
        top,
        [
            ("user3", 3),
            ("user4", 2),
            ("user1", 1),
            ("user2", 1),
            ("user 5", 1)
        ]
    );

    assert_eq!(d.tasks_completed, 2);

    assert_eq!(d.overdue_count, 3);
    let overdue: Vec<(&str, Option<&str>)> = d
        .overdue
        .iter()
        .map(|t| (t.title.as_str(), t.assignee.as_deref()))
        .collect();
    assert_eq!(
        overdue,
        [
            ("Print flyers", Some("user4")),
            ("Draft letter", Some("user3")),
            ("Book hall", None)
        ]
    );

    assert_eq!(d.upcoming_count, 4);
    let upcoming: Vec<(DueKind, &str)> = d.upcoming.iter().map(|u| (u.kind, u.title.as_str())).collect();
    assert_eq!(
        upcoming,
        [
            (DueKind::Task, "Call press"),
            (DueKind::Milestone, "Launch"),
            (DueKind::Task, "Edge task"),
            (DueKind::Milestone, "Edge milestone"),
        ]
    );
    assert_eq!(d.upcoming[0].who.as_deref(), Some("user3"));

    assert_eq!(d.goals_active, 2);
    assert_eq!(d.goals.len(), 2);
    assert_eq!(d.goals[0].title, "Plant trees");
    assert_eq!(d.goals[0].fraction, Some(0.4));
    assert_eq!(progress_bar(d.goals[0].fraction.unwrap(), 10), "▓▓▓▓░░░░░░");
    assert_eq!(d.goals[1].fraction, None);

    let p = d.participation.as_ref().expect("a round is open");
    assert_eq!((p.answered, p.members, p.opens_at), (2, 4, now - H));

    assert_eq!(d.blockers_count, 2);
    assert!(matches!(&d.blockers[0].source, BlockerSource::Task { title, .. } if title == "Print flyers"));
    assert_eq!(d.blockers[0].reason, "Need budget sign-off");
    assert!(matches!(d.blockers[1].source, BlockerSource::Checkin));
    assert_eq!(
        (d.blockers[1].who.as_deref(), d.blockers[1].reason.as_str()),
        (Some("user4"), "No venue")
    );
}

#[tokio::test]
async fn digest_text_shows_times_in_the_coalitions_zone() {
    let w = World::new().await;
    let c = week(&w).await;
    let d = digest::build_period(&w.store, &c, w.now.timestamp() - 7 * D, w.now.timestamp())
        .await
        .unwrap();
    let text = to_text(&d);
    assert!(
        text.starts_with(
            "Climate Coalition — Digest · 16–23 Nov: Mon 16 Nov 2026 11:00 to Mon 23 Nov 2026 11:00 (Europe/Berlin)"
        ),
        "{text}"
    );
    assert!(text.contains("Wins: 8"), "{text}");
    assert!(text.contains("Most wins: user3 (3), user4 (2)"), "{text}");
    // Due Sat 21 Nov 10:00 UTC is 11:00 in Berlin.
    assert!(
        text.contains("#4 Draft letter — user3, due Sat 21 Nov 11:00"),
        "{text}"
    );
    assert!(
        text.contains("Plant trees ▓▓▓▓░░░░░░ 40/100 trees (40%)"),
        "{text}"
    );
    assert!(text.contains("2 of 4 answered (50 %)"), "{text}");
    assert!(text.contains("milestone #1 Launch"), "{text}");
    assert!(text.contains("Open blockers: 2"), "{text}");
}

#[tokio::test]
async fn empty_coalition_has_an_empty_digest() {
    let w = World::new().await;
    let c = w.climate().await;
    let d = digest::build_period(&w.store, &c, w.now.timestamp() - 7 * D, w.now.timestamp())
        .await
        .unwrap();
    assert_eq!(
        (
            d.wins_count,
            d.tasks_completed,
            d.overdue_count,
            d.upcoming_count,
            d.blockers_count
        ),
        (0, 0, 0, 0, 0)
    );
    assert!(d.participation.is_none() && d.goals.is_empty() && d.top_contributors.is_empty());
    assert!(to_text(&d).contains("Check-in: no round yet"));
}

#[tokio::test]
async fn anyone_can_preview_the_digest() {
    let w = World::new().await;
    let c = week(&w).await;
    let before = w.events(&c).await;
    let d = digest::preview(&w.store, &w.actor(OUTSIDER), w.now, Some("Climate Coalition"))
        .await
        .unwrap();
    // The period so far: since the schedule's last occurrence (Monday 09:00 in Berlin).
    let monday = w.now.timestamp() - 2 * 3600;
    assert_eq!((d.period_start, d.period_end), (monday, w.now.timestamp()));
    let expected = digest::build_period(&w.store, &c, monday, w.now.timestamp())
        .await
        .unwrap();
    assert_eq!(d.wins_count, expected.wins_count);
    assert_eq!(w.events(&c).await, before, "a preview changes nothing");
    let r = digest::preview(&w.store, &w.foreign(LEAD), w.now, Some("Climate Coalition")).await;
    user_err(r, "No coalition named `Climate Coalition`");
}

#[tokio::test]
async fn lead_sends_the_digest_to_the_home_channel() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    let out = digest::send(&w.store, &w.actor(LEAD), w.now, None).await.unwrap();
    assert_eq!(out.channel, HOME);
    assert_eq!(out.coalition_name, "Climate Coalition");
    assert_eq!(out.due_at, w.now.timestamp());
    assert_eq!(w.events(&c).await, before + 1);

    let row: (String, String, String, i64, i64) = backbone::store::sql::query_as(
        "SELECT kind, dedupe_key, target_kind, target_id, due_at FROM deliveries WHERE coalition_id = ?",
    )
    .bind(c.id)
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    let key = format!("digest:manual:{}:{}", c.id, w.now.timestamp());
    assert_eq!(
        row,
        ("digest".into(), key, "channel".into(), HOME.0, w.now.timestamp())
    );
}

#[tokio::test]
async fn member_cannot_send_the_digest() {
    let w = World::new().await;
    let c = w.climate().await;
    let before = w.events(&c).await;
    user_err(
        digest::send(&w.store, &w.actor(MEMBER), w.now, None).await,
        "Only leads",
    );
    assert_eq!(w.events(&c).await, before);
    assert_eq!(w.rows_in("deliveries", &c).await, 0);
}

#[tokio::test]
async fn cli_finds_coalitions_by_name_or_lists_them() {
    let w = World::new().await;
    let c = w.climate().await;
    w.coalition("Water Coalition").await;
    assert_eq!(
        digest::find_for_cli(&w.store, GUILD, "climate coalition")
            .await
            .unwrap()
            .id,
        c.id
    );
    let msg = user_err(
        digest::find_for_cli(&w.store, GUILD, "Fire").await,
        "No coalition named `Fire`",
    );
    assert!(
        msg.contains("`Climate Coalition`") && msg.contains("`Water Coalition`"),
        "{msg}"
    );
    user_err(
        digest::find_for_cli(&w.store, OTHER_GUILD, "Climate Coalition").await,
        "no coalitions",
    );
}

#[tokio::test]
async fn digest_of_a_large_coalition_reads_only_what_it_shows() {
    let w = World::new().await;
    let c = w.climate().await;
    let now = w.now.timestamp();
    // 50,000 tasks (a fifth overdue, a fifth done this week) and 20,000 wins over 100 days.
    backbone::store::sql::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
         INSERT INTO tasks (coalition_id, number, title, assignee_id, due_at, status, created_by, created_at, updated_at, completed_at)
         SELECT ?, i, 'task ' || i, 3, ? + (i % 5 - 1) * 86400 * 10,
                CASE WHEN i % 5 = 1 THEN 'done' ELSE 'open' END, 2, ?, ?,
                CASE WHEN i % 5 = 1 THEN ? - 3600 ELSE NULL END
         FROM n",
    )
    .bind(c.id)
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(w.store.pool())
    .await
    .unwrap();
    backbone::store::sql::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
         INSERT INTO wins (coalition_id, user_id, text, created_at) SELECT ?, 3 + i % 2, 'win ' || i, ? - i * 432 FROM n",
    )
    .bind(c.id)
    .bind(now)
    .execute(w.store.pool())
    .await
    .unwrap();

    let started = std::time::Instant::now();
    let d = digest::build_period(&w.store, &c, w.now.timestamp() - 7 * D, w.now.timestamp())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(d.overdue_count, 10_000);
    assert_eq!(d.tasks_completed, 10_000);
    assert_eq!(d.wins_count, 1_399);
    assert_eq!(d.overdue.len(), 10);
    assert_eq!(d.wins.len(), 10);
    assert!(took < std::time::Duration::from_secs(3), "digest took {took:?}");
}
