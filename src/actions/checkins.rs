//! Check-ins: members answer done / next / blockers once per round; leads see who has answered.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::checkin::Question;
use crate::domain::schedule::Schedule;
use crate::domain::{text, when, *};
use crate::error::{Error, Result};
use crate::store::deliveries;
use crate::store::payload::{Blocker, CheckinSource, Payload};
use crate::store::{self, Store, checkin_posts as posts, checkins::Answer};

/// What the check-in modal needs: the round it answers, its questions and any earlier answer to
/// pre-fill.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinForm {
    /// The round it answers; `None` when the coalition has no round yet — submitting the form
    /// opens one (see [`submit_new_round`]), so a form opened and dismissed leaves no trace.
    pub round_id: Option<RoundId>,
    pub coalition_id: CoalitionId,
    pub coalition_name: String,
    /// When the round opened (UTC seconds); now, for a round that submitting will open.
    pub opens_at: i64,
    /// The questions the round asks, in form order (1–5).
    pub questions: Vec<Question>,
    /// The actor's earlier answer to this round, if any.
    pub existing: Option<Checkin>,
    /// The earlier answer's text per question: `(position, text)`.
    pub existing_answers: Vec<(i64, String)>,
}

/// `/checkin submit` (member): the form for the coalition's current round. A coalition with no
/// round yet gets a form for a new one, opened when the form is submitted, so members can answer
/// before the first scheduled prompt. Changes nothing.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn open_form(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<CheckinForm> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_member()?;
    match store::checkins::current_round(store, scope.id(), ts(now)).await? {
        Some(round) => form(store, &scope, round).await,
        None => {
            let version = posts::questions_version(store.pool(), scope.id()).await?;
            Ok(CheckinForm {
                round_id: None,
                coalition_id: scope.id(),
                coalition_name: scope.coalition.name.clone(),
                opens_at: ts(now),
                questions: posts::questions(store.pool(), scope.id(), version).await?,
                existing: None,
                existing_answers: Vec::new(),
            })
        }
    }
}

/// The `checkin:open:<round>` button (member): the form for that round, if it is still current.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn open_form_for_round(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    round: RoundId,
) -> Result<CheckinForm> {
    let (round, scope) = round_scope(store, actor, round).await?;
    scope.require_member()?;
    let current = store::checkins::current_round(store, scope.id(), ts(now)).await?;
    if current.as_ref().map(|r| r.id) != Some(round.id) {
        return Err(Error::user(format!(
            "That check-in round of **{}** has closed — use `/checkin submit` to answer the current one.",
            scope.coalition.name
        )));
    }
    form(store, &scope, round).await
}

async fn form(store: &Store, scope: &Scope, round: CheckinRound) -> Result<CheckinForm> {
    let existing = store::checkins::answer(store, round.id, scope.actor.user).await?;
    let existing_answers = match &existing {
        Some(k) => posts::answers_of(store.pool(), k.id).await?,
        None => Vec::new(),
    };
    Ok(CheckinForm {
        round_id: Some(round.id),
        coalition_id: scope.id(),
        coalition_name: scope.coalition.name.clone(),
        opens_at: round.opens_at,
        questions: round_questions(store, &round).await?,
        existing,
        existing_answers,
    })
}

/// The questions `round` asks (fixed when it opened).
async fn round_questions(store: &Store, round: &CheckinRound) -> Result<Vec<Question>> {
    let version = posts::round_posts(store.pool(), round.coalition_id, round.id)
        .await?
        .map_or(0, |r| r.questions_version);
    posts::questions(store.pool(), round.coalition_id, version).await
}

/// Finds a round in the actor's guild and the actor's place in its coalition.
async fn round_scope(store: &Store, actor: &Actor, round: RoundId) -> Result<(CheckinRound, Scope)> {
    let Some((round, coalition)) = store::checkins::round_by_id(store, actor.guild, round).await? else {
        return Err(Error::user(
            "That check-in round no longer exists — use `/checkin submit` to answer the current one.",
        ));
    };
    let member = store::members::get(store, coalition.id, actor.user).await?;
    Ok((
        round,
        Scope {
            coalition,
            member,
            actor: actor.clone(),
            own_timezone: None,
        },
    ))
}

/// Input of the check-in modal.
#[derive(Debug, Clone)]
pub struct SubmitCheckin {
    pub round: RoundId,
    /// One answer per question of the round, in form order (missing ones are empty).
    pub answers: Vec<String>,
}

/// A check-in answer was stored.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinSubmitted {
    pub coalition_name: String,
    pub round_id: RoundId,
    pub checkin_id: CheckinId,
    /// True when this replaced an earlier answer to the same round.
    pub updated: bool,
    pub has_blockers: bool,
    /// How many leads were sent a blocker alert (0 when there is no new blocker).
    pub leads_alerted: usize,
}

