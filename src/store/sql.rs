//! One way to run a statement on either database.
//!
//! The store's statements are written once, in the dialect both SQLite and PostgreSQL accept,
//! and run on whichever database the [`Store`](super::Store) holds through the typed driver of
//! that database (no `sqlx::Any`, which would copy every value of every row once more). This
//! module is the only place that knows there are two:
//!
//! * [`query`], [`query_as`] and [`query_scalar`] build a statement with its parameters, as sqlx's
//!   functions of the same names do, and run it on a [`Db`] (the pool) or a [`Tx`] (a write
//!   transaction) through [`On`];
//! * on PostgreSQL the text goes through [`postgres_text`] once (then from a cache): numbered
//!   placeholders (`?` and `?N` become `$N`), `LIKE` as `ILIKE` (SQLite's `LIKE` ignores case)
//!   in the collation `"C"` (names are in the case-ignoring `nocase`, as in SQLite),
//!   the two-argument `MAX`/`MIN` as `GREATEST`/`LEAST`, and `INTEGER`/`REAL` casts as the 64-bit
//!   types the rows are read into;
//! * the few statements that cannot be written once name both texts ([`query_for`] and friends),
//!   each chosen in one place.
//!
//! Writes are serialized on both: SQLite by `BEGIN IMMEDIATE`, PostgreSQL by a transaction-level
//! advisory lock taken at the start of every write transaction ([`super::Store::write`]), so a
//! read-then-write inside one sees every write committed before it, as on SQLite.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, RwLock};

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, Encode, FromRow, Postgres, SqlSafeStr, SqlStr, Sqlite, Transaction, Type};

use super::held;

/// The database a [`super::Store`] holds.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite, with an interaction's statements on one connection ([`held`]).
    Sqlite(held::Db),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Which database a statement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite pool, when this is SQLite (backups, integrity checks, SQLite-only tests).
    pub fn sqlite(&self) -> Option<&sqlx::SqlitePool> {
        match self {
            Db::Sqlite(h) => Some(h.pool()),
            Db::Postgres(_) => None,
        }
    }

    /// SQLite's executor with the held connection ([`held`]); panics on PostgreSQL (for the tests
    /// of the held connection).
    pub fn held(&self) -> &held::Db {
        match self {
            Db::Sqlite(h) => h,
            Db::Postgres(_) => panic!("the held connection is SQLite's"),
        }
    }

    /// The SQLite pool; panics on PostgreSQL (for SQLite-only tools and tests).
    pub fn pool(&self) -> &sqlx::SqlitePool {
        self.sqlite().expect("a SQLite store")
    }
}

/// An open write transaction on either database.
#[derive(Debug)]
pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A write transaction: `&mut **tx` is where its statements run, as with sqlx's own.
#[derive(Debug)]
pub struct Tx(pub(super) TxConn);

impl Deref for Tx {
    type Target = TxConn;
    fn deref(&self) -> &TxConn {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut TxConn {
        &mut self.0
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> sqlx::Result<()> {
        match self.0 {
            TxConn::Sqlite(t) => t.commit().await,
            TxConn::Postgres(t) => t.commit().await,
        }
    }

    /// Rolls the transaction back (dropping it does the same, later).
    pub async fn rollback(self) -> sqlx::Result<()> {
        match self.0 {
            TxConn::Sqlite(t) => t.rollback().await,
            TxConn::Postgres(t) => t.rollback().await,
        }
    }
}

/// Where a statement runs: the store's pool or an open transaction.
pub enum On<'c> {
    Db(&'c Db),
    Tx(&'c mut TxConn),
}

impl<'c> From<&'c Db> for On<'c> {
    fn from(db: &'c Db) -> Self {
        On::Db(db)
    }
}

impl<'c> From<&'c mut TxConn> for On<'c> {
    fn from(tx: &'c mut TxConn) -> Self {
        On::Tx(tx)
    }
}

impl<'c> From<&'c mut Tx> for On<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        On::Tx(&mut tx.0)
    }
}

