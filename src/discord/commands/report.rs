//! `/report`: the impact report for stakeholders, as one self-contained HTML file.

use crate::actions::report as act;
use crate::discord::choices::PeriodChoice;
use crate::discord::{Command, Context, begin, defer, reply};
use crate::domain::report::ReportPeriod;
use crate::error::Result;
use crate::render::report as render;

/// This group's commands.
pub fn all() -> Vec<Command> {
    vec![report()]
}

impl From<PeriodChoice> for ReportPeriod {
    fn from(p: PeriodChoice) -> ReportPeriod {
        match p {
            PeriodChoice::Month => ReportPeriod::Month,
            PeriodChoice::Quarter => ReportPeriod::Quarter,
            PeriodChoice::Year => ReportPeriod::Year,
        }
    }
}

/// An impact report for funders and partners: one HTML file that opens and prints anywhere.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn report(
    ctx: Context<'_>,
    #[description = "month, quarter or year, each to date (default: quarter)"] period: Option<PeriodChoice>,
    #[description = "Which coalition (default: this channel's)"]
    #[autocomplete = "crate::discord::autocomplete::coalition"]
    coalition: Option<String>,
) -> Result<()> {
    let (actor, _guard) = begin(ctx)?;
    // Only the invoker needs the file; they pass it on. Building it can take a moment.
    defer(ctx).await?;
    let now = ctx.data().now();
    let period = period.map(ReportPeriod::from).unwrap_or_default();
    let store = &ctx.data().store;
    let report = act::report(store, &actor, now, period, coalition.as_deref()).await?;
    let tz = report.timezone.parse().unwrap_or(chrono_tz::UTC);
    let html = render::html(&report)?;
    let name = act::filename(&report, now, tz);
    reply(ctx, render::attached(&report, &name, html).ephemeral()).await
}
