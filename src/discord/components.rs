//! The router of buttons and modals: each click or submission goes to its command group's
//! handler (what handlers share lives in the leaf module `interaction`). Custom ids are stable and carry the row id (`task:done:42`), so they keep
//! working after a restart; the handlers re-check everything through the actions.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, ModalInteraction};

use super::interaction::parse_custom_id;
use super::respond::{self, Kind, Responder};
use super::{Data, commands};
use crate::domain::{CoalitionId, FeedbackId, RoundId, TaskId};
use crate::error::Error;

/// The guild a button or modal in a DM acts in: the guild of the row its custom id carries.
/// DMs carry no guild; the actions still check that the user may act on that row.
async fn guild_for_dm(data: &Data, custom_id: &str) -> Option<serenity::GuildId> {
    let (group, action, id) = parse_custom_id(custom_id)?;
    let guild = match (group, action) {
        ("task", _) | ("win", _) | ("modal", "task-block") => {
            crate::store::guild_of_task(&data.store, crate::domain::TaskId(id)).await
        }
        ("checkin", _) | ("modal", "checkin") => {
            crate::store::guild_of_round(&data.store, crate::domain::RoundId(id)).await
        }
        ("feedback", _) => crate::store::feedback::owner(&data.store, crate::domain::FeedbackId(id))
            .await
            .map(|o| o.map(|(guild, _)| guild)),
        ("meeting", "here") => {
            crate::store::meetings::guild_of(&data.store, crate::domain::meeting::MeetingId(id)).await
        }
        ("modal", "checkin-new" | "checkin-questions") => {
            crate::store::guild_of_coalition(&data.store, crate::domain::CoalitionId(id)).await
        }
        _ => return None,
    };
    match guild {
        Ok(Some(g)) if g.0 > 0 => Some(serenity::GuildId::new(g.0 as u64)),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "could not find the guild of a DM interaction");
            None
        }
    }
}

/// Handles a button click, answered within Discord's 3 seconds (see [`respond`]); returns its
/// outcome for the metrics.
#[tracing::instrument(skip_all, fields(custom_id = %c.data.custom_id, user = %c.user.id))]
pub async fn handle_component(
    ctx: &serenity::Context,
    data: &Data,
    c: &ComponentInteraction,
) -> &'static str {
    let responder = Responder::new(ctx.http.clone(), c.id, &c.token, Kind::Component);
    respond::run(responder.clone(), async {
        let mut dm;
        let c = if c.guild_id.is_none() {
            dm = c.clone();
            dm.guild_id = guild_for_dm(data, &c.data.custom_id).await;
            &dm
        } else {
            c
        };
        let page = c.data.custom_id.strip_prefix("page:checkin-report:");
        let result = match parse_custom_id(&c.data.custom_id) {
            _ if page.is_some() => {
                commands::checkin_admin::on_page(ctx, data, c, page.unwrap_or_default()).await
            }
            _ if c.data.custom_id.starts_with("meeting:") => commands::meeting::on_button(ctx, data, c).await,
            _ if super::paging::is_page_button(&c.data.custom_id) => {
                super::paging::on_page(ctx, data, c).await
            }
            Some(("task", action, id)) => commands::task::on_button(ctx, data, c, action, TaskId(id)).await,
            Some(("checkin", "open" | "edit", id)) => {
                commands::checkin::on_button(ctx, data, c, RoundId(id)).await
            }
            Some(("win", "log-task", id)) => commands::win::on_button(ctx, data, c, TaskId(id)).await,
            Some(("feedback", "ack", id)) => {
                commands::feedback::on_button(ctx, data, c, FeedbackId(id)).await
            }
            Some(("target", "note", id)) => {
                commands::target::on_note_button(ctx, data, c, crate::domain::TargetId(id)).await
            }
            _ => Err(Error::user(
                "This button is from an older version of Backbone — run the command again.",
            )),
        };
        if let Err(e) = &result {
            responder.fail(e).await;
        }
        super::service::outcome(result.as_ref().err())
    })
    .await
}

/// Handles a modal submission (`modal:task-block:<id>`, `modal:checkin:<round>`,
/// `modal:checkin-new:<coalition>`), answered within Discord's 3 seconds.
#[tracing::instrument(skip_all, fields(custom_id = %m.data.custom_id, user = %m.user.id))]
pub async fn handle_modal(ctx: &serenity::Context, data: &Data, m: &ModalInteraction) -> &'static str {
    let kind = Kind::Modal {
        on_message: m.message.is_some(),
    };
    let responder = Responder::new(ctx.http.clone(), m.id, &m.token, kind);
    respond::run(responder.clone(), async {
        let mut dm;
        let m = if m.guild_id.is_none() {
            dm = m.clone();
            dm.guild_id = guild_for_dm(data, &m.data.custom_id).await;
            &dm
        } else {
            m
        };
        let result = match parse_custom_id(&m.data.custom_id) {
            Some(("modal", "task-block", id)) => {
                commands::task::on_block_modal(ctx, data, m, TaskId(id)).await
            }
            Some(("modal", "checkin", id)) => commands::checkin::on_modal(ctx, data, m, RoundId(id)).await,
            Some(("modal", "checkin-new", id)) => {
                commands::checkin::on_new_round_modal(ctx, data, m, CoalitionId(id)).await
            }
            Some(("modal", "checkin-questions", id)) => {
                commands::checkin_admin::on_questions_modal(ctx, data, m, CoalitionId(id)).await
            }
            Some(("modal", "target-note", id)) => {
                commands::target::on_note_modal(ctx, data, m, crate::domain::TargetId(id)).await
            }
            _ => Err(Error::user(
                "This form is from an older version of Backbone — run the command again.",
            )),
        };
        if let Err(e) = &result {
            responder.fail(e).await;
        }
        super::service::outcome(result.as_ref().err())
    })
    .await
}
