//! End-to-end: the real bot (`backbone::discord::serve`) against a fake Discord (REST + gateway v10
//! on loopback ports, see `fake_discord/`), with a manual clock and the scheduler ticking every second.
//!
//! 1. commands register by bulk overwrite within Discord's schema rules; READY is logged
//! 2. a coalition's week: setup, task cards and their buttons, a blocker, a win, a deadline ping,
//!    the check-in round with nudges, the Monday digest, an export
//! 3. refusals are ephemeral and change nothing
//! 4. an id from another guild is "not found"
//! 5. `@everyone` in user text pings no one
//! 6. a DM-closed user gets a short home-channel pointer instead (not a copy of the DM)
//! 7. gateway drops (4000, clean close, dead TCP) are resumed and lose nothing
//! 8. a done card's "Log as win" button: assignee or lead only, logs and celebrates once
//! 9. scenarios 2, 3 and 5 again with interactions over HTTP (`backbone serve`) instead of the
//!    gateway
//!
//! Every request the bot makes is checked against Discord's limits; a violation fails the test.

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use fake_discord::*;

/// Scenario 1: the bot logs in, registers every command in the test guild with one bulk overwrite
/// that passes Discord's schema rules, and logs READY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_register_and_ready_is_logged() {
    let bot = Bot::start().await;
    let puts: Vec<_> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1, "one bulk overwrite: {puts:?}");
    assert_eq!(
        puts[0].path,
        format!("/applications/{APP_ID}/guilds/{GUILD}/commands")
    );
    assert_eq!(puts[0].status, 200, "{:?}", puts[0].response);
    let names: Vec<String> = bot
        .fake
        .commands(GUILD)
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    for expected in [
        "coalition",
        "org",
        "member",
        "role",
        "goal",
        "task",
        "deadline",
        "win",
        "checkin",
        "digest",
        "export",
        "help",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "/{expected} registered: {names:?}"
        );
    }
    // GUILDS only (no privileged intents), JSON over gateway v10.
    let identify = bot.fake.state().gateway.identify_payloads[0].clone();
    assert_eq!(identify["intents"], 1, "{identify}");
    assert_eq!(bot.fake.state().gateway.queries, vec!["v=10".to_string()]);
    let ready: Vec<String> = log_lines()
        .into_iter()
        .filter(|l| l.contains("READY") && l.contains(bot.fake.bot_name()))
        .collect();
    assert_eq!(ready.len(), 1, "{ready:?}");
    assert!(
        ready[0].contains(&format!("commands={}", names.len())),
        "{}",
        ready[0]
    );
    bot.fake.assert_no_violations();
    let r = bot.slash(NOBODY, "help", &[]).await;
    assert_eq!(r.kind, 4, "{r:?}");
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Waits for a DM to `user` whose text contains `needle`.
async fn wait_dm(bot: &Bot, user: u64, needle: &str) -> Msg {
    bot.wait_message(&format!("a DM to {user} containing {needle:?}"), SCHEDULED, |m| {
        m.dm_user == Some(user) && m.text().contains(needle)
    })
    .await
}

/// DMs to `user` containing `needle`.
fn dms_containing(bot: &Bot, user: u64, needle: &str) -> Vec<Msg> {
    bot.fake
        .dms_to(user)
        .into_iter()
        .filter(|m| m.text().contains(needle))
        .collect()
}

/// Posts (not interaction replies) in `channel` containing `needle`.
fn posts_containing(bot: &Bot, channel: u64, needle: &str) -> Vec<Msg> {
    bot.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.interaction_token.is_none() && m.text().contains(needle))
        .collect()
}

/// Scenario 2: a coalition's full week, from setup to the Monday digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coalition_week() {
    coalition_week(Bot::start().await).await;
}

/// Scenario 2 with interactions over HTTP (`backbone serve`, no gateway): the same handlers, the
/// same answers, the same scheduled posts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coalition_week_over_http() {
    let bot = Bot::start_http().await;
    coalition_week(bot).await;
}

