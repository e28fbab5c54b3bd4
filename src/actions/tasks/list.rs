//! `/task list` and `/task mine`: one page of tasks, overdue first, and the pages after it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::Instrument;

use super::*;
use crate::actions::{Actor, Scope, ts};
use crate::domain::paging::{Filters, PageKey, Paged};
use crate::error::{Error, Result};
use crate::store::tasks::{ListedTask, TaskFilter};
use crate::store::{self, Store};
use crate::telemetry::phase;

/// Tasks on one page of a list; the ◀ ▶ buttons reach the rest.
pub const PAGE_SIZE: u32 = 20;

/// Input of `/task list`.
#[derive(Debug, Clone, Default)]
pub struct ListTasks {
    pub coalition: Option<String>,
    pub assignee: Option<UserId>,
    /// `None` shows every task that is not done.
    pub status: Option<TaskStatus>,
    /// A partner organization's name.
    pub org: Option<String>,
    /// Which page (1 when 0).
    pub page: u32,
}

/// A list of tasks: overdue first, then by due date (undated last), then by number.
#[derive(Debug, Clone, Serialize)]
pub struct TaskList {
    pub coalition_name: String,
    pub timezone: String,
    /// This page's rows, at most [`PAGE_SIZE`].
    pub tasks: Vec<ListedTask>,
    /// How many tasks matched in all.
    pub total: i64,
    pub status: Option<TaskStatus>,
    /// The time the list was made (UTC seconds), to mark overdue rows.
    pub now: i64,
    /// Which page this is, of how many.
    pub paged: Paged,
    /// What the page buttons carry to draw another page.
    #[serde(skip)]
    pub key: PageKey,
}

/// `/task list` (anyone): tasks, not-done ones by default, overdue first.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor, now: DateTime<Utc>, input: ListTasks) -> Result<TaskList> {
    let scope = crate::actions::scope(store, actor, input.coalition.as_deref()).await?;
    let org = match input.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(
            store::coalitions::find_org(store, scope.id(), name)
                .await?
                .ok_or_else(|| {
                    Error::user(format!(
                        "No organization named `{name}` in **{}** — `/org list` shows them.",
                        scope.coalition.name
                    ))
                })?
                .id,
        ),
        None => None,
    };
    let filter = TaskFilter {
        assignee: input.assignee,
        status: input.status,
        org,
    };
    list_with(store, &scope, &filter, now, input.page, false).await
}

/// Input of `/task mine`.
#[derive(Debug, Clone, Default)]
pub struct MyTasks {
    pub coalition: Option<String>,
    /// Which page (1 when 0).
    pub page: u32,
}

/// `/task mine` (member): the invoker's tasks that are not done.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn mine(store: &Store, actor: &Actor, now: DateTime<Utc>, input: MyTasks) -> Result<TaskList> {
    let scope = crate::actions::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let filter = TaskFilter {
        assignee: Some(actor.user),
        ..TaskFilter::default()
    };
    list_with(store, &scope, &filter, now, input.page, true).await
}

/// Another page of `/task list` (`list` = `tasks`) or `/task mine` (`mine`), from a page button.
pub async fn page(store: &Store, scope: &Scope, now: DateTime<Utc>, key: &PageKey) -> Result<TaskList> {
    let mine = key.list == "mine";
    let filter = if mine {
        TaskFilter {
            assignee: Some(scope.actor.user),
            ..TaskFilter::default()
        }
    } else {
        TaskFilter {
            assignee: key.filters.number('a').map(UserId),
            status: key.filters.get('s').and_then(TaskStatus::parse),
            org: key.filters.number('o').map(OrgId),
        }
    };
    list_with(store, scope, &filter, now, key.page, mine).await
}

async fn list_with(
    store: &Store,
    scope: &Scope,
    filter: &TaskFilter,
    now: DateTime<Utc>,
    page: u32,
    mine: bool,
) -> Result<TaskList> {
    let now_s = ts(now);
    let (mut tasks, paged) = crate::actions::pages::fetch_page(
        page,
        PAGE_SIZE,
        |p| store::tasks::list(store, scope.id(), filter, p),
        store::tasks::count(store, scope.id(), filter),
    )
    .instrument(phase::sql())
    .await?;
    // Why a task is blocked is for the leads and its own assignee.
    let me = Some(scope.actor.user);
    for row in &mut tasks {
        if !(scope.is_lead() || (row.assignee_id == me && scope.member.is_some())) {
            row.blocked_reason = None;
        }
    }
    let total = paged.total;
    let filters = Filters::new().with('c', Some(scope.id()));
    let key = if mine {
        PageKey::new("mine", scope.actor.user, filters)
    } else {
        let filters = filters
            .with('a', filter.assignee)
            .with('s', filter.status.map(TaskStatus::as_str))
            .with('o', filter.org);
        PageKey::new("tasks", scope.actor.user, filters)
    };
    Ok(TaskList {
        coalition_name: scope.coalition.name.clone(),
        // Shown to the viewer alone: in their own zone when they set one.
        timezone: crate::actions::me::shown_timezone(scope),
        tasks,
        total,
        status: filter.status,
        now: now_s,
        paged,
        key,
    })
}
