//! (being written)

use poise::serenity_prelude as serenity;

use crate::discord::{Command, Data};
use crate::error::{Error, Result};

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![]
}

/// Task card buttons.
pub async fn on_button(_ctx: &serenity::Context, _data: &Data, _c: &serenity::ComponentInteraction, _id: i64) -> Result<()> {
    Err(Error::user("not yet"))
}

