//! `backbone demo`: the whole product without Discord. A sample coalition on a temporary (or
//! given) SQLite database, simulated people acting through the real actions, and the real
//! scheduler (`tick` + `deliver`) on a fast simulated clock; every message Backbone would send or
//! reply with is printed as Discord would show it, with the simulated time and where it goes.
//! Deterministic for a given seed: the clock, the people and their choices all come from it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};

use crate::error::{Error, Result};
use crate::store::Store;

mod cast;
mod rng;
pub mod show;
mod sim;

/// What `backbone demo` was asked for.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Keep the database in this file (must not exist yet); default: a temporary file.
    pub db: Option<PathBuf>,
    /// Simulated days (1–90).
    pub days: u32,
    /// Seed of the simulated people's choices.
    pub seed: u64,
    /// When the simulated weeks end (the CLI passes now, so `backbone report` and
    /// `digest --preview` on the kept database show them); the output is the same for a seed
    /// apart from its dates.
    pub ends: DateTime<Utc>,
}

/// What a demo run showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Scheduled messages sent, by delivery kind (`checkin_prompt`, `nudge`, `digest`, …).
    pub sent: BTreeMap<String, usize>,
    /// Commands the simulated people ran (including refused ones).
    pub commands: usize,
    /// Commands refused with an error message.
    pub refused: usize,
}

/// The simulated start for `days` days ending by `ends`: the latest Monday, 09:30 in the cast's
/// time zone (New York), from which `days` days still end by `ends` — so the demo always begins on
/// a Monday morning and its last week is this one.
pub fn start_for(ends: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    use chrono::{Datelike, Duration};
    let tz: chrono_tz::Tz = cast::TIMEZONE.parse().unwrap_or(chrono_tz::UTC);
    let latest = (ends - Duration::days(i64::from(days))).with_timezone(&tz);
    let mut day = latest.date_naive();
    loop {
        let at = day
            .and_hms_opt(9, 30, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&Utc));
        if day.weekday() == chrono::Weekday::Mon
            && let Some(at) = at
            && at <= latest.with_timezone(&Utc)
        {
            return at;
        }
        day = day.pred_opt().unwrap_or(day);
    }
}

/// Runs the demo, writing everything to `out`.
pub async fn run(opts: &DemoOptions, out: &mut dyn Write) -> Result<DemoSummary> {
    if !(1..=90).contains(&opts.days) {
        return Err(Error::user(format!(
            "--days {} is out of range — simulate 1 to 90 days (default 14).",
            opts.days
        )));
    }
    let (path, temp_dir) = match &opts.db {
        Some(p) if p.exists() => {
            return Err(Error::user(format!(
                "{} already exists — the demo builds a fresh database: give a new file name or delete it.",
                p.display()
            )));
        }
        Some(p) => (p.clone(), None),
        None => {
            let dir = temp_dir()?;
            (dir.join("demo.db"), Some(dir))
        }
    };
    let store = Store::open_file(&path).await?;
    let start = start_for(opts.ends, opts.days);
    let result = sim::Sim::new(store.clone(), opts.seed, out, start)
        .run(opts.days)
        .await;
    store.close().await;
    match temp_dir {
        Some(dir) => {
            let _ = std::fs::remove_dir_all(dir);
        }
        None => {
            if let Ok(summary) = &result {
                finish_note(out, &path, summary)?;
            }
        }
    }
    result
}

fn finish_note(out: &mut dyn Write, path: &Path, _summary: &DemoSummary) -> Result<()> {
    writeln!(
        out,
        "The database is kept in {0}. Look around with\n  BACKBONE_DATABASE_URL=sqlite://{0} backbone digest --preview --coalition \"{1}\" --guild {2}",
        path.display(),
        cast::COALITION,
        cast::GUILD.0
    )?;
    Ok(())
}

/// A fresh private directory under the system's temp dir.
fn temp_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = base.join(format!("backbone-demo-{}-{nanos}-{n}", std::process::id()));
        if std::fs::create_dir(&dir).is_ok() {
            return Ok(dir);
        }
    }
    Err(Error::internal(format!(
        "cannot create a temporary directory in {} — pass --db FILE to use a file of your choice",
        base.display()
    )))
}
