//! The PostgreSQL schema (`migrations/postgres/`) is the SQLite one (`migrations/`, as all its
//! migrations leave it): the same tables, the same columns in the same order with the same
//! nullability and matching types, the same indexes, and the same refusals from the triggers.
//! PostgreSQL runs in a throwaway cluster (`tests/pg/`).

mod pg;

use std::collections::BTreeMap;

use sqlx::{PgPool, Row};

/// table → [(column, type class, not null)].
type Columns = BTreeMap<String, Vec<(String, &'static str, bool)>>;

/// The indexes PostgreSQL has that SQLite spells as `UNIQUE (…, name COLLATE NOCASE)` in a table
/// (an automatic index there): case-insensitive uniqueness is `lower(name)` here.
const CASE_FOLDED: [&str; 3] = ["coalitions_name", "orgs_name", "responsibilities_name"];

fn sqlite_class(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => "integer",
        "REAL" => "real",
        "TEXT" => "text",
        "BLOB" => "bytes",
        other => panic!("an SQLite column declared {other:?}: give it a class here"),
    }
}

fn pg_class(data_type: &str) -> &'static str {
    match data_type {
        "bigint" => "integer",
        // SQLite keeps flags as 0/1 integers; the code reads them as bool.
        "boolean" => "integer",
        "double precision" => "real",
        "text" => "text",
        "bytea" => "bytes",
        other => panic!("a PostgreSQL column of type {other:?}: SQLite has no such class"),
    }
}

async fn sqlite_schema() -> (Columns, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = backbone::store::Store::open_file(&dir.path().join("s.db"))
        .await
        .expect("migrated SQLite");
    let pool = store.pool().pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
           AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut columns = Columns::new();
    for t in tables {
        let rows: Vec<(String, String, i64, i64)> =
            sqlx::query_as(r#"SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid"#)
                .bind(&t)
                .fetch_all(pool)
                .await
                .expect("columns");
        let cols = rows
            .into_iter()
            .map(|(name, declared, notnull, pk)| (name, sqlite_class(&declared), notnull == 1 || pk > 0))
            .collect();
        columns.insert(t, cols);
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    store.close().await;
    (columns, indexes)
}

async fn pg_schema(pool: &PgPool) -> (Columns, Vec<String>) {
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    let mut columns = Columns::new();
    for r in rows {
        let (table, column, data_type, nullable): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        columns
            .entry(table)
            .or_default()
            .push((column, pg_class(&data_type), nullable == "NO"));
    }
    // Indexes of their own, not those behind a primary key or UNIQUE constraint.
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT i.relname::text FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    (columns, indexes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_schema_is_the_sqlite_schema() {
    let Some(cluster) = pg::Cluster::start() else {
        return;
    };
    let url = cluster.create_database("schema");
    let pool = PgPool::connect(&url).await.expect("connect to the test cluster");
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .expect("the PostgreSQL migrations apply");

    let (lite_columns, lite_indexes) = sqlite_schema().await;
    let (pg_columns, pg_indexes) = pg_schema(&pool).await;
    assert_eq!(
        lite_columns.keys().collect::<Vec<_>>(),
        pg_columns.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, cols) in &lite_columns {
        assert_eq!(
            cols, &pg_columns[table],
            "the columns of {table}: SQLite, then PostgreSQL"
        );
    }
    let pg_own: Vec<String> = pg_indexes
        .into_iter()
        .filter(|i| !CASE_FOLDED.contains(&i.as_str()))
        .collect();
    assert_eq!(lite_indexes, pg_own, "the same indexes");

    // The triggers refuse what SQLite's refuse, with the same words.
    let coalition = "INSERT INTO coalitions (guild_id, name, home_channel_id, checkin_schedule, digest_schedule, created_by, created_at)
                     VALUES (1, $1, $2, 'x', 'y', 1, 0) RETURNING id";
    let id: i64 = sqlx::query_scalar(coalition)
        .bind("River Alliance")
        .bind(10_i64)
        .fetch_one(&pool)
        .await
        .expect("a coalition");
    let e = sqlx::query(coalition)
        .bind("Another")
        .bind(10_i64)
        .execute(&pool)
        .await
        .expect_err("one live coalition per home channel");
    assert!(
        e.to_string().contains("coalition home channel already in use"),
        "{e}"
    );
    let e = sqlx::query(coalition)
        .bind("river alliance")
        .bind(11_i64)
        .execute(&pool)
        .await
        .expect_err("names are unique ignoring case");
    assert!(e.to_string().contains("coalitions_name"), "{e}");
    sqlx::query("UPDATE coalitions SET archived_at = 5 WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .expect("archive");
    sqlx::query(coalition)
        .bind("Another")
        .bind(10_i64)
        .execute(&pool)
        .await
        .expect("an archived coalition frees its channel");
    sqlx::query(
        "INSERT INTO stance_changes (coalition_id, target_name, changed_by, to_stance, at)
         VALUES ($1, 'Mayor', 1, 'neutral', 0)",
    )
    .bind(id)
    .execute(&pool)
    .await
    .expect("a stance change");
    let e = sqlx::query("UPDATE stance_changes SET to_stance = 'champion'")
        .execute(&pool)
        .await
        .expect_err("append-only");
    assert!(e.to_string().contains("stance history is append-only"), "{e}");
    pool.close().await;
}

/// The store will write each statement once for both databases (docs/SCALING.md): numbered `$N`
/// placeholders, which both drivers bind by number (SQLite's own `?N` is not PostgreSQL's), and
/// `lower()` for case-insensitive names. The same text gives the same rows on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_statement_text_runs_on_both_databases() {
    let Some(cluster) = pg::Cluster::start() else {
        return;
    };
    let pool = PgPool::connect(&cluster.create_database("portable"))
        .await
        .expect("connect to the test cluster");
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .expect("the PostgreSQL migrations apply");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = backbone::store::Store::open_file(&dir.path().join("s.db"))
        .await
        .expect("migrated SQLite");

    const INSERT: &str = "INSERT INTO coalitions (guild_id, name, home_channel_id, checkin_schedule, digest_schedule, created_by, created_at)
                          VALUES ($1, $2, $3, 'x', 'y', $1, $4)";
    const FIND: &str = "SELECT id, name, home_channel_id FROM coalitions
                        WHERE guild_id = $2 AND lower(name) = lower($1) AND created_at <= $3";
    for (name, home) in [("River Alliance", 10_i64), ("Harbor Group", 11)] {
        sqlx::query(INSERT)
            .bind(7_i64)
            .bind(name)
            .bind(home)
            .bind(100_i64)
            .execute(store.pool().pool())
            .await
            .expect("insert on SQLite");
        sqlx::query(INSERT)
            .bind(7_i64)
            .bind(name)
            .bind(home)
            .bind(100_i64)
            .execute(&pool)
            .await
            .expect("insert on PostgreSQL");
    }
    let lite: Vec<(i64, String, i64)> = sqlx::query_as(FIND)
        .bind("river ALLIANCE")
        .bind(7_i64)
        .bind(100_i64)
        .fetch_all(store.pool().pool())
        .await
        .expect("select on SQLite");
    let pg: Vec<(i64, String, i64)> = sqlx::query_as(FIND)
        .bind("river ALLIANCE")
        .bind(7_i64)
        .bind(100_i64)
        .fetch_all(&pool)
        .await
        .expect("select on PostgreSQL");
    assert_eq!(lite, vec![(1, "River Alliance".to_string(), 10)]);
    assert_eq!(lite, pg);
    store.close().await;
    pool.close().await;
}
