//! `/coalition rename`, `/coalition archive`, `/coalition restore`.

use poise::serenity_prelude as serenity;
use serenity::CreateAutocompleteResponse;

use crate::actions::coalition_edits::{self as act, ArchiveCoalition, RenameCoalition, RestoreCoalition};
use crate::discord::autocomplete::choices;
use crate::discord::{Context, begin, reply};
use crate::domain::GuildId;
use crate::error::Result;
use crate::render::coalition_edits as render;

/// Renames a coalition (leads).
#[poise::command(slash_command, guild_only)]
pub async fn rename(
    ctx: Context<'_>,
    #[description = "The new name"]
    #[max_length = 100]
    name: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::rename(
        &data.store,
        &actor,
        data.now(),
        RenameCoalition { coalition, name },
    )
    .await?;
    reply(ctx, render::renamed(&out)).await
}

/// Archives a coalition (admins): stops its schedules and hides it; data and export stay.
#[poise::command(slash_command, guild_only)]
pub async fn archive(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::archive(&data.store, &actor, data.now(), ArchiveCoalition { coalition }).await?;
    reply(ctx, render::archived(&out)).await
}

/// Brings an archived coalition back (admins); schedules resume at their next occurrence.
#[poise::command(slash_command, guild_only)]
pub async fn restore(
    ctx: Context<'_>,
    #[description = "The archived coalition to bring back"]
    #[autocomplete = "archived"]
    coalition: String,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::restore(&data.store, &actor, data.now(), RestoreCoalition { coalition }).await?;
    data.wake.notify_one();
    reply(ctx, render::restored(&out)).await
}

/// The server's archived coalitions.
async fn archived(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = ctx.guild_id() else {
        return choices(vec![]);
    };
    match act::suggest_archived(&ctx.data().store, GuildId(g.get() as i64), partial).await {
        Ok(found) => choices(found),
        Err(e) => {
            tracing::warn!(error = %e, "archived coalition autocomplete failed");
            choices(vec![])
        }
    }
}
