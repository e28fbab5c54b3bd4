//! The world integration tests are built in: a fresh migrated SQLite database in a temp dir,
//! a fixed clock, and a cast of people in one guild (plus one in another guild).
#![allow(dead_code)]

use backbone::actions::{self, Actor};
use backbone::domain::*;
use backbone::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};

pub const GUILD: GuildId = GuildId(1000);
pub const OTHER_GUILD: GuildId = GuildId(2000);
pub const HOME: ChannelId = ChannelId(1100);
pub const ADMIN: UserId = UserId(1);
pub const LEAD: UserId = UserId(2);
pub const MEMBER: UserId = UserId(3);
pub const MEMBER2: UserId = UserId(4);
pub const OUTSIDER: UserId = UserId(5);

/// A test world: the store, the clock, and the people.
pub struct World {
    pub store: Store,
    pub now: DateTime<Utc>,
    _dir: tempfile::TempDir,
}

impl World {
    /// A fresh, migrated database; the clock reads Monday 2026-11-23 10:00 UTC.
    pub async fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open_file(&dir.path().join("test.db")).await.expect("open store");
        World { store, now: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(), _dir: dir }
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// A person in the main guild; admins have Manage Server.
    pub fn actor(&self, user: UserId) -> Actor {
        Actor {
            user,
            guild: GUILD,
            manage_server: user == ADMIN,
            name: format!("user{}", user.0),
            channel: Some(HOME),
        }
    }

    /// The same person acting from another guild.
    pub fn foreign(&self, user: UserId) -> Actor {
        Actor { guild: OTHER_GUILD, channel: Some(ChannelId(2100)), ..self.actor(user) }
    }

    /// Creates a coalition named `name` (as the admin) in the main guild.
    pub async fn coalition(&self, name: &str) -> Coalition {
        actions::coalitions::create(
            &self.store,
            &self.actor(ADMIN),
            self.now,
            actions::coalitions::CreateCoalition { name: name.into(), ..Default::default() },
        )
        .await
        .expect("create coalition")
        .coalition
    }

    /// A coalition "Climate Coalition" in Europe/Berlin with LEAD as lead and MEMBER, MEMBER2 as members.
    pub async fn climate(&self) -> Coalition {
        let c = actions::coalitions::create(
            &self.store,
            &self.actor(ADMIN),
            self.now,
            actions::coalitions::CreateCoalition {
                name: "Climate Coalition".into(),
                timezone: Some("Europe/Berlin".into()),
                ..Default::default()
            },
        )
        .await
        .expect("create coalition")
        .coalition;
        for (user, role) in [(LEAD, Role::Lead), (MEMBER, Role::Member), (MEMBER2, Role::Member)] {
            self.add_member(&c, user, role).await;
        }
        c
    }

    /// Adds `user` to `c` with `role`, acting as the admin.
    pub async fn add_member(&self, c: &Coalition, user: UserId, role: Role) {
        actions::members::add(
            &self.store,
            &self.actor(ADMIN),
            self.now,
            actions::members::AddMember {
                coalition: Some(c.name.clone()),
                user,
                user_name: format!("user{}", user.0),
                role: Some(role),
                org: None,
            },
        )
        .await
        .expect("add member");
    }

    /// Number of audit events recorded for `c`.
    pub async fn events(&self, c: &Coalition) -> i64 {
        backbone::store::count_events(&self.store, c.id).await.unwrap()
    }
}

/// Asserts `r` is a user error whose message contains `needle`; returns the message.
#[track_caller]
pub fn user_err<T: std::fmt::Debug>(r: backbone::Result<T>, needle: &str) -> String {
    match r {
        Err(backbone::Error::User(m)) => {
            assert!(m.contains(needle), "expected `{needle}` in user error: {m}");
            m
        }
        other => panic!("expected a user error containing `{needle}`, got {other:?}"),
    }
}
