//! What the end-to-end scenarios share: the one "River Alliance" world they start from, times,
//! waiting for scheduled posts, and asserting who may read a reply.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::server::Msg;
use super::world::*;

/// How long a scheduled post may take to appear after the clock reaches it.
pub const SCHEDULED: Duration = Duration::from_secs(15);

/// A UTC instant.
pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// Asserts `r` is public (no ephemeral flag) and contains `needle`.
#[track_caller]
pub fn assert_public(r: &Reply, needle: &str) {
    assert!(
        !r.ephemeral(),
        "expected a public reply, got an ephemeral one:\n{}",
        r.text()
    );
    assert!(r.text().contains(needle), "expected {needle:?} in:\n{}", r.text());
}

/// Asserts `r` is ephemeral (flags 64) and contains `needle`.
#[track_caller]
pub fn assert_private(r: &Reply, needle: &str) {
    assert!(
        r.ephemeral(),
        "expected an ephemeral reply (flags 64), got a public one:\n{}",
        r.text()
    );
    assert!(r.text().contains(needle), "expected {needle:?} in:\n{}", r.text());
}

/// Waits for a scheduled post (not an interaction's answer) in `channel` containing `needle`.
pub async fn wait_post(bot: &Bot, channel: u64, needle: &str) -> Msg {
    bot.wait_message(
        &format!("a post in {channel} containing {needle:?}"),
        SCHEDULED,
        |m| m.channel_id == channel && m.interaction_token.is_none() && m.text().contains(needle),
    )
    .await
}

/// The coalition every scenario starts from: "River Alliance", created by ADMIN in HOME, with two
/// orgs. LEAD is a lead (Green Org), MEMBER is a member (Green Org), MEMBER2 and CLOSED (whose
/// DMs are closed) are members of Blue Org.
pub async fn river_alliance(bot: &Bot) {
    let r = bot
        .slash(ADMIN, "coalition create", &[("name", "River Alliance")])
        .await;
    assert_public(&r, "River Alliance");
    for org in ["Green Org", "Blue Org"] {
        assert_public(&bot.slash(ADMIN, "org add", &[("name", org)]).await, org);
    }
    let lead = LEAD.to_string();
    let r = bot
        .slash(
            ADMIN,
            "member add",
            &[("user", &lead), ("role", "lead"), ("org", "Green Org")],
        )
        .await;
    assert_public(&r, "lead");
    for (user, org) in [(MEMBER, "Green Org"), (MEMBER2, "Blue Org"), (CLOSED, "Blue Org")] {
        let r = bot
            .slash(LEAD, "member add", &[("user", &user.to_string()), ("org", org)])
            .await;
        assert_public(&r, "member");
    }
}
