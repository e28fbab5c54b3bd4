//! `/win remove`: withdrawing a win logged twice or by mistake. Its amount leaves the goal, a
//! celebration not yet posted is cancelled, and one already posted is edited to say so.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Holder, ts};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::win_edits::Celebration;
use crate::store::{self, Store};

/// Input of `/win remove`.
#[derive(Debug, Clone)]
pub struct RemoveWin {
    pub coalition: Option<String>,
    /// The win's id as autocomplete gives it (`12` or `#12`).
    pub win: String,
}

/// A win was withdrawn.
#[derive(Debug, Clone, Serialize)]
pub struct WinRemoved {
    pub win: Win,
    pub coalition_name: String,
    /// The goal it counted toward, after its amount was taken off.
    pub goal: Option<Goal>,
    /// Where its celebration was posted, to edit it (or that it is being posted right now).
    pub celebration: Celebration,
    /// Whether a celebration still waiting to be posted was cancelled.
    pub celebration_cancelled: bool,
    /// The author's remembered name, for the edited celebration.
    pub author_name: String,
}

/// `/win remove` (its author or a lead): deletes the win, takes its amount off its goal, and says
/// where the celebration post is so it can be marked withdrawn.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RemoveWin,
) -> Result<WinRemoved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    let typed = input.win.trim().trim_start_matches('#');
    let id = typed.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        Error::user(format!(
            "`{}` isn't a win — pick one from the list as you type, or see `/win list`.",
            text::truncate(input.win.trim(), 40).replace('`', "'")
        ))
    })?;
    let win = store::wins::get(store, scope.id(), WinId(id))
        .await?
        .ok_or_else(|| {
            Error::user(format!(
                "There's no win #{id} in **{}** (it may have been removed already) — `/win list` shows them.",
                scope.coalition.name
            ))
        })?;
    scope.require_right(
        &[(Holder::Author, Some(win.user_id))],
        &format!("win #{id}"),
        "remove it",
    )?;
    let author_name = store::members::get(store, scope.id(), win.user_id)
        .await?
        .map(|m| m.display_name)
        .unwrap_or_default();
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if !store::win_edits::delete(&mut tx, scope.id(), win.id).await? {
        return Err(Error::user(
            "That win was just removed by someone else — nothing more to do.",
        ));
    }
    let mut goal_change = String::new();
    if let (Some(goal), Some(amount)) = (win.goal_id, win.amount)
        && let Some(after) =
            store::win_edits::subtract_from_goal(&mut tx, scope.id(), goal, amount, now_s).await?
    {
        goal_change = format!("; goal {} current → {}", goal.0, text::number(after));
    }
    let celebration_cancelled = store::win_edits::cancel_celebration(&mut tx, scope.id(), win.id).await?;
    let celebration = store::win_edits::celebration(&mut *tx, scope.id(), win.id).await?;
    let detail = format!(
        "removed: {} (by {}, amount {}, goal {}){goal_change}",
        win.text,
        win.user_id,
        win.amount.map_or("none".into(), text::number),
        win.goal_id.map_or("none".into(), |g| g.0.to_string()),
    );
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "win.remove",
        &format!("win {}", win.id),
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let goal = match win.goal_id {
        Some(g) => store::goals::get(store, scope.id(), g).await?,
        None => None,
    };
    Ok(WinRemoved {
        win,
        coalition_name: scope.coalition.name.clone(),
        goal,
        celebration,
        celebration_cancelled,
        author_name,
    })
}

/// Where a removed win's celebration stands now: a post that was going out while the win was
/// removed gets its message id once the sender records it.
pub async fn celebration_now(store: &Store, out: &WinRemoved) -> Result<Celebration> {
    store::win_edits::celebration(store.pool(), out.win.coalition_id, out.win.id).await
}

/// Autocomplete for `/win remove`: the invoker's recent wins, or everyone's for leads. Value is
/// the win's id.
pub async fn suggest(
    store: &Store,
    actor: &Actor,
    coalition: Option<&str>,
    typed: &str,
) -> Result<Vec<(String, String)>> {
    let Some(c) = super::coalition_for_suggest(store, actor.guild, actor.channel, coalition).await? else {
        return Ok(Vec::new());
    };
    let member = store::members::get(store, c.id, actor.user).await?;
    let lead = actor.manage_server || member.is_some_and(|m| m.role == Role::Lead);
    let wins = store::win_edits::suggest(store, c.id, (!lead).then_some(actor.user), typed, 25).await?;
    let tz = c.tz();
    Ok(wins
        .into_iter()
        .map(|w| {
            let when = chrono::DateTime::from_timestamp(w.created_at, 0)
                .map(|t| t.with_timezone(&tz).format("%-d %b").to_string())
                .unwrap_or_default();
            let amount = w
                .amount
                .map(|a| format!(" (+{})", text::number(a)))
                .unwrap_or_default();
            let text = w.text.split_whitespace().collect::<Vec<_>>().join(" ");
            (
                text::truncate(&format!("#{} · {when} · {text}{amount}", w.id), 100),
                w.id.to_string(),
            )
        })
        .collect())
}
