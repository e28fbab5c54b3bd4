//! The command line: `run | serve | demo | migrate | check-config | digest --preview | export | report |
//! backup | restore | doctor`.

use std::path::PathBuf;

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};

use crate::actions::{digest, export, report};
use crate::config::Config;
use crate::domain::GuildId;
use crate::domain::report::PeriodInput;
use crate::error::{Error, Result};
use crate::store::Store;

/// Backbone: the shared hub of a nonprofit coalition, as a Discord bot.
#[derive(Debug, Parser)]
#[command(name = "backbone", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to Discord and serve the coalition (needs DISCORD_TOKEN).
    Run,
    /// Serve Discord's Interactions Endpoint URL at `POST /interactions`, with no gateway
    /// connection (needs DISCORD_TOKEN and DISCORD_PUBLIC_KEY); run several behind a load balancer.
    Serve {
        /// The address to listen on, e.g. `0.0.0.0:8080` (put TLS in front: Discord needs https).
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
    /// Try Backbone without Discord: a sample coalition on a simulated clock, every message printed.
    Demo {
        /// Keep the demo's database in this (new) file instead of a temporary one.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Simulated days.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Seed of the simulated people's choices: the same seed prints the same demo.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Create the database if needed and apply migrations.
    Migrate,
    /// Print the effective configuration (token redacted); fail on a bad setting.
    CheckConfig,
    /// Print a coalition's digest as text.
    Digest {
        /// Print the digest of the last 7 days up to now (the only mode for now).
        #[arg(long)]
        preview: bool,
        /// The coalition's name.
        #[arg(long)]
        coalition: String,
        /// The Discord server (guild) id the coalition lives in.
        #[arg(long)]
        guild: i64,
        /// Also write the digest's chart (PNG) to this file.
        #[arg(long)]
        chart: Option<PathBuf>,
    },
    /// Write all of one coalition's data to a file (CSV files in a zip, or JSON).
    Export {
        /// The coalition's name.
        #[arg(long)]
        coalition: String,
        /// The Discord server (guild) id the coalition lives in.
        #[arg(long)]
        guild: i64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Output file (default: a dated name in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the database with a backup (only while the bot is stopped); the old file is kept.
    Restore {
        /// The backup file (e.g. backups/backbone-20260302-030000.db).
        file: PathBuf,
    },
    /// Check the token, commands, home channels and permissions, deliveries and schedules; print
    /// one fix per problem and exit non-zero if there is any (needs DISCORD_TOKEN, not the gateway).
    Doctor,
    /// Write the impact report (one self-contained HTML file) for a period: this quarter to date
    /// unless told otherwise.
    Report {
        /// The coalition's name.
        #[arg(long)]
        coalition: String,
        /// The Discord server (guild) id the coalition lives in.
        #[arg(long)]
        guild: i64,
        /// `month`, `quarter` or `year` (the current one, to date), `last month`, `last quarter`,
        /// `last year`, `2026-Q1`, `2026-03` or `2026`, in the coalition's time zone [default:
        /// quarter].
        #[arg(long)]
        period: Option<String>,
        /// The first day of a range instead of a period, e.g. `2026-01-15`.
        #[arg(long)]
        from: Option<String>,
        /// The last day of the range, included (default: today).
        #[arg(long)]
        to: Option<String>,
        /// Output file (default: a dated name in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a consistent copy of the database (safe while the bot runs).
    Backup {
        /// Output file (default: backbone-backup-<timestamp>.db).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Copy a SQLite deployment into an empty PostgreSQL database (stop the bot first).
    MigrateStore {
        /// The SQLite database, e.g. `sqlite:///var/lib/backbone/backbone.db`.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database, created and empty, e.g. `postgres://backbone:PASSWORD@db/backbone`.
        #[arg(long)]
        to: String,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Runs one CLI command to completion. The clock is read here, at the edge.
pub async fn execute(command: Command, config: Config) -> Result<()> {
    match command {
        Command::Run => crate::discord::run(config).await,
        Command::Serve { listen } => crate::discord::run_http(config, listen).await,
        Command::Demo { db, days, seed } => {
            // The simulated weeks end now, so the kept database's report and digest show them.
            let opts = crate::demo::DemoOptions {
                db,
                days,
                seed,
                ends: Utc::now(),
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            crate::demo::run(&opts, &mut out).await?;
            std::io::Write::flush(&mut out)?;
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&config.database_url).await?;
            store.close().await;
            println!("Database `{}` is migrated.", config.database_url);
            Ok(())
        }
        Command::CheckConfig => {
            print!("{}", config.redacted());
            Ok(())
        }
        Command::Digest {
            preview,
            coalition,
            guild,
            chart,
        } => {
            if !preview {
                return Err(Error::user(
                    "Only `--preview` is available on the command line; `/digest send` posts it in Discord.",
                ));
            }
            let store = Store::connect(&config.database_url).await?;
            let c = digest::find_for_cli(&store, GuildId(guild), &coalition).await?;
            let d = digest::build(&store, &c, Utc::now()).await?;
            print!("{}", crate::domain::digest::to_text(&d));
            if let Some(path) = chart {
                let png = crate::render::chart::png(&crate::render::chart::digest_svg(&d))
                    .map_err(Error::Internal)?;
                crate::ops::files::write_private(&path, &png)?;
                println!("Wrote the chart to {} ({} bytes).", path.display(), png.len());
            }
            Ok(())
        }
        Command::Export {
            coalition,
            guild,
            format,
            out,
        } => {
            let store = Store::connect(&config.database_url).await?;
            let c = digest::find_for_cli(&store, GuildId(guild), &coalition).await?;
            let format = match format {
                Format::Csv => export::ExportFormat::Csv,
                Format::Json => export::ExportFormat::Json,
            };
            let file = export::export_coalition(&store, &c, format, Utc::now()).await?;
            let path = out.unwrap_or_else(|| PathBuf::from(&file.filename));
            crate::ops::files::write_private(&path, &file.bytes)?;
            println!("Wrote {} ({} bytes).", path.display(), file.bytes.len());
            Ok(())
        }
        Command::Doctor => {
            let report = crate::discord::doctor::examine(&config, Utc::now()).await?;
            print!("{}", report.text());
            match report.problems() {
                0 => Ok(()),
                n => Err(Error::user(format!(
                    "backbone doctor found {n} problem{} (see the fixes above).",
                    if n == 1 { "" } else { "s" }
                ))),
            }
        }
        Command::Restore { file } => {
            if crate::store::is_postgres_url(&config.database_url) {
                return Err(Error::user(crate::store::POSTGRES_BACKUP));
            }
            let db = crate::ops::lock::db_path(&config.database_url).ok_or_else(|| {
                Error::user("database_url points at no file (in-memory database) — nothing to restore into.")
            })?;
            let done = crate::ops::restore::restore(&db, &file, Utc::now()).await?;
            match &done.kept {
                Some(old) => println!(
                    "Restored {} into {} (migration {}). The previous database is kept as {}.",
                    file.display(),
                    db.display(),
                    done.migration,
                    old.display()
                ),
                None => println!(
                    "Restored {} into {} (migration {}).",
                    file.display(),
                    db.display(),
                    done.migration
                ),
            }
            let logs: Vec<String> = done
                .moved
                .iter()
                .filter(|p| Some(*p) != done.kept.as_ref())
                .map(|p| p.display().to_string())
                .collect();
            if !logs.is_empty() {
                println!("Its journal files were moved aside too: {}.", logs.join(", "));
            }
            Ok(())
        }
        Command::Report {
            coalition,
            guild,
            period,
            from,
            to,
            out,
        } => {
            let store = Store::connect(&config.database_url).await?;
            let c = digest::find_for_cli(&store, GuildId(guild), &coalition).await?;
            let now = Utc::now();
            let bounds = PeriodInput { period, from, to }.resolve(now, c.tz())?;
            let r = report::build(&store, &c, now, bounds).await?;
            let html = crate::render::report::html(&r)?;
            let path = out.unwrap_or_else(|| PathBuf::from(report::filename(&r, now, c.tz())));
            crate::ops::files::write_private(&path, html.as_bytes())?;
            println!("Wrote {} ({} bytes).", path.display(), html.len());
            Ok(())
        }
        Command::MigrateStore { from, to } => {
            let Some(db) = crate::ops::lock::db_path(&from) else {
                return Err(Error::user(format!(
                    "--from `{}` is not a SQLite database file — give e.g. `sqlite:///var/lib/backbone/backbone.db`.",
                    crate::store::without_password(&from)
                )));
            };
            if !crate::store::is_postgres_url(&to) {
                return Err(Error::user(format!(
                    "--to `{}` is not a PostgreSQL URL — give e.g. `postgres://backbone:PASSWORD@localhost/backbone`.",
                    crate::store::without_password(&to)
                )));
            }
            if !db.exists() {
                return Err(Error::user(format!(
                    "--from: there is no database at `{}`.",
                    db.display()
                )));
            }
            // No copy of the bot may write the SQLite file meanwhile.
            let _lock = crate::ops::lock::RunLock::acquire(&db)?;
            let source = Store::connect(&from).await?;
            let target = Store::connect(&to).await?;
            let copied = crate::store::transfer::sqlite_to_postgres(&source, &target).await?;
            let rows: u64 = copied.iter().map(|(_, n)| n).sum();
            for (table, n) in &copied {
                println!("{table:>20}  {n}");
            }
            println!(
                "Copied {rows} rows in {} tables into `{}`. Set BACKBONE_DATABASE_URL to it and start `backbone serve` (or `run`); keep `{}` until you are sure.",
                copied.len(),
                crate::store::without_password(&to),
                db.display()
            );
            source.close().await;
            target.close().await;
            Ok(())
        }
        Command::Backup { out } => {
            if crate::store::is_postgres_url(&config.database_url) {
                return Err(Error::user(crate::store::POSTGRES_BACKUP));
            }
            let store = Store::connect(&config.database_url).await?;
            let path = out.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "backbone-backup-{}.db",
                    Utc::now().format("%Y%m%d-%H%M%S")
                ))
            });
            crate::ops::backup::write(&store, &path).await?;
            println!("Backed up `{}` to {}.", config.database_url, path.display());
            Ok(())
        }
    }
}
