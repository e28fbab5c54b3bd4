//! `/resource add|list|remove`: the coalition's shared library.

use crate::actions::resources;
use crate::discord::{Command, Context, begin, reply};
use crate::error::Result;
use crate::render::resources as render;
use crate::telemetry::phase;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![resource()]
}

/// The coalition's shared library: documents, toolkits, talking points.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "list", "remove"),
    subcommand_required
)]
pub async fn resource(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Shares a document, toolkit or talking points (an http or https link).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The link: https://…"]
    #[max_length = 500]
    url: String,
    #[description = "What it is (up to 200 characters)"]
    #[max_length = 200]
    title: String,
    #[description = "Tags, like toolkit, housing"] tags: Option<String>,
    #[description = "The goal it serves: #3 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: Option<String>,
    #[description = "The target it is about"]
    #[autocomplete = "crate::discord::autocomplete::target"]
    target: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = resources::AddResource {
        coalition,
        url,
        title,
        tags,
        goal,
        target,
    };
    let out = resources::add(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::resource_added(&out))).await
}

/// The coalition's library, newest first.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only resources with this tag"] tag: Option<String>,
    #[description = "Words in the title, link or tags"]
    #[max_length = 50]
    search: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = resources::ListResources {
        coalition,
        tag,
        search,
        page: 1,
    };
    let out = resources::list(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::resource_list(&out))).await
}

/// Removes a resource (its author or a lead).
#[poise::command(slash_command, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "Which resource: #3 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::resource"]
    resource: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = resources::remove(&data.store, &actor, data.now(), coalition.as_deref(), &resource).await?;
    reply(ctx, phase::render(|| render::resource_removed(&out))).await
}
