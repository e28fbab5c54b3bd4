//! The world integration tests are built in: a fresh migrated database, a fixed clock, and a cast
//! of people in one guild (plus one in another guild).
//!
//! The database is a SQLite file in a temp dir, or, with `BACKBONE_TEST_DATABASE=postgres`, a
//! fresh database in a throwaway PostgreSQL cluster that this test process starts (one cluster per
//! process, one database per world, dropped with it): the same tests run on both stores.
#![allow(dead_code)]

#[path = "../pg/mod.rs"]
pub mod pg;
pub mod recording;
#[allow(unused_imports)]
pub use recording::{RecordingNotifier, Scripted, Sent};

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
    _database: Option<pg::Database>,
}

#[allow(unused_imports)]
pub use pg::{on_postgres, sqlite_only};

/// A fresh, migrated store: a SQLite file in `dir`, or a new PostgreSQL database (see the
/// module's notes), kept while the returned guard lives.
pub async fn fresh_store(dir: &std::path::Path) -> (Store, Option<pg::Database>) {
    if on_postgres() {
        let database = pg::Cluster::shared().database();
        let store = Store::connect(&database.url)
            .await
            .expect("open PostgreSQL store");
        return (store, Some(database));
    }
    let store = Store::open_file(&dir.join("test.db")).await.expect("open store");
    (store, None)
}

