//! `/feedback send|list` and the `feedback:ack:<id>` button. The send path logs nothing that
//! identifies the sender (the command span of `feedback send` carries no user either).

use poise::serenity_prelude as serenity;

use crate::actions::feedback as act;
use crate::discord::{Command, Context, Data, begin, interaction, reply, respond};
use crate::domain::FeedbackId;
use crate::error::Result;
use crate::render::feedback as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![feedback()]
}

/// Concerns and suggestions for the leads.
#[poise::command(slash_command, guild_only, subcommands("send", "list"), subcommand_required)]
pub async fn feedback(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Send a concern or suggestion to the leads; anonymous feedback stores no author anywhere.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn send(
    ctx: Context<'_>,
    #[description = "Your concern or suggestion (up to 1000 characters)"]
    #[max_length = 1000]
    text: String,
    #[description = "Send without your name: nothing records who sent it (default: false)"] anonymous: Option<
        bool,
    >,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = act::SendFeedback {
        coalition,
        text,
        anonymous: anonymous.unwrap_or(false),
    };
    let out = act::send(&data.store, &data.feedback_limiter, &actor, data.now(), input).await?;
    reply(ctx, render::sent(&out)).await?;
    data.wake.notify_one();
    Ok(())
}

/// Recent feedback, each open item with an Acknowledge button (leads).
#[poise::command(slash_command, ephemeral, guild_only)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let out = act::list(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref()).await?;
    reply(ctx, render::list(&out)).await
}

/// The `feedback:ack:<id>` button (leads): marks the item acknowledged and tells a named sender.
pub async fn on_button(
    _ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: FeedbackId,
) -> Result<()> {
    let actor = interaction::component_actor(c)?;
    let out = act::acknowledge(&data.store, &actor, data.now(), id).await?;
    let msg = render::acknowledged(&out);
    if let Err(e) = respond::current()?.send(&msg).await {
        // Acknowledged already: a failed answer must not look like nothing changed.
        tracing::warn!(error = %e, feedback = %id, "could not confirm the acknowledgement");
    }
    // After the answer: the sender's note goes out now.
    data.wake.notify_one();
    Ok(())
}
