//! End-to-end under load: while the scheduler is mid fan-out (many coalitions' digests and
//! celebrations due at once), 200 slash commands arrive together. Every interaction gets exactly
//! one initial response within Discord's 3 seconds on the fake's clock, and then its answer.

#![recursion_limit = "256"]
mod fake_discord;

use std::collections::HashMap;
use std::time::Duration;

use backbone::store::Store;
use chrono::{DateTime, TimeZone, Utc};

use fake_discord::*;

/// Coalitions whose Monday digest falls due at the same moment.
const COALITIONS: u64 = 60;
/// Commands dispatched at once during the fan-out.
const COMMANDS: usize = 200;

/// The first hub channel.
const FIRST_HUB: u64 = 1_300_000_000_000_001_200;

fn hub(i: u64) -> u64 {
    FIRST_HUB + i
}

fn world() -> WorldSpec {
    hub_world(FIRST_HUB, COALITIONS)
}

/// Monday 2026-11-30, `h:m` UTC: the default digest runs Mondays at 9:00.
fn monday(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, m, s).unwrap()
}

/// Creates the coalitions (through the actions, on the bot's database) a minute before their
/// digests are due, each with a member and a win to report.
async fn seed(bot: &Bot) {
    let store = Store::connect(&bot.db_url)
        .await
        .expect("open the bot's database");
    seed_hubs(&store, FIRST_HUB, COALITIONS, monday(8, 59, 0)).await;
    store.close().await;
}