async fn coalition_week(bot: Bot) {
    river_alliance(&bot).await;

    // Monday: a goal, two tasks with cards.
    let r = bot
        .slash(
            LEAD,
            "goal add",
            &[
                ("title", "Plant 500 trees"),
                ("target", "500"),
                ("unit", "trees"),
                ("due", "2026-12-31"),
            ],
        )
        .await;
    assert_public(&r, "Plant 500 trees");
    let member = MEMBER.to_string();
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", "Call the venue"),
                ("assignee", &member),
                ("due", "2026-11-26 17:00"),
                ("goal", "Plant"),
            ],
        )
        .await;
    assert_public(&r, "#1 Call the venue");
    assert!(r.text().contains("open"), "{}", r.text());
    let card1 = r.message_id();
    assert_eq!(
        r.buttons(),
        ["task:start:1", "task:done:1", "task:block:1"].map(String::from)
    );
    // The assignee hears about it by DM.
    wait_dm(&bot, MEMBER, "Call the venue").await;
    let member2 = MEMBER2.to_string();
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", "Draft the flyer"),
                ("assignee", &member2),
                ("due", "2026-11-27 17:00"),
            ],
        )
        .await;
    assert_public(&r, "#2 Draft the flyer");
    let card2 = r.message_id();

    // Start, then the card changes in place.
    let r = bot.click(MEMBER, card1, "task:start:1").await;
    assert_eq!(r.kind, 7, "a button updates its card: {r:?}");
    assert_eq!(r.message_id(), card1);
    assert!(r.text().contains("in progress"), "{}", r.text());
    assert!(
        !r.buttons().contains(&"task:start:1".to_string()),
        "no Start once started: {:?}",
        r.buttons()
    );

    // Blocked: a form asks why, the card shows it, the leads get a DM.
    let modal = bot.click(MEMBER2, card2, "task:block:2").await;
    assert_eq!(modal.kind, 9, "the Blocked button opens a form: {modal:?}");
    let r = bot
        .submit(MEMBER2, &modal, &[("reason", "Printer quote missing")])
        .await;
    assert_eq!(r.kind, 7, "{r:?}");
    assert_eq!(r.message_id(), card2);
    // The card is public: it says the task is blocked, never why (that is for the leads).
    assert!(
        r.text().contains("blocked") && !r.text().contains("Printer quote missing"),
        "{}",
        r.text()
    );
    for lead in [ADMIN, LEAD] {
        let alert = wait_dm(&bot, lead, "Blocked: task #2").await;
        assert!(alert.text().contains("Printer quote missing"), "{}", alert.text());
    }
    assert!(
        dms_containing(&bot, MEMBER, "Blocked: task #2").is_empty(),
        "members are not alerted"
    );

    // Done, then a win is celebrated in the home channel.
    let r = bot.click(MEMBER, card1, "task:done:1").await;
    assert_eq!(r.kind, 7);
    assert!(r.text().contains("done"), "{}", r.text());
    let r = bot
        .slash(
            MEMBER,
            "win log",
            &[
                ("text", "Venue booked for the planting day"),
                ("goal", "Plant"),
                ("amount", "25"),
            ],
        )
        .await;
    assert_public(&r, "Venue booked");
    let party = wait_post(&bot, HOME, "A win for River Alliance").await;
    assert!(
        party.text().contains("Venue booked for the planting day") && party.text().contains("25/500"),
        "{}",
        party.text()
    );

    let r = bot
        .slash(
            LEAD,
            "deadline add",
            &[("title", "Grant report"), ("due", "2026-11-28 12:00")],
        )
        .await;
    assert_public(&r, "Grant report");

    // Wednesday noon: 72 hours before the grant report, the leads are pinged; members are not.
    bot.set_time(at(2026, 11, 25, 12, 0));
    for lead in [ADMIN, LEAD] {
        let ping = wait_dm(&bot, lead, "Grant report").await;
        assert!(ping.text().contains("3 days"), "{}", ping.text());
    }
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    for member in [MEMBER, MEMBER2, CLOSED] {
        assert!(
            dms_containing(&bot, member, "Grant report").is_empty(),
            "deadline pings go to leads only"
        );
    }

    // Friday 10:00: the check-in prompt.
    bot.set_time(at(2026, 11, 27, 10, 0));
    let prompt = wait_post(&bot, HOME, "Check-in time").await;
    let open = prompt.button("checkin:open:");
    // MEMBER answers from the prompt's button; LEAD with /checkin submit and a blocker.
    let form = bot.click(MEMBER, prompt.id, &open).await;
    assert_eq!(form.kind, 9, "{form:?}");
    let r = bot
        .submit(
            MEMBER,
            &form,
            &[("q1", "Booked the venue"), ("q2", "Order saplings")],
        )
        .await;
    assert!(r.ephemeral(), "the thanks is private: {r:?}");
    let form = bot.slash(LEAD, "checkin submit", &[]).await;
    assert_eq!(form.kind, 9, "{form:?}");
    let r = bot
        .submit(
            LEAD,
            &form,
            &[
                ("q1", "Wrote the budget"),
                ("q2", "Call the city"),
                ("q3", "Need the permit"),
            ],
        )
        .await;
    assert!(r.ephemeral(), "{r:?}");
    let alert = wait_dm(&bot, ADMIN, "Need the permit").await;
    assert!(alert.text().contains("Lena Lead"), "{}", alert.text());

    // Saturday 10:00, 24 h later: the silent ones are nudged, the ones who answered are not.
    let before = bot.fake.mark();
    bot.set_time(at(2026, 11, 28, 10, 0));
    wait_dm(&bot, ADMIN, "reminder").await;
    wait_dm(&bot, MEMBER2, "reminder").await;
    // CLOSED's DMs are closed: the nudge lands in the home channel, pinging only them.
    let fallback = wait_post(&bot, HOME, "I couldn't DM you").await;
    assert_eq!(fallback.pinged, vec![CLOSED]);
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    assert!(
        dms_containing(&bot, MEMBER, "reminder").is_empty(),
        "MEMBER answered"
    );
    assert!(dms_containing(&bot, LEAD, "reminder").is_empty(), "LEAD answered");
    let refused: Vec<_> = bot
        .fake
        .requests_since(before)
        .into_iter()
        .filter(|r| r.status == 403)
        .collect();
    assert_eq!(refused.len(), 1, "one DM refused (50007): {refused:?}");
    assert_eq!(refused[0].response["code"], 50007);

    assert!(
        posts_containing(&bot, HOME, "Digest ·").is_empty(),
        "no digest before Monday 09:00"
    );

    // Monday 09:00: the digest, with the week's numbers.
    bot.set_time(at(2026, 11, 30, 9, 0));
    let digest = wait_post(&bot, HOME, "Digest · 23–30 Nov — River Alliance").await;
    let text = digest.text();
    eprintln!("{text}");
    for expected in [
        "**1** win · **1** task completed · **1** overdue",
        "🏆 Wins (1)",
        "Venue booked for the planting day — Milo Member (Green Org)",
        "⏰ Overdue (1)",
        "#2 Draft the flyer — Nora Member",
        "25/500 trees",
        "2 of 5 answered (40 %)",
        "🚧 Open blockers (2)",
        "#2 Draft the flyer (Nora Member)",
        "check-in (Lena Lead)",
        "1. Milo Member — 1 win",
    ] {
        assert!(text.contains(expected), "digest lacks {expected:?}:\n{text}");
    }
    // The public digest names blockers, never their reasons: those go to the leads.
    assert!(
        !text.contains("Printer quote missing") && !text.contains("Need the permit"),
        "{text}"
    );
    assert!(
        digest.pinged.is_empty() && !digest.pinged_everyone,
        "the digest pings no one"
    );
    // The leads' part of the digest follows it, to each lead.
    let leads_part = wait_dm(&bot, ADMIN, "(for the leads)").await;
    assert!(
        leads_part.text().contains("Need the permit"),
        "{}",
        leads_part.text()
    );
    // Everything scheduled went out once.
    assert_eq!(posts_containing(&bot, HOME, "Digest ·").len(), 1, "one digest");
    assert_eq!(
        posts_containing(&bot, HOME, "Check-in time").len(),
        1,
        "one check-in prompt"
    );
    assert_eq!(
        posts_containing(&bot, HOME, "A win for River Alliance").len(),
        1,
        "one celebration"
    );
    for (user, needle, n) in [
        (ADMIN, "reminder", 1),
        (MEMBER2, "reminder", 1),
        (ADMIN, "Blocked: task #2", 1),
        (LEAD, "Blocked: task #2", 1),
        (ADMIN, "Blocker reported", 1),
        // The check-in blocker's text: its alert, then the leads' part of Monday's digest.
        (ADMIN, "Need the permit", 2),
        (MEMBER, "New task for you", 1),
    ] {
        assert_eq!(
            dms_containing(&bot, user, needle).len(),
            n,
            "{needle:?} to {user}"
        );
    }
    if bot.http.is_none() {
        assert!(
            bot.fake.state().gateway.heartbeats >= 1,
            "the bot heartbeats and gets ACKs"
        );
    } else {
        assert_eq!(bot.fake.state().gateway.identifies, 0, "no gateway connection");
    }

    // The week's data leaves as a file (a multipart upload).
    let mark = bot.fake.mark();
    let r = bot.slash(LEAD, "export", &[("format", "json")]).await;
    assert!(r.ephemeral(), "{r:?}");
    let uploads: Vec<Request> = bot
        .fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| !r.files.is_empty())
        .collect();
    assert_eq!(
        uploads.len(),
        1,
        "one upload: {:?}",
        bot.fake.requests_since(mark)
    );
    assert!(uploads[0].files[0].ends_with(".json"), "{:?}", uploads[0].files);
    scheduled_posts_carry_their_deliverys_nonce(&bot).await;
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Every scheduled post (all the bot's `POST /channels/{id}/messages`) carries `nonce` = `bb<id>`
/// of its delivery (`bb<id>d` for a DM's home-channel stand-in) with `enforce_nonce`, and is the
/// message its delivery recorded; each DM channel is opened once; and the fake drops a repeated
/// nonce as Discord does.
async fn scheduled_posts_carry_their_deliverys_nonce(bot: &Bot) {
    // Let sends in flight be recorded.
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    let posts: Vec<Request> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/channels/") && r.path.ends_with("/messages"))
        .collect();
    assert!(posts.len() >= 10, "{posts:?}");
    let store = bot.store().await;
    for p in &posts {
        assert_eq!(p.body["enforce_nonce"], serde_json::json!(true), "{p:?}");
        let nonce = p.body["nonce"]
            .as_str()
            .unwrap_or_else(|| panic!("no string nonce: {p:?}"));
        // `bb<id>p`: a refused DM's pointer, under the first delivery it stands for.
        let digits = nonce.strip_prefix("bb").map(|n| n.strip_suffix('p').unwrap_or(n));
        let id: i64 = digits
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("nonce {nonce:?} is not bb<delivery id>"));
        // A send that just happened may take a moment to be recorded.
        let mut tries = 0;
        let (status, message_id, channel_id) = loop {
            let row: (String, Option<i64>, Option<i64>) = backbone::store::sql::query_as(
                "SELECT status, message_id, channel_id FROM deliveries WHERE id = ?",
            )
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap_or_else(|e| panic!("no delivery #{id} for nonce {nonce:?}: {e}"));
            tries += 1;
            if row.0 != "sending" || tries == 100 {
                break row;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if p.status == 200 {
            let posted: i64 = p.response["id"].as_str().unwrap().parse().unwrap();
            let channel: i64 = p.path.split('/').nth(2).unwrap().parse().unwrap();
            assert_eq!(
                (
                    status.as_str(),
                    message_id,
                    channel_id.is_none_or(|c| c == channel)
                ),
                ("sent", Some(posted), true),
                "delivery #{id} records the post it made: {p:?}"
            );
        }
    }
    store.close().await;

    let mut opened: Vec<String> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/users/@me/channels")
        .map(|r| r.body["recipient_id"].to_string())
        .collect();
    let all = opened.len();
    opened.sort();
    opened.dedup();
    assert_eq!(
        opened.len(),
        all,
        "each DM channel is opened once, then remembered"
    );

    use poise::serenity_prelude as serenity;
    let http = serenity::HttpBuilder::new(TOKEN)
        .proxy(bot.fake.api_base())
        .ratelimiter_disabled(true)
        .build();
    let post = || {
        serenity::ChannelId::new(HOME).send_message(
            &http,
            serenity::CreateMessage::new()
                .content("nonce check")
                .allowed_mentions(serenity::CreateAllowedMentions::new())
                .nonce(serenity::Nonce::String("bb999999".into()))
                .enforce_nonce(true),
        )
    };
    let first = post().await.expect("first post");
    let again = post().await.expect("repeated post");
    assert_eq!(first.id, again.id, "a repeated nonce returns the first message");
    assert_eq!(
        posts_containing(bot, HOME, "nonce check").len(),
        1,
        "and posts nothing new"
    );
}

/// Requests since `mark` other than interaction answers (callbacks, follow-ups, @original reads).
fn side_effects(bot: &Bot, mark: usize) -> Vec<Request> {
    bot.fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| {
            // Answering is not a side effect: the interaction response, follow-ups, and the
            // answer that replaces a deferred response's placeholder (its `@original`).
            !(r.path.starts_with("/interactions/")
                || (r.path.starts_with("/webhooks/")
                    && (r.method != "PATCH" || r.path.ends_with("/messages/@original"))))
        })
        .collect()
}

/// Who runs which command with which options.
type Refusal<'a> = (u64, &'a str, Vec<(&'a str, &'a str)>);

