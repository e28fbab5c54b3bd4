//! Many coalitions at once, each with a home channel of its own (a "hub"), a member and a win:
//! the world of the load and chaos tests, whose digests all fall due together.

use backbone::actions::{self, Actor};
use backbone::domain::{ChannelId, GuildId, UserId};
use backbone::store::Store;
use chrono::{DateTime, Utc};

use super::world::*;

/// The standard world plus hub channels `first`, `first + 1`, … (`n` of them).
pub fn hub_world(first: u64, n: u64) -> WorldSpec {
    let mut w = WorldSpec::standard();
    for i in 0..n {
        w.channels.push(ChannelSpec {
            id: first + i,
            guild: GUILD,
            name: format!("hub-{i}"),
        });
    }
    w
}

/// `user` acting in `channel` of the test guild.
pub fn hub_actor(user: u64, name: &str, manage_server: bool, channel: u64) -> Actor {
    Actor {
        user: UserId(user as i64),
        guild: GuildId(GUILD as i64),
        manage_server,
        name: name.into(),
        channel: Some(ChannelId(channel as i64)),
    }
}

/// Creates coalition "Hub i" in each hub channel (through the actions, at `now`), with a member
/// who logs a win there.
pub async fn seed_hubs(store: &Store, first: u64, n: u64, now: DateTime<Utc>) {
    for i in 0..n {
        let hub = first + i;
        let admin = hub_actor(ADMIN, "Ada Admin", true, hub);
        let input = actions::coalitions::CreateCoalition {
            name: format!("Hub {i}"),
            channel: Some(ChannelId(hub as i64)),
            timezone: None,
        };
        actions::coalitions::create(store, &admin, now, input)
            .await
            .expect("create a coalition");
        let member = hub_actor(MEMBER, "Milo Member", false, hub);
        actions::members::join(store, &member, now, None, None)
            .await
            .expect("join");
        let win = actions::wins::LogWin {
            coalition: None,
            text: format!("Hub {i} met the council"),
            goal: None,
            amount: None,
            org: None,
        };
        actions::wins::log(store, &member, now, win)
            .await
            .expect("log a win");
    }
}
