//! `/task edit`, `/task cancel` and `/task repeat`: correcting and closing tasks. Each redraws the
//! task's posted card.

use crate::actions::tasks::{self as task_edits, CancelTask, EditTask, RepeatTask, TaskSel};
use crate::discord::{Context, begin, reply};
use crate::error::Result;
use crate::render::tasks as render;

use super::{after_change, refresh_card_of};

/// Corrects a task's title or goal; the posted card updates.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn edit(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "The new title (up to 200 characters)"]
    #[max_length = 200]
    title: Option<String>,
    #[description = "The goal it works toward: #3, the start of its title, or none"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = EditTask {
        coalition,
        task: TaskSel::Ref(task),
        title,
        goal,
    };
    let out = task_edits::edit(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::edited(&out)).await?;
    refresh_card_of(ctx, actor.guild, out.task.id).await;
    Ok(())
}

/// Closes a task without counting it as done; its pings are cancelled.
#[poise::command(slash_command, guild_only)]
pub async fn cancel(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "Why it's cancelled (shown on the card)"]
    #[max_length = 1000]
    reason: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = CancelTask {
        coalition,
        task: TaskSel::Ref(task),
        reason,
    };
    let out = task_edits::cancel(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::cancelled(&out)).await?;
    // A repeating task's next copy waits in the outbox: the scheduler creates it now.
    after_change(ctx, actor.guild, out.task.id).await;
    Ok(())
}

/// Makes a task repeat: its next copy is created when it closes.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn repeat(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "every monday, every 2 weeks fri 17:00, monthly on the 1st, or off"]
    #[max_length = 100]
    every: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = RepeatTask {
        coalition,
        task: TaskSel::Ref(task),
        every,
    };
    let out = task_edits::set_repeat(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::repeat_set(&out)).await?;
    refresh_card_of(ctx, actor.guild, out.task.id).await;
    Ok(())
}
