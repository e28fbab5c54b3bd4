//! Check-ins in the open: what an answer posts (a card or the summary, through the outbox), the
//! one participation figure, `/checkin settings` and `/checkin questions`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, ts};
use crate::domain::checkin::{self, Participation, Question, ReportMode};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::checkin_posts::{self as posts, CheckinSettings};
use crate::store::deliveries::{self, DeliveryKind, NewDelivery, Target};
use crate::store::payload::{OfRound, Payload};
use crate::store::{self, Store, Tx};

/// Queues what a stored answer shows in public, by the coalition's `report` setting: its card
/// (posted, or edited in place when it was posted already) or the round's summary. Nothing for
/// `leads`. Rendered from current data when sent, so a quick second edit shows the latest text.
pub async fn queue_answer_posts(
    tx: &mut Tx,
    coalition: CoalitionId,
    home: ChannelId,
    round: RoundId,
    checkin_id: CheckinId,
    now: i64,
) -> Result<()> {
    let settings = posts::settings(&mut **tx, coalition).await?;
    let (kind, subject) = match settings.report {
        ReportMode::Leads => return Ok(()),
        ReportMode::Thread => (DeliveryKind::CheckinCard, checkin_id.0),
        ReportMode::Summary => (DeliveryKind::CheckinSummary, round.0),
    };
    let (waiting, queued) = posts::queued_posts(&mut **tx, coalition, kind.as_str(), subject).await?;
    if waiting {
        // One not sent yet renders the latest answers when it goes out.
        return Ok(());
    }
    let key = format!("{}:{subject}:{}", kind.as_str(), queued + 1);
    let of_round = OfRound { round_id: round };
    let payload = match kind {
        DeliveryKind::CheckinCard => Payload::CheckinCard(of_round),
        _ => Payload::CheckinSummary(of_round),
    };
    let d = NewDelivery {
        coalition,
        dedupe_key: key,
        // Where it lands (thread or home channel) is decided when it is sent.
        target: Target::Channel(home),
        subject_id: Some(subject),
        payload,
        due_at: now,
    };
    deliveries::enqueue(tx, &d, now).await?;
    Ok(())
}

/// Members of `coalition` away at `now` (`/me away`). Every participation figure goes through
/// here, so away members count as away, never as missing.
pub async fn away_members(store: &Store, coalition: CoalitionId, now: i64) -> Result<HashSet<UserId>> {
    Ok(store::people::away_members(store, coalition, now)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// A round's participation with the members' names, as every figure shows it.
#[derive(Debug, Clone)]
pub struct RoundParticipation {
    pub participation: Participation,
    /// Every current member's name.
    pub names: std::collections::HashMap<UserId, String>,
}

impl RoundParticipation {
    /// The names of `users`, in order.
    pub fn names_of(&self, users: &[UserId]) -> Vec<(UserId, String)> {
        users
            .iter()
            .map(|u| {
                (
                    *u,
                    self.names.get(u).cloned().unwrap_or_else(|| format!("user {u}")),
                )
            })
            .collect()
    }
}

/// The participation of `round`: the one definition (current members; away ones apart).
pub async fn participation(
    store: &Store,
    coalition: CoalitionId,
    round: RoundId,
    now: i64,
) -> Result<RoundParticipation> {
    let (members, answered) = posts::roster(store.pool(), coalition, round).await?;
    let away = away_members(store, coalition, now).await?;
    let ids: Vec<UserId> = members.iter().map(|(u, _)| *u).collect();
    Ok(RoundParticipation {
        participation: Participation::of(&ids, &answered, &away),
        names: members.into_iter().collect(),
    })
}

/// The check-in settings after `/checkin settings`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinSettingsShown {
    pub coalition_name: String,
    pub report: ReportMode,
    /// The coalition's nudge delay in seconds (0 = off).
    pub nudge_after: i64,
    /// Whether the coalition uses the deployment's default delay.
    pub nudge_default: bool,
    /// Whether anything changed (false: the settings were only shown).
    pub changed: bool,
}

/// `/checkin settings` (lead): sets how answers are shown and when non-responders are nudged, or
/// shows the settings when no option is given. `default_nudge` is the deployment's delay.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn settings(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    report: Option<&str>,
    nudge_after: Option<&str>,
    default_nudge: i64,
) -> Result<CheckinSettingsShown> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let report = report
        .map(|r| {
            ReportMode::parse(r).ok_or_else(|| {
                Error::user(format!(
                    "`{r}` isn't a report setting — choose `thread`, `summary` or `leads`."
                ))
            })
        })
        .transpose()?;
    let nudge = nudge_after.map(checkin::parse_nudge_after).transpose()?;
    let mut tx = store.write().await?;
    let mut s = posts::settings(&mut *tx, scope.id()).await?;
    let changed = report.is_some() || nudge.is_some();
    if changed {
        s = CheckinSettings {
            report: report.unwrap_or(s.report),
            nudge_after: nudge.or(s.nudge_after),
        };
        let now_s = ts(now);
        posts::set_settings(&mut tx, scope.id(), s, now_s).await?;
        let detail = format!(
            "report={} nudge_after={}",
            s.report.as_str(),
            s.nudge_after
                .map_or("default".to_string(), checkin::describe_nudge_after)
        );
        store::record_event(
            &mut tx,
            scope.id(),
            actor.user,
            "checkin.settings",
            "",
            &detail,
            now_s,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(CheckinSettingsShown {
        coalition_name: scope.coalition.name.clone(),
        report: s.report,
        nudge_after: s.nudge_after.unwrap_or(default_nudge),
        nudge_default: s.nudge_after.is_none(),
        changed,
    })
}

/// What the `/checkin questions` form shows.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionsForm {
    pub coalition_id: CoalitionId,
    pub coalition_name: String,
    pub questions: Vec<Question>,
}

