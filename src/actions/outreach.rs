//! `/target log`: a member records an outreach to a target — who (they and their org) met whom,
//! what was asked and said, the stance seen — and a changed stance joins the target's history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, ts};
use crate::domain::targets::*;
use crate::domain::{text, when, *};
use crate::error::{Error, Result};
use crate::store::targets::NewOutreach;
use crate::store::{self, Store};

/// Input of `/target log`.
#[derive(Debug, Clone, Default)]
pub struct LogOutreach {
    pub coalition: Option<String>,
    /// The target's name (or the start of it).
    pub target: String,
    /// meeting, call, email, letter, testimony, event or other.
    pub kind: String,
    /// What was said.
    pub outcome: String,
    /// The stance seen, when it showed.
    pub stance: Option<String>,
    /// What was asked.
    pub ask: Option<String>,
    /// The partner org it was done for (default: the member's).
    pub org: Option<String>,
    /// A due date: creates a follow-up task for the member.
    pub follow_up: Option<String>,
    /// The member's display name as Discord resolved it (for the follow-up task).
    pub user_name: String,
}

/// An outreach was logged.
#[derive(Debug, Clone, Serialize)]
pub struct OutreachLogged {
    pub outreach: Outreach,
    pub target: Target,
    pub coalition_name: String,
    /// The stance before, when this outreach moved it.
    pub moved_from: Option<Stance>,
    /// Goals whose progress moved with the stance.
    pub goals: Vec<Goal>,
    /// The follow-up task, when `follow_up` was given.
    pub follow_up: Option<super::tasks::TaskAssigned>,
}

/// `/target log` (member): records an outreach; a stance that differs from the target's moves
/// it, in the same write, with the outreach as its cause.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn log(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: LogOutreach,
) -> Result<OutreachLogged> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let target = super::targets::resolve(store, &scope, &input.target).await?;
    let kind = OutreachKind::parse(&input.kind)?;
    let outcome = text::multi_line("outcome", &input.outcome, text::MAX_TEXT)?;
    let ask = match input.ask.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => Some(text::multi_line("ask", a, text::MAX_TEXT)?),
        None => None,
    };
    let stance = input.stance.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let stance = stance.map(Stance::parse).transpose()?;
    let org = match input.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(super::orgs::resolve(store, &scope.coalition, name).await?.id),
        None => scope.member.as_ref().and_then(|m| m.org_id),
    };
    // Read before anything is written: a due date that can't be read changes nothing.
    let follow_up = match input
        .follow_up
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(due) => {
            when::parse_due(due, scope.coalition.tz(), now)?;
            if scope.member.is_none() {
                return Err(Error::user(format!(
                    "A follow-up is a task for you, and tasks go to members — join **{}** with `/coalition join` first, or leave `follow_up` out.",
                    scope.coalition.name
                )));
            }
            Some(due.to_string())
        }
        None => None,
    };
    let now_s = ts(now);

    let mut tx = store.write().await?;
    // The target as it is inside the write: the history records what the stance really was.
    let target = store::targets::get_in(&mut tx, scope.id(), target.id)
        .await?
        .ok_or_else(|| super::targets::gone(&target.name, &scope))?;
    let new = NewOutreach {
        target: &target,
        user: actor.user,
        org,
        kind,
        ask: ask.as_deref(),
        outcome: &outcome,
        stance_seen: stance,
    };
    let outreach = store::targets::insert_outreach(&mut tx, &new, now_s).await?;
    let mut target = target;
    let mut moved_from = None;
    let mut goals = Vec::new();
    if let Some(to) = stance.filter(|s| *s != target.stance) {
        let from = target.stance;
        if store::targets::set_stance(&mut tx, scope.id(), target.id, from, to, now_s).await? {
            store::targets::record_stance(
                &mut tx,
                &target,
                actor.user,
                Some(from),
                to,
                Some(outreach.id),
                now_s,
            )
            .await?;
            target.stance = to;
            moved_from = Some(from);
            goals = super::targets::recount_goals(&mut tx, scope.id(), now_s).await?;
        }
    }
    let detail = match moved_from {
        Some(from) => format!(
            "{} with {}: {} → {}",
            kind.as_str(),
            target.name,
            from.as_str(),
            target.stance.as_str()
        ),
        None => format!("{} with {}", kind.as_str(), target.name),
    };
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "target.log",
        &format!("outreach {}", outreach.id),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    // The follow-up is the usual task (card, pings), assigned to the member who reached out and
    // linked to the target through this outreach.
    let follow_up = match follow_up {
        Some(due) => {
            let title = text::truncate(
                &format!("Follow up with {} ({})", target.name, kind.as_str()),
                text::MAX_TITLE,
            );
            let task = super::tasks::assign(
                store,
                actor,
                now,
                super::tasks::AssignTask {
                    coalition: Some(scope.coalition.name.clone()),
                    title,
                    assignee: actor.user,
                    assignee_name: input.user_name.clone(),
                    due: Some(due),
                    goal: None,
                },
            )
            .await?;
            store::targets::set_outreach_task(store, scope.id(), outreach.id, task.task.id).await?;
            Some(task)
        }
        None => None,
    };
    let mut outreach = outreach;
    outreach.task_id = follow_up.as_ref().map(|t| t.task.id);
    Ok(OutreachLogged {
        outreach,
        target,
        coalition_name: scope.coalition.name.clone(),
        moved_from,
        goals,
        follow_up,
    })
}

/// The digest's advocacy part for `[start, end)`: stances moved (and after whose outreach) and
/// the library's new resources.
pub async fn digest_part(
    store: &Store,
    coalition: CoalitionId,
    start: i64,
    end: i64,
) -> Result<DigestAdvocacy> {
    let items = crate::domain::digest::MAX_ITEMS as i64;
    let moved = store::targets::moved_between(store, coalition, start, end, items)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(DigestMoved {
                target: m.target_name,
                from: m.from_stance?,
                to: m.to_stance,
                after_whom: m.org_name.or(m.user_name),
                kind: m.kind,
            })
        })
        .collect();
    let resources = store::resources::added_between(store, coalition, start, end, items)
        .await?
        .into_iter()
        .map(|r| DigestResource {
            number: r.resource.number,
            title: r.resource.title,
            url: r.resource.url,
            who: r.author_name,
        })
        .collect();
    Ok(DigestAdvocacy {
        moved,
        moved_count: store::targets::moved_count(store, coalition, start, end).await?,
        resources,
        resources_count: store::resources::added_count(store, coalition, start, end).await?,
    })
}
