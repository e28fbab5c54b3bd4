//! `/goal add|progress|list|close`: the coalition's shared, measurable goals.

use crate::actions::goals;
use crate::actions::plan_edits::{self as act, EditGoal};
pub use crate::discord::choices::OutcomeChoice;
use crate::discord::{Command, Context, begin, reply};
use crate::domain::GoalStatus;
use crate::error::Result;
use crate::render::goals as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![goal()]
}

/// Shared, measurable goals of the coalition.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "progress", "list", "close", "goal_edit"),
    subcommand_required
)]
pub async fn goal(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Adds a shared measurable goal (leads).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The goal (up to 200 characters)"]
    #[max_length = 200]
    title: String,
    #[description = "The number to reach, like 500"] target: Option<f64>,
    #[description = "What is counted, like signatures or volunteers"]
    #[max_length = 100]
    metric: Option<String>,
    #[description = "The unit shown after numbers, like people or €"]
    #[max_length = 100]
    unit: Option<String>,
    #[description = "When it's due: 2026-12-01, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = goals::AddGoal {
        coalition,
        title,
        target,
        metric,
        unit,
        due,
    };
    let out = goals::add(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::goal_added(&out)).await
}

/// Sets a goal's current value (leads).
#[poise::command(slash_command, guild_only)]
pub async fn progress(
    ctx: Context<'_>,
    #[description = "The goal: #3, 3, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: String,
    #[description = "Its current value, like 250"] value: f64,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = goals::progress(
        &data.store,
        &actor,
        data.now(),
        goals::SetProgress {
            coalition,
            goal,
            value,
        },
    )
    .await?;
    reply(ctx, render::goal_progressed(&out)).await
}

/// Goals with progress bars and due dates.
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
        crate::actions::pages::first(&data.store, &actor, data.now(), "goals", coalition.as_deref()).await?;
    reply(ctx, crate::render::paging::list_page(&page)).await
}

/// Marks a goal achieved or dropped (leads).
#[poise::command(slash_command, guild_only)]
pub async fn close(
    ctx: Context<'_>,
    #[description = "The goal: #3, 3, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: String,
    #[description = "achieved (default) or dropped"] outcome: Option<OutcomeChoice>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let outcome = match outcome.unwrap_or(OutcomeChoice::Achieved) {
        OutcomeChoice::Achieved => GoalStatus::Achieved,
        OutcomeChoice::Dropped => GoalStatus::Dropped,
    };
    let out = goals::close(
        &data.store,
        &actor,
        data.now(),
        goals::CloseGoal {
            coalition,
            goal,
            outcome,
        },
    )
    .await?;
    reply(ctx, render::goal_closed(&out)).await
}

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
