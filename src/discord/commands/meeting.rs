//! `/meeting schedule|list|agenda|propose|start|note|decide|action|end|cancel`, and the buttons
//! `meeting:rsvp:<id>:yes|maybe|no`, `meeting:here:<id>` and `meeting:covered:<item>`.

use poise::serenity_prelude as serenity;

use crate::actions::meetings as act;
use crate::discord::{Command, Context, Data, begin, interaction, reply, respond};
use crate::domain::meeting::{ItemId, MeetingId, MeetingPlace, MinuteKind, Rsvp, parse_place};
use crate::domain::{ChannelId, MessageId, UserId};
use crate::error::{Error, Result};
use crate::render::meetings as render;
use crate::render::tasks as render_tasks;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![meeting()]
}

/// Meetings with a structured agenda, a Discord event, RSVPs and minutes.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "schedule", "list", "agenda", "propose", "start", "note", "decide", "action", "end", "cancel"
    ),
    subcommand_required
)]
pub async fn meeting(_ctx: Context<'_>) -> Result<()> {
    Ok(())
}

/// Checks that a `where` naming a channel names a voice or stage channel of this server.
async fn check_voice(ctx: Context<'_>, place: Option<&str>) -> Result<()> {
    let Some(MeetingPlace::Voice(c)) = parse_place(place.unwrap_or(""))? else {
        return Ok(());
    };
    let wrong = || {
        Error::user(format!(
            "<#{c}> is not a voice channel of this server — give a voice channel, a place or a link for `where`."
        ))
    };
    let channel = serenity::ChannelId::new(c.0.max(1) as u64)
        .to_channel(ctx)
        .await
        .map_err(|_| wrong())?;
    match channel.guild() {
        Some(g)
            if Some(g.guild_id) == ctx.guild_id()
                && matches!(
                    g.kind,
                    serenity::ChannelType::Voice | serenity::ChannelType::Stage
                ) =>
        {
            Ok(())
        }
        _ => Err(wrong()),
    }
}

/// Plans a meeting (or a series), creates its Discord event and announces it.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn schedule(
    ctx: Context<'_>,
    #[description = "What the meeting is (up to 100 characters)"] title: String,
    #[description = "When it starts: 2026-12-01 17:00, tuesday 3pm, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    when: String,
    #[description = "Repeat: off, weekly, every 2 weeks, monthly on the first tue"] every: Option<String>,
    #[description = "How long: 45m, 1h30 (default 1h)"] duration: Option<String>,
    #[description = "Where: a voice channel (#channel), a place or a link"]
    #[rename = "where"]
    place: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    check_voice(ctx, place.as_deref()).await?;
    let data = ctx.data();
    let input = act::ScheduleMeeting {
        coalition,
        title,
        when,
        every,
        duration,
        place,
    };
    let out = act::schedule(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::scheduled(&out)).await?;
    data.wake.notify_one();
    Ok(())
}

/// Upcoming meetings with who is coming.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn list(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let out = act::list(&ctx.data().store, &actor, coalition.as_deref()).await?;
    reply(ctx, render::list(&out)).await
}

/// A meeting's agenda: proposed items, the coalition's open items, and what carried over.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn agenda(
    ctx: Context<'_>,
    #[description = "Which meeting (default: the next)"]
    #[autocomplete = "crate::discord::autocomplete::meeting"]
    meeting: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::agenda(
        &data.store,
        &actor,
        data.now(),
        coalition.as_deref(),
        meeting.as_deref(),
    )
    .await?;
    reply(ctx, render::agenda(&out)).await
}

/// Adds an item to a meeting's agenda.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn propose(
    ctx: Context<'_>,
    #[description = "The item (up to 300 characters)"] item: String,
    #[description = "Which meeting (default: the next)"]
    #[autocomplete = "crate::discord::autocomplete::meeting"]
    meeting: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::propose(
        &data.store,
        &actor,
        data.now(),
        coalition.as_deref(),
        meeting.as_deref(),
        &item,
    )
    .await?;
    reply(ctx, render::proposed(&out)).await
}

/// Starts a meeting: its thread with the agenda and a Here button.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn start(
    ctx: Context<'_>,
    #[description = "Which meeting (default: the next)"]
    #[autocomplete = "crate::discord::autocomplete::meeting"]
    meeting: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::start(
        &data.store,
        &actor,
        data.now(),
        coalition.as_deref(),
        meeting.as_deref(),
    )
    .await?;
    reply(ctx, render::started(&out)).await?;
    data.wake.notify_one();
    Ok(())
}

/// A note in the running meeting's minutes.
#[poise::command(slash_command, guild_only)]
pub async fn note(
    ctx: Context<'_>,
    #[description = "The note (up to 1000 characters)"] text: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    minute(ctx, MinuteKind::Note, text, coalition).await
}

