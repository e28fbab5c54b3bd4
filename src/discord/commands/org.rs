//! `/org add|list|remove`: the coalition's partner organizations.

use crate::actions::orgs as act;
use crate::discord::{Command, Context, begin, reply};
use crate::error::Result;
use crate::render::people as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![org()]
}

/// Partner organizations of a coalition.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "list", "remove"),
    subcommand_required
)]
pub async fn org(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Add a partner organization (leads).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The organization's name"]
    #[max_length = 100]
    name: String,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let added = act::add(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        act::AddOrg { coalition, name },
    )
    .await?;
    reply(ctx, render::org_added(&added)).await
}

/// List organizations with member counts, open tasks and wins this month.
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
        "orgs",
        coalition.as_deref(),
    )
    .await?;
    reply(ctx, crate::render::paging::list_page(&page)).await
}

/// Remove an organization that has no members left (leads).
#[poise::command(slash_command, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "The organization to remove"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    name: String,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let removed = act::remove(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        act::RemoveOrg { coalition, name },
    )
    .await?;
    reply(ctx, render::org_removed(&removed)).await
}
