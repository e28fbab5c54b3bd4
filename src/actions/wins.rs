//! Wins: logging and celebrating them, counting them against goals, listing recent ones.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tasks::TaskSel;
use super::{Actor, Holder, Scope, ts};
use crate::domain::paging::{Filters, PageKey, Paged};
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{NewDelivery, Target};
use crate::store::payload::Payload;
use crate::store::wins::{NewWin, WinRow};
use crate::store::{self, Store, Tx};
use crate::telemetry::phase;

/// Wins on one page of `/win list`; the ◀ ▶ buttons reach the rest.
pub const PAGE_SIZE: u32 = 15;
/// Days `/win list` looks back when `days` is not given.
pub const DEFAULT_DAYS: i64 = 7;

/// Input of `/win log`.
#[derive(Debug, Clone, Default)]
pub struct LogWin {
    pub coalition: Option<String>,
    pub text: String,
    /// `#3`, `3`, or the start of an active goal's title.
    pub goal: Option<String>,
    /// Added to the goal's current value; needs `goal`.
    pub amount: Option<f64>,
    /// A partner organization's name; defaults to the member's org.
    pub org: Option<String>,
}

/// A win was logged and its celebration queued.
#[derive(Debug, Clone, Serialize)]
pub struct WinLogged {
    pub win: Win,
    pub coalition_name: String,
    /// The goal it counts toward, after the amount was added.
    pub goal: Option<Goal>,
    pub org_name: Option<String>,
    /// Whether a celebration post in the home channel was queued.
    pub celebrated: bool,
}

/// `/win log` (member): records a win, adds its amount to the goal, celebrates it in the home channel.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn log(store: &Store, actor: &Actor, now: DateTime<Utc>, input: LogWin) -> Result<WinLogged> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let text = text::multi_line("win", &input.text, text::MAX_TEXT)?;
    let goal_text = input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty());
    if let Some(amount) = input.amount {
        if goal_text.is_none() {
            return Err(Error::user(
                "An amount counts toward a goal — add `goal:` (see `/goal list`), or leave the amount out.",
            ));
        }
        if !amount.is_finite() || amount <= 0.0 {
            return Err(Error::user(
                "The amount must be a number above 0, like `25` — or leave it out.",
            ));
        }
    }
    let goal = match goal_text {
        Some(g) => {
            let goal = super::goals::resolve(store, &scope, g).await?;
            super::goals::require_active(&goal, &scope)?;
            Some(goal)
        }
        None => None,
    };
    let org = match input.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(
            store::coalitions::find_org(store, scope.id(), name)
                .await?
                .ok_or_else(|| {
                    Error::user(format!(
                        "No organization named `{name}` in **{}** — `/org list` shows them.",
                        scope.coalition.name
                    ))
                })?,
        ),
        None => None,
    };
    let org_id = org
        .as_ref()
        .map(|o| o.id)
        .or_else(|| scope.member.as_ref().and_then(|m| m.org_id));
    let now_s = ts(now);

    let sql = phase::sql();
    let mut tx = store.write().await?;
    let new = NewWin {
        coalition: scope.id(),
        user: actor.user,
        text: &text,
        org: org_id,
        goal: goal.as_ref().map(|g| g.id),
        task: None,
        amount: input.amount,
    };
    let (win, org_name) = store::wins::insert(&mut tx, &new, now_s).await?;
    if let (Some(goal), Some(amount)) = (&goal, input.amount)
        && !store::goals::add_to_current(&mut tx, scope.id(), goal.id, amount, now_s).await?
    {
        // Closed between the check and the write: refuse; dropping `tx` rolls the win back.
        return Err(super::goals::closed_error(goal, &scope));
    }
    celebrate_and_record(&mut tx, &scope, win.id, &text, now_s).await?;
    tx.commit().await?;
    // Only what changed in the write is read again: the goal's progress after the amount.
    let goal = match (goal, input.amount) {
        (Some(g), Some(_)) => store::goals::get(store, scope.id(), g.id).await?,
        (goal, None) => goal,
        (None, Some(_)) => None,
    };
    drop(sql);
    outcome(&scope, win, goal, org_name)
}

