//! End-to-end over HTTP: the real bot serving Discord's Interactions Endpoint URL
//! (`backbone serve`: `serve_on` with `Transport::Http`) against the fake Discord's REST API, with
//! no gateway connection. Interactions are posted to `POST /interactions` signed with the test
//! application's Ed25519 key, as Discord signs them.
//!
//! 1. PING gets PONG in the HTTP response; no gateway connection is made; /healthz is healthy
//! 2. commands, autocomplete, buttons and forms answer through the same responder as on the
//!    gateway (the callback endpoint), and the HTTP request gets 202
//! 3. a bad or missing signature, a stale timestamp and a replayed interaction get 401 and change
//!    nothing
//! 4. a missing or malformed DISCORD_PUBLIC_KEY stops the start with a message saying what to fix
//!
//! A whole coalition week over HTTP is `a_coalition_week_over_http` in `e2e.rs`.

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use fake_discord::*;
use serde_json::json;

fn http(bot: &Bot) -> &HttpTransport {
    bot.http.as_ref().expect("the bot serves interactions over HTTP")
}

/// Waits until the posted interaction `token` got its HTTP answer; returns the status.
async fn status(bot: &Bot, token: &str) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = http(bot).statuses.lock().unwrap().get(token) {
            return *s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no HTTP answer to {token}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_gets_pong_with_no_gateway_and_the_copy_is_healthy() {
    let bot = Bot::start_http().await;
    let ping = json!({
        "id": "1300000000000009001",
        "application_id": APP_ID.to_string(),
        "type": 1,
        "token": "cGluZy10b2tlbg",
        "version": 1,
    });
    let (status, kind, body) = http(&bot).post(&ping, bot.now()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "application/json");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({ "type": 1 })
    );
    // Discord checks the URL with PINGs more than once: each gets its PONG.
    assert_eq!(http(&bot).post(&ping, bot.now()).await.0, 200);

    assert_eq!(bot.fake.state().gateway.identifies, 0, "no gateway connection");
    let health = reqwest::get(format!("http://{}/healthz", bot.metrics_addr))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200, "{:?}", health.text().await);

    // Only POST /interactions is served.
    let client = reqwest::Client::new();
    let url = &http(&bot).url;
    assert_eq!(client.get(url).send().await.unwrap().status().as_u16(), 405);
    let other = url.replace("/interactions", "/other");
    assert_eq!(client.post(other).send().await.unwrap().status().as_u16(), 404);
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_buttons_forms_and_autocomplete_answer_over_http() {
    let bot = Bot::start_http().await;
    river_alliance(&bot).await;

    // A command: its answer goes through the callback endpoint; the HTTP request got 202.
    let member = MEMBER.to_string();
    let token = bot.send_slash_in(
        GUILD,
        HOME,
        LEAD,
        "task assign",
        &[
            ("title", "Print flyers"),
            ("assignee", &member),
            ("due", "2026-11-27 17:00"),
        ],
    );
    let card = bot.reply(&token).await;
    assert_public(&card, "#1 Print flyers");
    assert_eq!(status(&bot, &token).await, 202);

    // A button on the card updates it in place; another opens a form; the form updates it.
    let r = bot.click(MEMBER, card.message_id(), "task:start:1").await;
    assert_eq!(r.kind, 7, "{r:?}");
    assert!(r.text().contains("in progress"), "{}", r.text());
    let form = bot.click(MEMBER, card.message_id(), "task:block:1").await;
    assert_eq!(form.kind, 9, "a form: {form:?}");
    let r = bot
        .submit(MEMBER, &form, &[("reason", "Waiting on the printer")])
        .await;
    assert_eq!(r.kind, 7, "{r:?}");
    assert!(r.text().contains("blocked"), "{}", r.text());

    // Autocomplete answers too.
    let r = bot
        .autocomplete(LEAD, "task update", &[("task", "Print")], "task")
        .await;
    assert!(
        r.choices().iter().any(|(name, _)| name.contains("Print flyers")),
        "{:?}",
        r.choices()
    );

    // A refusal is private, as on the gateway.
    let r = bot
        .slash(NOBODY, "goal add", &[("title", "x"), ("target", "5")])
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_and_replayed_interactions_get_401_and_change_nothing() {
    let bot = Bot::start_http().await;
    river_alliance(&bot).await;
    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();
    let h = http(&bot);
    let now = bot.now();

    let (_, win) = bot.slash_interaction(MEMBER, "win log", &[("text", "Forged win")]);
    let body = serde_json::to_vec(&win).unwrap();
    let ts = now.timestamp().to_string();
    let good = h.sign(&ts, &body);

    // No signature, no timestamp, a signature of other bytes, a tampered body.
    assert_eq!(h.post_raw(body.clone(), None, Some(&ts)).await.0, 401);
    assert_eq!(h.post_raw(body.clone(), Some(&good), None).await.0, 401);
    assert_eq!(
        h.post_raw(body.clone(), Some(&h.sign(&ts, b"{}")), Some(&ts))
            .await
            .0,
        401
    );
    assert_eq!(h.post_raw(body.clone(), Some("zz"), Some(&ts)).await.0, 401);
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("Forged win", "Forged wim");
    assert_eq!(
        h.post_raw(tampered.into_bytes(), Some(&good), Some(&ts)).await.0,
        401
    );
    // The signature covers the timestamp: the same body at another time does not pass.
    let later = (now.timestamp() + 1).to_string();
    assert_eq!(h.post_raw(body.clone(), Some(&good), Some(&later)).await.0, 401);
    // Correctly signed, but more than 5 minutes old (a replay of a captured request), or ahead.
    for at in [
        now - chrono::Duration::seconds(301),
        now + chrono::Duration::seconds(301),
    ] {
        let (status, _, why) = h.post(&win, at).await;
        assert_eq!(status, 401, "{why}");
    }
    // Correctly signed and fresh, but not an interaction.
    let (status, _, _) = h
        .post(&json!({ "type": 99, "note": "a private answer" }), now)
        .await;
    assert_eq!(status, 400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bot.db_fingerprint().await, before, "nothing changed");
    assert!(
        bot.fake.requests_since(mark).is_empty(),
        "{:?}",
        bot.fake.requests_since(mark)
    );

    // Within the window, the first delivery is handled, and the same request again is refused.
    let (token, win) = bot.slash_interaction(MEMBER, "win log", &[("text", "Real win")]);
    let (status, _, _) = h.post(&win, now).await;
    assert_eq!(status, 202);
    assert_public(&bot.reply(&token).await, "Real win");
    let after = bot.db_fingerprint().await;
    let (status, _, _) = h.post(&win, now + chrono::Duration::seconds(10)).await;
    assert_eq!(status, 401, "a replayed interaction id");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bot.db_fingerprint().await, after, "the replay logged nothing");

    // Each refusal is counted by reason on /metrics.
    let metrics = reqwest::get(format!("http://{}/metrics", bot.metrics_addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    for (reason, n) in [("signature", 6), ("timestamp", 2), ("replay", 1), ("body", 1)] {
        let line = format!("backbone_interactions_refused_total{{reason=\"{reason}\"}} {n}");
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_malformed_public_key_stops_the_start_clearly() {
    for (key, needle) in [
        (None, "DISCORD_PUBLIC_KEY is not set"),
        (Some("not-hex"), "not 64 hex digits"),
    ] {
        let mut bot = Bot::without_bot(start_time()).await;
        let extra: Vec<(&'static str, String)> = key
            .map(|k| ("DISCORD_PUBLIC_KEY", k.to_string()))
            .into_iter()
            .collect();
        let config = bot.config(TOKEN, &extra);
        bot.spawn_http(config).await;
        let e = bot.finished(Duration::from_secs(10)).await.expect_err("refused");
        assert!(matches!(e, backbone::Error::User(_)), "{e:?}");
        assert!(e.to_string().contains(needle), "{e}");
    }
}

/// A public key that is not the application's: the start warns, and Discord's signed requests
/// are refused (what a user would see as "interaction failed" until they fix the key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_applications_key_is_warned_about_and_refuses_discords_requests() {
    let mut bot = Bot::without_bot(start_time()).await;
    // RFC 8032's first test key: valid, but not the fake application's.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let config = bot.config(TOKEN, &[("DISCORD_PUBLIC_KEY", other.to_string())]);
    bot.spawn_http(config).await;
    bot.ready().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !log_lines()
        .iter()
        .any(|l| l.contains("is not this application's public key"))
    {
        assert!(tokio::time::Instant::now() < deadline, "no warning about the key");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, win) = bot.slash_interaction(ADMIN, "coalition create", &[("name", "Hub")]);
    let (status, _, _) = http(&bot).post(&win, bot.now()).await;
    assert_eq!(status, 401);
    bot.stop().await.expect("clean shutdown");
}
