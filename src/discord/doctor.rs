//! `backbone doctor`: why didn't the digest come? Without starting the gateway it checks the token,
//! the registered commands, each coalition's home channel and the bot's permissions there
//! (computed from roles and overwrites as Discord does), dead or overdue deliveries, and when each
//! schedule fires next. A short report with one fix per problem.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, TimeZone, Utc};
use poise::serenity_prelude as serenity;

use super::commands;
use crate::config::Config;
use crate::domain::permissions::{GuildPerms, Overwrite, OverwriteFor, missing_in_home, missing_in_server};
use crate::domain::schedule::Schedule;
use crate::domain::*;
use crate::error::{Error, Result};
use crate::render;
use crate::store::{self, Store};

/// One line of the report: something fine, something to know, or a problem with its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Ok(String),
    Info(String),
    Problem { what: String, fix: String },
}

/// What the doctor found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    fn ok(&mut self, s: impl Into<String>) {
        self.findings.push(Finding::Ok(s.into()));
    }
    fn info(&mut self, s: impl Into<String>) {
        self.findings.push(Finding::Info(s.into()));
    }
    fn problem(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.findings.push(Finding::Problem {
            what: what.into(),
            fix: fix.into(),
        });
    }

    /// How many problems were found.
    pub fn problems(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| matches!(f, Finding::Problem { .. }))
            .count()
    }

    /// The report as text.
    pub fn text(&self) -> String {
        let mut out = String::from("Backbone doctor\n");
        for f in &self.findings {
            let _ = match f {
                Finding::Ok(s) => writeln!(out, "  ok    {s}"),
                Finding::Info(s) => writeln!(out, "  ·     {s}"),
                Finding::Problem { what, fix } => writeln!(out, "  FAIL  {what}\n        fix: {fix}"),
            };
        }
        let _ = match self.problems() {
            0 => writeln!(out, "No problems found."),
            1 => writeln!(out, "1 problem found."),
            n => writeln!(out, "{n} problems found."),
        };
        out
    }
}

/// Where Discord sends interactions: with an Interactions Endpoint URL set in the developer
/// portal, only there (never over the gateway), so `backbone serve` must answer it with the
/// application's public key; without one, over the gateway to `backbone run`.
fn check_transport(config: &Config, app: &serenity::CurrentApplicationInfo, r: &mut Report) {
    let key = config.discord.public_key.as_deref();
    if let Some(key) = key
        && !app.verify_key.is_empty()
        && !app.verify_key.eq_ignore_ascii_case(key)
    {
        r.problem(
            "DISCORD_PUBLIC_KEY is not this application's public key: `backbone serve` would refuse every request Discord signs",
            "copy the Public Key from the developer portal (General Information) of the application whose token you use",
        );
    }
    match app.interactions_endpoint_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) if key.is_none() => r.problem(
            format!("Discord sends interactions to the Interactions Endpoint URL {url}, not over the gateway, and DISCORD_PUBLIC_KEY is not set"),
            "run `backbone serve` behind that URL with DISCORD_PUBLIC_KEY (General Information → Public Key) in .env, or clear the URL in the developer portal to use `backbone run`",
        ),
        Some(url) => r.info(format!(
            "Discord sends interactions to {url} (answer them with `backbone serve`; `backbone run` gets none over the gateway)"
        )),
        None => r.info("interactions come over the gateway (`backbone run`): no Interactions Endpoint URL is set"),
    }
}

/// Runs every check at `now`.
pub async fn examine(config: &Config, now: DateTime<Utc>) -> Result<Report> {
    let mut r = Report::default();
    let Some(token) = config.discord.token.clone() else {
        r.problem(
            "DISCORD_TOKEN is not set",
            "put DISCORD_TOKEN=<token> in .env (developer portal → your app → Bot → Reset Token)",
        );
        return Ok(r);
    };
    let (http, _) = super::rest::http(config, &token, Default::default())?;
    let me = match http.get_current_user().await {
        Ok(me) => me,
        Err(e) if status_of(&e) == Some(401) => {
            r.problem(
                "Discord refused DISCORD_TOKEN (401 Unauthorized)",
                "copy a fresh token from the developer portal (Bot → Reset Token) into .env",
            );
            return Ok(r);
        }
        Err(e) => {
            return Err(Error::user(format!(
                "cannot reach Discord: {e} — check the network or DISCORD_API_BASE."
            )));
        }
    };
    r.ok(format!("token is valid (bot {})", me.name));
    check_commands(config, &http, &mut r).await?;

    let store = Store::connect(&config.database_url).await?;
    let coalitions = store::coalitions::list_all_active(&store).await?;
    if coalitions.is_empty() {
        r.info("no coalitions yet: an admin runs /coalition create in the server");
    }
    let mut guilds: HashMap<u64, Option<(GuildPerms, Vec<u64>)>> = HashMap::new();
    for c in &coalitions {
        check_home(&http, me.id.get(), c, &mut guilds, &mut r).await;
        check_schedules(c, now, &mut r);
    }
    check_deliveries(&store, &coalitions, now, &mut r).await?;
    if let Ok(Some(plan)) = config.backup_plan()
        && let Some(next) = plan.schedule.next_after(now, chrono_tz::UTC)
    {
        r.info(format!(
            "next backup {} UTC into {} (keeping {})",
            next.format("%a %d %b %Y %H:%M"),
            plan.dir.display(),
            plan.keep
        ));
    }
    store.close().await;
    Ok(r)
}

