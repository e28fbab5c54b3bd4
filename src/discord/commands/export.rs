//! `/export`: all of a coalition's data as a file attachment.

use crate::actions::export::{self as act, ExportFormat, ExportInput};
pub use crate::discord::choices::FormatChoice;
use crate::discord::{Command, Context, begin, defer, reply};
use crate::error::{Error, Result};
use crate::render::coalitions as render;

/// The largest file a bot may attach in a server without boosts.
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![export()]
}

impl From<FormatChoice> for ExportFormat {
    fn from(f: FormatChoice) -> ExportFormat {
        match f {
            FormatChoice::Csv => ExportFormat::Csv,
            FormatChoice::Json => ExportFormat::Json,
        }
    }
}

/// Download all of a coalition's data: CSV files in a zip, or JSON (leads).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn export(
    ctx: Context<'_>,
    #[description = "csv (a zip with one CSV per table) or json (one file)"] format: FormatChoice,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    defer(ctx).await?;
    let input = ExportInput {
        coalition,
        format: format.into(),
    };
    let file = act::export(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    if file.bytes.len() > UPLOAD_LIMIT {
        return Err(Error::user(format!(
            "The export of **{}** is {:.1} MB, more than Discord's {} MB upload limit — ask the bot's operator to run \
             `backbone export --coalition \"{}\" --guild {}` on the server instead.",
            file.coalition_name,
            file.bytes.len() as f64 / (1024.0 * 1024.0),
            UPLOAD_LIMIT / (1024 * 1024),
            file.coalition_name,
            actor.guild
        )));
    }
    reply(ctx, render::exported(file)).await
}
