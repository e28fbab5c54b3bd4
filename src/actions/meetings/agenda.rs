//! A meeting's agenda: proposed items, then what the coalition's data puts there (overdue and
//! blocked tasks, deadlines before the next meeting, goals behind pace, wins since the last
//! meeting), then items carried over. Once a meeting starts, its agenda is fixed as stored items
//! (each with a "covered" toggle).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::{Actor, Scope, ts};
use crate::domain::meeting::*;
use crate::domain::when::{Shown, show};
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::meetings::{self as db, Item};
use crate::store::{self, Store};

/// Items of each data kind an agenda shows at most.
const PER_KIND: i64 = 5;
/// Without a last meeting, wins of this many days are celebrated.
const WINS_DAYS: i64 = 14;
/// Without a next meeting, deadlines this many days ahead are shown.
const DEADLINE_DAYS: i64 = 14;

/// One line of an agenda: a stored item (with its id, for the toggle) or a line from the data.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaLine {
    /// The stored item, once there is one (proposed, carried, or fixed at the start).
    pub item: Option<ItemId>,
    pub kind: ItemKind,
    pub text: String,
    pub covered: bool,
    /// For a carried item: when the meeting it was not reached in was held.
    pub carried_at: Option<i64>,
}

/// A meeting's agenda.
#[derive(Debug, Clone, Serialize)]
pub struct Agenda {
    pub meeting: Meeting,
    pub coalition_name: String,
    pub timezone: String,
    pub lines: Vec<AgendaLine>,
    /// Feedback the leads have not acknowledged yet: only in the leads' view, never in public.
    pub unacknowledged_feedback: Option<i64>,
}

/// `/meeting agenda` (anyone): the agenda of `meeting` (default the next); leads also see how much
/// feedback awaits acknowledgement.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn agenda(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    meeting: Option<&str>,
) -> Result<Agenda> {
    let scope = super::scope_here(store, actor, coalition).await?;
    let m = super::resolve(store, &scope, meeting).await?;
    let mut a = agenda_of(store, &scope.coalition, m, now).await?;
    if scope.is_lead() {
        a.unacknowledged_feedback = Some(store::feedback::counts(store, scope.id()).await?.1);
    }
    Ok(a)
}

/// The public agenda of `m` as of `now` (no leads-only content).
pub async fn agenda_of(store: &Store, c: &Coalition, m: Meeting, now: DateTime<Utc>) -> Result<Agenda> {
    let stored = db::items(store.pool(), c.id, m.id).await?;
    let lines = if m.status == MeetingStatus::Scheduled {
        let mut lines: Vec<AgendaLine> = stored.iter().map(line_of).collect();
        lines.extend(data_lines(store, c, &m, now).await?);
        // Carried items wait for the coalition's next meeting.
        if db::next(store, c.id).await?.is_some_and(|n| n.id == m.id) {
            lines.extend(db::waiting_items(store, c.id).await?.iter().map(line_of));
        }
        lines
    } else {
        stored.iter().map(line_of).collect()
    };
    Ok(Agenda {
        meeting: m,
        coalition_name: c.name.clone(),
        timezone: c.timezone.clone(),
        lines,
        unacknowledged_feedback: None,
    })
}

fn line_of(i: &Item) -> AgendaLine {
    AgendaLine {
        item: Some(i.id),
        kind: i.kind,
        text: i.text.clone(),
        covered: i.covered,
        carried_at: i.carried_at,
    }
}

/// What the coalition's data puts on the agenda now. Blocked tasks show no reason: the agenda is
/// public and a reason is for the leads.
pub(crate) async fn data_lines(
    store: &Store,
    c: &Coalition,
    m: &Meeting,
    now: DateTime<Utc>,
) -> Result<Vec<AgendaLine>> {
    let now_s = ts(now);
    let tz = c.tz();
    let mut texts = Vec::new();
    for t in store::digest::overdue(store, c.id, now_s, PER_KIND).await? {
        let who = t.assignee.map(|a| format!(", {a}")).unwrap_or_default();
        texts.push(format!(
            "Overdue: task #{} {} (due {}{who})",
            t.number,
            t.title,
            show(t.due_at, tz, Shown::Day)
        ));
    }
    let (_, blocked) = store::digest::blocked_tasks(store, c.id, PER_KIND).await?;
    for (number, title, assignee, _reason) in blocked {
        let who = assignee.map(|a| format!(" ({a})")).unwrap_or_default();
        texts.push(format!("Blocked: task #{number} {title}{who}"));
    }
    let until = match db::following(store, m).await? {
        Some(next) => next.starts_at,
        None => m.starts_at.max(now_s) + DEADLINE_DAYS * 86_400,
    };
    let (_, due) = store::digest::milestones_due(store, c.id, now_s, until, PER_KIND).await?;
    for (number, title, _, due_at) in due {
        texts.push(format!(
            "Deadline: #{number} {title} (due {})",
            show(due_at, tz, Shown::Day)
        ));
    }
    for (number, title, current, target, created_at, due_at) in db::paced_goals(store, c.id).await? {
        if behind_pace(current, target, created_at, due_at, now_s) {
            let pct = (current / target * 100.0).round();
            texts.push(format!(
                "Behind pace: goal #{number} {title} ({pct}% done, due {})",
                show(due_at, tz, Shown::Day)
            ));
        }
    }
    let since = match db::last_ended(store, c.id, now_s).await? {
        Some(last) => last.ended_at.unwrap_or(last.starts_at),
        None => now_s - WINS_DAYS * 86_400,
    };
    for w in store::digest::recent_wins(store, c.id, since, now_s, PER_KIND).await? {
        texts.push(format!("Celebrate: {} — {}", w.who, w.text));
    }
    Ok(texts
        .into_iter()
        .map(|t| AgendaLine {
            item: None,
            kind: ItemKind::Data,
            text: text::truncate(&t, MAX_ITEM),
            covered: false,
            carried_at: None,
        })
        .collect())
}

/// An item was proposed.
#[derive(Debug, Clone, Serialize)]
pub struct Proposed {
    pub meeting: Meeting,
    pub item: Item,
    pub coalition_name: String,
    pub timezone: String,
}

/// `/meeting propose` (member): adds an item to a meeting's agenda (default the next).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn propose(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    meeting: Option<&str>,
    item: &str,
) -> Result<Proposed> {
    let scope: Scope = super::scope_here(store, actor, coalition).await?;
    scope.require_member()?;
    let text = text::single_line("agenda item", item, MAX_ITEM)?;
    let m = super::resolve(store, &scope, meeting).await?;
    if !matches!(m.status, MeetingStatus::Scheduled | MeetingStatus::Running) {
        return Err(Error::user(format!(
            "**{}** is over or cancelled — propose it for the next meeting (`/meeting list`).",
            text::defuse_mentions(&m.title)
        )));
    }
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let item = db::add_item(
        &mut tx,
        scope.id(),
        m.id,
        ItemKind::Proposed,
        &text,
        Some(actor.user),
        now_s,
    )
    .await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "meeting.propose",
        &format!("meeting {}", m.id),
        &text,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(Proposed {
        meeting: m,
        item,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
    })
}
