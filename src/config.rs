//! Configuration: `config/default.toml` (embedded) < `config/local.toml` < `BACKBONE_*` environment
//! variables < `.env` (as DESIGN.md orders them: the project's `.env` file wins).
//! Discord credentials come from the environment (or `.env`) only.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{is_postgres_url, without_password};

/// The defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Backbone's settings (see `config/default.toml` for what each one means).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    pub tick_seconds: u64,
    pub nudge_after_hours: u64,
    pub grace_hours: u64,
    /// Hours before a meeting its reminder with the agenda goes to the home channel.
    pub meeting_reminder_hours: u64,
    pub send_concurrency: usize,
    pub max_sends_per_second: u32,
    pub max_attempts: u32,
    pub claim_seconds: u64,
    pub send_timeout_seconds: u64,
    /// Seconds the scheduler lease lasts: when the copy holding it dies, another copy takes the
    /// scheduler over at most this long (plus a second) later.
    pub scheduler_lease_seconds: u64,
    pub log_format: String,
    pub metrics_addr: String,
    pub backup_schedule: String,
    pub backup_keep: u64,
    pub backup_dir: String,
    /// Ask Discord for the privileged GUILD_MEMBERS intent, so someone who leaves the server
    /// leaves its coalitions at once (it must be switched on in the developer portal too).
    pub guild_members_intent: bool,
    /// Discord credentials and endpoints (environment only).
    #[serde(skip)]
    pub discord: DiscordConfig,
}

/// Discord settings, read from `DISCORD_*` environment variables.
#[derive(Clone, Default)]
pub struct DiscordConfig {
    pub token: Option<String>,
    pub guild_id: Option<u64>,
    pub api_base: Option<String>,
    /// The application's public key (hex), which signs interactions sent to `backbone serve`.
    pub public_key: Option<String>,
}