impl On<'_> {
    /// Which database this runs on.
    pub fn backend(&self) -> Backend {
        match self {
            On::Db(db) => db.backend(),
            On::Tx(TxConn::Sqlite(_)) => Backend::Sqlite,
            On::Tx(TxConn::Postgres(_)) => Backend::Postgres,
        }
    }
}

/// What a store function takes to run its statements: `store.pool()` or `&mut **tx`.
pub trait Conn<'c>: Into<On<'c>> + Send {}
impl<'c, T: Into<On<'c>> + Send> Conn<'c> for T {}

/// A value that can be bound on both databases.
pub trait Param<'q>: Send {
    fn add_sqlite(&self, args: &mut SqliteArguments) -> Result<(), BoxDynError>;
    fn add_postgres(&self, args: &mut PgArguments) -> Result<(), BoxDynError>;
}

impl<'q, T> Param<'q> for T
where
    T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres> + Send + Sync + 'q,
{
    fn add_sqlite(&self, args: &mut SqliteArguments) -> Result<(), BoxDynError> {
        args.add(self)
    }
    fn add_postgres(&self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(self)
    }
}

/// A value that can be read from both databases.
pub trait Value:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}
impl<T> Value for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A row type that can be read from both databases.
pub trait Record: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Record for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A row of either database, for statements read column by column.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    /// The value of the column `name`.
    pub fn try_get<T: Value>(&self, name: &str) -> sqlx::Result<T> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(name),
            Row::Postgres(r) => r.try_get(name),
        }
    }

    /// The whole row read as `T`.
    pub fn read<T: Record>(&self) -> sqlx::Result<T> {
        match self {
            Row::Sqlite(r) => T::from_row(r),
            Row::Postgres(r) => T::from_row(r),
        }
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}

impl Done {
    /// How many rows it changed.
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// A statement's text: one for both, or one per database.
enum Text {
    Both(SqlStr),
    Each { sqlite: SqlStr, postgres: SqlStr },
}

/// A statement and its parameters, not yet run.
struct Stmt<'q> {
    text: Text,
    params: Vec<Box<dyn Param<'q> + 'q>>,
}

impl<'q> Stmt<'q> {
    fn new(text: Text) -> Self {
        Stmt {
            text,
            params: Vec::new(),
        }
    }

    fn bind<T: Param<'q> + 'q>(&mut self, value: T) {
        self.params.push(Box::new(value));
    }

    fn sqlite(self) -> (SqlStr, sqlx::Result<SqliteArguments>) {
        let sql = match self.text {
            Text::Both(s) => s,
            Text::Each { sqlite, .. } => sqlite,
        };
        let mut args = SqliteArguments::default();
        for p in &self.params {
            if let Err(e) = p.add_sqlite(&mut args) {
                return (sql, Err(sqlx::Error::Encode(e)));
            }
        }
        (sql, Ok(args))
    }

    fn postgres(self) -> (SqlStr, sqlx::Result<PgArguments>) {
        let sql = match self.text {
            Text::Both(s) => postgres_cached(s),
            Text::Each { postgres, .. } => postgres_cached(postgres),
        };
        let mut args = PgArguments::default();
        for p in &self.params {
            if let Err(e) = p.add_postgres(&mut args) {
                return (sql, Err(sqlx::Error::Encode(e)));
            }
        }
        (sql, Ok(args))
    }
}