impl World {
    /// A fresh, migrated database; the clock reads Monday 2026-11-23 10:00 UTC.
    pub async fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, database) = fresh_store(dir.path()).await;
        World {
            store,
            now: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
            _dir: dir,
            _database: database,
        }
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
        Actor {
            guild: OTHER_GUILD,
            channel: Some(ChannelId(2100)),
            ..self.actor(user)
        }
    }

    /// Creates a coalition named `name` (as the admin) in the main guild. Its home is `HOME` unless
    /// another coalition lives there already; then it gets a channel of its own, as
    /// two coalitions can't share a home.
    pub async fn coalition(&self, name: &str) -> Coalition {
        let existing = backbone::store::coalitions::list_in_guild(&self.store, GUILD)
            .await
            .expect("list coalitions");
        let channel = if existing.iter().any(|c| c.home_channel_id == HOME) {
            ChannelId(HOME.0 * 10 + existing.len() as i64)
        } else {
            HOME
        };
        actions::coalitions::create(
            &self.store,
            &self.actor(ADMIN),
            self.now,
            actions::coalitions::CreateCoalition {
                name: name.into(),
                channel: Some(channel),
                ..Default::default()
            },
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
        for (user, role) in [
            (LEAD, Role::Lead),
            (MEMBER, Role::Member),
            (MEMBER2, Role::Member),
        ] {
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

/// Scheduler settings for tests: every default, but sends are not paced (the tests' clock is
/// manual, and pacing would only make them slow).
pub fn settings() -> backbone::scheduler::SchedulerSettings {
    backbone::scheduler::SchedulerSettings {
        max_sends_per_second: 0,
        ..Default::default()
    }
}

/// The outbox rows of `c`, oldest first.
/// `/win log` by `who` in `c`, with no goal or amount.
pub async fn log_win(w: &World, c: &Coalition, who: UserId, text: &str) -> Win {
    actions::wins::log(
        &w.store,
        &w.actor(who),
        w.now,
        actions::wins::LogWin {
            coalition: Some(c.name.clone()),
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .expect("log win")
    .win
}

pub async fn rows(w: &World, c: &Coalition) -> Vec<backbone::store::deliveries::Delivery> {
    backbone::store::deliveries::of_coalition(&w.store, c.id)
        .await
        .expect("deliveries")
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

// ---- Raw rows for digest/export tests: exact timestamps that actions (rightly) refuse, e.g. past due dates.

/// A task row to insert directly; the number is the coalition's next one.
#[derive(Default)]
pub struct RawTask<'a> {
    pub title: &'a str,
    pub assignee: Option<UserId>,
    /// `open` when empty.
    pub status: &'a str,
    pub due_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub blocked_reason: Option<&'a str>,
}

impl World {
    /// Inserts a task row as written; returns (id, number).
    pub async fn raw_task(&self, c: &Coalition, t: RawTask<'_>) -> (TaskId, i64) {
        let now = self.now.timestamp();
        let status = if t.status.is_empty() { "open" } else { t.status };
        backbone::store::sql::query_as(
            "INSERT INTO tasks (coalition_id, number, title, assignee_id, due_at, status, blocked_reason,
                                created_by, created_at, updated_at, completed_at)
             VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM tasks WHERE coalition_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id, number",
        )
        .bind(c.id)
        .bind(c.id)
        .bind(t.title)
        .bind(t.assignee)
        .bind(t.due_at)
        .bind(status)
        .bind(t.blocked_reason)
        .bind(LEAD)
        .bind(now)
        .bind(now)
        .bind(t.completed_at)
        .fetch_one(self.store.pool())
        .await
        .expect("insert task")
    }

    /// Inserts a win by `user` at `at` (unix seconds).
    pub async fn raw_win(&self, c: &Coalition, user: UserId, text: &str, at: i64) -> WinId {
        backbone::store::sql::query_scalar(
            "INSERT INTO wins (coalition_id, user_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(c.id)
        .bind(user)
        .bind(text)
        .bind(at)
        .fetch_one(self.store.pool())
        .await
        .expect("insert win")
    }

    /// Inserts a goal with the next number, and its value in its history as of now.
    pub async fn raw_goal(
        &self,
        c: &Coalition,
        title: &str,
        current: f64,
        target: Option<f64>,
        unit: Option<&str>,
        status: &str,
    ) -> GoalId {
        let id: GoalId = backbone::store::sql::query_scalar(
            "INSERT INTO goals (coalition_id, number, title, unit, target, current, status, created_by, created_at)
             VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM goals WHERE coalition_id = ?), ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(c.id)
        .bind(c.id)
        .bind(title)
        .bind(unit)
        .bind(target)
        .bind(current)
        .bind(status)
        .bind(LEAD)
        .bind(self.now.timestamp())
        .fetch_one(self.store.pool())
        .await
        .expect("insert goal");
        backbone::store::sql::query(
            "INSERT INTO goal_values (goal_id, coalition_id, value, at, cause) VALUES (?, ?, ?, ?, 'created')",
        )
        .bind(id)
        .bind(c.id)
        .bind(current)
        .bind(self.now.timestamp())
        .execute(self.store.pool())
        .await
        .expect("insert goal value");
        id
    }

    /// Inserts a milestone due at `due_at` with `status` (`open` or `met`).
    pub async fn raw_deadline(&self, c: &Coalition, title: &str, due_at: i64, status: &str) -> DeadlineId {
        backbone::store::sql::query_scalar(
            "INSERT INTO deadlines (coalition_id, number, title, due_at, status, created_by, created_at)
             VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM deadlines WHERE coalition_id = ?), ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(c.id)
        .bind(c.id)
        .bind(title)
        .bind(due_at)
        .bind(status)
        .bind(LEAD)
        .bind(self.now.timestamp())
        .fetch_one(self.store.pool())
        .await
        .expect("insert deadline")
    }

    /// Rows of `table` (a literal table name with a coalition_id column) belonging to `c`.
    pub async fn rows_in(&self, table: &str, c: &Coalition) -> i64 {
        backbone::store::sql::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE coalition_id = ?"
        )))
        .bind(c.id)
        .fetch_one(self.store.pool())
        .await
        .expect("count rows")
    }
}

/// Everything coalition, org, member and responsibility tests may touch, as one comparable
/// string: assert it is unchanged after a refused action.
pub async fn people_state(w: &World) -> String {
    let queries = [
        "SELECT id || ',' || name || ',' || home_channel_id || ',' || timezone || ','
            || checkin_schedule || ',' || digest_schedule || ',' || ping_offsets || ','
            || COALESCE(CAST(next_checkin_at AS TEXT), '-') || ',' || COALESCE(CAST(next_digest_at AS TEXT), '-')
           FROM coalitions ORDER BY id",
        "SELECT id || ',' || coalition_id || ',' || name FROM orgs ORDER BY id",
        "SELECT coalition_id || ',' || user_id || ',' || role || ','
            || COALESCE(CAST(org_id AS TEXT), '-') || ',' || display_name FROM members ORDER BY coalition_id, user_id",
        "SELECT id || ',' || user_id || ',' || name FROM responsibilities ORDER BY id",
        "SELECT id || ',' || COALESCE(CAST(assignee_id AS TEXT), '-') || ',' || status || ','
            || COALESCE(CAST(next_ping_at AS TEXT), '-') || ',' || updated_at FROM tasks ORDER BY id",
        "SELECT id || ',' || COALESCE(CAST(next_ping_at AS TEXT), '-') FROM deadlines ORDER BY id",
        "SELECT CAST(COUNT(*) AS TEXT) FROM events",
    ];
    let mut out = Vec::new();
    for q in queries {
        let rows: Vec<String> = backbone::store::sql::query_scalar(q)
            .fetch_all(w.store.pool())
            .await
            .expect("state query");
        out.push(rows.join(" | "));
    }
    out.join("\n")
}

// ---- Task helpers shared by tests/tasks.rs and tests/task_changes.rs.

use backbone::actions::tasks::{self, AssignTask, TaskSel, UpdateTask};
use chrono::NaiveDateTime;

/// Unix seconds of a UTC wall-clock time like `2026-11-28 09:00`.
pub fn utc(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp()
}

pub fn input(c: &Coalition, title: &str, assignee: UserId, due: Option<&str>) -> AssignTask {
    AssignTask {
        coalition: Some(c.name.clone()),
        title: title.into(),
        assignee,
        assignee_name: format!("user{}", assignee.0),
        due: due.map(Into::into),
        goal: None,
    }
}

pub async fn assign(
    w: &World,
    by: UserId,
    c: &Coalition,
    title: &str,
    assignee: UserId,
    due: Option<&str>,
) -> Task {
    tasks::assign(&w.store, &w.actor(by), w.now, input(c, title, assignee, due))
        .await
        .expect("assign")
        .task
}

pub async fn set(
    w: &World,
    by: UserId,
    task: &Task,
    status: TaskStatus,
    note: Option<&str>,
) -> backbone::Result<tasks::TaskUpdated> {
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(task.id),
        status,
        note: note.map(Into::into),
    };
    tasks::update(&w.store, &w.actor(by), w.now, input).await
}

pub async fn row(w: &World, task: &Task) -> Task {
    tasks::get_by_id(&w.store, GUILD, task.id)
        .await
        .unwrap()
        .expect("task")
        .0
}

pub async fn deliveries(w: &World, kind: &str) -> Vec<(String, i64, String)> {
    backbone::store::sql::query_as(
        "SELECT dedupe_key, target_id, target_kind FROM deliveries WHERE kind = ? ORDER BY target_id",
    )
    .bind(kind)
    .fetch_all(w.store.pool())
    .await
    .unwrap()
}

/// A small deterministic generator (tests that need variety, not randomness).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n`.
    pub fn next(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n) as i64
    }
}
