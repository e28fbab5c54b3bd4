//! `/me settings|away|back`: your own time zone, quiet hours, DM preference and away periods.

use crate::actions::me as act;
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
#[poise::command(slash_command, guild_only)]
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
#[poise::command(slash_command, guild_only)]
pub async fn away(
    ctx: Context<'_>,
    #[description = "When you're back: friday, 2026-12-24, in 2 weeks (your time zone)"]
    #[max_length = 100]
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

/// End your away period early.
#[poise::command(slash_command, guild_only)]
pub async fn back(ctx: Context<'_>) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let out = act::back(&ctx.data().store, &actor, ctx.data().now()).await?;
    reply(ctx, render::back(&out)).await
}