/// Scenario 3: people without the right role are refused privately, with a hint, and nothing changes
/// — not the database, not any message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_private_and_change_nothing() {
    refusals_are_private_and_change_nothing_with(Bot::start().await).await;
}

/// Scenario 3 with interactions over HTTP (`backbone serve`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_private_and_change_nothing_over_http() {
    refusals_are_private_and_change_nothing_with(Bot::start_http().await).await;
}

async fn refusals_are_private_and_change_nothing_with(bot: Bot) {
    river_alliance(&bot).await;
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", "Book the hall"),
                ("assignee", &MEMBER.to_string()),
                ("due", "2026-12-04"),
            ],
        )
        .await;
    let card = r.message_id();
    wait_dm(&bot, MEMBER, "Book the hall").await;
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;

    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();
    let nobody = NOBODY.to_string();
    let refusals: Vec<Refusal> = vec![
        (NOBODY, "coalition create", vec![("name", "Shadow Coalition")]),
        (MEMBER, "coalition settings", vec![("timezone", "Europe/Berlin")]),
        (MEMBER, "org add", vec![("name", "Rogue Org")]),
        (MEMBER, "org remove", vec![("name", "Blue Org")]),
        (MEMBER, "member add", vec![("user", &nobody), ("role", "lead")]),
        (MEMBER, "member remove", vec![("user", "1300000000000000102")]),
        (
            MEMBER,
            "role assign",
            vec![("user", "1300000000000000104"), ("responsibility", "comms")],
        ),
        (MEMBER, "goal add", vec![("title", "Take over")]),
        (
            MEMBER,
            "deadline add",
            vec![("title", "Coup"), ("due", "2026-12-01")],
        ),
        (MEMBER, "digest send", vec![]),
        (MEMBER, "export", vec![("format", "json")]),
        (MEMBER, "checkin status", vec![]),
        (
            NOBODY,
            "task assign",
            vec![("title", "Sneaky"), ("assignee", "1300000000000000103")],
        ),
        (NOBODY, "win log", vec![("text", "I was here")]),
        (MEMBER2, "task update", vec![("task", "1"), ("status", "done")]),
        (MEMBER2, "task due", vec![("task", "1"), ("due", "2026-12-10")]),
    ];
    for (user, command, options) in &refusals {
        let r = bot.slash(*user, command, options).await;
        assert!(matches!(r.kind, 4 | 5), "/{command}: {r:?}");
        assert_private(&r, "⚠️");
    }
    // Buttons on someone else's card, and the Blocked button (refused before its form opens).
    for (user, button) in [
        (NOBODY, "task:done:1"),
        (MEMBER2, "task:start:1"),
        (NOBODY, "task:block:1"),
    ] {
        let r = bot.click(user, card, button).await;
        assert_eq!(
            r.kind, 4,
            "{button} by {user}: a refusal is a new ephemeral message, not a card update: {r:?}"
        );
        assert_private(&r, "⚠️");
    }
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    assert_eq!(
        bot.db_fingerprint().await,
        before,
        "a refused command changed the database"
    );
    assert!(
        side_effects(&bot, mark).is_empty(),
        "refusals caused traffic: {:?}",
        side_effects(&bot, mark)
    );
    assert_eq!(
        bot.fake.message(card).map(|m| m.edits),
        Some(0),
        "the card was not touched"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Scenario 4: a task's row id from another guild (in a button) or its number (in a command) is
/// "not found" here, and the other guild's task is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_guilds_task_is_not_found() {
    let bot = Bot::start().await;
    // The other guild's coalition and task come first, so its task is row 1.
    let r = bot
        .slash_in(
            OTHER_GUILD,
            OTHER_HOME,
            ADMIN,
            "coalition create",
            &[("name", "Mountain Network")],
        )
        .await;
    assert_public(&r, "Mountain Network");
    let r = bot
        .slash_in(
            OTHER_GUILD,
            OTHER_HOME,
            ADMIN,
            "task assign",
            &[("title", "Secret plans"), ("assignee", &ADMIN.to_string())],
        )
        .await;
    assert_public(&r, "#1 Secret plans");
    let foreign = r.button("task:done:");
    let foreign_id = foreign.rsplit(':').next().unwrap().to_string();
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert_public(&r, "River Alliance");
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();

    // ADMIN manages both servers, and still cannot reach across.
    for action in ["start", "done", "block"] {
        let r = bot
            .click_forged(GUILD, HOME, ADMIN, &format!("task:{action}:{foreign_id}"))
            .await;
        assert_eq!(r.kind, 4, "{r:?}");
        assert_private(&r, "no longer exists");
        assert!(!r.text().contains("Secret plans"), "no data leaks: {}", r.text());
    }
    let r = bot
        .click_forged(GUILD, HOME, ADMIN, &format!("win:log-task:{foreign_id}"))
        .await;
    assert!(r.ephemeral() && !r.text().contains("Secret plans"), "{r:?}");
    for task in ["1", "#1", "Secret"] {
        let r = bot
            .slash(ADMIN, "task update", &[("task", task), ("status", "done")])
            .await;
        assert_private(&r, "⚠️");
        assert!(!r.text().contains("Secret plans"), "{}", r.text());
    }
    let r = bot
        .autocomplete(ADMIN, "task update", &[("task", "Sec")], "task")
        .await;
    assert!(
        r.choices().is_empty(),
        "autocomplete offers no other guild's task: {:?}",
        r.choices()
    );
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    assert_eq!(
        bot.db_fingerprint().await,
        before,
        "the other guild's task changed"
    );
    assert!(
        side_effects(&bot, mark).is_empty(),
        "{:?}",
        side_effects(&bot, mark)
    );
    // Over there, the task is still open.
    let r = bot
        .slash_in(OTHER_GUILD, OTHER_HOME, ADMIN, "task list", &[])
        .await;
    assert!(r.text().contains("Secret plans"), "{}", r.text());
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Scenario 5: `@everyone`, `@here` and role mentions typed into titles and wins ping no one: every
/// message says so in `allowed_mentions` and shows the text defused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_user_text_ping_no_one() {
    mentions_in_user_text_ping_no_one_with(Bot::start().await).await;
}

