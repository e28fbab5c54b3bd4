//! End-to-end: a whole meeting (issue 18) with the real bot against the fake Discord, whose
//! scheduled-event endpoints check Discord's rules (name, privacy level, a future start, an
//! EXTERNAL event's location and end, legal status moves, 100 per guild).
//!
//! Schedule a weekly series → its event and the announcement; RSVP edits the announcement in
//! place; a member proposes items; the reminder goes out the day before; start → the thread with
//! the agenda, Here and covered toggles; decide and action (a task with its card and DM) in the
//! thread; end → minutes once, the event COMPLETED, the uncovered item carried into the next
//! occurrence, whose own event exists. Refusals are ephemeral and change nothing.

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use fake_discord::*;

const SCHEDULED: Duration = Duration::from_secs(15);

fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn wait_post(bot: &Bot, channel: u64, needle: &str) -> Msg {
    bot.wait_message(
        &format!("a post in {channel} containing {needle:?}"),
        SCHEDULED,
        |m| m.channel_id == channel && m.interaction_token.is_none() && m.text().contains(needle),
    )
    .await
}

fn assert_private(r: &Reply, needle: &str) {
    assert!(r.ephemeral(), "expected an ephemeral reply, got:\n{}", r.text());
    assert!(r.text().contains(needle), "expected {needle:?} in:\n{}", r.text());
}

fn assert_public(r: &Reply, needle: &str) {
    assert!(!r.ephemeral(), "expected a public reply, got:\n{}", r.text());
    assert!(r.text().contains(needle), "expected {needle:?} in:\n{}", r.text());
}

