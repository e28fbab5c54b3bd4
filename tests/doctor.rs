//! `backbone doctor` against the fake Discord: it finds a home channel that denies Send Messages
//! (computed from the guild's roles and the channel's overwrites), commands that were never
//! registered, and a dead delivery with its error — one fix each — and exits non-zero; on a
//! healthy setup it finds nothing.

#![recursion_limit = "256"]
mod fake_discord;

use backbone::actions::{self, Actor};
use backbone::config::Config;
use backbone::discord::doctor::{self, Finding};
use backbone::domain::{ChannelId, GuildId, UserId};
use backbone::store::Store;

use fake_discord::*;

/// A database with coalition "Hub" homed in `home` (created by the guild's admin).
async fn seeded(dir: &std::path::Path, home: u64) -> String {
    let path = dir.join("backbone.db");
    let store = Store::open_file(&path).await.unwrap();
    let admin = Actor {
        user: UserId(ADMIN as i64),
        guild: GuildId(GUILD as i64),
        manage_server: true,
        name: "Ada".into(),
        channel: Some(ChannelId(home as i64)),
    };
    let create = actions::coalitions::CreateCoalition {
        name: "Hub".into(),
        channel: Some(ChannelId(home as i64)),
        timezone: Some("Europe/Berlin".into()),
    };
    actions::coalitions::create(&store, &admin, start_time(), create)
        .await
        .unwrap();
    store.close().await;
    format!("sqlite://{}", path.display())
}

fn config(fake: &FakeDiscord, db_url: &str, token: &str) -> Config {
    config_with(fake, db_url, token, None)
}

/// [`config`] with `DISCORD_PUBLIC_KEY` set to `key`.
fn config_with(fake: &FakeDiscord, db_url: &str, token: &str, key: Option<&str>) -> Config {
    let mut env = vec![
        ("DISCORD_TOKEN", token.to_string()),
        ("DISCORD_GUILD_ID", GUILD.to_string()),
        ("DISCORD_API_BASE", fake.api_base()),
        ("BACKBONE_DATABASE_URL", db_url.to_string()),
    ];
    if let Some(key) = key {
        env.push(("DISCORD_PUBLIC_KEY", key.to_string()));
    }
    Config::from_sources(None, |k| {
        env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })
    .unwrap()
}

fn problems(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::Problem { what, fix } => Some((what.clone(), fix.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_finds_a_home_channel_that_denies_send_messages() {
    let world = WorldSpec::standard().deny_everyone(HOME, SEND_MESSAGES);
    let fake = FakeDiscord::start(world, TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(dir.path(), HOME).await;
    let store = Store::connect(&db).await.unwrap();
    backbone::store::sql::query(
        "INSERT INTO deliveries (coalition_id, kind, dedupe_key, target_kind, target_id, payload, due_at,
                                 next_attempt_at, created_at, status, attempts, last_error)
         SELECT id, 'digest', 'doctor-test', 'channel', home_channel_id, '{}', ?1, ?1, ?1, 'dead', 6,
                'no access (50013): Missing Permissions' FROM coalitions",
    )
    .bind(start_time().timestamp() - 3600)
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;

    let report = doctor::examine(&config(&fake, &db, TOKEN), start_time())
        .await
        .unwrap();
    let found = problems(&report.findings);
    let text = report.text();
    assert_eq!(report.problems(), 3, "{text}");
    assert!(text.contains("ok    token is valid"), "{text}");
    assert!(
        found[0].0.starts_with("commands not registered in server"),
        "{text}"
    );
    assert!(found[0].1.contains("backbone run"), "{text}");
    assert_eq!(
        found[1].0,
        "Hub: Backbone lacks Send Messages, Embed Links, Attach Files in #coalition-hub"
    );
    assert!(found[1].1.contains("Edit Channel → Permissions"), "{text}");
    assert!(found[2].0.contains("digest (channel"), "{text}");
    assert!(found[2].0.contains("Missing Permissions"), "{text}");
    assert!(
        text.contains("Hub: next check-in Fri 27 Nov 2026 10:00"),
        "{text}"
    );
    assert!(text.contains("Hub: next digest Mon 30 Nov 2026 09:00"), "{text}");
    assert!(text.ends_with("3 problems found.\n"), "{text}");
    fake.assert_no_violations();

    // Without a usable token there is nothing else to check.
    let report = doctor::examine(&config(&fake, &db, "wrong.token"), start_time())
        .await
        .unwrap();
    assert_eq!(problems(&report.findings).len(), 1, "{}", report.text());
    assert!(report.text().contains("401 Unauthorized"), "{}", report.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_is_happy_once_the_bot_registered_its_commands_in_a_good_channel() {
    let bot = Bot::start().await;
    let r = bot.slash(ADMIN, "coalition create", &[("name", "Hub")]).await;
    assert!(r.text().contains("Hub"), "{}", r.text());
    let report = doctor::examine(&config(&bot.fake, &bot.db_url, TOKEN), start_time())
        .await
        .unwrap();
    assert_eq!(report.problems(), 0, "{}", report.text());
    assert!(
        report
            .text()
            .contains("Hub: home channel #coalition-hub has every permission"),
        "{}",
        report.text()
    );
    assert!(report.text().ends_with("No problems found.\n"));
    bot.fake.assert_no_violations();
}

/// With an Interactions Endpoint URL set in the developer portal, Discord sends interactions only
/// there: the doctor says where they go, and that `backbone serve` needs the application's own
/// public key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_where_interactions_go_and_checks_the_public_key() {
    let bot = Bot::start().await;
    let r = bot.slash(ADMIN, "coalition create", &[("name", "Hub")]).await;
    assert!(r.text().contains("Hub"), "{}", r.text());
    let key = HttpTransport::public_key_hex();
    let examine = |key: Option<String>| {
        let config = config_with(&bot.fake, &bot.db_url, TOKEN, key.as_deref());
        async move { doctor::examine(&config, start_time()).await.unwrap() }
    };

    let report = examine(None).await;
    assert_eq!(report.problems(), 0, "{}", report.text());
    assert!(
        report.text().contains("interactions come over the gateway"),
        "{}",
        report.text()
    );

    let url = "https://hub.example.org/interactions";
    bot.fake.state().interactions_endpoint_url = Some(url.into());
    let report = examine(None).await;
    let found = problems(&report.findings);
    assert_eq!(found.len(), 1, "{}", report.text());
    assert!(
        found[0].0.contains(url) && found[0].0.contains("DISCORD_PUBLIC_KEY is not set"),
        "{found:?}"
    );
    assert!(found[0].1.contains("backbone serve"), "{found:?}");

    let report = examine(Some(key.clone())).await;
    assert_eq!(report.problems(), 0, "{}", report.text());
    assert!(
        report
            .text()
            .contains(&format!("Discord sends interactions to {url}")),
        "{}",
        report.text()
    );

    // Another application's key: every signed request would be refused.
    let other = key.chars().rev().collect::<String>();
    let report = examine(Some(other)).await;
    let found = problems(&report.findings);
    assert_eq!(found.len(), 1, "{}", report.text());
    assert!(
        found[0].0.contains("not this application's public key"),
        "{found:?}"
    );
    bot.fake.assert_no_violations();
}

#[test]
fn the_binary_exits_non_zero_when_the_doctor_finds_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backbone"))
        .arg("doctor")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("run backbone doctor");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  DISCORD_TOKEN is not set"), "{text}");
    assert!(text.contains("fix: put DISCORD_TOKEN=<token> in .env"), "{text}");
}