/// Runs `$stmt` on `$on`: binds its text and parameters for that database as `$sql` and
/// `$args`, its executor as `$e`, and evaluates `$body` (written once, compiled for each).
macro_rules! run {
    ($stmt:expr, $on:expr, |$sql:ident, $args:ident, $e:ident| $body:expr) => {{
        let stmt = $stmt;
        let on: On<'_> = $on.into();
        match on {
            On::Db(Db::Sqlite(pool)) => {
                let ($sql, args) = stmt.sqlite();
                let $args = args?;
                let $e = pool;
                $body
            }
            On::Db(Db::Postgres(pool)) => {
                let ($sql, args) = stmt.postgres();
                let $args = args?;
                let $e = pool;
                $body
            }
            On::Tx(TxConn::Sqlite(tx)) => {
                let ($sql, args) = stmt.sqlite();
                let $args = args?;
                let $e = &mut **tx;
                $body
            }
            On::Tx(TxConn::Postgres(tx)) => {
                let ($sql, args) = stmt.postgres();
                let $args = args?;
                let $e = &mut **tx;
                $body
            }
        }
    }};
}

/// A statement whose rows are read column by column ([`Row`]), or that returns none.
pub struct Query<'q>(Stmt<'q>);

/// A statement whose rows are read as `O`.
pub struct QueryAs<'q, O>(Stmt<'q>, PhantomData<fn() -> O>);

/// A statement whose rows are one value each.
pub struct QueryScalar<'q, T>(Stmt<'q>, PhantomData<fn() -> T>);

/// A statement, written once for both databases.
pub fn query<'q>(sql: impl SqlSafeStr) -> Query<'q> {
    Query(Stmt::new(Text::Both(sql.into_sql_str())))
}

/// A statement whose rows are read as `O`.
pub fn query_as<'q, O>(sql: impl SqlSafeStr) -> QueryAs<'q, O> {
    QueryAs(Stmt::new(Text::Both(sql.into_sql_str())), PhantomData)
}

/// A statement whose rows are one value each.
pub fn query_scalar<'q, T>(sql: impl SqlSafeStr) -> QueryScalar<'q, T> {
    QueryScalar(Stmt::new(Text::Both(sql.into_sql_str())), PhantomData)
}

fn each(sqlite: &'static str, postgres: &'static str) -> Text {
    Text::Each {
        sqlite: sqlite.into_sql_str(),
        postgres: postgres.into_sql_str(),
    }
}

/// [`query`] for a statement that needs its own text on each database.
pub fn query_for<'q>(sqlite: &'static str, postgres: &'static str) -> Query<'q> {
    Query(Stmt::new(each(sqlite, postgres)))
}

/// [`query_as`] for a statement that needs its own text on each database.
pub fn query_as_for<'q, O>(sqlite: &'static str, postgres: &'static str) -> QueryAs<'q, O> {
    QueryAs(Stmt::new(each(sqlite, postgres)), PhantomData)
}

/// [`query_scalar`] for a statement that needs its own text on each database.
pub fn query_scalar_for<'q, T>(sqlite: &'static str, postgres: &'static str) -> QueryScalar<'q, T> {
    QueryScalar(Stmt::new(each(sqlite, postgres)), PhantomData)
}

impl<'q> Query<'q> {
    /// Binds the next parameter.
    pub fn bind<T: Param<'q> + 'q>(mut self, value: T) -> Self {
        self.0.bind(value);
        self
    }

    /// Runs the statement; says how many rows it changed.
    pub async fn execute<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Done> {
        run!(self.0, on, |sql, args, e| {
            let done = sqlx::query_with(sql, args).execute(e).await?;
            Ok(Done {
                rows: done.rows_affected(),
            })
        })
    }