/// Waits until `pred` holds of the fake's scheduled events.
async fn wait_events(bot: &Bot, what: &str, pred: impl Fn(&[fake_discord::events::EventRec]) -> bool) {
    bot.fake
        .wait_for(what, SCHEDULED, |s| {
            let all: Vec<_> = s.events.values().cloned().collect();
            pred(&all).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_meeting_from_schedule_to_carry_over() {
    let bot = Bot::start().await;
    assert_public(
        &bot.slash(
            ADMIN,
            "coalition create",
            &[("name", "River Alliance"), ("timezone", "Europe/Berlin")],
        )
        .await,
        "River Alliance",
    );
    assert_public(
        &bot.slash(ADMIN, "org add", &[("name", "Green Org")]).await,
        "Green Org",
    );
    let lead = LEAD.to_string();
    bot.slash(
        ADMIN,
        "member add",
        &[("user", &lead), ("role", "lead"), ("org", "Green Org")],
    )
    .await;
    for user in [MEMBER, MEMBER2] {
        bot.slash(
            LEAD,
            "member add",
            &[("user", &user.to_string()), ("org", "Green Org")],
        )
        .await;
    }

    // Refusals: ephemeral, naming the fix, and nothing is planned.
    let when = [("title", "Weekly call"), ("when", "2026-11-24 18:00")];
    assert_private(&bot.slash(MEMBER, "meeting schedule", &when).await, "Only leads");
    let long = "x".repeat(101);
    assert_private(
        &bot.slash(
            LEAD,
            "meeting schedule",
            &[("title", &long), ("when", "tomorrow 5pm")],
        )
        .await,
        "the limit is 100",
    );
    assert_private(
        &bot.slash(
            LEAD,
            "meeting schedule",
            &[("title", "Call"), ("when", "2026-11-01 10:00")],
        )
        .await,
        "in the past",
    );
    assert_private(
        &bot.slash(LEAD, "meeting end", &[]).await,
        "No meeting is running",
    );
    assert_private(
        &bot.slash(LEAD, "meeting decide", &[("text", "Go")]).await,
        "No meeting is running",
    );
    assert!(bot.fake.events().is_empty());

    // Schedule a weekly series: its event and the announcement.
    let r = bot
        .slash(
            LEAD,
            "meeting schedule",
            &[
                ("title", "Weekly call"),
                ("when", "2026-11-24 18:00"),
                ("every", "weekly"),
                ("duration", "45m"),
                ("where", "https://meet.example.org/river"),
            ],
        )
        .await;
    assert_private(&r, "Scheduled: Weekly call");
    let start = berlin(2026, 11, 24, 18, 0);
    let announcement = wait_post(&bot, HOME, "Weekly call").await;
    assert!(
        announcement
            .text()
            .contains(&format!("<t:{}:F>", start.timestamp()))
    );
    wait_events(&bot, "the meeting's event", |e| e.len() == 1).await;
    let event = bot.fake.events()[0].clone();
    assert_eq!((event.entity_type, event.status), (3, 1));
    assert_eq!(event.location.as_deref(), Some("https://meet.example.org/river"));
    assert_eq!(event.start, start);
    assert_eq!(event.end, Some(start + chrono::Duration::minutes(45)));

    // RSVPs redraw the announcement in place.
    let yes = announcement.button("meeting:rsvp:");
    let yes = yes.replace(":maybe", ":yes").replace(":no", ":yes");
    let r = bot.click(MEMBER, announcement.id, &yes).await;
    assert_eq!(r.kind, 7, "updated in place: {r:?}");
    assert!(r.text().contains("Going (1)"), "{}", r.text());
    let r = bot
        .click(MEMBER2, announcement.id, &yes.replace(":yes", ":maybe"))
        .await;
    assert!(
        r.text().contains("Maybe (1)") && r.text().contains("Going (1)"),
        "{}",
        r.text()
    );

    // Members propose items.
    for item in ["Budget for the rally", "Press release"] {
        assert_private(
            &bot.slash(MEMBER2, "meeting propose", &[("item", item)]).await,
            "Added to the agenda",
        );
    }
    let r = bot.slash(MEMBER, "meeting agenda", &[]).await;
    assert_private(&r, "Budget for the rally");

    // The reminder, the day before.
    bot.set_time(start - chrono::Duration::hours(24));
    let reminder = wait_post(&bot, HOME, "Coming up").await;
    assert!(reminder.text().contains("Press release"), "{}", reminder.text());

    // Start: the thread on the announcement, the agenda with Here and toggles.
    bot.set_time(start);
    assert_private(&bot.slash(MEMBER, "meeting start", &[]).await, "Only leads");
    assert_private(&bot.slash(LEAD, "meeting start", &[]).await, "has started");
    let thread = announcement.id;
    let agenda = wait_post(&bot, thread, "Agenda").await;
    wait_events(&bot, "the event active", |e| e[0].status == 2).await;
    let here = agenda.button("meeting:here:");
    for user in [MEMBER, LEAD] {
        assert_private(&bot.click(user, agenda.id, &here).await, "counted");
    }
    let toggle = agenda.button("meeting:covered:");
    let r = bot.click(MEMBER, agenda.id, &toggle).await;
    assert_eq!(r.kind, 7, "{r:?}");
    assert!(r.text().contains("☑ 1"), "{}", r.text());

    // Minutes: a decision and an action, in the thread.
    let r = bot
        .slash_in(
            GUILD,
            thread,
            LEAD,
            "meeting decide",
            &[("text", "Rally on 12 Dec @everyone")],
        )
        .await;
    assert_public(&r, "Rally on 12 Dec");
    let member = MEMBER.to_string();
    let r = bot
        .slash_in(
            GUILD,
            thread,
            MEMBER2,
            "meeting action",
            &[
                ("title", "Call the mayor"),
                ("assignee", &member),
                ("due", "friday"),
            ],
        )
        .await;
    assert_public(&r, "#1 Call the mayor");
    bot.wait_message("the assignee's DM", SCHEDULED, |m| {
        m.dm_user == Some(MEMBER) && m.text().contains("Call the mayor")
    })
    .await;

    // End: minutes once, the event completed, the uncovered item carried to next week.
    bot.set_time(start + chrono::Duration::minutes(40));
    assert_private(&bot.slash(LEAD, "meeting end", &[]).await, "1 item carried over");
    assert_private(
        &bot.slash(LEAD, "meeting end", &[]).await,
        "No meeting is running",
    );
    let minutes = wait_post(&bot, thread, "Minutes").await;
    let text = minutes.text();
    for needle in [
        "Green Org",
        "Rally on 12 Dec",
        "#1 Call the mayor",
        "Press release",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(!minutes.pinged_everyone, "user text pings no one");
    wait_events(&bot, "completed, and next week's event", |e| {
        e.len() == 2 && e[0].status == 3 && e[1].status == 1
    })
    .await;
    let next = bot.fake.events()[1].clone();
    assert_eq!(next.start, berlin(2026, 12, 1, 18, 0));
    bot.fake.settle(Duration::from_millis(500), SCHEDULED).await;
    let held = bot.fake.message(announcement.id).unwrap();
    assert!(held.text().contains("Held"), "{}", held.text());
    assert_eq!(
        bot.fake
            .messages_in(thread)
            .iter()
            .filter(|m| m.text().contains("Minutes"))
            .count(),
        1
    );
    let r = bot.slash(MEMBER, "meeting agenda", &[]).await;
    assert_private(&r, "Press release");
    assert!(r.text().contains("carried from Tue 24 Nov"), "{}", r.text());
    assert!(
        !r.text().contains("Budget for the rally"),
        "covered: {}",
        r.text()
    );

    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_create_events_a_meeting_still_runs_and_a_cancelled_one_refuses_answers() {
    let bot = Bot::start().await;
    bot.slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    bot.slash(ADMIN, "member add", &[("user", &MEMBER.to_string())])
        .await;
    bot.fake.deny_events(GUILD, true);
    let r = bot
        .slash(
            ADMIN,
            "meeting schedule",
            &[("title", "Strategy"), ("when", "tomorrow 5pm")],
        )
        .await;
    assert_private(&r, "Scheduled");
    let announcement = wait_post(&bot, HOME, "Strategy").await;
    bot.fake.settle(Duration::from_millis(500), SCHEDULED).await;
    assert!(bot.fake.events().is_empty());

    // Cancelled: the announcement says so, and a late answer changes nothing.
    let yes = announcement.button("meeting:rsvp:");
    let r = bot
        .slash(ADMIN, "meeting cancel", &[("meeting", "Strategy")])
        .await;
    assert_private(&r, "is cancelled");
    bot.wait_message("the announcement, cancelled", SCHEDULED, |m| {
        m.id == announcement.id && m.text().contains("Cancelled")
    })
    .await;
    let r = bot.click_on(MEMBER, &announcement, &yes).await;
    assert_private(&r, "was cancelled");
    let r = bot.slash(ADMIN, "meeting cancel", &[("meeting", "#99")]).await;
    assert_private(&r, "No meeting #99");
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
