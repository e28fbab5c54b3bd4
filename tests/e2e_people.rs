//! End-to-end, against the fake Discord (see `fake_discord/`): anonymous feedback reaches every lead
//! with no author anywhere — not in the DMs, the logs, or the raw bytes of the database file and
//! its write-ahead log — while named feedback carries its author, and acknowledging it tells them.

#![recursion_limit = "256"]
mod fake_discord;

use std::str::FromStr;
use std::time::Duration;

use fake_discord::*;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

/// Moves everything in the write-ahead log into the database file and empties the log, retrying
/// while the bot's connections hold it.
async fn checkpoint(bot: &Bot) {
    let mut conn = SqliteConnectOptions::from_str(&bot.db_url)
        .unwrap()
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("open the bot's database");
    for _ in 0..100 {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if busy == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the write-ahead log stayed busy");
}

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Every form the author's identity could take in the file: the id as SQLite stores an 8-byte
/// integer (big-endian), as text, and their name.
fn author_forms() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("id as integer", (MEMBER as i64).to_be_bytes().to_vec()),
        ("id as text", MEMBER.to_string().into_bytes()),
        ("display name", b"Milo Member".to_vec()),
        ("username", b"milo".to_vec()),
    ]
}

/// The frames of a write-ahead log: (page number, page image).
fn wal_frames(wal: &[u8]) -> Vec<(usize, &[u8])> {
    if wal.len() < 32 {
        return Vec::new();
    }
    let page_size = u32::from_be_bytes(wal[8..12].try_into().unwrap()) as usize;
    wal[32..]
        .chunks_exact(24 + page_size)
        .map(|f| {
            let page = u32::from_be_bytes(f[0..4].try_into().unwrap()) as usize;
            (page, &f[24..])
        })
        .collect()
}

