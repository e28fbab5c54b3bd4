//! `/task assign|list|mine|update|done|reassign|due`, and the task card's Start / Done / Blocked
//! buttons with the blocker form they open.

pub use crate::discord::choices::StatusChoice;
use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateInteractionResponse, CreateModal, InputTextStyle};

use crate::actions::tasks::{self, TaskSel, TaskUpdated, UpdateTask};
use crate::actions::{self, Actor};
use crate::discord::{Command, Context, Data, begin, components, convert, reply};
use crate::domain::message::Message;
use crate::domain::{ChannelId, GuildId, MessageId, Task, TaskId, TaskStatus, UserId};
use crate::error::{Error, Result};
use crate::render::tasks as render;
use crate::store::Store;

impl From<StatusChoice> for TaskStatus {
    fn from(s: StatusChoice) -> Self {
        match s {
            StatusChoice::Open => TaskStatus::Open,
            StatusChoice::InProgress => TaskStatus::InProgress,
            StatusChoice::Blocked => TaskStatus::Blocked,
            StatusChoice::Done => TaskStatus::Done,
        }
    }
}

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![task()]
}

/// Assign, list and update the coalition's tasks.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("assign", "list", "mine", "update", "done", "reassign", "due"),
    subcommand_required
)]
pub async fn task(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// A Discord user as Backbone knows them: id and display name.
fn user_of(u: &serenity::User) -> (UserId, String) {
    (
        UserId(u.id.get() as i64),
        u.global_name.clone().unwrap_or_else(|| u.name.clone()),
    )
}

/// Creates task #N for a member and posts it with Start / Done / Blocked buttons.
#[poise::command(slash_command, guild_only)]
pub async fn assign(
    ctx: Context<'_>,
    #[description = "What needs doing (up to 200 characters)"]
    #[max_length = 200]
    title: String,
    #[description = "Who does it (a member of the coalition)"] assignee: serenity::User,
    #[description = "When it's due: 2026-12-01, tomorrow 5pm, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: Option<String>,
    #[description = "The goal it works toward: #3 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::goal"]
    goal: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let (assignee, assignee_name) = user_of(&assignee);
    let input = tasks::AssignTask {
        coalition,
        title,
        assignee,
        assignee_name,
        due,
        goal,
    };
    let out = tasks::assign(&data.store, &actor, data.now(), input).await?;
    data.wake.notify_one();
    let card = render::assigned(&out, data.now().timestamp());
    let handle = ctx.send(convert::reply(&card)).await?;
    // Remember where the card is so later changes (buttons, /task update) can re-render it.
    // The task exists and the card is posted: a failure here only costs those later edits.
    match handle.message().await {
        Ok(m) => {
            let (channel, message) = (ChannelId(m.channel_id.get() as i64), MessageId(m.id.get() as i64));
            if let Err(e) = tasks::remember_message(&data.store, out.task.id, channel, message).await {
                tracing::warn!(error = %e, task = %out.task.id, "could not remember the task card");
            }
        }
        Err(e) => tracing::warn!(error = %e, task = %out.task.id, "could not read back the task card"),
    }
    Ok(())
}

/// Open tasks, overdue first.
#[poise::command(slash_command, guild_only)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only this member's tasks"] assignee: Option<serenity::User>,
    #[description = "Only tasks with this status (default: every status but done)"] status: Option<
        StatusChoice,
    >,
    #[description = "Only tasks of this partner organization"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = tasks::ListTasks {
        coalition,
        assignee: assignee.as_ref().map(|u| user_of(u).0),
        status: status.map(TaskStatus::from),
        org,
    };
    let out = tasks::list(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::task_list(&out, false)).await
}

/// Your open tasks.
#[poise::command(slash_command, guild_only)]
pub async fn mine(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = tasks::mine(&data.store, &actor, data.now(), tasks::MyTasks { coalition }).await?;
    reply(ctx, render::task_list(&out, true)).await
}

/// Changes a task's status; blocked needs a note and alerts the leads.
#[poise::command(slash_command, guild_only)]
pub async fn update(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "The new status"] status: StatusChoice,
    #[description = "What's happening — required for blocked: what is in the way?"]
    #[max_length = 1000]
    note: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let sel = TaskSel::Ref(task);
    let status = TaskStatus::from(status);
    let no_note = note.as_deref().is_none_or(|n| n.trim().is_empty());
    if status == TaskStatus::Blocked && no_note {
        // Ask for the reason in a form rather than refusing.
        let task = blockable(&data.store, &actor, coalition.as_deref(), &sel).await?;
        let Context::Application(app) = ctx else {
            return Err(Error::user("Backbone only answers slash commands."));
        };
        app.interaction.create_response(ctx, block_modal(&task)).await?;
        return Ok(());
    }
    let input = UpdateTask {
        coalition,
        task: sel,
        status,
        note,
    };
    let out = tasks::update(&data.store, &actor, data.now(), input).await?;
    data.wake.notify_one();
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    reply(ctx, card.clone()).await?;
    refresh_card(ctx.http(), &out.task, &card, None).await;
    Ok(())
}

/// Marks a task done, and offers to log it as a win.
#[poise::command(slash_command, guild_only)]
pub async fn done(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = tasks::done(&data.store, &actor, data.now(), coalition, TaskSel::Ref(task)).await?;
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    reply(ctx, card.clone()).await?;
    refresh_card(ctx.http(), &out.task, &card, None).await;
    Ok(())
}