    /// Every row.
    pub async fn fetch_all<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Vec<Row>> {
        run!(self.0, on, |sql, args, e| {
            Ok(sqlx::query_with(sql, args)
                .fetch_all(e)
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// The one row.
    pub async fn fetch_one<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Row> {
        run!(self.0, on, |sql, args, e| {
            Ok(sqlx::query_with(sql, args).fetch_one(e).await?.into())
        })
    }

    /// The row, if any.
    pub async fn fetch_optional<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Option<Row>> {
        run!(self.0, on, |sql, args, e| {
            Ok(sqlx::query_with(sql, args)
                .fetch_optional(e)
                .await?
                .map(Into::into))
        })
    }
}

impl From<SqliteRow> for Row {
    fn from(r: SqliteRow) -> Self {
        Row::Sqlite(r)
    }
}

impl From<PgRow> for Row {
    fn from(r: PgRow) -> Self {
        Row::Postgres(r)
    }
}

impl<'q, O: Record> QueryAs<'q, O> {
    /// Binds the next parameter.
    pub fn bind<T: Param<'q> + 'q>(mut self, value: T) -> Self {
        self.0.bind(value);
        self
    }

    /// Every row.
    pub async fn fetch_all<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Vec<O>> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_as_with(sql, args).fetch_all(e).await
        })
    }

    /// The one row.
    pub async fn fetch_one<'c>(self, on: impl Conn<'c>) -> sqlx::Result<O> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_as_with(sql, args).fetch_one(e).await
        })
    }

    /// The row, if any.
    pub async fn fetch_optional<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Option<O>> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_as_with(sql, args).fetch_optional(e).await
        })
    }
}

impl<'q, T: Value + Send + Unpin> QueryScalar<'q, T> {
    /// Binds the next parameter.
    pub fn bind<P: Param<'q> + 'q>(mut self, value: P) -> Self {
        self.0.bind(value);
        self
    }

    /// Every row's value.
    pub async fn fetch_all<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Vec<T>> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_scalar_with(sql, args).fetch_all(e).await
        })
    }

    /// The one row's value.
    pub async fn fetch_one<'c>(self, on: impl Conn<'c>) -> sqlx::Result<T> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_scalar_with(sql, args).fetch_one(e).await
        })
    }

    /// The row's value, if there is a row.
    pub async fn fetch_optional<'c>(self, on: impl Conn<'c>) -> sqlx::Result<Option<T>> {
        run!(self.0, on, |sql, args, e| {
            sqlx::query_scalar_with(sql, args).fetch_optional(e).await
        })
    }
}

/// PostgreSQL texts already made, by their SQLite text.
static POSTGRES_TEXTS: RwLock<Option<HashMap<Arc<str>, SqlStr>>> = RwLock::new(None);

fn postgres_cached(sql: SqlStr) -> SqlStr {
    if let Some(made) = POSTGRES_TEXTS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(sql.as_str()))
    {
        return made.clone();
    }
    let made = sqlx::AssertSqlSafe(postgres_text(sql.as_str())).into_sql_str();
    let mut cache = POSTGRES_TEXTS.write().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    // Statements are the program's own texts, so the cache stays small; a text built at run time
    // (a list of columns, say) is kept too, which is what its next use wants.
    cache.insert(Arc::from(sql.as_str()), made.clone());
    made
}

