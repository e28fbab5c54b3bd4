//! `/win log|list`, and the "Log as win" button of a done task card.

use poise::serenity_prelude as serenity;
use serenity::CreateAutocompleteResponse;

use super::task;
use crate::actions::win_edits::{self, RemoveWin};
use crate::actions::wins;
use crate::discord::autocomplete::{choices, option_str};
use crate::discord::{Command, Context, Data, actor_from, begin, convert, interaction, reply, respond};
use crate::domain::TaskId;
use crate::error::Result;
use crate::render::tasks as render_tasks;
use crate::render::wins as render;
use crate::store::win_edits::Celebration;
use crate::telemetry::phase;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![win()]
}

/// Log and celebrate the coalition's wins.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("log", "list", "remove"),
    subcommand_required
)]
pub async fn win(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Records a win and celebrates it in the home channel.
#[poise::command(slash_command, guild_only)]
pub async fn log(
    ctx: Context<'_>,
    #[description = "What went well (up to 1000 characters)"]
    #[max_length = 1000]
    text: String,
    #[description = "The goal it counts toward: #3 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: Option<String>,
    #[description = "How much to add to the goal, like 25 (needs goal)"] amount: Option<f64>,
    #[description = "The partner organization it belongs to (default: yours)"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = wins::log(
        &data.store,
        &actor,
        data.now(),
        wins::LogWin {
            coalition,
            text,
            goal,
            amount,
            org,
        },
    )
    .await?;
    reply(ctx, phase::render(|| render::win_logged(&out))).await?;
    // After the answer: the celebration is a queued post in the home channel, send it now.
    data.wake.notify_one();
    Ok(())
}

/// Recent wins.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "How many days back (default 7)"]
    #[min = 1]
    #[max = 365]
    days: Option<i64>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = wins::list(
        &data.store,
        &actor,
        data.now(),
        wins::ListWins {
            coalition,
            days,
            page: 1,
        },
    )
    .await?;
    reply(ctx, render::win_list(&out)).await
}

/// The `win:log-task:<id>` button on a done task card: logs the task as a win, once. The card is
/// updated in place (no more "Log as win" button) and the clicker gets a private confirmation.
pub async fn on_button(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: TaskId,
) -> Result<()> {
    let actor = interaction::component_actor(c)?;
    let out = wins::log_task_win(&data.store, &actor, data.now(), id).await?;
    let confirmation = render::task_win_logged(&out);
    // The win is logged: from here on, a failed answer must not claim nothing changed.
    let card = match task::card_of(&data.store, actor.guild, id, data.now().timestamp()).await {
        Ok(card) => card,
        Err(e) => {
            tracing::warn!(error = %e, task = %id, "could not re-render the task card");
            None
        }
    };
    let responder = respond::current()?;
    let Some((task, card)) = card else {
        if let Err(e) = responder.send(&confirmation).await {
            tracing::warn!(error = %e, win = %out.win.id, "could not confirm the logged win");
        }
        data.wake.notify_one();
        return Ok(());
    };
    let card = render_tasks::logged_as_win(card);
    if let Err(e) = responder.update(&card).await {
        tracing::warn!(error = %e, win = %out.win.id, "could not update the clicked card");
    } else if let Err(e) = responder.send(&confirmation).await {
        tracing::debug!(error = %e, win = %out.win.id, "could not send the win confirmation");
    }
    // After the answer: let the sender celebrate the win now.
    data.wake.notify_one();
    // The task's posted card (from `/task assign`), if it is another message, loses its button too.
    task::refresh_card(&ctx.http, &task, &card, Some(c.message.id)).await;
    Ok(())
}

/// Withdraws a win: its amount leaves the goal and the celebration says so.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "The win: pick one of your recent wins (leads see all)"]
    #[autocomplete = "suggest_win"]
    win: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = win_edits::remove(&data.store, &actor, data.now(), RemoveWin { coalition, win }).await?;
    reply(ctx, render::removed(&out)).await?;
    let mut celebration = out.celebration;
    // A celebration going out right now gets its message id in a moment: wait for it (briefly).
    for _ in 0..40 {
        if celebration != Celebration::Sending {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        celebration = win_edits::celebration_now(&data.store, &out).await?;
    }
    let Celebration::Posted(channel, message) = celebration else {
        return Ok(());
    };
    // Best effort: the win is removed either way; a deleted post only costs the edit.
    let (Ok(c), Ok(m)) = (u64::try_from(channel.0), u64::try_from(message.0)) else {
        return Ok(());
    };
    if c > 0 && m > 0 {
        let edit = convert::edit_message(&render::withdrawn_celebration(&out));
        if let Err(e) = serenity::ChannelId::new(c)
            .edit_message(ctx.http(), serenity::MessageId::new(m), edit)
            .await
        {
            tracing::warn!(error = %e, win = %out.win.id, "could not edit the celebration post");
        }
    }
    Ok(())
}

/// The invoker's recent wins (a lead's: everyone's).
async fn suggest_win(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Context::Application(app) = ctx else {
        return choices(vec![]);
    };
    let i = app.interaction;
    let Ok(actor) = actor_from(i.guild_id, i.member.as_deref(), &i.user, i.channel_id) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    match win_edits::suggest(&ctx.data().store, &actor, c.as_deref(), partial).await {
        Ok(found) => choices(found),
        Err(e) => {
            tracing::warn!(error = %e, "win autocomplete failed");
            choices(vec![])
        }
    }
}
