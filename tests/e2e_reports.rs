//! End-to-end against the fake Discord: the digest goes out with its chart as an uploaded PNG that
//! the embed shows (`attachment://…`), and `/report` answers, deferred, with an `.html` file. Both
//! `/digest preview` and `/report` have a per-user cooldown of 30 s.

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use fake_discord::*;
use serde_json::Value;

/// Multipart uploads since `mark` (requests with files).
fn uploads_since(bot: &Bot, mark: usize) -> Vec<Request> {
    bot.fake
        .requests_since(mark)
        .into_iter()
        .filter(|r| !r.uploads.is_empty())
        .collect()
}

/// Asserts `r` uploaded one PNG that its first embed shows, and returns the file's name.
fn assert_chart_upload(r: &Request) -> String {
    assert_eq!(r.uploads.len(), 1, "{:?}", r.files);
    let file = &r.uploads[0];
    assert_eq!(file.index, 0);
    assert!(
        file.filename.starts_with("digest-") && file.filename.ends_with(".png"),
        "{}",
        file.filename
    );
    assert_eq!(file.content_type, "image/png");
    assert!(file.bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(file.bytes.len() < 500_000, "{} bytes", file.bytes.len());
    let image = r.body["embeds"][0]["image"]["url"].as_str().unwrap_or("");
    assert_eq!(image, format!("attachment://{}", file.filename), "{}", r.body);
    file.filename.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_carries_its_chart_and_report_answers_with_an_html_file() {
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(r.text().contains("River Alliance"), "{}", r.text());
    let lead = LEAD.to_string();
    bot.slash(ADMIN, "member add", &[("user", &lead), ("role", "lead")])
        .await;
    bot.slash(LEAD, "member add", &[("user", &MEMBER.to_string())])
        .await;
    bot.slash(
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
    bot.slash(
        MEMBER,
        "win log",
        &[
            ("text", "<script>alert(1)</script> planted 25"),
            ("goal", "Plant"),
            ("amount", "25"),
        ],
    )
    .await;

    // `/digest send`: the scheduler posts it through the notifier as a multipart upload.
    let mark = bot.fake.mark();
    let r = bot.slash(LEAD, "digest send", &[]).await;
    assert!(r.ephemeral(), "{}", r.text());
    let post = bot
        .wait_message("the digest post", Duration::from_secs(15), |m| {
            m.channel_id == HOME
                && m.interaction_token.is_none()
                && m.json["attachments"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let sent = uploads_since(&bot, mark);
    let request = sent
        .iter()
        .find(|r| r.path == format!("/channels/{HOME}/messages"))
        .unwrap_or_else(|| panic!("the digest was not uploaded as multipart: {sent:?}"));
    let name = assert_chart_upload(request);
    assert!(
        request.body["nonce"].is_string(),
        "scheduled posts keep their nonce: {}",
        request.body
    );
    // As Discord does, the stored message lists the file and the embed shows it.
    let attachments = post.json["attachments"].as_array().cloned().unwrap_or_default();
    assert_eq!(attachments.len(), 1, "{}", post.json);
    assert_eq!(attachments[0]["filename"], Value::from(name.clone()));
    let shown = post.json["embeds"][0]["image"]["url"].as_str().unwrap_or("");
    assert!(shown.ends_with(&format!("/{name}")), "{}", post.json["embeds"][0]);

    // `/digest preview`: the same chart, privately.
    let mark = bot.fake.mark();
    let r = bot.slash(MEMBER, "digest preview", &[]).await;
    assert!(r.ephemeral(), "{}", r.text());
    let sent = uploads_since(&bot, mark);
    assert_eq!(sent.len(), 1, "{:?}", bot.fake.requests_since(mark));
    assert_chart_upload(&sent[0]);

    // `/report`: deferred (the report can take a moment), then one HTML file.
    let mark = bot.fake.mark();
    let r = bot.slash(MEMBER, "report", &[("period", "month")]).await;
    assert_eq!(r.kind, 5, "deferred: {r:?}");
    assert!(r.ephemeral(), "{}", r.text());
    assert!(r.text().contains("November 2026"), "{}", r.text());
    let sent = uploads_since(&bot, mark);
    assert_eq!(sent.len(), 1, "{:?}", bot.fake.requests_since(mark));
    let file = &sent[0].uploads[0];
    assert_eq!(file.filename, "river-alliance-report-month-2026-11-23.html");
    assert_eq!(file.content_type, "text/html");
    let html = String::from_utf8(file.bytes.clone()).expect("UTF-8");
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..80.min(html.len())]
    );
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; planted 25"));
    assert!(!html.contains("<script"));
    let files = r
        .message
        .as_ref()
        .map(|m| m.json["attachments"].clone())
        .unwrap_or(Value::Null);
    assert_eq!(
        files[0]["filename"],
        Value::from(file.filename.clone()),
        "{files}"
    );

    // Both are heavy: again within 30 s, the same person is told privately how long to wait,
    // and nothing is rendered or uploaded; others are not held back.
    bot.set_time(bot.now() + chrono::Duration::seconds(10));
    let mark = bot.fake.mark();
    for command in ["digest preview", "report"] {
        let r = bot.slash(MEMBER, command, &[]).await;
        assert!(r.ephemeral(), "{}", r.text());
        assert!(
            r.text().contains(&format!("You ran `/{command}` a moment ago")),
            "{}",
            r.text()
        );
        assert!(r.text().contains("Try again in 20 seconds"), "{}", r.text());
    }
    assert!(uploads_since(&bot, mark).is_empty(), "nothing rendered");
    let r = bot.slash(LEAD, "digest preview", &[]).await;
    assert!(!r.text().contains("a moment ago"), "{}", r.text());
    assert_eq!(uploads_since(&bot, mark).len(), 1);
    // 30 s after the first run, again.
    bot.set_time(bot.now() + chrono::Duration::seconds(20));
    let mark = bot.fake.mark();
    let r = bot.slash(MEMBER, "report", &[]).await;
    assert!(
        r.text().contains("November 2026") || r.text().contains("2026"),
        "{}",
        r.text()
    );
    assert_eq!(uploads_since(&bot, mark).len(), 1, "{}", r.text());

    // `period` offers recent periods as the user types, read in the coalition's time zone.
    let r = bot
        .autocomplete(MEMBER, "report", &[("period", "")], "period")
        .await;
    let choices = r.choices();
    assert_eq!(
        choices[0],
        (
            "This quarter to date: 2026 Q4 (Oct–Dec)".to_string(),
            Value::from("quarter")
        ),
        "{choices:?}"
    );
    assert!(
        choices.contains(&(
            "Last quarter: 2026 Q3 (Jul–Sep)".to_string(),
            Value::from("2026-Q3")
        )),
        "{choices:?}"
    );
    let r = bot
        .autocomplete(MEMBER, "report", &[("period", "2026-q1")], "period")
        .await;
    assert_eq!(r.choices()[0].0, "2026 Q1 (1 Jan – 31 Mar 2026)");

    // A past quarter: its own name, and the file says which (past the cooldown).
    bot.set_time(bot.now() + chrono::Duration::seconds(30));
    let mark = bot.fake.mark();
    let r = bot.slash(MEMBER, "report", &[("period", "last quarter")]).await;
    assert!(r.text().contains("2026 Q3 (1 Jul – 30 Sep 2026)"), "{}", r.text());
    let sent = uploads_since(&bot, mark);
    assert_eq!(
        sent[0].uploads[0].filename,
        "river-alliance-report-2026-q3-2026-11-23.html"
    );

    // Bad input: a private message that says how to ask, and nothing changes (a refusal gives
    // the cooldown back).
    bot.set_time(bot.now() + chrono::Duration::seconds(30));
    let before = bot.db_fingerprint().await;
    let mark = bot.fake.mark();
    let r = bot
        .slash(MEMBER, "report", &[("period", "quarter"), ("from", "2026-10-01")])
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(r.text().contains("not both"), "{}", r.text());
    let r = bot.slash(MEMBER, "report", &[("period", "2027")]).await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(r.text().contains("hasn't started yet"), "{}", r.text());
    assert!(uploads_since(&bot, mark).is_empty());
    assert_eq!(bot.db_fingerprint().await, before);

    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
