//! `/coalition create|info|list|settings|join|leave`.

use poise::serenity_prelude as serenity;
use serenity::CreateAutocompleteResponse;

use crate::actions::coalition_edits::{ArchiveCoalition, RenameCoalition, RestoreCoalition};
use crate::actions::{self, coalition_edits, coalitions as act};
use crate::discord::autocomplete::{choices, option_str};
use crate::discord::{Command, Context, begin, reply};
use crate::domain::schedule::Schedule;
use crate::domain::{ChannelId, GuildId, UserId, pings, when};
use crate::error::Result;
use crate::render::coalitions as render;
use crate::telemetry::phase;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![coalition()]
}

/// Create and configure coalitions, join and leave them.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "create", "info", "list", "settings", "join", "leave", "rename", "archive", "restore"
    ),
    subcommand_required
)]
pub async fn coalition(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

fn channel_id(c: serenity::ChannelId) -> ChannelId {
    ChannelId(c.get() as i64)
}

/// Create a coalition (admins); you become its first lead.
// Discord applies `default_member_permissions` to top-level commands only, and `/coalition` also
// holds commands for everyone, so the admin check lives in `actions::coalitions::create`.
#[poise::command(slash_command, guild_only)]
pub async fn create(
    ctx: Context<'_>,
    #[description = "The coalition's name"]
    #[max_length = 100]
    name: String,
    #[description = "Home channel for check-ins and digests (default: this channel)"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
    #[description = "IANA time zone such as Europe/Berlin (default: UTC)"]
    #[autocomplete = "crate::discord::autocomplete::timezone"]
    timezone: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let input = act::CreateCoalition {
        name,
        channel: channel.map(channel_id),
        timezone,
    };
    let created = act::create(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::created(&created)).await
}

/// Show a coalition: channel, time zone, schedules, leads, orgs, members, goals.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn info(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let info = act::info(&ctx.data().store, &actor, ctx.data().now(), coalition.as_deref()).await?;
    reply(ctx, phase::render(|| render::info(&info))).await
}

/// List the coalitions in this server.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(ctx: Context<'_>) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let all = act::list(&ctx.data().store, &actor).await?;
    reply(ctx, render::list(&all)).await
}

/// Change a coalition's channel, time zone, schedules or deadline pings (leads).
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)] // one per option of the command
pub async fn settings(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
    #[description = "New home channel for check-ins and digests"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::ChannelId>,
    #[description = "IANA time zone such as Europe/Berlin"]
    #[autocomplete = "crate::discord::autocomplete::timezone"]
    timezone: Option<String>,
    #[description = "When check-ins open: cron, or words like mondays 9:00"]
    #[autocomplete = "schedule_preview"]
    checkin_schedule: Option<String>,
    #[description = "When the digest is posted: cron, or words like every 2 weeks wed 15:00"]
    #[autocomplete = "schedule_preview"]
    digest_schedule: Option<String>,
    #[description = "Deadline pings before each due date, e.g. 72h,24h"]
    #[autocomplete = "offsets_preview"]
    ping_offsets: Option<String>,
    #[description = "A channel only leads can read, for leads-only messages when DMs are closed or off"]
    #[channel_types("Text")]
    leads_channel: Option<serenity::ChannelId>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    if let Some(leads) = leads_channel
        && crate::discord::doctor::readable_by_everyone(ctx.http(), leads).await?
    {
        return Err(crate::error::Error::user(format!(
            "Everyone in the server can read <#{leads}> — deny **View Channel** to @everyone there \
             (Edit Channel → Permissions), allow it for the leads, then try again."
        )));
    }
    let input = act::UpdateSettings {
        coalition,
        channel: channel.map(channel_id),
        timezone,
        checkin_schedule,
        digest_schedule,
        ping_offsets,
        leads_channel: leads_channel.map(channel_id),
    };
    let updated = act::settings(&ctx.data().store, &actor, ctx.data().now(), input).await?;
    reply(ctx, render::settings(&updated)).await
}

/// Join a coalition as a member, optionally with your organization.
#[poise::command(slash_command, guild_only)]
pub async fn join(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
    #[description = "Your partner organization"]
    #[autocomplete = "crate::discord::autocomplete::org"]
    org: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let joined = act::join(&ctx.data().store, &actor, ctx.data().now(), coalition, org).await?;
    reply(ctx, render::joined(&joined, actor.user)).await
}