/// The PostgreSQL spelling of a statement written for both (see the module's notes).
pub fn postgres_text(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut highest = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                // A quoted string or name, copied as it is ('' and "" escape their quote).
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                // A comment, to the end of its line.
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '?' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let n = if i > start {
                    chars[start..i].iter().collect::<String>().parse().unwrap_or(0)
                } else {
                    highest + 1
                };
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let upper = word.to_ascii_uppercase();
                let before = start.checked_sub(1).map(|b| chars[b]);
                let after_dot = before == Some('.');
                match upper.as_str() {
                    "LIKE" if !after_dot => like(&mut out),
                    "IS" if !after_dot => {
                        // SQLite's `a IS b` / `a IS NOT b` compare values NULL-safely; keep
                        // `IS [NOT] NULL/TRUE/FALSE/DISTINCT` as they are.
                        let (next, end) = next_word(&chars, i);
                        let keeps = |w: &str| {
                            ["NULL", "TRUE", "FALSE", "DISTINCT", "UNKNOWN"]
                                .iter()
                                .any(|k| w.eq_ignore_ascii_case(k))
                        };
                        if next.eq_ignore_ascii_case("NOT") {
                            let (after, _) = next_word(&chars, end);
                            if keeps(&after) {
                                out.push_str(&word);
                            } else {
                                out.push_str("IS DISTINCT FROM");
                                i = end;
                            }
                        } else if keeps(&next) {
                            out.push_str(&word);
                        } else {
                            out.push_str("IS NOT DISTINCT FROM");
                        }
                    }
                    "INTEGER" if !after_dot => out.push_str("BIGINT"),
                    "REAL" if !after_dot => out.push_str("DOUBLE PRECISION"),
                    "MAX" | "MIN" if !after_dot && two_arguments(&chars, i) => {
                        out.push_str(if upper == "MAX" { "GREATEST" } else { "LEAST" })
                    }
                    _ => out.push_str(&word),
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The word after position `i` (empty when the next thing is not a word) and where it ends.
fn next_word(chars: &[char], mut i: usize) -> (String, usize) {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    if start < chars.len() && chars[start].is_ascii_digit() {
        return (String::new(), start);
    }
    (chars[start..i].iter().collect(), i)
}

/// Appends PostgreSQL's spelling of SQLite's `LIKE`: `ILIKE` (SQLite's ignores ASCII case), on
/// the left operand in the deterministic collation `"C"`, as PostgreSQL cannot match patterns in
/// the case-ignoring collation names have (`nocase`); before a `NOT` that precedes it.
fn like(out: &mut String) {
    const COLLATE: &str = "COLLATE \"C\" ";
    let trimmed = out.trim_end();
    let not = trimmed.len() >= 4
        && trimmed[trimmed.len() - 3..].eq_ignore_ascii_case("NOT")
        && trimmed[..trimmed.len() - 3].ends_with(char::is_whitespace);
    if not {
        out.insert_str(trimmed.len() - 3, COLLATE);
    } else {
        if !out.ends_with(char::is_whitespace) {
            out.push(' ');
        }
        out.push_str(COLLATE);
    }
    out.push_str("ILIKE");
}

/// Whether the call whose name ends at `i` has two or more arguments (a comma at its own level).
fn two_arguments(chars: &[char], mut i: usize) -> bool {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    if chars.get(i) != Some(&'(') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for &c in &chars[i..] {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            ',' if depth == 1 => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::postgres_text;

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(postgres_text("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(
            postgres_text("a = ?2 AND b = ?1 OR c = ?"),
            "a = $2 AND b = $1 OR c = $3"
        );
        assert_eq!(postgres_text("x = '?' AND y = ?"), "x = '?' AND y = $1");
        assert_eq!(
            postgres_text("x = 'it''s ?' AND y = ?"),
            "x = 'it''s ?' AND y = $1"
        );
    }

    #[test]
    fn like_casts_and_two_argument_max_are_spelled_for_postgres() {
        assert_eq!(
            postgres_text("name LIKE ? ESCAPE '\\' AND MIN(n) NOT LIKE 'LIKE'"),
            "name COLLATE \"C\" ILIKE $1 ESCAPE '\\' AND MIN(n) COLLATE \"C\" NOT ILIKE 'LIKE'"
        );
        assert_eq!(
            postgres_text("SET c = MAX(COALESCE(c, 0), ?), m = MAX(x), n = min(a, (b))"),
            "SET c = GREATEST(COALESCE(c, 0), $1), m = MAX(x), n = LEAST(a, (b))"
        );
        assert_eq!(
            postgres_text(
                "a IS ? AND b IS NOT ?2 AND c IS NULL AND d IS NOT NULL AND e IS 'x' AND f IS NOT TRUE"
            ),
            "a IS NOT DISTINCT FROM $1 AND b IS DISTINCT FROM $2 AND c IS NULL AND d IS NOT NULL AND e IS NOT DISTINCT FROM 'x' AND f IS NOT TRUE"
        );
        assert_eq!(
            postgres_text("CAST(x AS INTEGER), CAST(y AS REAL), t.real_col"),
            "CAST(x AS BIGINT), CAST(y AS DOUBLE PRECISION), t.real_col"
        );
    }
}
