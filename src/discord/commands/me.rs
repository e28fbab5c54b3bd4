//! `/me settings|away|back`: your own time zone, quiet hours, DM preference and away periods.

use poise::serenity_prelude as serenity;

use crate::actions::me as act;
use crate::discord::autocomplete::choices;
use crate::discord::choices::DmsChoice;
use crate::discord::{Command, Context, begin, reply};
use crate::domain::hours::DmPolicy;
use crate::error::Result;
use crate::render::me as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![me()]
}

/// Your own hours: time zone, quiet hours, DMs, away.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("settings", "away", "back"),
    subcommand_required
)]
pub async fn me(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

impl From<DmsChoice> for DmPolicy {
    fn from(d: DmsChoice) -> DmPolicy {
        match d {
            DmsChoice::All => DmPolicy::All,
            DmsChoice::PingsOnly => DmPolicy::PingsOnly,
            DmsChoice::None => DmPolicy::None,
        }
    }
}

/// Your time zone, quiet hours and DM preference; with no options, shows them.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn settings(
    ctx: Context<'_>,
    #[description = "Your IANA time zone, like Europe/Berlin"]
    #[autocomplete = "crate::discord::autocomplete::timezone"]
    timezone: Option<String>,
    #[description = "No DMs in this window, like 21:00-08:00, or off"]
    #[max_length = 40]
    quiet_hours: Option<String>,
    #[description = "all, pings_only (deadline pings and lead alerts), or none (channel mentions)"]
    dms: Option<DmsChoice>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::ChangeSettings {
        timezone,
        quiet_hours,
        dms: dms.map(DmPolicy::from),
    };
    let out = act::settings(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::settings(&out)).await
}

/// No nudges or deadline DMs until then; leads see it.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn away(
    ctx: Context<'_>,
    #[description = "When you're back: friday, 2026-12-24, in 2 weeks (your time zone)"]
    #[max_length = 100]
    #[autocomplete = "until"]
    until: String,
    #[description = "A short note for the leads"]
    #[max_length = 200]
    note: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let out = act::away(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        act::GoAway { until, note },
    )
    .await?;
    reply(ctx, render::away(&out)).await
}

/// How the typed `until` is read, in your own time zone — or why it can't be.
async fn until(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return choices(vec![]);
    };
    let actor = crate::actions::Actor {
        user: crate::domain::UserId(ctx.author().id.get() as i64),
        guild: crate::domain::GuildId(guild.get() as i64),
        manage_server: false,
        name: String::new(),
        channel: crate::discord::autocomplete::channel(ctx),
    };
    let typed = partial.trim();
    let examples = ["in 1 week", "friday", "in 2 weeks"];
    let texts: Vec<&str> = if typed.is_empty() {
        examples.to_vec()
    } else {
        vec![typed]
    };
    let mut out = Vec::new();
    for t in texts {
        match act::preview_until(&ctx.data().store, &actor, ctx.data().now(), t).await {
            Ok(p) if typed.is_empty() => out.push((format!("{t} → {p}"), t.to_string())),
            Ok(p) => out.push((p, t.to_string())),
            Err(e) => tracing::warn!(error = %e, "until autocomplete failed"),
        }
    }
    choices(out)
}

/// End your away period early.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn back(ctx: Context<'_>) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let out = act::back(&ctx.data().store, &actor, ctx.data().now()).await?;
    reply(ctx, render::back(&out)).await
}
