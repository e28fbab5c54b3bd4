//! `/report`: the impact report for stakeholders, as one self-contained HTML file.

use crate::actions::report::{self as act, ReportInput};
use crate::discord::{Command, Context, begin, blocking, defer, reply};
use crate::domain::report::PeriodInput;
use crate::error::Result;
use crate::render::report as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![report()]
}

/// An impact report for funders and partners: one HTML file that opens and prints anywhere.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn report(
    ctx: Context<'_>,
    #[description = "month, quarter, year (to date), last quarter, 2026-Q1, 2026-03, 2026 (default: quarter)"]
    #[autocomplete = "crate::discord::autocomplete::period"]
    period: Option<String>,
    #[description = "First day of a range instead of a period, e.g. 2026-01-15"] from: Option<String>,
    #[description = "Last day of the range, included (default: today), e.g. 2026-02-10"] to: Option<String>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    let data = ctx.data();
    let now = data.now();
    data.cooldowns.check(REPORT, actor.user, now)?;
    // Only the invoker needs the file; they pass it on. Building it can take a moment.
    defer(ctx).await?;
    let input = ReportInput {
        coalition,
        period: PeriodInput { period, from, to },
    };
    let report = match act::report(&data.store, &actor, now, input).await {
        Ok(r) => r,
        Err(e) => {
            if e.is_user() {
                data.cooldowns.forget(REPORT, actor.user, now);
            }
            return Err(e);
        }
    };
    // The whole HTML file is rendered off the async workers.
    let msg = blocking(move || {
        let tz = report.timezone.parse().unwrap_or(chrono_tz::UTC);
        let html = render::html(&report)?;
        let name = act::filename(&report, now, tz);
        Ok::<_, crate::error::Error>(render::attached(&report, &name, html).ephemeral())
    })
    .await??;
    reply(ctx, msg).await
}

/// The cooldown's name for `/report`.
const REPORT: &str = "report";
