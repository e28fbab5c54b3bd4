//! `/member add|remove|list`: who is in a coalition, in which org, with which role.

pub use crate::discord::choices::RoleChoice;
use poise::serenity_prelude as serenity;

use crate::actions::members as act;
use crate::discord::{Command, Context, begin, reply};
use crate::domain::{Role, UserId};
use crate::error::Result;
use crate::render::people as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![member()]
}

/// Members of a coalition.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "remove", "list"),
    subcommand_required
)]
pub async fn member(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

impl From<RoleChoice> for Role {
    fn from(r: RoleChoice) -> Role {
        match r {
            RoleChoice::Lead => Role::Lead,
            RoleChoice::Member => Role::Member,
        }
    }
}

/// The name a user goes by in this server: their nickname from the interaction, else their
/// global display name, else their username.
pub fn display_name(ctx: Context<'_>, user: &serenity::User) -> String {
    let nick = match ctx {
        poise::Context::Application(app) => app
            .interaction
            .data
            .resolved
            .members
            .get(&user.id)
            .and_then(|m| m.nick.clone()),
        poise::Context::Prefix(_) => None,
    };
    nick.or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone())
}

/// A Discord user as Backbone's id.
pub fn user_id(user: &serenity::User) -> UserId {
    UserId(user.id.get() as i64)
}

/// Add a member, or change a member's role or org (leads).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "Who to add or update"] user: serenity::User,
    #[description = "lead or member (default: member, or their current role)"] role: Option<RoleChoice>,
    #[description = "Their partner organization (none to clear it)"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::AddMember {
        coalition,
        user: user_id(&user),
        user_name: display_name(ctx, &user),
        role: role.map(Role::from),
        org,
    };
    let added = act::add(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::member_added(&added)).await
}

/// Remove a member; their open tasks stay, unassigned (leads).
#[poise::command(slash_command, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "Who to remove"] user: serenity::User,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::RemoveMember {
        coalition,
        user: user_id(&user),
    };
    let removed = act::remove(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::member_removed(&removed)).await
}

/// List members by org, with their role and responsibilities.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
    #[description = "Only this organization"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let page = crate::actions::pages::members(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        coalition.as_deref(),
        org.as_deref(),
    )
    .await?;
    reply(ctx, crate::render::paging::list_page(&page)).await
}
