//! All SQL lives here, one file per table group. Every query that reads coalition data takes the
//! coalition (and so the guild) it belongs to. No function here reads the clock.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::domain::{CoalitionId, UserId};
use crate::error::{Error, Result};

/// `SELECT … FROM coalitions ` with every column of [`crate::domain::Coalition`], to extend with
/// `concat!`; `select_coalition!(", more AS columns")` adds columns after them. The one list of
/// the coalition's columns (the store's modules below see it).
macro_rules! select_coalition {
    () => {
        select_coalition!("")
    };
    ($($more:tt)+) => {
        concat!(
            "SELECT id, guild_id, name, home_channel_id, timezone, checkin_schedule, digest_schedule,
                ping_offsets, next_checkin_at, next_digest_at, created_by, created_at, archived_at,
                leads_channel_id",
            $($more)+,
            " FROM coalitions "
        )
    };
}

#[macro_use]
mod rules;

pub mod checkin_posts;
pub mod checkins;
pub mod coalition_edits;
pub mod coalitions;
pub mod deadlines;
pub mod deliveries;
pub mod digest;
pub mod export;
pub mod feedback;
pub mod goals;
pub mod held;
pub mod lease;
pub mod maintenance;
pub mod meetings;
pub mod members;
pub mod overview;
pub mod payload;
pub mod people;
pub mod period;
pub mod plan_edits;
pub mod report;
pub mod resources;
pub mod schedule;
pub mod scope;
pub mod targets;
pub mod task_edits;
pub mod tasks;
pub mod win_edits;
pub mod wins;

/// The tracing target of the "write transaction begins" debug event.
pub const WRITE_TARGET: &str = "backbone::store::write";

/// Most rows a title-prefix lookup returns: enough to tell "one", "a few" and "many" apart.
pub const TITLE_MATCH_LIMIT: i64 = 6;

/// A write transaction. Begun with `BEGIN IMMEDIATE` so a read-then-write never fails with
/// SQLITE_BUSY when another connection wrote in between: the busy timeout covers the wait.
pub type Tx = Transaction<'static, Sqlite>;

/// The database: a pool of SQLite connections in WAL mode, reached through [`held::Db`] so an
/// interaction's statements share one connection.
#[derive(Clone, Debug)]
pub struct Store {
    db: held::Db,
}

impl Store {
    /// Opens (creating if missing) and migrates the database at `url`, e.g. `sqlite://backbone.db`.
    pub async fn connect(url: &str) -> Result<Store> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                Error::user(format!(
                    "database_url `{url}` is not a SQLite URL ({e}) — use e.g. `sqlite://backbone.db`."
                ))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // sqlx pings a connection before lending it out by default: for SQLite that is one
            // more round trip to the connection's worker thread before every statement and
            // transaction, and it proves only that the thread is alive, which the statement
            // itself shows (a dead worker fails it). sqlx still pings on return to the pool, off
            // the command's path.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| Error::internal(format!("cannot open database `{url}`: {e}")))?;
        let store = Store { db: held::Db(pool) };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a fresh database file at `path` (for tests, tools and benchmarks).
    pub async fn open_file(path: &std::path::Path) -> Result<Store> {
        Store::connect(&format!("sqlite://{}", path.display())).await
    }

    /// Applies the embedded migrations in `migrations/`.
    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations").run(self.db.pool()).await?;
        Ok(())
    }

    /// The executor for the store's own modules: the pool, or the connection the current
    /// interaction holds ([`held`]).
    pub fn pool(&self) -> &held::Db {
        &self.db
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE`). Logged at debug level under the target
    /// [`WRITE_TARGET`], next to sqlx's own statement log (`sqlx::query`).
    pub async fn write(&self) -> Result<Tx> {
        tracing::debug!(target: WRITE_TARGET, "BEGIN IMMEDIATE");
        const BEGIN: sqlx::SqlStr = sqlx::SqlStr::from_static("BEGIN IMMEDIATE");
        match held::take_for_transaction(self.db.pool()).await? {
            Some(conn) => Ok(Transaction::begin(conn, Some(BEGIN)).await?),
            None => Ok(self.db.pool().begin_with(BEGIN).await?),
        }
    }

    /// Writes a consistent copy of the database (`VACUUM INTO`) to `path`, which must not exist or
    /// be an empty file, while others may be using it. `ops::backup::write` is the way to use it:
    /// into a fresh private file, then linked into place without replacing anything.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> Result<()> {
        let target = path.to_string_lossy().to_string();
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.db.pool().close().await;
    }
}

/// Appends an audit event in the same transaction as the change it describes.
pub async fn record_event(
    tx: &mut Tx,
    coalition: CoalitionId,
    actor: UserId,
    kind: &str,
    subject: &str,
    detail: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (coalition_id, actor_id, kind, subject, detail, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(coalition)
    .bind(actor)
    .bind(kind)
    .bind(subject)
    .bind(detail)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends an audit event with no actor (anonymous feedback): nothing in it says who acted.
pub async fn record_anonymous_event(
    tx: &mut Tx,
    coalition: CoalitionId,
    kind: &str,
    subject: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (coalition_id, actor_id, kind, subject, detail, created_at)
         VALUES (?, NULL, ?, ?, '', ?)",
    )
    .bind(coalition)
    .bind(kind)
    .bind(subject)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Counts the events of one coalition (used by tests and `/coalition info`).
pub async fn count_events(store: &Store, coalition: CoalitionId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE coalition_id = ?")
            .bind(coalition)
            .fetch_one(store.pool())
            .await?,
    )
}

/// The guild a task belongs to — for button clicks in DMs, which carry no guild.
pub async fn guild_of_task(
    store: &Store,
    task: crate::domain::TaskId,
) -> Result<Option<crate::domain::GuildId>> {
    Ok(sqlx::query_scalar(
        "SELECT c.guild_id FROM tasks t JOIN coalitions c ON c.id = t.coalition_id WHERE t.id = ?",
    )
    .bind(task)
    .fetch_optional(store.pool())
    .await?)
}

/// The guild a check-in round belongs to — for button clicks and modals in DMs.
pub async fn guild_of_round(
    store: &Store,
    round: crate::domain::RoundId,
) -> Result<Option<crate::domain::GuildId>> {
    Ok(sqlx::query_scalar(
        "SELECT c.guild_id FROM checkin_rounds r JOIN coalitions c ON c.id = r.coalition_id WHERE r.id = ?",
    )
    .bind(round)
    .fetch_optional(store.pool())
    .await?)
}

/// The guild a coalition belongs to — for forms in DMs that carry a coalition id.
pub async fn guild_of_coalition(
    store: &Store,
    coalition: CoalitionId,
) -> Result<Option<crate::domain::GuildId>> {
    Ok(sqlx::query_scalar("SELECT guild_id FROM coalitions WHERE id = ?")
        .bind(coalition)
        .fetch_optional(store.pool())
        .await?)
}

/// Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'`.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
