//! `/deadline add|list|done`: milestones the leads are pinged about before they are due.

use crate::actions::deadlines;
use crate::actions::plan_edits::{self as act, EditDeadline, RemoveDeadline};
use crate::discord::{Command, Context, begin, reply};
use crate::error::Result;
use crate::render::goals as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![deadline()]
}

/// Milestones the leads are pinged about before they're due.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "list", "done", "deadline_edit", "deadline_remove"),
    subcommand_required
)]
pub async fn deadline(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Adds a milestone; leads are pinged before it (leads).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The milestone (up to 200 characters)"]
    #[max_length = 200]
    title: String,
    #[description = "When it's due: 2026-12-01 17:00, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: String,
    #[description = "The goal it belongs to: #3 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = deadlines::AddDeadline {
        coalition,
        title,
        due,
        goal,
    };
    let out = deadlines::add(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::deadline_added(&out)).await?;
    // After the answer: its first ping is now planned, let the scheduler see it at once.
    data.wake.notify_one();
    Ok(())
}

/// Upcoming and missed milestones.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let page =
        crate::actions::pages::first(&data.store, &actor, data.now(), "deadlines", coalition.as_deref())
            .await?;
    reply(ctx, crate::render::paging::list_page(&page)).await
}

/// Marks a milestone met (leads).
#[poise::command(slash_command, guild_only)]
pub async fn done(
    ctx: Context<'_>,
    #[description = "The milestone: #2, 2, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::deadline"]
    deadline: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = deadlines::done(
        &data.store,
        &actor,
        data.now(),
        deadlines::DeadlineDone { coalition, deadline },
    )
    .await?;
    reply(ctx, render::deadline_met(&out)).await
}

/// Corrects a milestone's title or due date; its pings follow (leads).
#[poise::command(slash_command, guild_only, rename = "edit")]
pub async fn deadline_edit(
    ctx: Context<'_>,
    #[description = "The milestone: #2, 2, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::deadline"]
    deadline: String,
    #[description = "The new title (up to 200 characters)"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "The new due date: 2026-12-01 17:00, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = EditDeadline {
        coalition,
        deadline,
        title,
        due,
    };
    let out = act::edit_deadline(&data.store, &actor, data.now(), input).await?;
    data.wake.notify_one();
    reply(ctx, render::deadline_edited(&out)).await
}

/// Removes a milestone and its pending pings (leads).
#[poise::command(slash_command, guild_only, rename = "remove")]
pub async fn deadline_remove(
    ctx: Context<'_>,
    #[description = "The milestone: #2, 2, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::deadline"]
    deadline: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::remove_deadline(
        &data.store,
        &actor,
        data.now(),
        RemoveDeadline { coalition, deadline },
    )
    .await?;
    reply(ctx, render::deadline_removed(&out)).await
}
