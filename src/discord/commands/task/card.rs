//! The task card: rendering it as it stands and refreshing the posted copy after a change.

use poise::serenity_prelude as serenity;

use crate::actions;
use crate::actions::tasks::TaskUpdated;
use crate::discord::convert;
use crate::domain::message::Message;
use crate::domain::{GuildId, Task, TaskId, TaskStatus};
use crate::error::Result;
use crate::render::tasks as render;
use crate::store::Store;

/// The goal a task works toward, by title (a failed lookup just leaves it off the card).
async fn goal_title(store: &Store, task: &Task) -> Option<String> {
    let goal = task.goal_id?;
    match crate::store::goals::get(store, task.coalition_id, goal).await {
        Ok(g) => g.map(|g| g.title),
        Err(e) => {
            tracing::warn!(error = %e, task = %task.id, "could not load the task's goal");
            None
        }
    }
}

/// The card after a status change.
pub(super) async fn updated_card(store: &Store, out: &TaskUpdated, now: i64) -> Message {
    let goal = goal_title(store, &out.task).await;
    render::updated(out, goal.as_deref(), now)
}

/// Re-renders the task's posted card (from `/task assign`) with `card`, unless it is the message
/// just answered (`skip`). Best effort: a deleted card or a missing permission is only logged.
pub(crate) async fn refresh_card(
    http: &serenity::Http,
    task: &Task,
    card: &Message,
    skip: Option<serenity::MessageId>,
) {
    let (Some(channel), Some(message)) = (task.channel_id, task.message_id) else {
        return;
    };
    let (Ok(channel_raw), Ok(message_raw)) = (u64::try_from(channel.0), u64::try_from(message.0)) else {
        return;
    };
    if channel_raw == 0 || message_raw == 0 {
        return;
    }
    let message_id = serenity::MessageId::new(message_raw);
    if skip == Some(message_id) {
        return;
    }
    let mut card = card.clone();
    card.ephemeral = false;
    let edit = serenity::ChannelId::new(channel_raw)
        .edit_message(http, message_id, convert::edit_message(&card))
        .await;
    if let Err(e) = edit {
        tracing::debug!(error = %e, task = %task.id, "could not refresh the posted task card");
    }
}

/// Loads a task afresh and re-renders its posted card (after a reassignment or a new due date).
pub(crate) async fn refresh_stored_card(
    http: &serenity::Http,
    store: &Store,
    guild: GuildId,
    id: TaskId,
    now: i64,
) {
    match card_of(store, guild, id, now).await {
        Ok(Some((task, card))) => refresh_card(http, &task, &card, None).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, task = %id, "could not re-render the task card"),
    }
}

/// A task's card as it stands, with the names it shows.
pub(crate) async fn card_of(
    store: &Store,
    guild: GuildId,
    id: TaskId,
    now: i64,
) -> Result<Option<(Task, Message)>> {
    let Some((task, coalition)) = actions::tasks::get_by_id(store, guild, id).await? else {
        return Ok(None);
    };
    let assignee = match task.assignee_id {
        Some(user) => crate::store::members::get(store, coalition.id, user)
            .await?
            .map(|m| m.display_name),
        None => None,
    };
    let offer_win = task.status == TaskStatus::Done
        && !crate::store::wins::logged_for_task(store, coalition.id, task.id).await?;
    let goal = goal_title(store, &task).await;
    let card = render::task_card_with(
        &task,
        &coalition.name,
        coalition.tz(),
        assignee.as_deref(),
        goal.as_deref(),
        now,
        offer_win,
    );
    Ok(Some((task, card)))
}
