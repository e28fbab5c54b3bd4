//! `/checkin report`: a round's answers, a page at a time; who may read them follows the
//! coalition's `report` setting (anyone, or leads only when answers are leads-only).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::checkin_posts::{participation, scope_by_id};
use super::{Actor, Scope, ts};
use crate::domain::checkin::{Participation, Question, REPORT_PAGE, ReportMode, thread_name};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::checkin_posts::{self as posts, RoundAnswer};
use crate::store::{self, Store};

/// One page of a round's answers.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinReport {
    pub coalition_name: String,
    #[serde(skip)]
    pub tz: Tz,
    pub round: RoundId,
    pub opens_at: i64,
    /// Whether the round is still the one members answer.
    pub current: bool,
    pub questions: Vec<Question>,
    /// Answers in all.
    pub total: i64,
    /// 0-based page shown.
    pub page: i64,
    pub answers: Vec<RoundAnswer>,
    pub participation: Participation,
}

/// `/checkin report round:? coalition:?`: the first page of a round's answers (the current round
/// by default). Changes nothing.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn report(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    round: Option<&str>,
) -> Result<CheckinReport> {
    let scope = super::scope(store, actor, coalition).await?;
    let round = match round.map(str::trim).filter(|r| !r.is_empty()) {
        Some(typed) => {
            let id: i64 = typed.parse().map_err(|_| {
                Error::user(format!(
                    "`{typed}` isn't a round I know — pick one from the list that appears as you type `round`."
                ))
            })?;
            RoundId(id)
        }
        None => match store::checkins::current_round(store, scope.id(), ts(now)).await? {
            Some(r) => r.id,
            None => {
                return Err(Error::user(format!(
                    "**{}** has had no check-in round yet — members can answer with `/checkin submit`.",
                    scope.coalition.name
                )));
            }
        },
    };
    page(store, &scope, now, round, 0).await
}

/// A `page:checkin-report:<round>:<page>` button: that page of the round's answers.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn report_page(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    round: RoundId,
    page_no: i64,
) -> Result<CheckinReport> {
    let Some((r, coalition)) = store::checkins::round_by_id(store, actor.guild, round).await? else {
        return Err(Error::user(
            "That check-in round no longer exists — run `/checkin report` again.",
        ));
    };
    let scope = scope_by_id(store, actor, coalition.id).await?;
    page(store, &scope, now, r.id, page_no).await
}

async fn page(
    store: &Store,
    scope: &Scope,
    now: DateTime<Utc>,
    round: RoundId,
    page_no: i64,
) -> Result<CheckinReport> {
    let settings = posts::settings(store.pool(), scope.id()).await?;
    if settings.report == ReportMode::Leads {
        scope.require_lead().map_err(|_| {
            Error::user(format!(
                "In **{}** check-in answers are for the leads only (`/checkin settings report:leads`) — ask a lead, or answer yours with `/checkin submit`.",
                scope.coalition.name
            ))
        })?;
    }
    let Some(r) = posts::round_posts(store.pool(), scope.id(), round).await? else {
        return Err(Error::user(format!(
            "That round isn't one of **{}**'s — pick one from the list that appears as you type `round`.",
            scope.coalition.name
        )));
    };
    let now_s = ts(now);
    let current = store::checkins::current_round(store, scope.id(), now_s)
        .await?
        .is_some_and(|c| c.id == r.id);
    let (total, _) = posts::round_answers(store.pool(), scope.id(), r.id, 0, 0).await?;
    let pages = ((total + REPORT_PAGE - 1) / REPORT_PAGE).max(1);
    let page_no = page_no.clamp(0, pages - 1);
    let (total, answers) =
        posts::round_answers(store.pool(), scope.id(), r.id, page_no * REPORT_PAGE, REPORT_PAGE).await?;
    Ok(CheckinReport {
        coalition_name: scope.coalition.name.clone(),
        tz: scope.coalition.tz(),
        round: r.id,
        opens_at: r.opens_at,
        current,
        questions: posts::questions(store.pool(), scope.id(), r.questions_version).await?,
        total,
        page: page_no,
        answers,
        participation: participation(store, scope.id(), r.id, now_s).await?.participation,
    })
}

/// Autocomplete for `round`: the coalition's latest rounds, newest first, as (label, round id).
pub async fn round_suggestions(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let scope = super::scope(store, actor, coalition).await?;
    let tz = scope.coalition.tz();
    let rounds = posts::recent_rounds(store.pool(), scope.id(), ts(now), 25).await?;
    Ok(rounds
        .into_iter()
        .enumerate()
        .map(|(i, (id, opens_at, answers))| {
            let now_tag = if i == 0 { " (current)" } else { "" };
            (
                format!("{}{now_tag} — {answers} answered", thread_name(opens_at, tz)),
                id.to_string(),
            )
        })
        .collect())
}
