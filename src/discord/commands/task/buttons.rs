//! The task card's Start / Done / Blocked buttons.

use poise::serenity_prelude as serenity;

use super::blocker::{block_modal, blockable};
use super::card::{refresh_card, updated_card};
use crate::actions::tasks::{self, TaskSel, UpdateTask};
use crate::discord::respond::{self, LATE_FORM};
use crate::discord::{Data, interaction};
use crate::domain::{TaskId, TaskStatus};
use crate::error::{Error, Result};

/// The task card's buttons: `task:start:<id>`, `task:done:<id>`, `task:block:<id>`.
pub async fn on_button(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    action: &str,
    id: TaskId,
) -> Result<()> {
    let actor = interaction::component_actor(c)?;
    let sel = TaskSel::Id(id);
    let status = match action {
        "start" => TaskStatus::InProgress,
        "done" => TaskStatus::Done,
        "block" => {
            let task = blockable(&data.store, &actor, None, &sel).await?;
            return respond::current()?.modal(block_modal(&task), LATE_FORM).await;
        }
        _ => {
            return Err(Error::user(
                "This button is from an older version of Backbone — run the command again.",
            ));
        }
    };
    let input = UpdateTask {
        coalition: None,
        task: sel,
        status,
        note: None,
    };
    let out = tasks::update(&data.store, &actor, data.now(), input).await?;
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    // The change is made: from here on, a failed answer must not claim nothing changed.
    if let Err(e) = respond::current()?.update(&card).await {
        tracing::warn!(error = %e, task = %out.task.id, "could not update the clicked card");
    }
    refresh_card(&ctx.http, &out.task, &card, Some(c.message.id)).await;
    Ok(())
}
