//! One connection per interaction.
//!
//! SQLite connections in sqlx each run on a worker thread of their own, and every statement is a
//! round trip to that thread. A worker that has been idle is parked, and waking it costs far more
//! than the statement (about 0.1 ms on a 2-core VM, against 10–20 µs for a warm one). The pool
//! hands out its least recently used connection, so a command whose statements each borrowed
//! from the pool paid that wake-up for every statement, and the pool pinged each connection on
//! its way back.
//!
//! [`hold`] runs an interaction's handler with a slot for one connection: the handler's first
//! statement borrows a connection from the pool, and its later statements — and its write
//! transaction ([`super::Store::write`]) — reuse it while its worker is warm. Nothing waits on
//! the slot: a statement that finds the connection busy (a transaction has it, or another
//! statement of the same handler runs at the same time) simply borrows from the pool, as outside
//! a slot. [`release`] gives the connection back early (before the answer goes out over HTTP, so
//! a slow Discord never holds a database connection), and the end of [`hold`] gives it back in
//! any case. A transaction returns its connection to the pool, not to the slot.

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{Either, Execute, Executor, Sqlite, SqlitePool};

/// What a slot holds.
#[derive(Debug, Default)]
enum Slot {
    /// No statement has run yet.
    #[default]
    Empty,
    /// A connection between statements.
    Held(PoolConnection<Sqlite>),
    /// A statement (or a transaction) has the connection.
    Busy,
    /// Given back ([`release`]): statements borrow from the pool again.
    Released,
}

tokio::task_local! {
    static SLOT: Arc<Mutex<Slot>>;
}

/// Runs `work` with a slot for one connection (see the module's notes).
pub async fn hold<F: Future>(work: F) -> F::Output {
    SLOT.scope(Arc::new(Mutex::new(Slot::Empty)), work).await
}

/// Gives the current slot's connection back to the pool; later statements of the handler borrow
/// from the pool. Does nothing outside [`hold`].
pub fn release() {
    let _ = SLOT.try_with(|slot| {
        let old = std::mem::replace(&mut *lock(slot), Slot::Released);
        drop(old);
    });
}

fn lock(slot: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a statement gets from the slot.
enum Lease {
    /// Not in a slot, or the connection is busy: borrow from the pool as usual.
    Pool,
    /// The slot's connection, to put back afterwards; `None` when it has yet to be borrowed.
    Slot(Arc<Mutex<Slot>>, Option<PoolConnection<Sqlite>>),
}

fn lease() -> Lease {
    SLOT.try_with(|slot| {
        let mut guard = lock(slot);
        match std::mem::replace(&mut *guard, Slot::Busy) {
            Slot::Empty => Lease::Slot(slot.clone(), None),
            Slot::Held(conn) => Lease::Slot(slot.clone(), Some(conn)),
            other => {
                *guard = other;
                Lease::Pool
            }
        }
    })
    .unwrap_or(Lease::Pool)
}

/// Puts `conn` back into `slot` unless the slot was released meanwhile.
fn put_back(slot: &Mutex<Slot>, conn: PoolConnection<Sqlite>) {
    let mut guard = lock(slot);
    if matches!(*guard, Slot::Busy) {
        *guard = Slot::Held(conn);
    }
}

/// The connection a slot's lease gives: the held one, or one borrowed from `pool` when the slot
/// was empty. If borrowing fails the slot is empty again (unless it was released meanwhile), so
/// the handler's next statement tries again.
async fn connection(
    slot: &Mutex<Slot>,
    held: Option<PoolConnection<Sqlite>>,
    pool: &SqlitePool,
) -> sqlx::Result<PoolConnection<Sqlite>> {
    if let Some(conn) = held {
        return Ok(conn);
    }
    pool.acquire().await.inspect_err(|_| {
        let mut guard = lock(slot);
        if matches!(*guard, Slot::Busy) {
            *guard = Slot::Empty;
        }
    })
}

/// Takes the slot's connection for a transaction, borrowing one when the slot is empty; `None`
/// outside a slot or when it is busy or released. The transaction keeps it: the slot stays busy,
/// so the handler's statements beside the transaction borrow from the pool.
pub(super) async fn take_for_transaction(pool: &SqlitePool) -> sqlx::Result<Option<PoolConnection<Sqlite>>> {
    match lease() {
        Lease::Pool => Ok(None),
        Lease::Slot(slot, held) => Ok(Some(connection(&slot, held, pool).await?)),
    }
}

/// The store's executor: the pool, with statements of an interaction in [`hold`] on one
/// connection. Used everywhere a `&SqlitePool` would be.
#[derive(Debug, Clone)]
pub struct Db(pub(super) SqlitePool);

impl Db {
    /// The pool itself (migrations, `VACUUM INTO`, tests that need a raw connection).
    pub fn pool(&self) -> &SqlitePool {
        &self.0
    }
}

impl<'p> Executor<'p> for &'_ Db {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let Lease::Slot(slot, held) = lease() else {
            return self.0.fetch_many(query);
        };
        let pool = self.0.clone();
        // The results are collected before the connection goes back into the slot, so no
        // statement keeps it while the caller awaits something else between rows.
        let all = async move {
            let mut conn = match connection(&slot, held, &pool).await {
                Ok(conn) => conn,
                Err(e) => return vec![Err(e)],
            };
            let out: Vec<_> = conn.fetch_many(query).collect().await;
            put_back(&slot, conn);
            out
        };
        Box::pin(stream::once(all).flat_map(stream::iter))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let Lease::Slot(slot, held) = lease() else {
            return self.0.fetch_optional(query);
        };
        let pool = self.0.clone();
        Box::pin(async move {
            let mut conn = connection(&slot, held, &pool).await?;
            let out = conn.fetch_optional(query).await;
            put_back(&slot, conn);
            out
        })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        self.0.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, Result<sqlx::Describe<Sqlite>, sqlx::Error>> {
        self.0.describe(sql)
    }
}
