//! `/export` and `backbone export`: all of one coalition's data as JSON or as a zip of CSV files.

use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Actor, ts};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::export::{Cell, TableDump};
use crate::store::{self, Store};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ExportFormat {
    /// A zip with one CSV file per table.
    Csv,
    /// One JSON object with an array per table.
    Json,
}

impl ExportFormat {
    /// The slash-command choice value.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    /// Reads a choice value or CLI argument.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "zip" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }
}

/// Input of `/export`.
#[derive(Debug, Clone)]
pub struct ExportInput {
    pub coalition: Option<String>,
    pub format: ExportFormat,
}

/// A file ready to attach or write to disk.
#[derive(Debug, Clone, Serialize)]
pub struct ExportFile {
    pub coalition_name: String,
    pub filename: String,
    pub content_type: &'static str,
    /// Rows per table, in export order, for the reply.
    pub counts: Vec<(String, usize)>,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// `/export` (lead): all of the coalition's data as a file.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn export(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ExportInput,
) -> Result<ExportFile> {
    let scope = match super::scope(store, actor, input.coalition.as_deref()).await {
        Err(Error::User(msg)) => archived_scope(store, actor, input.coalition.as_deref())
            .await?
            .ok_or(Error::User(msg))?,
        other => other?,
    };
    scope.require_lead()?;
    export_coalition(store, &scope.coalition, input.format, now).await
}

/// An archived coalition named `name`, which export still reaches (the data stays).
async fn archived_scope(store: &Store, actor: &Actor, name: Option<&str>) -> Result<Option<super::Scope>> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let Some(coalition) = store::coalition_edits::any_by_name(store.pool(), actor.guild, name)
        .await?
        .filter(|c| c.archived_at.is_some())
    else {
        return Ok(None);
    };
    let member = store::members::get(store, coalition.id, actor.user).await?;
    Ok(Some(super::Scope {
        coalition,
        member,
        actor: actor.clone(),
        // An export is a file of data, not times shown to the viewer.
        own_timezone: None,
    }))
}

/// All of `coalition`'s data as a file. No permission check: the CLI calls it directly.
#[tracing::instrument(skip_all, fields(coalition = %coalition.id))]
pub async fn export_coalition(
    store: &Store,
    coalition: &Coalition,
    format: ExportFormat,
    now: DateTime<Utc>,
) -> Result<ExportFile> {
    let tables = store::export::dump(store, coalition.id).await?;
    let date = now.with_timezone(&coalition.tz()).format("%Y-%m-%d");
    let stem = format!("{}-{date}", slugify(&coalition.name));
    let (filename, content_type, bytes) = match format {
        ExportFormat::Json => (format!("{stem}.json"), "application/json", to_json(&tables, now)?),
        ExportFormat::Csv => (format!("{stem}.zip"), "application/zip", to_zip(&tables, now)?),
    };
    // The coalition row itself is not a count worth reporting.
    let counts = tables
        .iter()
        .skip(1)
        .map(|t| (t.name.to_string(), t.rows.len()))
        .collect();
    Ok(ExportFile {
        coalition_name: coalition.name.clone(),
        filename,
        content_type,
        counts,
        bytes,
    })
}

/// `Climate Coalition!` → `climate-coalition`: ASCII letters and digits joined by single dashes.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "coalition".to_string()
    } else {
        out.to_string()
    }
}

/// Columns holding unix seconds get a readable companion column `<name>_utc`.
fn is_time(column: &str) -> bool {
    column.ends_with("_at")
}

fn rfc3339(s: i64) -> Option<String> {
    Utc.timestamp_opt(s, 0).single().map(|t| t.to_rfc3339())
}

fn json_row(columns: &[&str], row: &[Cell]) -> Value {
    let mut obj = Map::new();
    for (col, cell) in columns.iter().zip(row) {
        let v = match cell {
            Cell::Null => Value::Null,
            Cell::Int(i) => Value::from(*i),
            Cell::Real(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Cell::Text(s) => Value::from(s.as_str()),
        };
        obj.insert(col.to_string(), v);
        if is_time(col) {
            let iso = match cell {
                Cell::Int(i) => rfc3339(*i).map(Value::from).unwrap_or(Value::Null),
                _ => Value::Null,
            };
            obj.insert(format!("{col}_utc"), iso);
        }
    }
    Value::Object(obj)
}

fn to_json(tables: &[TableDump], now: DateTime<Utc>) -> Result<Vec<u8>> {
    let mut root = Map::new();
    root.insert("exported_at".into(), Value::from(ts(now)));
    root.insert("exported_at_utc".into(), Value::from(now.to_rfc3339()));
    for t in tables {
        let rows: Vec<Value> = t.rows.iter().map(|r| json_row(t.columns, r)).collect();
        if t.name == "coalitions" {
            root.insert("coalition".into(), rows.into_iter().next().unwrap_or(Value::Null));
        } else {
            root.insert(t.name.into(), Value::Array(rows));
        }
    }
    Ok(serde_json::to_vec_pretty(&Value::Object(root))?)
}

/// A text cell a spreadsheet would run as a formula gets a leading `'` (OWASP CSV injection advice).
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_table(t: &TableDump) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = Vec::new();
    for col in t.columns {
        header.push(col.to_string());
        if is_time(col) {
            header.push(format!("{col}_utc"));
        }
    }
    w.write_record(&header).map_err(Error::internal)?;
    for row in &t.rows {
        let mut record: Vec<String> = Vec::with_capacity(header.len());
        for (col, cell) in t.columns.iter().zip(row) {
            record.push(match cell {
                Cell::Null => String::new(),
                Cell::Int(i) => i.to_string(),
                Cell::Real(f) => f.to_string(),
                Cell::Text(s) => csv_text(s),
            });
            if is_time(col) {
                record.push(match cell {
                    Cell::Int(i) => rfc3339(*i).unwrap_or_default(),
                    _ => String::new(),
                });
            }
        }
        w.write_record(&record).map_err(Error::internal)?;
    }
    w.into_inner().map_err(|e| Error::internal(e.error()))
}

fn to_zip(tables: &[TableDump], now: DateTime<Utc>) -> Result<Vec<u8>> {
    let modified = zip::DateTime::from_date_and_time(
        u16::try_from(now.year()).unwrap_or(1980),
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(modified);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for t in tables {
        zip.start_file(format!("{}.csv", t.name), options)
            .map_err(Error::internal)?;
        zip.write_all(&csv_table(t)?)?;
    }
    Ok(zip.finish().map_err(Error::internal)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_slugs() {
        assert_eq!(slugify("Climate Coalition"), "climate-coalition");
        assert_eq!(slugify("  Ünïcode & Co!! "), "n-code-co");
        assert_eq!(slugify("***"), "coalition");
    }

    #[test]
    fn formulas_are_defused_in_csv() {
        assert_eq!(csv_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_text("plain"), "plain");
    }
}