/// Leave a coalition; your open tasks stay, unassigned, for the leads.
#[poise::command(slash_command, guild_only)]
pub async fn leave(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let left = act::leave(&ctx.data().store, &actor, ctx.data().now(), coalition).await?;
    reply(ctx, render::left(&left, actor.user)).await
}

/// The time zone a schedule being typed will run in: the `timezone` typed alongside, else the
/// coalition's, else UTC.
async fn typing_tz(ctx: Context<'_>) -> chrono_tz::Tz {
    if let Some(tz) = option_str(ctx, "timezone").and_then(|t| when::parse_timezone(&t).ok()) {
        return tz;
    }
    let Some(guild) = ctx.guild_id() else {
        return chrono_tz::UTC;
    };
    let actor = actions::Actor {
        user: UserId(ctx.author().id.get() as i64),
        guild: crate::domain::GuildId(guild.get() as i64),
        manage_server: false,
        name: String::new(),
        channel: Some(channel_id(ctx.channel_id())),
    };
    let coalition = option_str(ctx, "coalition");
    match actions::scope(&ctx.data().store, &actor, coalition.as_deref()).await {
        Ok(s) => s.coalition.tz(),
        Err(_) => chrono_tz::UTC,
    }
}

/// How a typed schedule is read, with its next occurrence — or why it can't be read.
async fn schedule_preview(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim();
    if typed.is_empty() {
        let examples = [
            "mondays 9:00",
            "weekdays 9:30",
            "every 2 weeks wed 15:00",
            "0 0 9 * * Mon",
        ];
        return choices(examples.iter().map(|e| (e.to_string(), e.to_string())).collect());
    }
    let label = match Schedule::parse(typed) {
        Ok(s) => {
            let tz = typing_tz(ctx).await;
            match s.next_after(ctx.data().now(), tz) {
                Some(next) => format!("{} — next {}", s.describe(), when::describe(next, tz)),
                None => format!("{} — never fires", s.describe()),
            }
        }
        Err(e) => e.to_string(),
    };
    choices(vec![(label, typed.to_string())])
}

/// How typed ping offsets are read — or why they can't be.
async fn offsets_preview(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim();
    if typed.is_empty() {
        return choices(vec![("72h,24h (the default)".into(), "72h,24h".into())]);
    }
    let label = match pings::parse_offsets(typed) {
        Ok(o) => format!("{} before each due date", pings::format_offsets(&o)),
        Err(e) => e.to_string(),
    };
    choices(vec![(label, typed.to_string())])
}

/// Renames a coalition (leads).
#[poise::command(slash_command, guild_only)]
pub async fn rename(
    ctx: Context<'_>,
    #[description = "The new name"]
    #[max_length = 100]
    name: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = coalition_edits::rename(
        &data.store,
        &actor,
        data.now(),
        RenameCoalition { coalition, name },
    )
    .await?;
    reply(ctx, render::renamed(&out)).await
}

/// Archives a coalition (admins): stops its schedules and hides it; data and export stay.
#[poise::command(slash_command, guild_only)]
pub async fn archive(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out =
        coalition_edits::archive(&data.store, &actor, data.now(), ArchiveCoalition { coalition }).await?;
    reply(ctx, render::archived(&out)).await
}

/// Brings an archived coalition back (admins); schedules resume at their next occurrence.
#[poise::command(slash_command, guild_only)]
pub async fn restore(
    ctx: Context<'_>,
    #[description = "The archived coalition to bring back"]
    #[autocomplete = "archived"]
    coalition: String,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out =
        coalition_edits::restore(&data.store, &actor, data.now(), RestoreCoalition { coalition }).await?;
    data.wake.notify_one();
    reply(ctx, render::restored(&out)).await
}

/// The server's archived coalitions.
async fn archived(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let Some(g) = ctx.guild_id() else {
        return choices(vec![]);
    };
    match coalition_edits::suggest_archived(&ctx.data().store, GuildId(g.get() as i64), partial).await {
        Ok(found) => choices(found),
        Err(e) => {
            tracing::warn!(error = %e, "archived coalition autocomplete failed");
            choices(vec![])
        }
    }
}
