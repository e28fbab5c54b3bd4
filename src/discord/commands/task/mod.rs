//! `/task assign|list|mine|update|done|reassign|due`. The task card's buttons are in `buttons.rs`,
//! the blocker form they open in `blocker.rs`, the card itself in `card.rs`.

mod blocker;
mod buttons;
mod card;
mod edits;

pub use blocker::on_block_modal;
use blocker::{block_modal, blockable};
pub use buttons::on_button;
use card::refresh_stored_card;
use card::updated_card;
pub(crate) use card::{card_of, refresh_card};

pub use crate::discord::choices::{ListStatusChoice, StatusChoice};
use poise::serenity_prelude as serenity;

use crate::actions::tasks::{self, TaskSel, UpdateTask};
use crate::discord::respond::{self, LATE_FORM};
use crate::discord::{Command, Context, begin, reply};
use crate::domain::{ChannelId, GuildId, MessageId, TaskId, TaskStatus, UserId};
use crate::error::Result;
use crate::render::tasks as render;
use crate::telemetry::phase;

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

impl From<ListStatusChoice> for TaskStatus {
    fn from(s: ListStatusChoice) -> Self {
        match s {
            ListStatusChoice::Open => TaskStatus::Open,
            ListStatusChoice::InProgress => TaskStatus::InProgress,
            ListStatusChoice::Blocked => TaskStatus::Blocked,
            ListStatusChoice::Done => TaskStatus::Done,
            ListStatusChoice::Cancelled => TaskStatus::Cancelled,
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
    subcommands(
        "assign",
        "list",
        "mine",
        "update",
        "done",
        "reassign",
        "due",
        "edits::edit",
        "edits::cancel",
        "edits::repeat"
    ),
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
    let card = phase::render(|| render::assigned(&out, data.now().timestamp()));
    let responder = respond::current()?;
    responder.send(&card).await?;
    // After the answer: wake the sender for the assignee's DM, and remember where the card is so
    // later changes (buttons, /task update) can re-render it. The task exists and the card is
    // posted: a failure here only costs those later edits.
    data.wake.notify_one();
    match responder.original_message().await {
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
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only this member's tasks"] assignee: Option<serenity::User>,
    #[description = "Only tasks with this status (default: all still open)"] status: Option<ListStatusChoice>,
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
        page: 1,
    };
    let out = tasks::list(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::task_list(&out, false))).await
}

/// Your open tasks.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn mine(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = tasks::mine(
        &data.store,
        &actor,
        data.now(),
        tasks::MyTasks { coalition, page: 1 },
    )
    .await?;
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
        return respond::current()?.modal(block_modal(&task), LATE_FORM).await;
    }
    let input = UpdateTask {
        coalition,
        task: sel,
        status,
        note,
    };
    let out = tasks::update(&data.store, &actor, data.now(), input).await?;
    let card = updated_card(&data.store, &out, data.now().timestamp()).await;
    reply(ctx, card.clone()).await?;
    data.wake.notify_one();
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
    reply(ctx, render::reassigned(&out)).await?;
    after_change(ctx, actor.guild, out.task.id).await;
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
    reply(ctx, render::due_set(&out)).await?;
    after_change(ctx, actor.guild, out.task.id).await;
    Ok(())
}

/// After answering a change that moves the task's pings (a reassignment, a new due date, a
/// cancellation): let the scheduler re-plan them at once, and re-render its posted card.
pub(crate) async fn after_change(ctx: Context<'_>, guild: GuildId, id: TaskId) {
    ctx.data().wake.notify_one();
    refresh_card_of(ctx, guild, id).await;
}

/// After answering a change to what the card shows: re-render the task's posted card.
pub(crate) async fn refresh_card_of(ctx: Context<'_>, guild: GuildId, id: TaskId) {
    let data = ctx.data();
    refresh_stored_card(ctx.http(), &data.store, guild, id, data.now().timestamp()).await;
}