/// Moves a task to another member.
#[poise::command(slash_command, guild_only)]
pub async fn reassign(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "Who does it now (a member of the coalition)"] assignee: serenity::User,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let (assignee, assignee_name) = user_of(&assignee);
    let input = tasks::ReassignTask {
        coalition,
        task: TaskSel::Ref(task),
        assignee,
        assignee_name,
    };
    let out = tasks::reassign(&data.store, &actor, data.now(), input).await?;
    data.wake.notify_one();
    reply(ctx, render::reassigned(&out)).await?;
    refresh_stored_card(
        ctx.http(),
        &data.store,
        actor.guild,
        out.task.id,
        data.now().timestamp(),
    )
    .await;
    Ok(())
}

/// Moves a task's due date.
#[poise::command(slash_command, guild_only)]
pub async fn due(
    ctx: Context<'_>,
    #[description = "The task: #12, 12, or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::task"]
    task: String,
    #[description = "The new due date: 2026-12-01, tomorrow 5pm, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = tasks::SetDue {
        coalition,
        task: TaskSel::Ref(task),
        due,
    };
    let out = tasks::set_due(&data.store, &actor, data.now(), input).await?;
    // The next deadline ping moved: let the scheduler re-plan at once.
    data.wake.notify_one();
    reply(ctx, render::due_set(&out)).await?;
    refresh_stored_card(
        ctx.http(),
        &data.store,
        actor.guild,
        out.task.id,
        data.now().timestamp(),
    )
    .await;
    Ok(())
}

/// The task card's buttons: `task:start:<id>`, `task:done:<id>`, `task:block:<id>`.
pub async fn on_button(
    ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    action: &str,
    id: i64,
) -> Result<()> {
    let actor = components::component_actor(c)?;
    let sel = TaskSel::Id(TaskId(id));
    let status = match action {
        "start" => TaskStatus::InProgress,
        "done" => TaskStatus::Done,
        "block" => {
            let task = blockable(&data.store, &actor, None, &sel).await?;
            c.create_response(ctx, block_modal(&task)).await?;
            return Ok(());
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
    let response = CreateInteractionResponse::UpdateMessage(convert::interaction_message(&card));
    if let Err(e) = c.create_response(ctx, response).await {
        tracing::warn!(error = %e, task = %out.task.id, "could not update the clicked card");
    }
    refresh_card(&ctx.http, &out.task, &card, Some(c.message.id)).await;
    Ok(())
}

/// The blocker form (`modal:task-block:<id>`): marks the task blocked with the reason.
pub async fn on_block_modal(
    ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    id: i64,
) -> Result<()> {
    let actor = components::modal_actor(m)?;
    let reason = components::modal_value(m, "reason");
    let input = UpdateTask {
        coalition: None,
        task: TaskSel::Id(TaskId(id)),
        status: TaskStatus::Blocked,
        note: Some(reason),
    };
    let out = tasks::update(&data.store, &actor, data.now(), input).await?;
    data.wake.notify_one();
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    // A form opened from a card's button updates that card; one opened by `/task update` confirms.
    let (response, clicked) = match &m.message {
        Some(msg) => (
            CreateInteractionResponse::UpdateMessage(convert::interaction_message(&card)),
            Some(msg.id),
        ),
        None => (
            CreateInteractionResponse::Message(convert::interaction_message(&render::blocked_confirmation(
                &out,
            ))),
            None,
        ),
    };
    if let Err(e) = m.create_response(ctx, response).await {
        tracing::warn!(error = %e, task = %out.task.id, "could not answer the blocker form");
    }
    refresh_card(&ctx.http, &out.task, &card, clicked).await;
    Ok(())
}

/// The blocker form for `task`.
fn block_modal(task: &Task) -> CreateInteractionResponse {
    let input = CreateInputText::new(InputTextStyle::Paragraph, "What's in the way?", "reason")
        .placeholder("e.g. waiting for the venue to confirm the date")
        .min_length(1)
        .max_length(1000)
        .required(true);
    let title = format!("Task #{} is blocked", task.number);
    CreateInteractionResponse::Modal(
        CreateModal::new(
            format!("modal:task-block:{}", task.id),
            crate::domain::text::truncate(&title, 45),
        )
        .components(vec![CreateActionRow::InputText(input)]),
    )
}

/// Checks, before the form opens, that the actor may mark the task blocked — so a refused click
/// answers at once instead of after typing the reason.
async fn blockable(store: &Store, actor: &Actor, coalition: Option<&str>, sel: &TaskSel) -> Result<Task> {
    let (scope, task) = tasks::resolve(store, actor, coalition, sel).await?;
    if task.assignee_id != Some(actor.user) && !scope.is_lead() {
        return Err(Error::user(format!(
            "Only task #{}'s assignee or a lead of **{}** can change its status — ask a lead, or see `/task mine` for yours.",
            task.number, scope.coalition.name
        )));
    }
    match task.status {
        TaskStatus::Done => Err(Error::user(format!(
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
async fn updated_card(store: &Store, out: &TaskUpdated, now: i64) -> Message {
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
async fn refresh_stored_card(http: &serenity::Http, store: &Store, guild: GuildId, id: TaskId, now: i64) {
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