impl std::fmt::Debug for DiscordConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("guild_id", &self.guild_id)
            .field("api_base", &self.api_base)
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Config {
    /// Loads the layered configuration from the working directory and the process environment.
    pub fn load() -> Result<Config> {
        // `.env` overrides the environment, as DESIGN.md orders the layers.
        let _ = dotenvy::dotenv_override();
        let local = Path::new("config/local.toml");
        let local = if local.exists() {
            Some(
                std::fs::read_to_string(local)
                    .map_err(|e| Error::user(format!("cannot read config/local.toml: {e}")))?,
            )
        } else {
            None
        };
        Config::from_sources(local.as_deref(), |k| std::env::var(k).ok())
    }

    /// Builds the configuration from an optional local TOML and an environment lookup.
    pub fn from_sources(local: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut table: toml::Table = DEFAULT_TOML
            .parse()
            .map_err(|e| Error::internal(format!("default.toml: {e}")))?;
        if let Some(local) = local {
            let over: toml::Table = local
                .parse()
                .map_err(|e| Error::user(format!("config/local.toml is not valid TOML: {e}")))?;
            for (k, v) in over {
                if !table.contains_key(&k) {
                    return Err(Error::user(format!(
                        "config/local.toml: unknown setting `{k}` — see config/default.toml for the settings."
                    )));
                }
                table.insert(k, v);
            }
        }
        let keys: Vec<String> = table.keys().cloned().collect();
        for key in keys {
            let var = format!("BACKBONE_{}", key.to_ascii_uppercase());
            let Some(raw) = env(&var) else { continue };
            let value = match &table[&key] {
                toml::Value::Integer(_) => toml::Value::Integer(raw.trim().parse().map_err(|_| {
                    Error::user(format!(
                        "{var}=`{raw}` is not a whole number — set it to e.g. `15`."
                    ))
                })?),
                toml::Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
                    "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
                    _ => {
                        return Err(Error::user(format!(
                            "{var}=`{raw}` is not true or false — set it to `true` or `false`."
                        )));
                    }
                },
                _ => toml::Value::String(raw),
            };
            table.insert(key, value);
        }
        let mut config: Config =
            toml::Table::try_into(table).map_err(|e| Error::user(format!("invalid configuration: {e}")))?;
        config.discord = DiscordConfig {
            token: env("DISCORD_TOKEN").map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            guild_id: match env("DISCORD_GUILD_ID").map(|g| g.trim().to_string()).filter(|g| !g.is_empty()) {
                Some(g) => Some(g.parse().map_err(|_| {
                    Error::user(format!("DISCORD_GUILD_ID=`{g}` is not a server id — copy it from Discord (Developer Mode → right-click the server → Copy Server ID)."))
                })?),
                None => None,
            },
            api_base: env("DISCORD_API_BASE").map(|b| b.trim().trim_end_matches('/').to_string()).filter(|b| !b.is_empty()),
            public_key: env("DISCORD_PUBLIC_KEY").map(|k| k.trim().to_string()).filter(|k| !k.is_empty()),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting, with a message that says how to fix a bad one.
    pub fn validate(&self) -> Result<()> {
        if !self.database_url.starts_with("sqlite:") && !is_postgres_url(&self.database_url) {
            // The URL may carry a password: never repeat it.
            let shown = without_password(&self.database_url);
            return Err(Error::user(format!(
                "database_url `{shown}` is neither a SQLite nor a PostgreSQL URL — use e.g. `sqlite://backbone.db` or `postgres://backbone:PASSWORD@localhost/backbone`."
            )));
        }
        let positive = [
            ("tick_seconds", self.tick_seconds),
            ("nudge_after_hours", self.nudge_after_hours),
            ("grace_hours", self.grace_hours),
            ("meeting_reminder_hours", self.meeting_reminder_hours),
            ("send_concurrency", self.send_concurrency as u64),
            ("max_sends_per_second", u64::from(self.max_sends_per_second)),
            ("max_attempts", u64::from(self.max_attempts)),
            ("claim_seconds", self.claim_seconds),
            ("send_timeout_seconds", self.send_timeout_seconds),
            ("scheduler_lease_seconds", self.scheduler_lease_seconds),
            ("backup_keep", self.backup_keep),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(Error::user(format!("{name} must be at least 1 (it is 0).")));
            }
        }
        if self.send_concurrency > 40 {
            return Err(Error::user(format!(
                "send_concurrency is {}; Discord allows 50 requests/s — use 40 or less.",
                self.send_concurrency
            )));
        }
        if self.max_sends_per_second > 45 {
            return Err(Error::user(format!(
                "max_sends_per_second is {}; Discord allows 50 requests/s for the whole bot (commands included) — use 45 or less.",
                self.max_sends_per_second
            )));
        }
        if self.claim_seconds < 30 {
            return Err(Error::user(format!(
                "claim_seconds is {}; a send must be able to finish within its claim — use 30 or more.",
                self.claim_seconds
            )));
        }
        if self.send_timeout_seconds >= self.claim_seconds {
            return Err(Error::user(format!(
                "send_timeout_seconds ({}) must be less than claim_seconds ({}), so a hung send is given up before another sender takes its row — lower it or raise claim_seconds.",
                self.send_timeout_seconds, self.claim_seconds
            )));
        }
        if !(3..=3600).contains(&self.scheduler_lease_seconds) {
            return Err(Error::user(format!(
                "scheduler_lease_seconds is {}; use 3 to 3600 (30 by default): a copy renews its lease every third of it, and the others take over that long after it dies.",
                self.scheduler_lease_seconds
            )));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(Error::user(format!(
                "log_format `{}` must be `text` or `json`.",
                self.log_format
            )));
        }
        self.validate_service()?;
        if let Some(base) = &self.discord.api_base
            && !(base.starts_with("http://") || base.starts_with("https://"))
        {
            return Err(Error::user(format!(
                "DISCORD_API_BASE `{base}` must start with http:// or https://."
            )));
        }
        Ok(())
    }

    /// The effective configuration as TOML, with the token redacted.
    pub fn redacted(&self) -> String {
        let mut out = toml::to_string(self).unwrap_or_default();
        let d = &self.discord;
        out.push_str("\n# from the environment\n");
        out.push_str(&format!(
            "DISCORD_TOKEN = {}\n",
            if d.token.is_some() {
                "\"<redacted>\""
            } else {
                "(not set)"
            }
        ));
        out.push_str(&format!(
            "DISCORD_GUILD_ID = {}\n",
            d.guild_id
                .map_or("(not set: commands register globally)".into(), |g| g.to_string())
        ));
        out.push_str(&format!(
            "DISCORD_API_BASE = {}\n",
            d.api_base.as_deref().unwrap_or("(not set: discord.com)")
        ));
        out.push_str(&format!(
            "DISCORD_PUBLIC_KEY = {}\n",
            d.public_key
                .as_deref()
                .unwrap_or("(not set: needed only by `backbone serve`)")
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_taken_and_another_is_refused_without_its_password() {
        let c = Config::from_sources(
            None,
            env(&[(
                "BACKBONE_DATABASE_URL",
                "postgres://backbone:s3cret@db.internal:5432/hub",
            )]),
        )
        .expect("a PostgreSQL URL is a database_url");
        assert!(is_postgres_url(&c.database_url));
        assert_eq!(
            without_password(&c.database_url),
            "postgres://backbone:***@db.internal:5432/hub"
        );
        let e = Config::from_sources(None, env(&[("BACKBONE_DATABASE_URL", "mysql://u:pw@h/db")]))
            .expect_err("refused");
        assert!(!e.to_string().contains("pw@"), "{e}");
        assert_eq!(without_password("sqlite://backbone.db"), "sqlite://backbone.db");
        assert_eq!(without_password("postgres://h/db"), "postgres://h/db");
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_load() {
        let c = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!(c.database_url, "sqlite://backbone.db");
        assert_eq!(c.tick_seconds, 15);
        assert!(c.discord.token.is_none());
    }

    #[test]
    fn env_beats_local_beats_default() {
        let local = "tick_seconds = 5\nnudge_after_hours = 12\n";
        let c = Config::from_sources(Some(local), env(&[("BACKBONE_TICK_SECONDS", "2")])).unwrap();
        assert_eq!(c.tick_seconds, 2);
        assert_eq!(c.nudge_after_hours, 12);
    }

    #[test]
    fn bad_values_say_how_to_fix() {
        let e = Config::from_sources(None, env(&[("DISCORD_GUILD_ID", "my server")])).unwrap_err();
        assert!(e.to_string().contains("Copy Server ID"), "{e}");
        let e = Config::from_sources(None, env(&[("BACKBONE_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(e.to_string().contains("sqlite://"), "{e}");
        let e = Config::from_sources(None, env(&[("DISCORD_API_BASE", "localhost:80")])).unwrap_err();
        assert!(e.to_string().contains("http://"), "{e}");
    }

    #[test]
    fn the_scheduler_lease_is_configurable_within_bounds() {
        assert_eq!(
            Config::from_sources(None, env(&[]))
                .unwrap()
                .scheduler_lease_seconds,
            30
        );
        let c = Config::from_sources(None, env(&[("BACKBONE_SCHEDULER_LEASE_SECONDS", "10")])).unwrap();
        assert_eq!(c.scheduler_lease_seconds, 10);
        for bad in ["2", "3601"] {
            let e = Config::from_sources(None, env(&[("BACKBONE_SCHEDULER_LEASE_SECONDS", bad)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains("use 3 to 3600"), "{e}");
        }
    }

    #[test]
    fn sending_limits_are_checked() {
        let c = Config::from_sources(None, env(&[])).unwrap();
        assert_eq!((c.max_sends_per_second, c.send_timeout_seconds), (40, 30));
        let bad = |pairs: &[(&str, &str)]| Config::from_sources(None, env(pairs)).unwrap_err().to_string();
        let e = bad(&[("BACKBONE_MAX_SENDS_PER_SECOND", "0")]);
        assert!(e.contains("max_sends_per_second must be at least 1"), "{e}");
        let e = bad(&[("BACKBONE_MAX_SENDS_PER_SECOND", "46")]);
        assert!(e.contains("use 45 or less"), "{e}");
        let e = bad(&[("BACKBONE_SEND_TIMEOUT_SECONDS", "0")]);
        assert!(e.contains("send_timeout_seconds must be at least 1"), "{e}");
        let e = bad(&[("BACKBONE_SEND_TIMEOUT_SECONDS", "120")]);
        assert!(e.contains("must be less than claim_seconds (120)"), "{e}");
        let e = bad(&[("BACKBONE_CLAIM_SECONDS", "29")]);
        assert!(e.contains("use 30 or more"), "{e}");
        let ok = Config::from_sources(
            None,
            env(&[
                ("BACKBONE_MAX_SENDS_PER_SECOND", "45"),
                ("BACKBONE_CLAIM_SECONDS", "30"),
                ("BACKBONE_SEND_TIMEOUT_SECONDS", "29"),
            ]),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn token_is_redacted() {
        let c = Config::from_sources(None, env(&[("DISCORD_TOKEN", "secret")])).unwrap();
        assert!(!c.redacted().contains("secret"));
        assert!(!format!("{c:?}").contains("secret"));
    }
}