/// Submitting the check-in modal (member): stores (or replaces) the actor's answer, and alerts the
/// leads when it reports a blocker that they have not already been told about.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn submit(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: SubmitCheckin,
) -> Result<CheckinSubmitted> {
    let (round, scope) = round_scope(store, actor, input.round).await?;
    scope.require_member()?;
    let questions = round_questions(store, &round).await?;
    let answer = Answers::read(&questions, &input.answers)?;
    let mut tx = store.write().await?;
    // Checked inside the write: an answer can be changed until the next round opens, not after.
    let current = store::checkins::current_round_in(&mut *tx, scope.id(), ts(now)).await?;
    if current.as_ref().map(|r| r.id) != Some(round.id) {
        return Err(Error::user(format!(
            "That check-in round of **{}** closed when the next one opened — your answer wasn't saved; use `/checkin submit` to answer the current round.",
            scope.coalition.name
        )));
    }
    let out = record_answer(&mut tx, &scope, &round, &answer, ts(now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// Input of the check-in modal opened when the coalition had no round (`modal:checkin-new:<id>`).
#[derive(Debug, Clone)]
pub struct SubmitNewRound {
    pub coalition: CoalitionId,
    /// One answer per question, in form order (missing ones are empty).
    pub answers: Vec<String>,
}

/// Submitting the form of a coalition that had no round when it opened (member): opens an ad-hoc
/// round now (no nudge) and stores the answer in the same step. If a round has opened meanwhile
/// (the schedule, or another member's form), the answer goes to that round instead.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn submit_new_round(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: SubmitNewRound,
) -> Result<CheckinSubmitted> {
    let coalition = store::coalitions::get(store.pool(), actor.guild, input.coalition)
        .await?
        .filter(|c| c.archived_at.is_none())
        .ok_or_else(|| {
            Error::user("That coalition no longer exists — `/coalition list` shows this server's coalitions.")
        })?;
    let member = store::members::get(store, coalition.id, actor.user).await?;
    let scope = Scope {
        coalition,
        member,
        actor: actor.clone(),
        own_timezone: None,
    };
    scope.require_member()?;
    let now_s = ts(now);

    let mut tx = store.write().await?;
    // Looked up inside the write, so two members submitting at once share one round.
    let round = match store::checkins::current_round_in(&mut *tx, scope.id(), now_s).await? {
        Some(round) => round,
        None => {
            let id = store::checkins::open_round(&mut tx, scope.id(), now_s, None, now_s).await?;
            store::record_event(
                &mut tx,
                scope.id(),
                actor.user,
                "checkin.round_open",
                &format!("round {id}"),
                "ad hoc",
                now_s,
            )
            .await?;
            store::checkins::current_round_in(&mut *tx, scope.id(), now_s)
                .await?
                .ok_or_else(|| Error::internal("check-in round vanished after insert"))?
        }
    };
    let version = posts::round_posts(&mut *tx, scope.id(), round.id)
        .await?
        .map_or(0, |r| r.questions_version);
    let questions = posts::questions(&mut *tx, scope.id(), version).await?;
    let answer = Answers::read(&questions, &input.answers)?;
    let out = record_answer(&mut tx, &scope, &round, &answer, now_s).await?;
    tx.commit().await?;
    Ok(out)
}

/// A check-in's answers, read and bounded against the round's questions; at least one is filled in.
struct Answers {
    /// `(position, text)` per question, empty when unanswered.
    by_question: Vec<(i64, String)>,
    /// The answer to the blocker question.
    blockers: String,
    /// The first two answers to other questions (kept on the check-in row for the export).
    done: String,
    next: String,
}

impl Answers {
    fn read(questions: &[Question], typed: &[String]) -> Result<Answers> {
        if typed.len() > questions.len() {
            return Err(Error::user(
                "The check-in questions changed while your form was open — nothing was saved; open it again with `/checkin submit`.",
            ));
        }
        let mut by_question = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let raw = typed.get(i).map(String::as_str).unwrap_or("");
            let what = format!("answer to “{}”", q.label);
            by_question.push((q.position, answer_text(&what, raw)?));
        }
        if by_question.iter().all(|(_, t)| t.is_empty()) {
            return Err(Error::user(
                "Your check-in is empty — answer at least one question, then submit again with `/checkin submit`.",
            ));
        }
        let text_of = |pred: &dyn Fn(&Question) -> bool| -> Vec<String> {
            questions
                .iter()
                .zip(&by_question)
                .filter(|(q, _)| pred(q))
                .map(|(_, (_, t))| t.clone())
                .collect()
        };
        let blockers = text_of(&|q| q.is_blocker).into_iter().next().unwrap_or_default();
        let mut others = text_of(&|q| !q.is_blocker).into_iter();
        Ok(Answers {
            blockers,
            done: others.next().unwrap_or_default(),
            next: others.next().unwrap_or_default(),
            by_question,
        })
    }
}

/// Stores the actor's answer to `round`, queues a blocker alert when it reports a new blocker,
/// and records the event.
async fn record_answer(
    tx: &mut store::Tx,
    scope: &Scope,
    round: &CheckinRound,
    a: &Answers,
    now_s: i64,
) -> Result<CheckinSubmitted> {
    let actor = &scope.actor;
    let answer = Answer {
        done: &a.done,
        next: &a.next,
        blockers: &a.blockers,
    };
    let (checkin_id, previous) =
        store::checkins::upsert_answer(tx, round, actor.user, &answer, now_s).await?;
    posts::set_answers(tx, checkin_id, &a.by_question).await?;
    let home = scope.coalition.home_channel_id;
    super::checkin_posts::queue_answer_posts(tx, scope.id(), home, round.id, checkin_id, now_s).await?;
    let blockers = &a.blockers;
    // Re-submitting to fix a typo elsewhere should not alert the leads twice for the same blocker.
    let new_blocker = !blockers.is_empty() && previous.as_ref().is_none_or(|p| &p.blockers != blockers);
    let mut leads_alerted = 0;
    if new_blocker {
        let payload = Payload::BlockerAlert(Blocker::Checkin {
            source: CheckinSource::Checkin,
            round_id: round.id,
            user_id: actor.user,
            name: actor.name.clone(),
            blockers: blockers.clone(),
        });
        let key = format!("blocker:checkin:{checkin_id}:{now_s}");
        leads_alerted = deliveries::enqueue_to_leads(
            tx,
            scope.id(),
            &key,
            Some(checkin_id.0),
            &payload,
            Some(actor.user),
            now_s,
        )
        .await?;
    }
    let kind = if previous.is_some() {
        "checkin.update"
    } else {
        "checkin.submit"
    };
    let detail = if blockers.is_empty() { "" } else { "blockers" };
    store::record_event(
        tx,
        scope.id(),
        actor.user,
        kind,
        &format!("round {}", round.id),
        detail,
        now_s,
    )
    .await?;
    Ok(CheckinSubmitted {
        coalition_name: scope.coalition.name.clone(),
        round_id: round.id,
        checkin_id,
        updated: previous.is_some(),
        has_blockers: !blockers.is_empty(),
        leads_alerted,
    })
}

/// An optional answer: empty stays empty, anything else is trimmed and bounded.
fn answer_text(what: &str, typed: &str) -> Result<String> {
    if typed.trim().is_empty() {
        return Ok(String::new());
    }
    text::multi_line(what, typed, text::MAX_TEXT)
}

/// Who answered the current round, who has not, and who is away.
#[derive(Debug, Clone, Serialize)]
pub struct CheckinStatus {
    pub coalition_name: String,
    pub round_id: RoundId,
    /// When the round opened (UTC seconds).
    pub opens_at: i64,
    /// Current members who answered.
    pub answered: Vec<store::checkins::Answered>,
    /// Members who have not answered and are not away: (user, name).
    pub missing: Vec<(UserId, String)>,
    /// Members away, who are not expected to answer: (user, name).
    pub away: Vec<(UserId, String)>,
    /// The participation figure, as the digest and the closing summary show it.
    pub participation: crate::domain::checkin::Participation,
}

/// `/checkin status` (lead): who has answered the current round, who has not, who is away.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn status(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<CheckinStatus> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let Some(round) = store::checkins::current_round(store, scope.id(), ts(now)).await? else {
        return Err(Error::user(no_round_yet(&scope.coalition, now)));
    };
    let p = super::checkin_posts::participation(store, scope.id(), round.id, ts(now)).await?;
    let current: std::collections::HashSet<UserId> = p.participation.answered.iter().copied().collect();
    let answered = store::checkins::answered(store, &round)
        .await?
        .into_iter()
        .filter(|a| current.contains(&a.user_id))
        .collect();
    Ok(CheckinStatus {
        coalition_name: scope.coalition.name.clone(),
        round_id: round.id,
        opens_at: round.opens_at,
        answered,
        missing: p.names_of(&p.participation.missing),
        away: away_until(store, &p, scope.id(), ts(now)).await?,
        participation: p.participation,
    })
}