/// The `win:log-task:<id>` button (assignee or lead): logs a done task as a win, once.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn log_task_win(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    task: TaskId,
) -> Result<WinLogged> {
    let (scope, task) = super::tasks::resolve(store, actor, None, &TaskSel::Id(task)).await?;
    let subject = format!("task #{}", task.number);
    scope.require_right(
        &[(Holder::Assignee, task.assignee_id)],
        &subject,
        "log it as a win",
    )?;
    if task.status != TaskStatus::Done {
        return Err(Error::user(format!(
            "Task #{} isn't done yet — mark it done with `/task done` first.",
            task.number
        )));
    }
    let text = format!("Completed task #{}: {}", task.number, task.title);
    let now_s = ts(now);

    let mut tx = store.write().await?;
    // Checked inside the write: a task reopened meanwhile is not a win (yet).
    if store::tasks::status_of(&mut *tx, scope.id(), task.id).await? != Some(TaskStatus::Done) {
        return Err(Error::user(format!(
            "Task #{} was just reopened — mark it done again with `/task done` to log it as a win.",
            task.number
        )));
    }
    // Checked inside the write so two quick clicks log one win.
    if store::wins::exists_for_task(&mut tx, scope.id(), task.id).await? {
        return Err(Error::user(format!(
            "Task #{} is already logged as a win — `/win list` shows it.",
            task.number
        )));
    }
    let new = NewWin {
        coalition: scope.id(),
        // The win is the assignee's, even when a lead logs it for them.
        user: task.assignee_id.unwrap_or(actor.user),
        text: &text,
        org: task.org_id,
        goal: task.goal_id,
        task: Some(task.id),
        amount: None,
    };
    let (win, org_name) = store::wins::insert(&mut tx, &new, now_s).await?;
    celebrate_and_record(&mut tx, &scope, win.id, &text, now_s).await?;
    tx.commit().await?;
    let goal = match win.goal_id {
        Some(g) => store::goals::get(store, scope.id(), g).await?,
        None => None,
    };
    outcome(&scope, win, goal, org_name)
}

/// Input of `/win list`.
#[derive(Debug, Clone, Default)]
pub struct ListWins {
    pub coalition: Option<String>,
    /// How many days back (1..=365, default 7).
    pub days: Option<i64>,
    /// Which page (1 when 0).
    pub page: u32,
}

/// Recent wins, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct WinList {
    pub coalition_name: String,
    pub timezone: String,
    pub days: i64,
    /// Start of the period (UTC seconds).
    pub since: i64,
    /// This page's rows, at most [`PAGE_SIZE`].
    pub wins: Vec<WinRow>,
    /// How many wins the period holds in all.
    pub total: i64,
    /// Which page this is, of how many.
    pub paged: Paged,
    /// What the page buttons carry to draw another page.
    #[serde(skip)]
    pub key: PageKey,
}

/// `/win list` (anyone): wins of the last `days` days.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor, now: DateTime<Utc>, input: ListWins) -> Result<WinList> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    let days = input.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=365).contains(&days) {
        return Err(Error::user(
            "`days` must be between 1 and 365 — for example `days: 30`.",
        ));
    }
    list_page(store, &scope, now, days, input.page).await
}

/// Another page of `/win list`, from a page button.
pub async fn page(store: &Store, scope: &Scope, now: DateTime<Utc>, key: &PageKey) -> Result<WinList> {
    let days = key.filters.number('d').unwrap_or(DEFAULT_DAYS).clamp(1, 365);
    list_page(store, scope, now, days, key.page).await
}

async fn list_page(
    store: &Store,
    scope: &Scope,
    now: DateTime<Utc>,
    days: i64,
    page: u32,
) -> Result<WinList> {
    let since = ts(now) - days * 24 * 3600;
    let (wins, paged) = super::pages::fetch_page(
        page,
        PAGE_SIZE,
        |p| store::wins::since(store, scope.id(), since, p),
        store::wins::count_since(store, scope.id(), since),
    )
    .await?;
    let total = paged.total;
    let key = PageKey::new(
        "wins",
        scope.actor.user,
        Filters::new().with('c', Some(scope.id())).with('d', Some(days)),
    );
    Ok(WinList {
        coalition_name: scope.coalition.name.clone(),
        // Shown to the viewer alone: in their own zone when they set one.
        timezone: super::me::shown_timezone(scope),
        days,
        since,
        wins,
        total,
        paged,
        key,
    })
}

/// Queues the celebration post in the home channel and records the event.
async fn celebrate_and_record(tx: &mut Tx, scope: &Scope, id: WinId, text: &str, now: i64) -> Result<()> {
    let post = NewDelivery {
        coalition: scope.id(),
        dedupe_key: format!("win:{}", id.0),
        target: Target::Channel(scope.coalition.home_channel_id),
        subject_id: Some(id.0),
        payload: Payload::WinCelebration,
        due_at: now,
    };
    store::deliveries::enqueue(tx, &post, now).await?;
    store::record_event(
        tx,
        scope.id(),
        scope.actor.user,
        "win.log",
        &format!("win {}", id.0),
        text,
        now,
    )
    .await
}

/// The outcome of a logged win, from what the write returned: nothing is read again.
fn outcome(scope: &Scope, win: Win, goal: Option<Goal>, org_name: Option<String>) -> Result<WinLogged> {
    Ok(WinLogged {
        win,
        coalition_name: scope.coalition.name.clone(),
        goal,
        org_name,
        celebrated: true,
    })
}
