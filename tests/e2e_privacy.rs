//! End-to-end, against the fake Discord: a leads' private channel (checked private through
//! Discord's own permission data), leads' content that goes there when a lead turns DMs off, and
//! membership that ends when someone leaves the server — with the GUILD_MEMBERS intent, and
//! without it (the sender asks Discord, 10007 Unknown Member).

#![recursion_limit = "256"]
mod fake_discord;

use std::time::Duration;

use fake_discord::*;
use serde_json::json;

const SCHEDULED: Duration = Duration::from_secs(15);
/// A channel only the organizers (and the bot) can read.
const LEADS_ROOM: u64 = 1_300_000_000_000_001_190;
const VIEW_CHANNEL: u64 = 1 << 10;

fn world() -> WorldSpec {
    let mut w = WorldSpec::standard();
    w.channels.push(ChannelSpec {
        id: LEADS_ROOM,
        guild: GUILD,
        name: "leads-only".into(),
    });
    let mut w = w.deny_everyone(LEADS_ROOM, VIEW_CHANNEL);
    for role in [ORGANIZERS_ROLE, BOT_ROLE] {
        w.overwrites.push((
            LEADS_ROOM,
            json!({ "id": role.to_string(), "type": 0, "allow": (VIEW_CHANNEL | SEND_MESSAGES).to_string(), "deny": "0" }),
        ));
    }
    w
}

async fn coalition(bot: &Bot) {
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert!(r.text().contains("River Alliance"), "{}", r.text());
    for (user, role) in [(LEAD, "lead"), (MEMBER, "member"), (MEMBER2, "member")] {
        let r = bot
            .slash(
                ADMIN,
                "member add",
                &[("user", &user.to_string()), ("role", role)],
            )
            .await;
        assert!(!r.ephemeral() || !r.text().contains("isn't"), "{}", r.text());
    }
}

async fn block_a_task(bot: &Bot, reason: &str) {
    let r = bot
        .slash(
            MEMBER,
            "task assign",
            &[("title", "Print the flyers"), ("assignee", &MEMBER.to_string())],
        )
        .await;
    let number = r
        .text()
        .split('#')
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .map(str::to_string)
        .expect("a task number");
    let r = bot
        .slash(
            MEMBER,
            "task update",
            &[("task", &number), ("status", "blocked"), ("note", reason)],
        )
        .await;
    assert!(r.text().contains("blocked"), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_content_goes_to_the_leads_channel_never_to_the_public_one() {
    let bot = Bot::start_in(world()).await;
    coalition(&bot).await;
    // A channel everyone can read is refused, and says how to fix it.
    let r = bot
        .slash(
            LEAD,
            "coalition settings",
            &[("leads_channel", &GENERAL.to_string())],
        )
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    assert!(
        r.text().contains("Everyone in the server can read"),
        "{}",
        r.text()
    );
    let r = bot
        .slash(
            LEAD,
            "coalition settings",
            &[("leads_channel", &LEADS_ROOM.to_string())],
        )
        .await;
    assert!(r.text().contains("leads_channel"), "{}", r.text());

    bot.slash(LEAD, "me settings", &[("dms", "none")]).await;
    block_a_task(&bot, "Printer quote missing").await;
    let alert = bot
        .wait_message("the blocker alert in the leads' channel", SCHEDULED, |m| {
            m.channel_id == LEADS_ROOM && m.text().contains("Printer quote missing")
        })
        .await;
    assert!(alert.text().contains(&format!("<@{LEAD}>")), "{}", alert.text());
    // The lead whose DMs are open gets it by DM; the public channels never see the reason.
    bot.wait_message("the blocker alert DM", SCHEDULED, |m| {
        m.dm_user == Some(ADMIN) && m.text().contains("Printer quote missing")
    })
    .await;
    for channel in [HOME, GENERAL] {
        for m in bot.fake.messages_in(channel) {
            if m.interaction_token.is_none() {
                assert!(!m.text().contains("Printer quote missing"), "{}", m.text());
            }
        }
    }
    bot.fake.assert_no_violations();
}

async fn lead_listed(bot: &Bot) -> bool {
    let r = bot.slash(ADMIN, "member list", &[]).await;
    r.text().contains("Lena Lead")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_members_intent_someone_who_leaves_the_server_leaves_at_once() {
    let bot = Bot::start_in(world().with_members_intent()).await;
    let intents = bot.fake.state().gateway.identify_payloads[0]["intents"]
        .as_u64()
        .unwrap();
    assert_eq!(intents & (1 << 1), 1 << 1, "the bot asked for GUILD_MEMBERS");
    coalition(&bot).await;
    assert!(lead_listed(&bot).await);
    bot.fake.remove_member(GUILD, LEAD);
    for _ in 0..100 {
        if !lead_listed(&bot).await {
            bot.fake.assert_no_violations();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the lead who left the server is still listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_intent_the_sender_finds_out_before_a_lead_dm() {
    let bot = Bot::start_in(world()).await;
    let intents = bot.fake.state().gateway.identify_payloads[0]["intents"]
        .as_u64()
        .unwrap();
    assert_eq!(intents & (1 << 1), 0, "no privileged intent by default");
    coalition(&bot).await;
    bot.fake.remove_member(GUILD, LEAD);
    block_a_task(&bot, "Venue fell through").await;
    bot.wait_message("the blocker alert DM to the remaining lead", SCHEDULED, |m| {
        m.dm_user == Some(ADMIN) && m.text().contains("Venue fell through")
    })
    .await;
    bot.fake.settle(Duration::from_millis(500), SCHEDULED).await;
    assert!(
        bot.fake
            .dms_to(LEAD)
            .iter()
            .all(|m| !m.text().contains("Venue fell through")),
        "no lead DM to someone who left"
    );
    let asked = bot
        .fake
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.ends_with(&format!("/members/{LEAD}")) && r.status == 404);
    assert!(asked, "the sender asked Discord and got 10007");
    assert!(!lead_listed(&bot).await, "their membership ended");
    bot.fake.assert_no_violations();
}