async fn check_commands(config: &Config, http: &serenity::Http, r: &mut Report) -> Result<()> {
    let app = http.get_current_application_info().await?;
    http.set_application_id(app.id);
    check_transport(config, &app, r);
    let (registered, place) = match config.discord.guild_id {
        Some(g) => (
            http.get_guild_commands(serenity::GuildId::new(g)).await?,
            format!("in server {g} (DISCORD_GUILD_ID)"),
        ),
        None => (http.get_global_commands().await?, "globally".to_string()),
    };
    let names: Vec<String> = registered.iter().map(|c| c.name.clone()).collect();
    let missing: Vec<String> = commands::all()
        .iter()
        .map(|c| c.name.to_string())
        .filter(|n| !names.contains(n))
        .collect();
    if missing.is_empty() {
        r.ok(format!("{} commands registered {place}", names.len()));
    } else {
        r.problem(
            format!("commands not registered {place}: /{}", missing.join(", /")),
            "start `backbone run` once: it registers the commands on start (global ones can take up to an hour to show)",
        );
    }
    Ok(())
}

async fn check_home(
    http: &serenity::Http,
    bot: u64,
    c: &Coalition,
    guilds: &mut HashMap<u64, Option<(GuildPerms, Vec<u64>)>>,
    r: &mut Report,
) {
    let name = render::tasks::plain_name(&c.name);
    let channel_id = serenity::ChannelId::new(c.home_channel_id.0.max(1) as u64);
    let channel = match http.get_channel(channel_id).await {
        Ok(serenity::Channel::Guild(gc)) => gc,
        Ok(_) => {
            r.problem(
                format!(
                    "{name}: home channel {} is not a server text channel",
                    c.home_channel_id.0
                ),
                "pick a text channel with `/coalition settings channel:`",
            );
            return;
        }
        Err(e) => {
            r.problem(
                format!("{name}: home channel {} cannot be read ({})", c.home_channel_id.0, short(&e)),
                "if it was deleted, pick a new home with `/coalition settings channel:`; otherwise give Backbone View Channel there",
            );
            return;
        }
    };
    let guild = channel.guild_id.get();
    if let std::collections::hash_map::Entry::Vacant(slot) = guilds.entry(guild) {
        let fetched = guild_perms(http, guild, bot).await;
        if let Err(e) = &fetched {
            r.problem(
                format!("{name}: cannot read server {guild}'s roles ({})", short(e)),
                "check that Backbone is still in the server (re-invite it with the README's URL)",
            );
        }
        slot.insert(fetched.ok());
    }
    let Some(Some((perms, roles))) = guilds.get(&guild) else {
        return;
    };
    let server_missing = missing_in_server(perms.base(bot, roles));
    if !server_missing.is_empty() {
        r.problem(
            format!(
                "{name}: Backbone lacks {} in the server: meetings work, but without a Discord event",
                server_missing.join(", ")
            ),
            "in Discord: Server Settings → Roles → Backbone → allow Create Events (or re-invite it with the README's URL)",
        );
    }
    let overwrites = overwrites_of(&channel);
    let missing = missing_in_home(perms.in_channel(bot, roles, &overwrites));
    if missing.is_empty() {
        r.ok(format!(
            "{name}: home channel #{} has every permission Backbone needs",
            channel.name
        ));
    } else {
        r.problem(
            format!("{name}: Backbone lacks {} in #{}", missing.join(", "), channel.name),
            format!(
                "in Discord: #{} → Edit Channel → Permissions → allow them for Backbone's role (or remove the overwrite that denies them)",
                channel.name
            ),
        );
    }
}

