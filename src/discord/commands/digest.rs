//! `/digest preview|send`: the weekly digest on demand.

use crate::actions;
use crate::discord::{Command, Context, begin, blocking, defer, reply};
use crate::error::Result;
use crate::render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![digest()]
}

/// The weekly digest: wins, tasks, deadlines, goals, check-ins, blockers.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("preview", "send"),
    subcommand_required
)]
pub async fn digest(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Show the digest of the last 7 days, just to you.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn preview(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let now = data.now();
    data.cooldowns.check(PREVIEW, actor.user, now)?;
    defer(ctx).await?;
    let digest = match actions::digest::preview(&data.store, &actor, now, coalition.as_deref()).await {
        Ok(d) => d,
        Err(e) => {
            if e.is_user() {
                data.cooldowns.forget(PREVIEW, actor.user, now);
            }
            return Err(e);
        }
    };
    // Rendering rasterises the chart (resvg): off the async workers.
    let msg = blocking(move || render::digest::digest(&digest).ephemeral()).await?;
    reply(ctx, msg).await
}

/// The cooldown's name for `/digest preview`.
const PREVIEW: &str = "digest preview";

/// Post the digest to the coalition's home channel now (leads).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn send(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    defer(ctx).await?;
    let queued =
        actions::digest::send(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref()).await?;
    reply(ctx, render::coalitions::digest_queued(&queued)).await?;
    ctx.data().wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn preview_says_it_shows_the_last_7_days() {
        // The preview is a rolling 7 days up to now, not the calendar week.
        let group = super::digest();
        let preview = group
            .subcommands
            .iter()
            .find(|c| c.name == "preview")
            .expect("preview subcommand");
        let description = preview.description.as_deref().unwrap_or_default();
        assert!(description.contains("last 7 days"), "{description}");
        assert!(description.chars().count() <= 100);
    }
}