/// Page `page` (1-based) of a database file image, empty if the file was shorter.
fn old_page(db: &[u8], page: usize, size: usize) -> &[u8] {
    let from = (page - 1) * size;
    db.get(from..from + size).unwrap_or(&[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_feedback_reaches_the_leads_with_no_author_anywhere() {
    if sqlite_only("reads the SQLite file's bytes") {
        return;
    }
    let bot = Bot::start().await;
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(r.text().contains("River Alliance"), "{}", r.text());
    for (user, role) in [(LEAD, "lead"), (MEMBER, "member")] {
        let r = bot
            .slash(
                ADMIN,
                "member add",
                &[("user", &user.to_string()), ("role", role)],
            )
            .await;
        assert!(!r.ephemeral(), "{}", r.text());
    }
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;

    // Everything so far in the database file; the write-ahead log starts empty.
    checkpoint(&bot).await;
    let wal = bot.db_path().with_extension("db-wal");
    let before = read(&bot.db_path());
    let logs_before = log_lines().len();

    let r = bot
        .slash(
            MEMBER,
            "feedback send",
            &[("text", "The budget meeting feels rushed"), ("anonymous", "true")],
        )
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(r.text().contains("No author was stored anywhere"), "{}", r.text());

    // One DM to each lead (the admin who created it, and LEAD), saying only "anonymous".
    for lead in [ADMIN, LEAD] {
        let dm = bot
            .wait_message(&format!("feedback DM to {lead}"), SCHEDULED, |m| {
                m.dm_user == Some(lead) && m.text().contains("budget meeting")
            })
            .await;
        let text = dm.text();
        assert!(text.contains("Anonymous"), "{text}");
        assert!(
            !text.contains(&MEMBER.to_string()) && !text.contains("Milo"),
            "{text}"
        );
        assert!(
            dm.buttons().iter().any(|b| b.starts_with("feedback:ack:")),
            "{text}"
        );
    }
    assert!(bot.fake.dms_to(MEMBER).is_empty());
    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;

    // The write-ahead log holds every page written since: the feedback, its event, the DMs'
    // outbox rows. SQLite logs whole pages, so a page that already held the author's membership
    // (their `member.add` event, say) is logged again as it was — but no page may name them more
    // often than it did before the feedback was sent.
    let log = read(&wal);
    assert!(
        count(&log, b"The budget meeting feels rushed") > 0,
        "the WAL is where the write went"
    );
    let frames = wal_frames(&log);
    assert!(!frames.is_empty());
    for (page, image) in &frames {
        let old = old_page(&before, *page, image.len());
        for (what, bytes) in author_forms() {
            assert!(
                count(image, &bytes) <= count(old, &bytes),
                "page {page} in the WAL names the author ({what}) more often than before: {}",
                image.escape_ascii()
            );
        }
    }
    // Once checkpointed, the database file holds the author exactly as often as before (their
    // membership), and the feedback text once more.
    checkpoint(&bot).await;
    let after = read(&bot.db_path());
    assert!(count(&after, b"The budget meeting feels rushed") > 0);
    for (what, bytes) in author_forms() {
        assert_eq!(
            count(&after, &bytes),
            count(&before, &bytes),
            "the author's {what} was added to the database file"
        );
    }
    // No log line since names them.
    for line in &log_lines()[logs_before..] {
        assert!(!line.contains(&MEMBER.to_string()), "logged: {line}");
    }

    // The detector works: named feedback does put the author in the log.
    let r = bot
        .slash(MEMBER, "feedback send", &[("text", "Thanks for the new rota")])
        .await;
    assert!(r.text().contains("with your name"), "{}", r.text());
    let dm = bot
        .wait_message("named feedback DM", SCHEDULED, |m| {
            m.dm_user == Some(LEAD) && m.text().contains("new rota")
        })
        .await;
    assert!(dm.text().contains("Milo"), "{}", dm.text());
    assert!(count(&read(&wal), &(MEMBER as i64).to_be_bytes()) > 0);

    // The list shows both, the anonymous one without a name, each with an Acknowledge button.
    let r = bot.slash(MEMBER, "feedback list", &[]).await;
    assert!(r.ephemeral() && r.text().contains("Only leads"), "{}", r.text());
    let list = bot.slash(LEAD, "feedback list", &[]).await;
    assert!(list.ephemeral(), "{}", list.text());
    assert!(
        list.text().contains("anonymous") && list.text().contains("Milo"),
        "{}",
        list.text()
    );
    let ack = dm.button("feedback:ack:");
    assert!(list.buttons().contains(&ack), "{:?}", list.buttons());

    // A lead acknowledges the named one; the sender hears about it once.
    let card = list.message.clone().expect("the list as a message");
    let r = bot.click_on(LEAD, &card, &ack).await;
    assert!(r.ephemeral() && r.text().contains("acknowledged"), "{}", r.text());
    bot.wait_message("acknowledgement DM", SCHEDULED, |m| {
        m.dm_user == Some(MEMBER) && m.text().contains("acknowledged")
    })
    .await;
    let r = bot.click_on(ADMIN, &card, &ack).await;
    assert!(
        r.ephemeral() && r.text().contains("already acknowledged"),
        "{}",
        r.text()
    );

    bot.fake
        .settle(Duration::from_millis(300), Duration::from_secs(5))
        .await;
    assert_eq!(
        bot.fake
            .dms_to(MEMBER)
            .iter()
            .filter(|m| m.text().contains("acknowledged"))
            .count(),
        1
    );
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}

/// A member's own hours through the real bot: bad input is refused privately and changes nothing,
/// settings are confirmed privately in their own zone, `until` is previewed in that zone, and
/// leads (only) see "away until …" in `/member list`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_settings_and_away_through_the_bot() {
    let bot = Bot::start().await;
    bot.slash(ADMIN, "coalition create", &[("name", "Hill Alliance")])
        .await;
    for (user, role) in [(LEAD, "lead"), (MEMBER2, "member")] {
        bot.slash(
            ADMIN,
            "member add",
            &[("user", &user.to_string()), ("role", role)],
        )
        .await;
    }

    let r = bot
        .slash(MEMBER2, "me settings", &[("quiet_hours", "late evening")])
        .await;
    assert!(r.ephemeral() && r.text().contains("21:00-08:00"), "{}", r.text());
    let r = bot
        .slash(MEMBER2, "me settings", &[("timezone", "Mars/Olympus")])
        .await;
    assert!(
        r.ephemeral() && r.text().contains("Unknown time zone"),
        "{}",
        r.text()
    );
    let r = bot.slash(MEMBER2, "me settings", &[]).await;
    assert!(
        r.ephemeral() && r.text().contains("not set"),
        "nothing changed: {}",
        r.text()
    );

    let r = bot
        .slash(
            MEMBER2,
            "me settings",
            &[
                ("timezone", "America/Los_Angeles"),
                ("quiet_hours", "21:00-08:00"),
                ("dms", "pings_only"),
            ],
        )
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    for needle in ["America/Los_Angeles", "21:00-08:00", "pings_only"] {
        assert!(r.text().contains(needle), "{needle} in {}", r.text());
    }

    let r = bot
        .autocomplete(MEMBER2, "me away", &[("until", "2026-12-01 09:00")], "until")
        .await;
    let choices = r.choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(choices[0].0, "Tue 1 Dec 2026 09:00 (America/Los_Angeles)");

    let r = bot.slash(MEMBER2, "me away", &[("until", "2026-01-01")]).await;
    assert!(r.ephemeral() && r.text().contains("in the past"), "{}", r.text());
    let r = bot.slash(LEAD, "member list", &[]).await;
    assert!(!r.text().contains("away until"), "{}", r.text());

    let r = bot
        .slash(
            MEMBER2,
            "me away",
            &[("until", "2026-12-01 09:00"), ("note", "conference")],
        )
        .await;
    assert!(
        r.ephemeral() && r.text().contains("America/Los_Angeles"),
        "{}",
        r.text()
    );
    let r = bot.slash(LEAD, "member list", &[]).await;
    assert!(r.text().contains("away until"), "{}", r.text());
    let r = bot.slash(MEMBER2, "member list", &[]).await;
    assert!(!r.text().contains("away until"), "{}", r.text());

    let r = bot.slash(MEMBER2, "me back", &[]).await;
    assert!(r.ephemeral() && r.text().contains("Welcome back"), "{}", r.text());
    let r = bot.slash(MEMBER2, "me back", &[]).await;
    assert!(r.ephemeral() && r.text().contains("not away"), "{}", r.text());
    bot.fake.assert_no_violations();
    bot.stop().await.expect("clean shutdown");
}