/// Scenario 5 with interactions over HTTP (`backbone serve`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_user_text_ping_no_one_over_http() {
    mentions_in_user_text_ping_no_one_with(Bot::start_http().await).await;
}

async fn mentions_in_user_text_ping_no_one_with(bot: Bot) {
    river_alliance(&bot).await;
    let mark = bot.fake.mark();
    let title = format!("@everyone @here <@&{ORGANIZERS_ROLE}> party");
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", &title),
                ("assignee", &MEMBER.to_string()),
                ("due", "2026-11-24 17:00"),
            ],
        )
        .await;
    assert!(!r.ephemeral(), "{r:?}");
    let card = r.message_id();
    wait_dm(&bot, MEMBER, "party").await;
    let modal = bot.click(MEMBER, card, "task:block:1").await;
    bot.submit(MEMBER, &modal, &[("reason", "@everyone help @here")])
        .await;
    wait_dm(&bot, LEAD, "Blocked: task #1").await;
    let r = bot
        .slash(MEMBER, "win log", &[("text", "@everyone we did it @here")])
        .await;
    assert!(!r.ephemeral());
    wait_post(&bot, HOME, "we did it").await;
    // Overdue ping to the assignee and the leads, a day later.
    bot.set_time(at(2026, 11, 24, 17, 1));
    wait_dm(&bot, MEMBER, "overdue").await;
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;

    let sent: Vec<Request> = bot
        .fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| {
            matches!(r.method.as_str(), "POST" | "PATCH")
                && (r.body.get("allowed_mentions").is_some() || r.body.get("data").is_some())
        })
        .collect();
    assert!(
        sent.len() >= 8,
        "cards, DMs, alerts, celebration, ping: {}",
        sent.len()
    );
    for r in &sent {
        let body = if r.path.ends_with("/callback") {
            &r.body["data"]
        } else {
            &r.body
        };
        if body.is_null() || body.get("custom_id").is_some() {
            continue; // a modal
        }
        let am = &body["allowed_mentions"];
        assert_eq!(
            am["parse"],
            serde_json::json!([]),
            "{} {}: parse must be empty: {am}",
            r.method,
            r.path
        );
        assert_eq!(am["roles"].as_array().map_or(0, Vec::len), 0, "no roles: {am}");
        let text = fake_discord::server::message_text(body);
        for raw in ["@everyone", "@here", &format!("<@&{ORGANIZERS_ROLE}>")] {
            assert!(
                !text.contains(raw),
                "{} {}: {raw:?} is not defused:\n{text}",
                r.method,
                r.path
            );
        }
    }
    for m in bot.fake.messages() {
        assert!(
            !m.pinged_everyone,
            "message {} pinged everyone:\n{}",
            m.id,
            m.text()
        );
    }
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Scenario 6: a DM that Discord refuses (50007, DMs closed) becomes a short pointer in the home
/// channel that pings that person only and keeps the DM's content private.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_fall_back_to_a_mention() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    let mark = bot.fake.mark();
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[("title", "Count the ballots"), ("assignee", &CLOSED.to_string())],
        )
        .await;
    assert_public(&r, "Count the ballots");
    let fallback = wait_post(&bot, HOME, "I couldn't DM you").await;
    assert!(
        fallback.text().contains("`/task mine` has it"),
        "{}",
        fallback.text()
    );
    assert!(
        !fallback.text().contains("Count the ballots") && fallback.buttons().is_empty(),
        "a pointer, not a public copy of the DM: {}",
        fallback.text()
    );
    assert!(
        fallback.text().contains(&format!("<@{CLOSED}>")),
        "{}",
        fallback.text()
    );
    assert_eq!(fallback.pinged, vec![CLOSED], "pings exactly the person");
    assert_eq!(
        fallback.sent["allowed_mentions"]["users"],
        serde_json::json!([CLOSED.to_string()])
    );
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    let refused: Vec<_> = bot
        .fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| r.status == 403)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].response["code"], 50007);
    assert!(bot.fake.dms_to(CLOSED).is_empty());
    assert_eq!(
        posts_containing(&bot, HOME, "I couldn't DM you").len(),
        1,
        "one fallback, no retries"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Scenario 7: the gateway drops mid-week (close 4000, a clean close, a dead TCP connection);
/// serenity resumes each time, the interactions sent meanwhile are replayed and answered once,
/// and scheduled posts go out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_drops_lose_nothing() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", "Print flyers"),
                ("assignee", &MEMBER.to_string()),
                ("due", "2026-12-04"),
            ],
        )
        .await;
    let card = r.message_id();

    // 1. Discord closes with 4000 (unknown error); a command is sent while the bot is away.
    bot.fake.hold_gateway(true);
    bot.fake.close_gateway(4000, "Unknown error");
    let mine = bot.send_slash_in(GUILD, HOME, MEMBER, "task mine", &[]);
    bot.fake.hold_gateway(false);
    let r = bot.reply(&mine).await;
    assert!(r.text().contains("Print flyers"), "{}", r.text());
    // 2. A clean close (1000), then a button click while the bot is away.
    bot.fake.wait_connected(Duration::from_secs(30)).await;
    bot.fake.hold_gateway(true);
    bot.fake.close_gateway(1000, "");
    let start = bot.send_click(MEMBER, card, "task:start:1");
    bot.fake.hold_gateway(false);
    let r = bot.reply(&start).await;
    assert_eq!(r.kind, 7);
    assert!(r.text().contains("in progress"), "{}", r.text());
    // 3. The TCP connection dies without a close frame; the scheduler keeps working meanwhile.
    bot.fake.wait_connected(Duration::from_secs(30)).await;
    bot.fake.drop_gateway();
    bot.set_time(at(2026, 11, 27, 10, 0));
    let prompt = wait_post(&bot, HOME, "Check-in time").await;
    let form = bot
        .click(MEMBER, prompt.id, &prompt.button("checkin:open:"))
        .await;
    assert_eq!(form.kind, 9);
    let r = bot
        .submit(MEMBER, &form, &[("q1", "Printed"), ("q2", "Hand out")])
        .await;
    assert!(r.ephemeral());
    bot.fake.wait_connected(Duration::from_secs(30)).await;
    bot.fake
        .settle(Duration::from_millis(500), Duration::from_secs(5))
        .await;

    {
        let s = bot.fake.state();
        assert_eq!(
            s.gateway.identifies, 1,
            "the bot resumed instead of identifying again"
        );
        assert_eq!(s.gateway.resumes, 3, "three resumes");
        assert!(
            s.gateway.queued_dispatches >= 2,
            "interactions waited for the bot to come back: {}",
            s.gateway.queued_dispatches
        );
        // Every interaction was answered exactly once (a second answer would have been a 40060).
        assert!(
            s.interactions.values().all(|i| i.callback.is_some()),
            "unanswered interactions"
        );
        assert!(
            !s.requests.iter().any(|r| r.response["code"] == 40060),
            "an interaction was answered twice"
        );
    }
    assert_eq!(
        posts_containing(&bot, HOME, "Check-in time").len(),
        1,
        "one prompt"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// Waits for the first follow-up message of the interaction answered in `r`.
async fn wait_followup(bot: &Bot, r: &Reply) -> Msg {
    bot.fake
        .wait_for(
            &format!("a follow-up to interaction {}", r.token),
            REPLY_TIMEOUT,
            |s| {
                let id = *s.interactions.get(&r.token)?.followups.first()?;
                s.messages.get(&id).cloned()
            },
        )
        .await
}

/// How many wins the bot's database holds for task row `task`.
async fn wins_for_task(bot: &Bot, task: i64) -> i64 {
    let store = bot.store().await;
    let n: i64 = backbone::store::sql::query_scalar("SELECT COUNT(*) FROM wins WHERE task_id = ?")
        .bind(task)
        .fetch_one(store.pool())
        .await
        .expect("count wins");
    store.close().await;
    n
}

/// Asserts that since `mark` nothing but interaction answers happened: the database is still
/// `before`, no message was posted or edited, and `card` is as it was.
async fn assert_unchanged(bot: &Bot, what: &str, before: &str, mark: usize, card: &Msg) {
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    assert_eq!(bot.db_fingerprint().await, before, "{what} changed the database");
    assert!(
        side_effects(bot, mark).is_empty(),
        "{what} caused traffic: {:?}",
        side_effects(bot, mark)
    );
    let now = bot.fake.message(card.id).expect("the card");
    assert_eq!(
        (now.edits, &now.json),
        (card.edits, &card.json),
        "{what} touched the card"
    );
}

/// Scenario 8: a task marked done with its card's Done button offers "Log as win". A member who is
/// neither the assignee nor a lead is refused privately; the assignee's click updates the card in
/// place (the button gone, the footer saying so), confirms privately with a follow-up, and the win
/// is celebrated in the home channel once. Clicking the button again on a stale copy of the card
/// is refused privately ("already logged") and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_done_task_is_logged_as_a_win_once() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;
    let r = bot
        .slash(
            LEAD,
            "task assign",
            &[
                ("title", "Call the venue"),
                ("assignee", &MEMBER.to_string()),
                ("due", "2026-11-26 17:00"),
            ],
        )
        .await;
    assert_public(&r, "#1 Call the venue");
    let card = r.message_id();
    let done = r.button("task:done:");
    let row: i64 = done.rsplit(':').next().unwrap().parse().unwrap();
    wait_dm(&bot, MEMBER, "Call the venue").await;

    // Done: the card now offers to log the task as a win.
    let r = bot.click(MEMBER, card, &done).await;
    assert_eq!(r.kind, 7, "{r:?}");
    assert_eq!(r.message_id(), card);
    assert!(r.text().contains("✅ done"), "{}", r.text());
    let win = format!("win:log-task:{row}");
    assert_eq!(
        r.buttons(),
        std::slice::from_ref(&win),
        "a done card offers only the win button"
    );
    assert!(r.text().contains("[Log as win]"), "{}", r.text());
    // A copy of the card as it is now, with the button (a client that never saw the update).
    let stale = bot.fake.message(card).expect("the card");
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;

    // A member who is neither the assignee nor a lead.
    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();
    let r = bot.click(MEMBER2, card, &win).await;
    assert_eq!(
        r.kind, 4,
        "a refusal is a new ephemeral message, not a card update: {r:?}"
    );
    assert_private(&r, "Only task #1's assignee or a lead");
    assert_unchanged(&bot, "MEMBER2's click", &before, mark, &stale).await;
    assert_eq!(wins_for_task(&bot, row).await, 0);

    // The assignee logs it: the card changes in place, for everyone.
    let r = bot.click(MEMBER, card, &win).await;
    assert_eq!(r.kind, 7, "the click updates the card: {r:?}");
    assert!(!r.ephemeral(), "the card stays public: {r:?}");
    assert_eq!(r.message_id(), card);
    assert!(
        !r.buttons().contains(&win),
        "the win button is gone: {:?}",
        r.buttons()
    );
    assert!(r.buttons().is_empty(), "{:?}", r.buttons());
    assert!(r.text().contains("✅ done"), "{}", r.text());
    let footer = r.message.as_ref().expect("the card").json["embeds"][0]["footer"]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(footer.contains("logged as a win"), "footer: {footer:?}");
    let shown = bot.fake.message(card).expect("the card");
    assert_eq!(
        shown.buttons(),
        Vec::<String>::new(),
        "the stored card lost its button"
    );
    // The clicker hears privately that it worked.
    let thanks = wait_followup(&bot, &r).await;
    assert!(thanks.ephemeral, "the confirmation is private: {thanks:?}");
    assert!(
        thanks.text().contains("🎉 Logged!") && thanks.text().contains("River Alliance"),
        "{}",
        thanks.text()
    );
    // The scheduler celebrates it in the home channel.
    let party = wait_post(&bot, HOME, "A win for River Alliance").await;
    assert!(
        party.text().contains("Completed task #1: Call the venue") && party.text().contains("Milo Member"),
        "{}",
        party.text()
    );
    assert!(party.pinged.is_empty() && !party.pinged_everyone, "pings no one");
    assert_eq!(wins_for_task(&bot, row).await, 1);

    // Again, from the stale copy (by the assignee, then by a lead): already logged, nothing changes.
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    let shown = bot.fake.message(card).expect("the card");
    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();
    for user in [MEMBER, LEAD] {
        let r = bot.click_on(user, &stale, &win).await;
        assert_eq!(r.kind, 4, "{r:?}");
        assert_private(&r, "already logged");
        assert_unchanged(&bot, "a second click", &before, mark, &shown).await;
    }
    assert_eq!(wins_for_task(&bot, row).await, 1, "one win");
    assert_eq!(
        posts_containing(&bot, HOME, "A win for River Alliance").len(),
        1,
        "one celebration"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// A wrong token: the bot stops at once with a message that says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_refused_clearly() {
    let bot = Bot::launch("not-the-token", start_time()).await;
    let fake = bot.fake.clone();
    let err = bot
        .finished(Duration::from_secs(30))
        .await
        .expect_err("serve fails");
    assert!(err.to_string().contains("DISCORD_TOKEN"), "{err}");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].status, 401);
}

/// The fake's gateway itself: IDENTIFY with a bad token is closed with 4004, like Discord.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_gateway_closes_4004_on_a_bad_token() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let fake = fake_discord::FakeDiscord::start(WorldSpec::standard(), TOKEN).await;
    let url = format!("ws://{}/?v=10&encoding=json", fake.inner.ws_addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let hello = ws.next().await.expect("hello").expect("hello");
    let hello: serde_json::Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(hello["op"], 10);
    assert_eq!(hello["d"]["heartbeat_interval"], 2000);
    let identify = serde_json::json!({"op": 2, "d": {"token": "Bot wrong", "intents": 1, "properties": {}}});
    ws.send(Message::Text(identify.to_string())).await.unwrap();
    match ws.next().await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4004),
        other => panic!("expected close 4004, got {other:?}"),
    }
    assert_eq!(fake.state().gateway.identifies, 0);
}
