//! All SQL lives here, one file per table group. Every query that reads coalition data takes the
//! coalition (and so the guild) it belongs to. No function here reads the clock.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Transaction;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

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
pub mod interactions;
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
mod seen;
pub mod sql;
pub mod targets;
pub mod task_edits;
pub mod task_memory;
pub mod tasks;
pub mod transfer;
pub mod win_edits;
pub mod wins;

/// The tracing target of the "write transaction begins" debug event.
pub const WRITE_TARGET: &str = "backbone::store::write";

/// Most rows a title-prefix lookup returns: enough to tell "one", "a few" and "many" apart.
pub const TITLE_MATCH_LIMIT: i64 = 6;

/// A write transaction ([`Store::write`]); statements run on `&mut **tx`.
pub use sql::Tx;

/// The advisory lock every PostgreSQL write transaction takes first, so writes are serialized as
/// SQLite's `BEGIN IMMEDIATE` serializes them (a read-then-write sees every earlier write).
const WRITE_LOCK: i64 = 0x6261_636b_626f_6e65; // "backbone"

/// The database: SQLite (a pool of connections in WAL mode, reached through [`held::Db`] so an
/// interaction's statements share one connection) or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Store {
    db: sql::Db,
    /// Scopes kept in memory (SQLite only; see [`scope`]).
    scopes: Option<std::sync::Arc<scope::Memory>>,
    /// Live task lists kept in memory (SQLite only; see [`task_memory`]).
    tasks: Option<std::sync::Arc<task_memory::Memory>>,
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl Store {
    /// Opens and migrates the database at `url`: `sqlite://backbone.db` (created if missing) or
    /// `postgres://user:password@host/database`.
    pub async fn connect(url: &str) -> Result<Store> {
        if is_postgres_url(url) {
            return Store::connect_postgres(url).await;
        }
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
        // Every connection tells the scope memory of each change to what a scope is read from,
        // and the task memory of each change to what the task list shows.
        let scopes = std::sync::Arc::new(scope::Memory::default());
        let tasks = std::sync::Arc::new(task_memory::Memory::default());
        let hooked = (scopes.clone(), tasks.clone());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .after_connect(move |conn, _| {
                let (scopes, tasks) = hooked.clone();
                Box::pin(async move {
                    conn.lock_handle().await?.set_update_hook(move |change| {
                        tasks.saw(&change);
                        scopes.saw(change);
                    });
                    Ok(())
                })
            })
            // sqlx pings a connection before lending it out by default: for SQLite that is one
            // more round trip to the connection's worker thread before every statement and
            // transaction, and it proves only that the thread is alive, which the statement
            // itself shows (a dead worker fails it). sqlx still pings on return to the pool, off
            // the command's path.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| Error::internal(format!("cannot open database `{url}`: {e}")))?;
        let store = Store {
            db: sql::Db::Sqlite(held::Db(pool)),
            scopes: Some(scopes.clone()),
            tasks: Some(tasks.clone()),
        };
        store.migrate().await?;
        let (scope_count, task_change): (Option<i64>, Option<i64>) =
            sql::query_as("SELECT (SELECT MAX(id) FROM scope_changes), (SELECT MAX(id) FROM task_changes)")
                .fetch_one(store.pool())
                .await?;
        scopes.saw_count(scope_count.unwrap_or(0));
        tasks.saw_id(task_change.unwrap_or(0));
        Ok(store)
    }

    async fn connect_postgres(url: &str) -> Result<Store> {
        let shown = without_password(url);
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            Error::user(format!(
                "database_url `{shown}` is not a PostgreSQL URL ({e}) — use e.g. `postgres://backbone:PASSWORD@localhost/backbone`."
            ))
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| Error::user(postgres_refusal(&shown, &e)))?;
        let store = Store {
            db: sql::Db::Postgres(pool),
            scopes: None,
            tasks: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a fresh database file at `path` (for tests, tools and benchmarks).
    pub async fn open_file(path: &std::path::Path) -> Result<Store> {
        Store::connect(&format!("sqlite://{}", path.display())).await
    }

    /// The scopes kept in memory: SQLite only ([`scope`]).
    pub fn scope_memory(&self) -> Option<&scope::Memory> {
        self.scopes.as_deref()
    }

    /// The live task lists kept in memory: SQLite only ([`task_memory`]).
    pub fn task_memory(&self) -> Option<&task_memory::Memory> {
        self.tasks.as_deref()
    }

    /// Which database this is.
    pub fn backend(&self) -> sql::Backend {
        self.db.backend()
    }

    /// Applies the embedded migrations: `migrations/` on SQLite, `migrations/postgres/` on
    /// PostgreSQL.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            sql::Db::Sqlite(h) => sqlx::migrate!("./migrations").run(h.pool()).await?,
            sql::Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Where the store's statements run: the pool, or (on SQLite) the connection the current
    /// interaction holds ([`held`]).
    pub fn pool(&self) -> &sql::Db {
        &self.db
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite; on PostgreSQL a transaction that
    /// first takes the store's write lock. Logged at debug level under the target
    /// [`WRITE_TARGET`], next to sqlx's own statement log (`sqlx::query`).
    pub async fn write(&self) -> Result<Tx> {
        tracing::debug!(target: WRITE_TARGET, "BEGIN IMMEDIATE");
        match &self.db {
            sql::Db::Sqlite(h) => {
                const BEGIN: sqlx::SqlStr = sqlx::SqlStr::from_static("BEGIN IMMEDIATE");
                let tx = match held::take_for_transaction(h.pool()).await? {
                    Some(conn) => Transaction::begin(conn, Some(BEGIN)).await?,
                    None => h.pool().begin_with(BEGIN).await?,
                };
                Ok(Tx(sql::TxConn::Sqlite(tx)))
            }
            sql::Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(Tx(sql::TxConn::Postgres(tx)))
            }
        }
    }

    /// A write transaction for statements that lock the rows they change themselves (the
    /// delivery claim's `FOR UPDATE SKIP LOCKED`): on PostgreSQL it does not take the store's
    /// write lock, so senders and commands don't queue behind each other; on SQLite it is
    /// [`Store::write`].
    pub async fn claiming(&self) -> Result<Tx> {
        match &self.db {
            sql::Db::Sqlite(_) => self.write().await,
            sql::Db::Postgres(p) => Ok(Tx(sql::TxConn::Postgres(p.begin().await?))),
        }
    }

    /// Writes a consistent copy of the database (`VACUUM INTO`) to `path`, which must not exist or
    /// be an empty file, while others may be using it. `ops::backup::write` is the way to use it:
    /// into a fresh private file, then linked into place without replacing anything. SQLite only:
    /// PostgreSQL is backed up with its own `pg_dump`.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> Result<()> {
        let sql::Db::Sqlite(h) = &self.db else {
            return Err(Error::user(POSTGRES_BACKUP));
        };
        let target = path.to_string_lossy().to_string();
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(h.pool())
            .await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match &self.db {
            sql::Db::Sqlite(h) => h.pool().close().await,
            sql::Db::Postgres(p) => p.close().await,
        }
    }
}

/// What `backbone backup` and `restore` say on PostgreSQL.
pub const POSTGRES_BACKUP: &str = "this database is PostgreSQL: back it up with `pg_dump` and restore it with `pg_restore` (or `psql`); `backbone backup` and `restore` copy SQLite files. `backbone export` works on both.";

/// One line saying why PostgreSQL refused, and what to fix.
fn postgres_refusal(shown: &str, e: &sqlx::Error) -> String {
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.to_string())
        .unwrap_or_default();
    let fix = match code.as_str() {
        "28P01" | "28000" => "check the user name and password in database_url",
        "3D000" => "create the database first (`createdb`), or fix its name in database_url",
        _ if matches!(e, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut) => {
            "check that PostgreSQL runs and listens on the host and port in database_url"
        }
        _ => "check database_url",
    };
    let why = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    format!("cannot connect to PostgreSQL at `{shown}`: {why} — {fix}.")
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
    sql::query(
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
    sql::query(
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
        sql::query_scalar("SELECT COUNT(*) FROM events WHERE coalition_id = ?")
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
    Ok(sql::query_scalar(
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
    Ok(sql::query_scalar(
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
    Ok(sql::query_scalar("SELECT guild_id FROM coalitions WHERE id = ?")
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