/// The away members of a participation, each named "Name (away until <date>)".
async fn away_until(
    store: &Store,
    p: &super::checkin_posts::RoundParticipation,
    coalition: CoalitionId,
    now: i64,
) -> Result<Vec<(UserId, String)>> {
    let until: std::collections::HashMap<UserId, i64> = store::people::away_members(store, coalition, now)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a.until))
        .collect();
    Ok(p.names_of(&p.participation.away)
        .into_iter()
        .map(|(u, name)| match until.get(&u) {
            Some(t) => (u, format!("{name} (away until <t:{t}:d>)")),
            None => (u, name),
        })
        .collect())
}

/// Explains that no round has opened, and when the next one will.
fn no_round_yet(coalition: &Coalition, now: DateTime<Utc>) -> String {
    let tz = coalition.tz();
    let next = Schedule::parse(&coalition.checkin_schedule)
        .ok()
        .and_then(|s| s.next_after(now, tz));
    match next {
        Some(at) => format!(
            "No check-in has opened in **{}** yet — the next one opens {}. Members can answer early with `/checkin submit`.",
            coalition.name,
            when::describe(at, tz)
        ),
        None => format!(
            "No check-in has opened in **{}** yet and none is scheduled — a lead can set one with `/coalition settings checkin_schedule`, and members can answer now with `/checkin submit`.",
            coalition.name
        ),
    }
}
