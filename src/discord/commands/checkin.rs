//! `/checkin submit|status`, the `checkin:open:<round>` button, and the check-in form:
//! `modal:checkin:<round>`, or `modal:checkin-new:<coalition>` when no round has opened yet.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use super::checkin_admin::{questions, report, settings};
use crate::actions::checkins::{self as act, CheckinForm, CheckinSubmitted, SubmitCheckin, SubmitNewRound};
use crate::discord::interaction::{component_actor, modal_actor, modal_value};
use crate::discord::respond::{self, LATE_FORM};
use crate::discord::{Command, Context, Data, begin, reply};
use crate::domain::text::MAX_TEXT;
use crate::domain::{CoalitionId, RoundId};
use crate::error::Result;
use crate::render::checkins as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![checkin()]
}

/// Check-ins: done, next, blockers.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("submit", "status", "questions", "report", "settings"),
    subcommand_required
)]
pub async fn checkin(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// The check-in form of a round: one text field per question (`q1`…`q5`), pre-filled with the
/// member's earlier answer.
pub(crate) fn modal(form: &CheckinForm) -> CreateModal {
    let defaults = render::form_defaults(form);
    let rows = form
        .questions
        .iter()
        .zip(defaults)
        .map(|(q, value)| {
            let placeholder = if q.is_blocker {
                "Leave empty if nothing is — the leads are alerted"
            } else {
                "A few words are enough"
            };
            let mut t = CreateInputText::new(InputTextStyle::Paragraph, &q.label, format!("q{}", q.position))
                .placeholder(placeholder)
                .max_length(MAX_TEXT as u16)
                .required(false);
            if !value.is_empty() {
                t = t.value(value);
            }
            CreateActionRow::InputText(t)
        })
        .collect();
    CreateModal::new(render::form_custom_id(form), render::form_title(form)).components(rows)
}

/// The answers typed in a submitted check-in form, in question order (`q1`…`q5`).
fn typed_answers(m: &serenity::ModalInteraction) -> Vec<String> {
    let n = m
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter(|c| matches!(c, serenity::ActionRowComponent::InputText(t) if t.custom_id.starts_with('q')))
        .count();
    (1..=n).map(|i| modal_value(m, &format!("q{i}"))).collect()
}

/// Open the check-in form for the current round.
#[poise::command(slash_command, guild_only)]
pub async fn submit(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let form = act::open_form(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref()).await?;
    respond::current()?.modal(modal(&form), LATE_FORM).await
}

/// Who has answered the current check-in and who has not (leads).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn status(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let status = act::status(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref()).await?;
    reply(ctx, render::status(&status)).await
}

/// The `checkin:open:<round>` button on a check-in prompt or nudge, and `checkin:edit:<round>` on
/// the prompt and on answer cards: opens the form of that round, pre-filled with the member's answer.
pub async fn on_button(
    _ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    round: RoundId,
) -> Result<()> {
    let actor = component_actor(c)?;
    let form = act::open_form_for_round(&data.store, &actor, data.now(), round).await?;
    respond::current()?.modal(modal(&form), LATE_FORM).await
}

/// The submitted `modal:checkin:<round>` form: stores the answer and thanks the member.
pub async fn on_modal(
    _ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    round: RoundId,
) -> Result<()> {
    let actor = modal_actor(m)?;
    let input = SubmitCheckin {
        round,
        answers: typed_answers(m),
    };
    let submitted = act::submit(&data.store, &actor, data.now(), input).await?;
    thank(data, &submitted).await
}

/// The submitted `modal:checkin-new:<coalition>` form (the coalition had no round when it opened):
/// opens the round, stores the answer and thanks the member.
pub async fn on_new_round_modal(
    _ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    coalition: CoalitionId,
) -> Result<()> {
    let actor = modal_actor(m)?;
    let input = SubmitNewRound {
        coalition,
        answers: typed_answers(m),
    };
    let submitted = act::submit_new_round(&data.store, &actor, data.now(), input).await?;
    thank(data, &submitted).await
}

async fn thank(data: &Data, submitted: &CheckinSubmitted) -> Result<()> {
    respond::current()?.send(&render::submitted(submitted)).await?;
    // A card, summary or blocker alert may have been queued: deliver it now, not at the next tick.
    data.wake.notify_one();
    Ok(())
}
