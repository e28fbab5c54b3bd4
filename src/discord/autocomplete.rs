//! Autocomplete for the options shared by many commands: coalition, org, task, goal, deadline,
//! timezone, a live preview of how a `due` text is read, and a report's `period`.

use poise::serenity_prelude as serenity;
use serenity::{AutocompleteChoice, CreateAutocompleteResponse, ResolvedValue};

use super::Context;
use crate::actions;
use crate::domain::message::limits;
use crate::domain::text::truncate;
use crate::domain::{ChannelId, GuildId, when};

/// The string value of another option the user has already filled in (e.g. `coalition`).
pub fn option_str(ctx: Context<'_>, name: &str) -> Option<String> {
    let Context::Application(app) = ctx else {
        return None;
    };
    fn find(opts: &[serenity::ResolvedOption<'_>], name: &str) -> Option<String> {
        for o in opts {
            match &o.value {
                ResolvedValue::String(s) if o.name == name => return Some((*s).to_string()),
                ResolvedValue::Autocomplete { value, .. } if o.name == name => {
                    return Some((*value).to_string());
                }
                ResolvedValue::SubCommand(sub) | ResolvedValue::SubCommandGroup(sub) => {
                    if let Some(v) = find(sub, name) {
                        return Some(v);
                    }
                }
                _ => {}
            }
        }
        None
    }
    find(&app.interaction.data.options(), name).filter(|s| !s.trim().is_empty())
}

fn guild(ctx: Context<'_>) -> Option<GuildId> {
    ctx.guild_id().map(|g| GuildId(g.get() as i64))
}

/// The channel the user is typing in: inside a coalition's home channel, that coalition is meant.
pub fn channel(ctx: Context<'_>) -> Option<ChannelId> {
    Some(ChannelId(ctx.channel_id().get() as i64))
}

/// Turns (label, value) pairs into at most 25 choices within Discord's length limits.
pub fn choices(pairs: Vec<(String, String)>) -> CreateAutocompleteResponse {
    let list = pairs
        .into_iter()
        .take(limits::CHOICES)
        .map(|(label, value)| {
            AutocompleteChoice::new(
                truncate(&label, limits::CHOICE_NAME),
                truncate(&value, limits::CHOICE_NAME),
            )
        })
        .collect();
    CreateAutocompleteResponse::new().set_choices(list)
}

fn logged(what: &str, r: crate::Result<Vec<(String, String)>>) -> Vec<(String, String)> {
    r.unwrap_or_else(|e| {
        tracing::warn!(error = %e, what, "autocomplete failed");
        Vec::new()
    })
}

/// Coalitions of this server.
pub async fn coalition(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    choices(logged(
        "coalition",
        actions::coalitions::suggest(&ctx.data().store, g, partial).await,
    ))
}

/// Partner organizations of the chosen coalition.
pub async fn org(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "org",
        actions::orgs::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// Tasks of the chosen coalition.
pub async fn task(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "task",
        actions::tasks::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// Goals of the chosen coalition.
pub async fn goal(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "goal",
        actions::goals::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// Milestones of the chosen coalition.
pub async fn deadline(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "deadline",
        actions::deadlines::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// IANA time zones.
pub async fn timezone(_ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    choices(
        when::timezone_suggestions(partial, limits::CHOICES)
            .into_iter()
            .map(|t| (t.to_string(), t.to_string()))
            .collect(),
    )
}

/// The time zone of the coalition the user is typing for (UTC when there is none).
async fn coalition_tz(ctx: Context<'_>) -> chrono_tz::Tz {
    let Some(g) = guild(ctx) else {
        return chrono_tz::UTC;
    };
    let actor = crate::actions::Actor {
        user: crate::domain::UserId(ctx.author().id.get() as i64),
        guild: g,
        manage_server: false,
        name: String::new(),
        channel: channel(ctx),
    };
    let c = option_str(ctx, "coalition");
    match actions::scope(&ctx.data().store, &actor, c.as_deref()).await {
        Ok(s) => s.coalition.tz(),
        Err(_) => chrono_tz::UTC,
    }
}

/// How the typed due date is read, in the coalition's time zone — or why it can't be.
pub async fn due(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let tz = coalition_tz(ctx).await;
    let now = ctx.data().now();
    let typed = partial.trim();
    if typed.is_empty() {
        let examples = ["tomorrow 5pm", "friday", "in 3 days", "next week"];
        return choices(
            examples
                .iter()
                .map(|e| (format!("{e} → {}", when::preview_due(e, tz, now)), e.to_string()))
                .collect(),
        );
    }
    choices(vec![(when::preview_due(typed, tz, now), typed.to_string())])
}

/// A report's period: what the typed text means, then recent months, quarters and years, in the
/// coalition's time zone.
pub async fn period(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let tz = coalition_tz(ctx).await;
    choices(crate::domain::report::period_suggestions(
        partial,
        ctx.data().now(),
        tz,
        limits::CHOICES,
    ))
}

/// Advocacy targets of the chosen coalition (the value is the name).
pub async fn target(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "target",
        actions::targets::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// Resources of the chosen coalition's library.
pub async fn resource(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "resource",
        actions::resources::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}

/// Upcoming meetings of the chosen coalition.
pub async fn meeting(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = guild(ctx) else {
        return choices(vec![]);
    };
    let c = option_str(ctx, "coalition");
    choices(logged(
        "meeting",
        actions::meetings::suggest(&ctx.data().store, g, channel(ctx), c.as_deref(), partial).await,
    ))
}
