//! `/target add|log|list|show|map|edit|remove`, and the leads' "Add a private note" button with
//! its form.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use crate::actions::{outreach, target_views, targets};
use crate::discord::choices::{InfluenceChoice, OutreachKindChoice, StanceChoice};
use crate::discord::respond::{self, LATE_FORM};
use crate::discord::{Command, Context, Data, begin, blocking, defer, interaction, reply};
use crate::domain::TargetId;
use crate::error::Result;
use crate::render::target_map;
use crate::render::targets as render;
use crate::render::tasks as render_tasks;
use crate::telemetry::phase;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![target()]
}

/// The decision-makers the coalition wants to move, and the outreach to them.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "log", "list", "show", "map", "edit", "remove"),
    subcommand_required
)]
pub async fn target(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Adds a decision-maker or stakeholder the coalition wants to move (leads).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "Their name, like Cllr Reyes (unique in the coalition)"]
    #[max_length = 100]
    name: String,
    #[description = "Their role, like council member"] role: Option<String>,
    #[description = "Their office, like City Council"] office: Option<String>,
    #[description = "Their jurisdiction, like Eastside"] jurisdiction: Option<String>,
    #[description = "Where they stand (default neutral)"] stance: Option<StanceChoice>,
    #[description = "How much they can move the outcome"] influence: Option<InfluenceChoice>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = targets::AddTarget {
        coalition,
        name,
        role,
        office,
        jurisdiction,
        stance: stance.map(|s| s.as_str().to_string()),
        influence: influence.map(|i| i.as_str().to_string()),
    };
    let out = targets::add(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::target_saved(&out, true))).await
}

/// Records an outreach: who met whom, what was asked and said, the stance seen.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn log(
    ctx: Context<'_>,
    #[description = "Whom you reached: the target's name"]
    #[autocomplete = "crate::discord::autocomplete::target"]
    target: String,
    #[description = "What kind of outreach it was"] kind: OutreachKindChoice,
    #[description = "What was said (up to 1000 characters)"]
    #[max_length = 1000]
    outcome: String,
    #[description = "The stance you saw; a change is added to their history"] stance: Option<StanceChoice>,
    #[description = "What you asked for"]
    #[max_length = 1000]
    ask: Option<String>,
    #[description = "The partner organization you reached out for (default: yours)"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
    #[description = "A due date for a follow-up task for you: friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    follow_up: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = outreach::LogOutreach {
        coalition,
        target,
        kind: kind.as_str().to_string(),
        outcome,
        stance: stance.map(|s| s.as_str().to_string()),
        ask,
        org,
        follow_up,
        user_name: actor.name.clone(),
    };
    let now = data.now();
    let out = outreach::log(&data.store, &actor, now, input).await?;
    reply(ctx, phase::render(|| render::outreach_logged(&out))).await?;
    if let Some(task) = &out.follow_up {
        // The follow-up is the usual task card, with its buttons, below the outreach.
        let card = render_tasks::assigned(task, now.timestamp());
        if let Err(e) = respond::current()?.send(&card).await {
            tracing::warn!(error = %e, task = %task.task.id, "could not post the follow-up task card");
        }
        data.wake.notify_one();
    }
    Ok(())
}

/// Targets by stance and influence.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Only targets with this stance"] stance: Option<StanceChoice>,
    #[description = "Only targets with this influence"] influence: Option<InfluenceChoice>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = target_views::ListTargets {
        coalition,
        stance: stance.map(|s| s.as_str().to_string()),
        influence: influence.map(|i| i.as_str().to_string()),
        page: 1,
    };
    let out = target_views::list(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::target_list(&out))).await
}

/// One target's timeline: outreach and stance changes.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn show(
    ctx: Context<'_>,
    #[description = "The target's name"]
    #[autocomplete = "crate::discord::autocomplete::target"]
    target: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = target_views::show(&data.store, &actor, data.now(), coalition.as_deref(), &target).await?;
    reply(ctx, phase::render(|| render::target_shown(&out))).await
}

/// The power/interest grid (stance × influence) as a picture.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn map(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let now = data.now();
    data.cooldowns.check(MAP, actor.user, now)?;
    defer(ctx).await?;
    let out = match target_views::map(&data.store, &actor, now, coalition.as_deref()).await {
        Ok(m) => m,
        Err(e) => {
            // A refusal didn't draw anything: it doesn't count toward the cooldown.
            if e.is_user() {
                data.cooldowns.forget(MAP, actor.user, now);
            }
            return Err(e);
        }
    };
    // Drawing the picture (resvg) is CPU work: off the async workers.
    let msg = blocking(move || target_map::target_map(&out)).await?;
    reply(ctx, msg).await
}

/// The cooldown's name for `/target map`.
const MAP: &str = "target map";

/// Corrects a target; a stance change made here is recorded in its history (leads).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn edit(
    ctx: Context<'_>,
    #[description = "The target's name"]
    #[autocomplete = "crate::discord::autocomplete::target"]
    target: String,
    #[description = "A new name"]
    #[max_length = 100]
    name: Option<String>,
    #[description = "Their role"] role: Option<String>,
    #[description = "Their office"] office: Option<String>,
    #[description = "Their jurisdiction"] jurisdiction: Option<String>,
    #[description = "Where they stand now"] stance: Option<StanceChoice>,
    #[description = "How much they can move the outcome"] influence: Option<InfluenceChoice>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = targets::EditTarget {
        coalition,
        target,
        name,
        role,
        office,
        jurisdiction,
        stance: stance.map(|s| s.as_str().to_string()),
        influence: influence.map(|i| i.as_str().to_string()),
    };
    let out = targets::edit(&data.store, &actor, data.now(), input).await?;
    reply(ctx, phase::render(|| render::target_saved(&out, false))).await
}

/// Removes a target and its private notes (leads).
#[poise::command(slash_command, guild_only)]
pub async fn remove(
    ctx: Context<'_>,
    #[description = "The target's name"]
    #[autocomplete = "crate::discord::autocomplete::target"]
    target: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = targets::remove(&data.store, &actor, data.now(), coalition.as_deref(), &target).await?;
    reply(ctx, phase::render(|| render::target_removed(&out))).await
}

/// The "Add a private note" button on `/target show` (`target:note:<id>`, leads): opens the form.
pub async fn on_note_button(
    _ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    id: TargetId,
) -> Result<()> {
    let actor = interaction::component_actor(c)?;
    // Checked before the form opens, so a refused click answers at once.
    let (scope, target) = targets::by_id(&data.store, &actor, id).await?;
    scope.require_lead()?;
    let input = CreateInputText::new(InputTextStyle::Paragraph, "Note (only leads see it)", "note")
        .placeholder("e.g. prefers short briefings; ask via her chief of staff")
        .min_length(1)
        .max_length(1000)
        .required(true);
    let title = crate::domain::text::truncate(&format!("Note on {}", target.name), 45);
    let modal = CreateModal::new(format!("modal:target-note:{}", target.id), title)
        .components(vec![CreateActionRow::InputText(input)]);
    respond::current()?.modal(modal, LATE_FORM).await
}

/// The note form (`modal:target-note:<id>`): keeps the note, answers privately.
pub async fn on_note_modal(
    _ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    id: TargetId,
) -> Result<()> {
    let actor = interaction::modal_actor(m)?;
    let note = interaction::modal_value(m, "note");
    let out = targets::add_note(&data.store, &actor, data.now(), id, &note).await?;
    respond::current()?.send(&render::note_added(&out)).await
}