/// A channel's permission overwrites, for [`GuildPerms::in_channel`].
fn overwrites_of(channel: &serenity::GuildChannel) -> Vec<Overwrite> {
    channel
        .permission_overwrites
        .iter()
        .filter_map(|o| {
            let target = match o.kind {
                serenity::PermissionOverwriteType::Member(u) => OverwriteFor::Member(u.get()),
                serenity::PermissionOverwriteType::Role(r) => OverwriteFor::Role(r.get()),
                _ => return None,
            };
            Some(Overwrite {
                target,
                allow: o.allow.bits(),
                deny: o.deny.bits(),
            })
        })
        .collect()
}

/// Whether everyone in the server can read `channel`: `@everyone`'s permissions there, after the
/// channel's overwrites, include View Channel. The leads' channel must not be such a channel.
pub async fn readable_by_everyone(http: &serenity::Http, channel: serenity::ChannelId) -> Result<bool> {
    let Some(ch) = http.get_channel(channel).await?.guild() else {
        return Err(Error::user(
            "That isn't a server channel — pick a text channel of this server.",
        ));
    };
    let g = http.get_guild(ch.guild_id).await?;
    let perms = GuildPerms {
        guild_id: ch.guild_id.get(),
        owner_id: g.owner_id.get(),
        roles: g
            .roles
            .values()
            .map(|r| (r.id.get(), r.permissions.bits()))
            .collect(),
    };
    // Nobody in particular (user 0, no roles): what @everyone alone may do there.
    let everyone = perms.in_channel(0, &[], &overwrites_of(&ch));
    Ok(everyone & crate::domain::permissions::bits::VIEW_CHANNEL != 0)
}

async fn guild_perms(http: &serenity::Http, guild: u64, bot: u64) -> Result<(GuildPerms, Vec<u64>)> {
    let g = http.get_guild(serenity::GuildId::new(guild)).await?;
    let member = http
        .get_member(serenity::GuildId::new(guild), serenity::UserId::new(bot))
        .await?;
    let perms = GuildPerms {
        guild_id: guild,
        owner_id: g.owner_id.get(),
        roles: g
            .roles
            .values()
            .map(|r| (r.id.get(), r.permissions.bits()))
            .collect(),
    };
    Ok((perms, member.roles.iter().map(|r| r.get()).collect()))
}

fn check_schedules(c: &Coalition, now: DateTime<Utc>, r: &mut Report) {
    let name = render::tasks::plain_name(&c.name);
    let tz = c.tz();
    for (what, text, setting) in [
        ("check-in", &c.checkin_schedule, "checkin_schedule"),
        ("digest", &c.digest_schedule, "digest_schedule"),
    ] {
        match Schedule::parse(text).map(|s| (s.next_after(now, tz), s.describe())) {
            Ok((Some(next), described)) => r.info(format!(
                "{name}: next {what} {} ({described})",
                crate::domain::when::show(next.timestamp(), tz, crate::domain::when::Shown::Full)
            )),
            Ok((None, _)) | Err(_) => r.problem(
                format!("{name}: the {what} schedule `{text}` never fires"),
                format!("set one with `/coalition settings {setting}:` (e.g. `mondays 9:00`)"),
            ),
        }
    }
}

async fn check_deliveries(
    store: &Store,
    coalitions: &[Coalition],
    now: DateTime<Utc>,
    r: &mut Report,
) -> Result<()> {
    let now_s = now.timestamp();
    let troubled = store::deliveries::troubled(store, now_s, 600, 7 * 86_400, 20).await?;
    if troubled.is_empty() {
        r.ok("no dead or overdue deliveries");
    }
    for d in troubled {
        let coalition = coalitions.iter().find(|c| c.id == d.coalition_id).map_or_else(
            || format!("coalition {}", d.coalition_id.0),
            |c| render::tasks::plain_name(&c.name),
        );
        let to = if d.target_kind == "user" {
            format!("DM to user {}", d.target_id)
        } else {
            format!("channel {}", d.target_id)
        };
        let due = Utc
            .timestamp_opt(d.due_at, 0)
            .single()
            .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        let error = d.last_error.as_deref().unwrap_or("no error recorded");
        let kind = d.kind.replace('_', " ");
        if d.status == "dead" {
            r.problem(
                format!("{coalition}: {kind} ({to}, due {due}) gave up: {error}"),
                "fix what the error names (permissions, a deleted channel, closed DMs); dead messages are not retried",
            );
        } else {
            r.problem(
                format!("{coalition}: {kind} ({to}) due {due} is still unsent ({error})"),
                "check that `backbone run` is running and its log for send errors",
            );
        }
    }
    Ok(())
}

fn status_of(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.status_code.as_u16()),
        _ => None,
    }
}

fn short(e: &impl std::fmt::Display) -> String {
    e.to_string().trim_end_matches('.').to_string()
}
