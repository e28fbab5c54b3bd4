//! `/checkin questions|report|settings`, the `modal:checkin-questions:<coalition>` form and the
//! `page:checkin-report:<round>:<page>` buttons.

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use crate::actions::{checkin_posts as act, checkin_report};
use crate::discord::choices::ReportChoice;
use crate::discord::interaction::{component_actor, modal_actor, modal_value};
use crate::discord::respond::{self, LATE_FORM};
use crate::discord::{Context, Data, begin, defer, reply};
use crate::domain::checkin::{MAX_QUESTION, MAX_QUESTIONS};
use crate::domain::{CoalitionId, RoundId};
use crate::error::{Error, Result};
use crate::render::checkin_posts as render;
use crate::render::checkins::MODAL_TITLE;

/// Edit the check-in questions (1–5) for rounds that open from now on (leads).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn questions(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let form = act::questions_form(&ctx.data().store, &actor, coalition.as_deref()).await?;
    let rows = (1..=MAX_QUESTIONS)
        .map(|i| {
            let current = form.questions.get(i - 1);
            let placeholder = if i == 1 {
                "A leading ! marks the blocker question (default: the last one)"
            } else {
                "Leave empty for no question here"
            };
            let mut t = CreateInputText::new(InputTextStyle::Short, format!("Question {i}"), format!("q{i}"))
                .placeholder(placeholder)
                // One more than a question may be, for the `!` that marks the blocker question.
                .max_length(MAX_QUESTION as u16 + 1)
                .required(i == 1);
            if let Some(q) = current {
                let marked = q.is_blocker && q.position != form.questions.len() as i64;
                t = t.value(if marked {
                    format!("!{}", q.label)
                } else {
                    q.label.clone()
                });
            }
            CreateActionRow::InputText(t)
        })
        .collect();
    let title = crate::domain::text::truncate(&format!("Questions — {}", form.coalition_name), MODAL_TITLE);
    let modal =
        CreateModal::new(format!("modal:checkin-questions:{}", form.coalition_id), title).components(rows);
    respond::current()?.modal(modal, LATE_FORM).await
}

/// The submitted `modal:checkin-questions:<coalition>` form: saves the questions for the next round.
pub async fn on_questions_modal(
    _ctx: &serenity::Context,
    data: &Data,
    m: &serenity::ModalInteraction,
    coalition: CoalitionId,
) -> Result<()> {
    let actor = modal_actor(m)?;
    let typed: Vec<String> = (1..=MAX_QUESTIONS)
        .map(|i| modal_value(m, &format!("q{i}")))
        .collect();
    let saved = act::set_questions(&data.store, &actor, data.now(), coalition, &typed).await?;
    respond::current()?.send(&render::questions_saved(&saved)).await
}

/// Autocomplete for `round`: the coalition's latest rounds.
async fn round_choices(ctx: Context<'_>, _partial: &str) -> serenity::CreateAutocompleteResponse {
    let Ok((actor, _guard)) = begin(ctx) else {
        return crate::discord::autocomplete::choices(Vec::new());
    };
    let coalition = crate::discord::autocomplete::option_str(ctx, "coalition");
    let pairs =
        checkin_report::round_suggestions(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref())
            .await
            .unwrap_or_default();
    crate::discord::autocomplete::choices(pairs)
}

/// A round's answers, a page at a time (the current round unless you pick one).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn report(
    ctx: Context<'_>,
    #[description = "Which round (default: the current one)"]
    #[autocomplete = "round_choices"]
    round: Option<String>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    defer(ctx).await?;
    let r = checkin_report::report(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        coalition.as_deref(),
        round.as_deref(),
    )
    .await?;
    reply(ctx, render::report_message(&r)).await
}

/// A `page:checkin-report:<round>:<page>` button: shows that page in place of the current one.
pub async fn on_page(
    _ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
    rest: &str,
) -> Result<()> {
    let actor = component_actor(c)?;
    let (round, page) = rest
        .split_once(':')
        .and_then(|(r, p)| Some((r.parse().ok()?, p.parse().ok()?)))
        .ok_or_else(|| Error::user("This page button is broken — run `/checkin report` again."))?;
    let r = checkin_report::report_page(&data.store, &actor, data.now(), RoundId(round), page).await?;
    respond::current()?.update(&render::report_message(&r)).await
}

/// How check-in answers are shown and when non-responders are reminded (leads).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn settings(
    ctx: Context<'_>,
    #[description = "thread: each answer in the round's thread; summary: one message; leads: nothing public"]
    report: Option<ReportChoice>,
    #[description = "Remind members who haven't answered after e.g. 24h or 4h, or off"] nudge_after: Option<
        String,
    >,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    defer(ctx).await?;
    let default_nudge =
        i64::try_from(ctx.data().config.nudge_after_hours.saturating_mul(3600)).unwrap_or(86_400);
    let shown = act::settings(
        &ctx.data().store,
        &actor,
        ctx.data().now(),
        coalition.as_deref(),
        report.map(ReportChoice::as_str),
        nudge_after.as_deref(),
        default_nudge,
    )
    .await?;
    reply(ctx, render::settings_shown(&shown)).await
}
