//! End-to-end check-ins in the open (issue 9), the real bot against the fake Discord:
//!
//! 1. prompt → thread → answer card → edit updates the card → the next round closes the previous
//!    one with a summary in its thread
//! 2. custom questions appear in the modal; bad questions are refused privately
//!
//! Every request the bot makes is checked against Discord's limits; a violation fails the test.
#![recursion_limit = "256"]

mod fake_discord;

use std::time::Duration;

use fake_discord::*;

fn posts_in(bot: &Bot, channel: u64) -> Vec<Msg> {
    bot.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.interaction_token.is_none())
        .collect()
}

/// Waits until the fake has `n` threads.
async fn wait_threads(bot: &Bot, n: usize) -> Vec<fake_discord::threads::ThreadRec> {
    bot.fake
        .wait_for(&format!("{n} thread(s)"), SCHEDULED, |s| {
            (s.threads.len() >= n).then(|| s.threads.values().cloned().collect())
        })
        .await
}

/// The labels and pre-filled values of a modal's text inputs.
fn inputs(modal: &Reply) -> Vec<(String, String, String)> {
    modal.data["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|i| {
            (
                i["custom_id"].as_str().unwrap_or("").to_string(),
                i["label"].as_str().unwrap_or("").to_string(),
                i["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_lives_in_its_thread_and_the_next_one_closes_it() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;

    // Friday 10:00: the prompt, and a thread on it.
    bot.set_time(at(2026, 11, 27, 10, 0));
    let prompt = wait_post(&bot, HOME, "Check-in time").await;
    let edit = prompt.button("checkin:edit:");
    let threads = wait_threads(&bot, 1).await;
    assert_eq!(threads[0].name, "Check-in · Fri 27 Nov");
    assert_eq!((threads[0].id, threads[0].parent), (prompt.id, HOME));
    let thread = threads[0].id;

    // MEMBER answers; the card appears in the thread with their org and the highlighted blocker.
    let form = bot
        .click(MEMBER, prompt.id, &prompt.button("checkin:open:"))
        .await;
    let labels: Vec<String> = inputs(&form).into_iter().map(|(_, l, _)| l).collect();
    assert_eq!(labels, ["Done since last check-in", "Next", "Blockers"]);
    let r = bot
        .submit(
            MEMBER,
            &form,
            &[
                ("q1", "Booked the venue"),
                ("q2", "Order saplings"),
                ("q3", "No permit yet"),
            ],
        )
        .await;
    assert!(r.ephemeral(), "{r:?}");
    let card = wait_post(&bot, thread, "Booked the venue").await;
    let t = card.text();
    for expected in ["Milo", "Green Org", "⚠️ Blockers", "No permit yet"] {
        assert!(t.contains(expected), "card lacks {expected:?}:\n{t}");
    }
    assert!(
        card.pinged.is_empty() && !card.pinged_everyone,
        "a card pings no one"
    );
    bot.wait_message("the blocker alert to a lead", SCHEDULED, |m| {
        m.dm_user == Some(LEAD) && m.text().contains("No permit yet")
    })
    .await;

    // "Edit my answer" on the card opens the form pre-filled; saving edits the card in place.
    let form = bot.click(MEMBER, card.id, &card.button("checkin:edit:")).await;
    let values: Vec<String> = inputs(&form).into_iter().map(|(_, _, v)| v).collect();
    assert_eq!(values, ["Booked the venue", "Order saplings", "No permit yet"]);
    let r = bot.submit(MEMBER, &form, &[("q1", "Booked the big venue")]).await;
    assert!(
        r.ephemeral() && r.text().contains("replaces your earlier answer"),
        "{}",
        r.text()
    );
    bot.wait_message("the card, edited", SCHEDULED, |m| {
        m.id == card.id && m.text().contains("Booked the big venue")
    })
    .await;
    // `/checkin submit` and the prompt's edit button open the same pre-filled form.
    let again = bot.slash(MEMBER, "checkin submit", &[]).await;
    assert_eq!(inputs(&again)[0].2, "Booked the big venue");
    let again = bot.click(MEMBER, prompt.id, &edit).await;
    assert_eq!(inputs(&again)[0].2, "Booked the big venue");
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    assert_eq!(posts_in(&bot, thread).len(), 1, "the card was not posted twice");
    assert_eq!(bot.fake.message(card.id).unwrap().edits, 1);

    // Next Friday: the new round opens, the old one closes with a summary in its thread.
    bot.set_time(at(2026, 12, 4, 10, 0));
    let closing = wait_post(&bot, thread, "Closed — Check-in · Fri 27 Nov").await;
    let t = closing.text();
    for expected in ["1 of 5 answered (20 %)", "No answer (4)", "No permit yet"] {
        assert!(t.contains(expected), "closing lacks {expected:?}:\n{t}");
    }
    let threads = wait_threads(&bot, 2).await;
    assert_eq!(threads[1].name, "Check-in · Fri 4 Dec");
    // The closed round's edit button now explains itself privately.
    let late = bot.click(MEMBER, card.id, &card.button("checkin:edit:")).await;
    assert!(
        late.ephemeral() && late.text().contains("closed"),
        "{}",
        late.text()
    );
    assert_eq!(
        posts_in(&bot, HOME).len(),
        2,
        "the home channel holds only the two prompts"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_questions_appear_in_the_modal() {
    let bot = Bot::start().await;
    river_alliance(&bot).await;

    // Members may not change the questions.
    let r = bot.slash(MEMBER, "checkin questions", &[]).await;
    assert!(r.ephemeral() && r.text().contains("lead"), "{}", r.text());

    let form = bot.slash(LEAD, "checkin questions", &[]).await;
    let current: Vec<String> = inputs(&form).into_iter().map(|(_, _, v)| v).collect();
    assert_eq!(current, ["Done since last check-in", "Next", "Blockers", "", ""]);

    // Too long: refused privately, nothing changes.
    let long = "x".repeat(46);
    let r = bot.submit(LEAD, &form, &[("q1", long.as_str())]).await;
    assert!(r.ephemeral() && r.text().contains("at most 45"), "{}", r.text());

    let form = bot.slash(LEAD, "checkin questions", &[]).await;
    let r = bot
        .submit(
            LEAD,
            &form,
            &[
                ("q1", "Wins this week"),
                ("q2", "!What is in your way?"),
                ("q3", "Who can help?"),
                ("q4", ""),
                ("q5", ""),
            ],
        )
        .await;
    assert!(
        r.ephemeral() && r.text().contains("New questions"),
        "{}",
        r.text()
    );

    bot.set_time(at(2026, 11, 27, 10, 0));
    let prompt = wait_post(&bot, HOME, "Check-in time").await;
    let form = bot
        .click(MEMBER, prompt.id, &prompt.button("checkin:open:"))
        .await;
    let labels: Vec<String> = inputs(&form).into_iter().map(|(_, l, _)| l).collect();
    assert_eq!(
        labels,
        ["Wins this week", "What is in your way?", "Who can help?"]
    );
    bot.submit(MEMBER, &form, &[("q1", "A petition"), ("q2", "The permit")])
        .await;
    let thread = wait_threads(&bot, 1).await[0].id;
    let card = wait_post(&bot, thread, "A petition").await;
    assert!(card.text().contains("⚠️ What is in your way?"), "{}", card.text());
    bot.wait_message("the blocker alert", SCHEDULED, |m| {
        m.dm_user == Some(LEAD) && m.text().contains("The permit")
    })
    .await;
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