/// Posts the scheduler made in the hub channels (not interaction answers).
fn scheduled_posts(bot: &Bot) -> usize {
    let s = bot.fake.state();
    s.messages
        .values()
        .filter(|m| m.interaction_token.is_none() && (hub(0)..hub(COALITIONS)).contains(&m.channel_id))
        .count()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_commands_during_a_fan_out_are_each_answered_once_within_3_seconds() {
    let bot = Bot::start_in(world()).await;
    seed(&bot).await;

    // Every digest (and every win's celebration) falls due at once: the fan-out starts.
    bot.set_time(monday(9, 0, 5));
    bot.fake
        .wait_for("the fan-out to start", Duration::from_secs(30), |s| {
            let posts = s
                .messages
                .values()
                .filter(|m| {
                    m.interaction_token.is_none() && (hub(0)..hub(COALITIONS)).contains(&m.channel_id)
                })
                .count();
            (posts >= 3).then_some(())
        })
        .await;
    let posts_before = scheduled_posts(&bot);
    assert!(
        posts_before < 2 * COALITIONS as usize,
        "the fan-out ended before the commands came ({posts_before} posts)"
    );

    // 200 commands at once, reads and writes, in the coalitions' home channels.
    let member = MEMBER.to_string();
    let mut tokens = Vec::with_capacity(COMMANDS);
    for i in 0..COMMANDS {
        let channel = hub(i as u64 % COALITIONS);
        let title = format!("Load task {i}");
        let text = format!("Load win {i}");
        let (user, command, options): (u64, &str, Vec<(&str, &str)>) = match i % 6 {
            0 => (
                ADMIN,
                "task assign",
                vec![("title", title.as_str()), ("assignee", member.as_str())],
            ),
            1 => (MEMBER, "task list", vec![]),
            2 => (MEMBER, "coalition info", vec![]),
            3 => (MEMBER, "win log", vec![("text", text.as_str())]),
            4 => (MEMBER, "task mine", vec![]),
            _ => (NOBODY, "help", vec![]),
        };
        tokens.push(bot.send_slash_in(GUILD, channel, user, command, &options));
    }

    // Every interaction is acknowledged, none late (a late answer is a violation in the fake).
    bot.fake
        .wait_for("every command acknowledged", Duration::from_secs(30), |s| {
            tokens
                .iter()
                .all(|t| s.interactions.get(t).is_some_and(|i| i.callback.is_some()))
                .then_some(())
        })
        .await;
    bot.fake.assert_no_violations();

    // Exactly one initial response each: one callback request, accepted.
    let mut callbacks: HashMap<String, Vec<u16>> = HashMap::new();
    for r in bot.fake.requests() {
        if r.method == "POST" && r.path.starts_with("/interactions/") && r.path.ends_with("/callback") {
            let token = r.path.split('/').nth(3).unwrap_or_default().to_string();
            callbacks.entry(token).or_default().push(r.status);
        }
    }
    let mut acks = Vec::with_capacity(COMMANDS);
    let mut deferred = 0;
    for t in &tokens {
        assert_eq!(
            callbacks.get(t).map(Vec::as_slice),
            Some(&[204][..]),
            "interaction {t}: one accepted callback"
        );
        let cb = bot.fake.state().interactions[t]
            .callback
            .clone()
            .expect("acknowledged");
        assert!(
            cb.after <= Duration::from_secs(3),
            "acknowledged after {:?}",
            cb.after
        );
        if cb.kind == 5 {
            deferred += 1;
        }
        acks.push(cb.after);
    }

    // And every one gets its answer (a deferred one: the placeholder replaced once).
    for t in &tokens {
        let reply = bot.reply(t).await;
        assert!(!reply.text().is_empty(), "interaction {t} answered: {reply:?}");
        assert!(!reply.text().contains("went wrong"), "{}", reply.text());
    }

    // The commands really met the fan-out: scheduled posts went on after they arrived.
    assert!(
        scheduled_posts(&bot) > posts_before,
        "no scheduled post after the commands arrived"
    );
    acks.sort();
    eprintln!(
        "acknowledged {} commands during a fan-out: p50 {:?}, p99 {:?}, max {:?}; {deferred} deferred",
        acks.len(),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        acks[acks.len() - 1],
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// While another process holds SQLite's write lock for 4 s, writes cannot finish within Discord's
/// 3 seconds: each is acknowledged after 1.5 s instead — a public command with a public
/// placeholder, a button with a deferred update — and answered once the lock is free. An error
/// after a public placeholder still reaches only the user who ran the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_defers_instead_of_timing_out() {
    use sqlx::Connection;
    if sqlite_only("holds SQLite's write lock from outside") {
        return;
    }

    let bot = Bot::start().await;
    bot.slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    let member = MEMBER.to_string();
    bot.slash(ADMIN, "member add", &[("user", &member)]).await;
    let card = bot
        .slash(
            ADMIN,
            "task assign",
            &[("title", "Book the hall"), ("assignee", &member)],
        )
        .await;
    let card_id = card.message_id();
    let done = card.button("task:done");

    let mut holder = sqlx::SqliteConnection::connect(&bot.db_url)
        .await
        .expect("connect");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("take the write lock");

    let nobody = NOBODY.to_string();
    let assign = bot.send_slash_in(
        GUILD,
        HOME,
        ADMIN,
        "task assign",
        &[("title", "Print flyers"), ("assignee", &member)],
    );
    let refused = bot.send_slash_in(
        GUILD,
        HOME,
        ADMIN,
        "task assign",
        &[("title", "Ghost work"), ("assignee", &nobody)],
    );
    let win = bot.send_slash_in(GUILD, HOME, MEMBER, "win log", &[("text", "The hall is ours")]);
    let click = bot.send_click(MEMBER, card_id, &done);
    let tokens = [&assign, &refused, &win, &click];

    // All four are acknowledged in time while the lock is still held.
    bot.fake
        .wait_for("every interaction acknowledged", Duration::from_secs(3), |s| {
            tokens
                .iter()
                .all(|t| s.interactions.get(*t).is_some_and(|i| i.callback.is_some()))
                .then_some(())
        })
        .await;
    let kinds: Vec<u64> = {
        let s = bot.fake.state();
        tokens
            .iter()
            .map(|t| s.interactions[*t].callback.as_ref().expect("acked").kind)
            .collect()
    };
    assert_eq!(
        kinds,
        vec![5, 5, 5, 6],
        "deferred messages for commands, a deferred update for the click"
    );
    tokio::time::sleep(Duration::from_millis(4000)).await;
    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("release the lock");

    let r = bot.reply(&assign).await;
    assert!(!r.ephemeral() && r.text().contains("Print flyers"), "{r:?}");
    let r = bot.reply(&refused).await;
    assert!(r.ephemeral() && r.text().contains("isn't a member"), "{r:?}");
    let r = bot.reply(&win).await;
    assert!(!r.ephemeral() && r.text().contains("The hall is ours"), "{r:?}");
    let card = bot
        .wait_message("the clicked card marked done", Duration::from_secs(15), |m| {
            m.id == card_id && m.edits > 0 && !m.buttons().iter().any(|b| b.starts_with("task:done"))
        })
        .await;
    assert!(card.text().contains("Book the hall"), "{}", card.text());

    // One initial response each, none late, and the refused command left no public trace.
    for t in tokens {
        let callbacks = bot
            .fake
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with(&format!("/{t}/callback")))
            .count();
        assert_eq!(callbacks, 1, "interaction {t}");
    }
    let public_refusals = bot
        .fake
        .messages_in(HOME)
        .into_iter()
        .filter(|m| !m.ephemeral && m.interaction_token.as_deref() == Some(refused.as_str()))
        .count();
    assert_eq!(
        public_refusals, 0,
        "the error after a public placeholder stayed private"
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
