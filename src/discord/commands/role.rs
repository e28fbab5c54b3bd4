//! `/role assign|unassign|list`: named responsibilities such as "communications".

use poise::serenity_prelude as serenity;

use super::member::user_id;
use crate::actions::roles as act;
use crate::discord::autocomplete::{channel, choices, option_str};
use crate::discord::{Command, Context, begin, reply};
use crate::domain::GuildId;
use crate::error::Result;
use crate::render::people as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![role()]
}

/// Named responsibilities held by members.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("assign", "unassign", "list"),
    subcommand_required
)]
pub async fn role(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Give a member a named responsibility (leads).
#[poise::command(slash_command, guild_only)]
pub async fn assign(
    ctx: Context<'_>,
    #[description = "Who takes it on"] user: serenity::User,
    #[description = "The responsibility, e.g. communications"]
    #[autocomplete = "responsibility"]
    #[max_length = 100]
    responsibility: String,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::AssignRole {
        coalition,
        user: user_id(&user),
        responsibility,
    };
    let changed = act::assign(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::role_changed(&changed, true)).await
}

/// Take a responsibility away from a member (leads).
#[poise::command(slash_command, guild_only)]
pub async fn unassign(
    ctx: Context<'_>,
    #[description = "Who gives it up"] user: serenity::User,
    #[description = "The responsibility to take away"]
    #[autocomplete = "responsibility"]
    responsibility: String,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::UnassignRole {
        coalition,
        user: user_id(&user),
        responsibility,
    };
    let changed = act::unassign(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::role_changed(&changed, false)).await
}

/// List who is responsible for what.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let page = crate::actions::pages::first(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        "roles",
        coalition.as_deref(),
    )
    .await?;
    reply(ctx, crate::render::paging::list_page(&page)).await
}

/// Responsibilities already used in the coalition.
async fn responsibility(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return choices(vec![]);
    };
    let coalition = option_str(ctx, "coalition");
    let guild = GuildId(guild.get() as i64);
    match act::suggest(
        &ctx.data().store,
        guild,
        channel(ctx),
        coalition.as_deref(),
        partial,
    )
    .await
    {
        Ok(found) => choices(found),
        Err(e) => {
            tracing::warn!(error = %e, "responsibility autocomplete failed");
            choices(vec![])
        }
    }
}