/// `/checkin questions` (lead): the coalition's current questions, for the form. Changes nothing.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn questions_form(store: &Store, actor: &Actor, coalition: Option<&str>) -> Result<QuestionsForm> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let version = posts::questions_version(store.pool(), scope.id()).await?;
    Ok(QuestionsForm {
        coalition_id: scope.id(),
        coalition_name: scope.coalition.name.clone(),
        questions: posts::questions(store.pool(), scope.id(), version).await?,
    })
}

/// The questions were saved.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionsSaved {
    pub coalition_name: String,
    pub questions: Vec<Question>,
    /// False when the form was saved unchanged (nothing stored).
    pub changed: bool,
    /// Whether a round is in progress (it keeps its questions).
    pub round_in_progress: bool,
}

/// The submitted `/checkin questions` form (lead): stores the questions as a new version, asked
/// from the next round on; the round in progress keeps its own.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn set_questions(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: CoalitionId,
    typed: &[String],
) -> Result<QuestionsSaved> {
    let scope = scope_by_id(store, actor, coalition).await?;
    scope.require_lead()?;
    let questions = checkin::read_questions(typed)?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let version = posts::questions_version(&mut *tx, scope.id()).await?;
    let current = posts::questions(&mut *tx, scope.id(), version).await?;
    let changed = current != questions;
    if changed {
        let v = posts::add_questions(&mut tx, scope.id(), &questions, now_s).await?;
        let labels: Vec<&str> = questions.iter().map(|q| q.label.as_str()).collect();
        store::record_event(
            &mut tx,
            scope.id(),
            actor.user,
            "checkin.questions",
            &format!("version {v}"),
            &labels.join(" | "),
            now_s,
        )
        .await?;
    }
    let round_in_progress = store::checkins::current_round_in(&mut *tx, scope.id(), now_s)
        .await?
        .is_some();
    tx.commit().await?;
    Ok(QuestionsSaved {
        coalition_name: scope.coalition.name.clone(),
        questions,
        changed,
        round_in_progress,
    })
}

/// The actor's place in the coalition with id `coalition` (from a form's custom id), if it is in
/// the actor's guild and not archived.
pub(crate) async fn scope_by_id(
    store: &Store,
    actor: &Actor,
    coalition: CoalitionId,
) -> Result<super::Scope> {
    let coalition = store::coalitions::get(store.pool(), actor.guild, coalition)
        .await?
        .filter(|c| c.archived_at.is_none())
        .ok_or_else(|| {
            Error::user("That coalition no longer exists — `/coalition list` shows this server's coalitions.")
        })?;
    let member = store::members::get(store, coalition.id, actor.user).await?;
    Ok(super::Scope {
        coalition,
        member,
        actor: actor.clone(),
        own_timezone: None,
    })
}
