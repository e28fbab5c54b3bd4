//! `/goal edit`, `/deadline edit`, `/deadline remove`.

use crate::actions::plan_edits::{self as act, EditDeadline, EditGoal, RemoveDeadline};
use crate::discord::{Context, begin, reply};
use crate::error::Result;
use crate::render::plan_edits as render;

/// Corrects a goal; its current value is kept (leads).
// One argument per option of the slash command: poise needs them as parameters.
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command, guild_only, rename = "edit")]
pub async fn goal_edit(
    ctx: Context<'_>,
    #[description = "The goal: #3, 3, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: String,
    #[description = "The new title (up to 200 characters)"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "The new target, a number above 0"] target: Option<f64>,
    #[description = "What is measured, like signatures (none clears it)"]
    #[max_length = 100]
    metric: Option<String>,
    #[description = "The unit, like people or € (none clears it)"]
    #[max_length = 100]
    unit: Option<String>,
    #[description = "The new due date: 2026-12-01, friday, in 3 days… (none clears it)"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = EditGoal {
        coalition,
        goal,
        title,
        target,
        metric,
        unit,
        due,
    };
    let out = act::edit_goal(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::goal_edited(&out)).await
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
