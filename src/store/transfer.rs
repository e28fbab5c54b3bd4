//! Moving a deployment from SQLite to PostgreSQL (`backbone migrate-store`): every row of every
//! table, in one PostgreSQL transaction, into an empty database that has run its migrations.
//!
//! The two schemas have the same tables and columns (`tests/pg_schema.rs` holds them so), so the
//! copy reads PostgreSQL's own catalogue for what to copy: its tables in the order their foreign
//! keys need, each column read from SQLite as the type PostgreSQL stores it as. Identity
//! sequences then continue after the copied ids.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, AssertSqlSafe, Row};

use super::{Store, sql};
use crate::error::{Error, Result};

/// Copies every row of `from` (SQLite) into `to` (PostgreSQL, empty); returns each table with the
/// rows it got, in the order they were copied.
pub async fn sqlite_to_postgres(from: &Store, to: &Store) -> Result<Vec<(String, u64)>> {
    let (Some(src), sql::Db::Postgres(dst)) = (from.pool().sqlite(), to.pool()) else {
        return Err(Error::user(
            "migrate-store copies a SQLite database into a PostgreSQL one: give --from sqlite://… and --to postgres://….",
        ));
    };
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coalitions")
        .fetch_one(dst)
        .await?;
    if held > 0 {
        return Err(Error::user(format!(
            "the PostgreSQL database already holds {held} coalition{} — migrate-store fills an empty database only: create a new one (`createdb`) and give its URL.",
            if held == 1 { "" } else { "s" }
        )));
    }
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
          ORDER BY table_name, ordinal_position",
    )
    .fetch_all(dst)
    .await?;
    let mut tables: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (table, column, kind) in columns {
        tables.entry(table).or_default().push((column, kind));
    }
    let needs: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
          WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .fetch_all(dst)
    .await?;
    let order = dependency_order(tables.keys().cloned().collect(), &needs);

    let mut tx = dst.begin().await?;
    let mut copied = Vec::with_capacity(order.len());
    for table in order {
        let cols = &tables[&table];
        let names: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
        let list = names.join(", ");
        let select = format!("SELECT {list} FROM {table} ORDER BY rowid");
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
        let rows = sqlx::query(AssertSqlSafe(select)).fetch_all(src).await?;
        for row in &rows {
            let mut args = PgArguments::default();
            for (i, (column, kind)) in cols.iter().enumerate() {
                let added = match kind.as_str() {
                    "bigint" | "integer" => args.add(row.try_get::<Option<i64>, _>(i)?),
                    "boolean" => args.add(row.try_get::<Option<i64>, _>(i)?.map(|v| v != 0)),
                    "double precision" | "real" => args.add(row.try_get::<Option<f64>, _>(i)?),
                    "text" | "character varying" => args.add(row.try_get::<Option<String>, _>(i)?),
                    other => {
                        return Err(Error::internal(format!(
                            "migrate-store: {table}.{column} is {other} on PostgreSQL: teach the copy that type"
                        )));
                    }
                };
                added.map_err(|e| Error::internal(format!("migrate-store: {table}.{column}: {e}")))?;
            }
            sqlx::query_with(AssertSqlSafe(insert.clone()), args)
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::internal(format!("migrate-store: a row of {table}: {e}")))?;
        }
        if names.contains(&"id") {
            // Identity columns continue after the copied ids (a table without one is left alone).
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval(s, (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)
                   FROM pg_get_serial_sequence('{table}', 'id') s WHERE s IS NOT NULL"
            )))
            .execute(&mut *tx)
            .await?;
        }
        copied.push((table, rows.len() as u64));
    }
    tx.commit().await?;
    Ok(copied)
}

/// `tables` ordered so each comes after the tables it refers to (`needs`: (table, referred));
/// ties, and a table that refers to itself, by name.
fn dependency_order(tables: BTreeSet<String>, needs: &[(String, String)]) -> Vec<String> {
    let mut left = tables;
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                needs
                    .iter()
                    .all(|(from, to)| from != *t || to == *t || !left.contains(to))
            })
            .cloned()
            .collect();
        // A cycle between tables (none today) would stop here: copy the rest by name.
        let ready = if ready.is_empty() {
            left.iter().cloned().collect()
        } else {
            ready
        };
        for t in ready {
            left.remove(&t);
            order.push(t);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::dependency_order;

    #[test]
    fn tables_come_after_the_tables_they_refer_to() {
        let tables = ["wins", "coalitions", "orgs", "tasks"].map(String::from).into();
        let needs = [
            ("wins", "orgs"),
            ("wins", "tasks"),
            ("tasks", "coalitions"),
            ("tasks", "tasks"),
            ("orgs", "coalitions"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(
            dependency_order(tables, &needs),
            ["coalitions", "orgs", "tasks", "wins"]
        );
    }
}