/// Records a decision in the running meeting's minutes.
#[poise::command(slash_command, guild_only)]
pub async fn decide(
    ctx: Context<'_>,
    #[description = "What was decided (up to 1000 characters)"] text: String,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    minute(ctx, MinuteKind::Decision, text, coalition).await
}

async fn minute(ctx: Context<'_>, kind: MinuteKind, text: String, coalition: Option<String>) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::add_minute(&data.store, &actor, data.now(), coalition.as_deref(), kind, &text).await?;
    reply(ctx, render::minute_added(&out, actor.user)).await
}

/// An action item: a task for a member, linked to the running meeting.
#[poise::command(slash_command, guild_only)]
pub async fn action(
    ctx: Context<'_>,
    #[description = "What needs doing (up to 200 characters)"] title: String,
    #[description = "Who does it (a member of the coalition)"] assignee: serenity::User,
    #[description = "When it's due: 2026-12-01, tomorrow 5pm, friday, in 3 days…"]
    #[autocomplete = "crate::discord::autocomplete::due"]
    due: Option<String>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = act::AddAction {
        coalition,
        title,
        assignee: UserId(assignee.id.get() as i64),
        assignee_name: assignee
            .global_name
            .clone()
            .unwrap_or_else(|| assignee.name.clone()),
        due,
    };
    let out = act::action(&data.store, &actor, data.now(), input).await?;
    let card = render_tasks::assigned(&out.task, data.now().timestamp());
    let responder = respond::current()?;
    responder.send(&card).await?;
    // After the answer: the assignee's DM goes out, and the card is remembered like any task card.
    data.wake.notify_one();
    match responder.original_message().await {
        Ok(m) => {
            let (channel, message) = (ChannelId(m.channel_id.get() as i64), MessageId(m.id.get() as i64));
            let task = out.task.task.id;
            if let Err(e) = crate::actions::tasks::remember_message(&data.store, task, channel, message).await
            {
                tracing::warn!(error = %e, task = %task, "could not remember the task card");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read back the task card"),
    }
    Ok(())
}

/// Ends the running meeting: posts the minutes and completes its Discord event.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn end(
    ctx: Context<'_>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let out = act::end(&data.store, &actor, data.now(), coalition.as_deref()).await?;
    reply(ctx, render::ended(&out)).await?;
    data.wake.notify_one();
    Ok(())
}

/// Cancels one meeting, or its whole series.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn cancel(
    ctx: Context<'_>,
    #[description = "Which meeting: #12 or the start of its title"]
    #[autocomplete = "crate::discord::autocomplete::meeting"]
    meeting: String,
    #[description = "Cancel the whole series (default: this one only)"] series: Option<bool>,
    #[description = "Which coalition (default: this channel's, or the server's only one)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let input = act::CancelMeeting {
        coalition,
        meeting,
        series: series.unwrap_or(false),
    };
    let out = act::cancel(&data.store, &actor, data.now(), input).await?;
    reply(ctx, render::cancelled(&out)).await?;
    data.wake.notify_one();
    Ok(())
}

/// The buttons: `meeting:rsvp:<id>:yes|maybe|no` (the announcement is redrawn in place),
/// `meeting:here:<id>`, `meeting:covered:<item>` (the agenda is redrawn in place).
pub async fn on_button(
    _ctx: &serenity::Context,
    data: &Data,
    c: &serenity::ComponentInteraction,
) -> Result<()> {
    let actor = interaction::component_actor(c)?;
    let old = || Error::user("This button is from an older version of Backbone — run the command again.");
    let rest = c.data.custom_id.strip_prefix("meeting:").ok_or_else(old)?;
    let mut parts = rest.split(':');
    let (action, id) = (
        parts.next().unwrap_or(""),
        parts.next().and_then(|i| i.parse::<i64>().ok()),
    );
    let id = id.ok_or_else(old)?;
    let responder = respond::current()?;
    match action {
        "rsvp" => {
            let answer = parts.next().and_then(Rsvp::parse).ok_or_else(old)?;
            let out = act::rsvp(&data.store, &actor, data.now(), MeetingId(id), answer).await?;
            if let Err(e) = responder.update(&render::announcement(&out)).await {
                tracing::warn!(error = %e, meeting = id, "could not redraw the announcement");
            }
        }
        "here" => {
            let out = act::here(&data.store, &actor, data.now(), MeetingId(id)).await?;
            if let Err(e) = responder.send(&render::here(&out)).await {
                tracing::warn!(error = %e, meeting = id, "could not confirm attendance");
            }
        }
        "covered" => {
            let out = act::toggle_covered(&data.store, &actor, data.now(), ItemId(id)).await?;
            if let Err(e) = responder.update(&render::agenda_post(&out)).await {
                tracing::warn!(error = %e, item = id, "could not redraw the agenda");
            }
        }
        _ => return Err(old()),
    }
    Ok(())
}
