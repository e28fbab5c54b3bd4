//! The blocker form: what a Blocked button or `/task update status:blocked` without a note opens.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use super::card::{refresh_card, updated_card};
use crate::actions::Actor;
use crate::actions::tasks::{self, TaskSel, UpdateTask};
use crate::discord::{Data, interaction, respond};
use crate::domain::{Task, TaskId, TaskStatus};
use crate::error::{Error, Result};
use crate::render::tasks as render;
use crate::store::Store;

/// The blocker form (`modal:task-block:<id>`): marks the task blocked with the reason.
pub async fn on_block_modal(
    ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    id: TaskId,
) -> Result<()> {
    let actor = interaction::modal_actor(m)?;
    let reason = interaction::modal_value(m, "reason");
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(id),
        status: TaskStatus::Blocked,
        note: Some(reason),
    };
    let out = tasks::update(&data.store, &actor, data.now(), input).await?;
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    // A form opened from a card's button updates that card; one opened by `/task update` confirms.
    let responder = respond::current()?;
    let (answered, clicked) = match &m.message {
        Some(msg) => (responder.update(&card).await, Some(msg.id)),
        None => (responder.send(&render::blocked_confirmation(&out)).await, None),
    };
    if let Err(e) = answered {
        tracing::warn!(error = %e, task = %out.task.id, "could not answer the blocker form");
    }
    data.wake.notify_one();
    refresh_card(&ctx.http, &out.task, &card, clicked).await;
    Ok(())
}

/// The blocker form for `task`.
pub(super) fn block_modal(task: &Task) -> CreateModal {
    let input = CreateInputText::new(InputTextStyle::Paragraph, "What's in the way?", "reason")
        .placeholder("e.g. waiting for the venue to confirm the date")
        .min_length(1)
        .max_length(1000)
        .required(true);
    let title = format!("Task #{} is blocked", task.number);
    CreateModal::new(
        format!("modal:task-block:{}", task.id),
        crate::domain::text::truncate(&title, 45),
    )
    .components(vec![CreateActionRow::InputText(input)])
}

/// Checks, before the form opens, that the actor may mark the task blocked — so a refused click
/// answers at once instead of after typing the reason.
pub(super) async fn blockable(
    store: &Store,
    actor: &Actor,
    coalition: Option<&str>,
    sel: &TaskSel,
) -> Result<Task> {
    let (scope, task) = tasks::resolve(store, actor, coalition, sel).await?;
    let subject = format!("task #{}", task.number);
    scope.require_right(
        &[(crate::actions::Holder::Assignee, task.assignee_id)],
        &subject,
        "change its status",
    )?;
    crate::actions::tasks::require_not_cancelled(&task)?;
    match task.status {
        TaskStatus::Done | TaskStatus::Cancelled => Err(Error::user(format!(
            "Task #{} is done — reopen it first with `/task update status:open`.",
            task.number
        ))),
        TaskStatus::Blocked => Err(Error::user(format!(
            "Task #{} is already blocked — to update the reason, run `/task update status:blocked` with \
             `note:` saying what's in the way now; another status unblocks it.",
            task.number
        ))),
        _ => Ok(task),
    }
}
