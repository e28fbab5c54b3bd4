//! End-to-end: Discord answers some channel posts 429 (body `retry_after`/`global` plus the
//! `Retry-After` and `X-RateLimit-*` headers, as the fake does). Only the limited message waits —
//! for its own `retry_after` — while the others go out; nothing is lost or posted twice.

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use fake_discord::*;

fn celebrations(bot: &Bot, text: &str) -> usize {
    bot.fake
        .messages_in(HOME)
        .into_iter()
        .filter(|m| m.interaction_token.is_none() && m.text().contains(text))
        .count()
}

async fn log_win(bot: &Bot, text: &str) {
    let r = bot.slash(MEMBER, "win log", &[("text", text)]).await;
    assert!(!r.ephemeral(), "{}", r.text());
}

async fn wait_celebrated(bot: &Bot, text: &str) {
    bot.wait_message(&format!("the celebration of {text:?}"), SCHEDULED, |m| {
        m.channel_id == HOME && m.interaction_token.is_none() && m.text().contains(text)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_holds_back_only_the_limited_post() {
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(!r.ephemeral(), "{}", r.text());
    bot.slash(ADMIN, "member add", &[("user", &MEMBER.to_string())])
        .await;
    // From now on every third channel post is answered 429, retry_after 1.5 s.
    bot.fake.rate_limit_posts(3, 1.5, false);
    log_win(&bot, "First grant").await;
    wait_celebrated(&bot, "First grant").await;
    log_win(&bot, "Second grant").await;
    wait_celebrated(&bot, "Second grant").await;
    log_win(&bot, "Third grant").await;
    bot.fake
        .wait_for("a 429", SCHEDULED, |s| (s.rate_limited == 1).then_some(()))
        .await;
    // The limited post waits; the next one goes out meanwhile (the bot's clock stands still).
    log_win(&bot, "Fourth grant").await;
    wait_celebrated(&bot, "Fourth grant").await;
    assert_eq!(celebrations(&bot, "Third grant"), 0, "not before retry_after");

    let limited = bot
        .fake
        .requests()
        .into_iter()
        .find(|r| r.status == 429)
        .expect("the 429 is recorded");
    assert_eq!(limited.response["retry_after"], 1.5);
    assert_eq!(limited.response["global"], false);

    // Once retry_after has passed, the limited post goes out, once.
    bot.set_time(bot.now() + chrono::Duration::seconds(3));
    wait_celebrated(&bot, "Third grant").await;
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    for text in ["First grant", "Second grant", "Third grant", "Fourth grant"] {
        assert_eq!(celebrations(&bot, text), 1, "{text} posted exactly once");
    }
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_pauses_sends_then_everything_goes_out_once() {
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(!r.ephemeral(), "{}", r.text());
    bot.slash(ADMIN, "member add", &[("user", &MEMBER.to_string())])
        .await;
    bot.fake.rate_limit_posts(2, 0.5, true);
    log_win(&bot, "Grant A").await;
    wait_celebrated(&bot, "Grant A").await;
    log_win(&bot, "Grant B").await;
    bot.fake
        .wait_for("a global 429", SCHEDULED, |s| (s.rate_limited == 1).then_some(()))
        .await;
    bot.fake.state().rate_limit = None;
    // Posted while the global limit lasts: held back until it expires.
    log_win(&bot, "Grant C").await;
    wait_celebrated(&bot, "Grant C").await;
    let posts: Vec<Request> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/channels/") && r.path.ends_with("/messages"))
        .collect();
    let limited = posts.iter().find(|r| r.status == 429).expect("the 429");
    assert_eq!(limited.response["global"], true);
    for later in posts.iter().filter(|r| r.seq > limited.seq) {
        let gap = later.at.duration_since(limited.at);
        assert!(
            gap >= Duration::from_millis(450),
            "post #{} went out {gap:?} after a global 429 of 0.5 s",
            later.seq
        );
    }
    // The limited post itself goes out once its retry_after has passed on the bot's clock.
    bot.set_time(bot.now() + chrono::Duration::seconds(2));
    wait_celebrated(&bot, "Grant B").await;
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    for text in ["Grant A", "Grant B", "Grant C"] {
        assert_eq!(celebrations(&bot, text), 1, "{text} posted exactly once");
    }
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limited_post_goes_out_once_its_retry_after_has_passed_to_the_millisecond() {
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(!r.ephemeral(), "{}", r.text());
    bot.slash(ADMIN, "member add", &[("user", &MEMBER.to_string())])
        .await;
    // Every channel post is answered 429 (retry_after 1.25 s, unique in this file) until the first
    // one has been.
    bot.fake.rate_limit_posts(1, 1.25, false);
    log_win(&bot, "Fifth grant").await;
    bot.fake
        .wait_for("a 429", SCHEDULED, |s| (s.rate_limited == 1).then_some(()))
        .await;
    bot.fake.state().rate_limit = None;
    // The bot counts retry_after from when it read the 429: wait until it says it is waiting.
    let deadline = std::time::Instant::now() + SCHEDULED;
    while !log_lines()
        .iter()
        .any(|l| l.contains("sending again once it has passed") && l.contains("retry_after=1.25"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the bot never waited out the 429"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Exactly retry_after later on the bot's clock (not the next whole second, not the next
    // round): the post goes out, once, with the nonce of the limited one.
    bot.set_time(bot.now() + chrono::Duration::milliseconds(1_250));
    wait_celebrated(&bot, "Fifth grant").await;
    bot.fake
        .settle(Duration::from_millis(400), Duration::from_secs(5))
        .await;
    assert_eq!(celebrations(&bot, "Fifth grant"), 1, "posted exactly once");
    let requests = bot.fake.requests();
    let limited = requests
        .iter()
        .find(|r| r.status == 429)
        .expect("the 429 is recorded");
    let same: Vec<u16> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.body["nonce"] == limited.body["nonce"])
        .map(|r| r.status)
        .collect();
    assert_eq!(same, [429, 200], "the 429, then the same post once");
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
