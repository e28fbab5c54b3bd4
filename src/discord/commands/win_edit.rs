//! `/win remove`: withdraws a win, and edits its celebration post to say so.

use poise::serenity_prelude as serenity;
use serenity::CreateAutocompleteResponse;

use crate::actions::win_edits::{self, RemoveWin};
use crate::discord::autocomplete::{choices, option_str};
use crate::discord::{Context, actor_from, begin, convert, reply};
use crate::error::Result;
use crate::render::win_edits as render;
use crate::store::win_edits::Celebration;

/// Withdraws a win: its amount leaves the goal and the celebration says so.
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "The win: pick one of your recent wins (leads see all)"]
    #[autocomplete = "win"]
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
async fn win(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
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
