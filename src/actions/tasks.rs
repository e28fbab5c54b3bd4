//! Tasks: assigning work to members and listing it. Status changes, reassigning and moving due
//! dates live in [`super::task_changes`] and are re-exported here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Ref, Scope, ts};
use crate::domain::paging::{Filters, PageKey, Paged};
use crate::domain::{pings, text, when, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{DeliveryKind, NewDelivery, Target};
use crate::store::tasks::{NewTask, TaskFilter, TaskRow};
use crate::store::{self, Store};

pub use super::task_changes::{
    ReassignTask, SetDue, TaskDueSet, TaskReassigned, TaskUpdated, UpdateTask, done, reassign, set_due,
    update,
};

/// Tasks on one page of a list; the ◀ ▶ buttons reach the rest.
pub const PAGE_SIZE: u32 = 20;

/// Which task a command or button means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskSel {
    /// What a user typed: `#12`, `12`, or the start of the title.
    Ref(String),
    /// A row id carried by a button; still scoped to the clicking user's guild.
    Id(TaskId),
}

/// Input of `/task assign`.
#[derive(Debug, Clone)]
pub struct AssignTask {
    pub coalition: Option<String>,
    pub title: String,
    pub assignee: UserId,
    /// The assignee's display name as Discord resolved it.
    pub assignee_name: String,
    /// Free text read in the coalition's time zone.
    pub due: Option<String>,
    /// `#3`, `3`, or the start of an active goal's title.
    pub goal: Option<String>,
}

/// A task was created.
#[derive(Debug, Clone, Serialize)]
pub struct TaskAssigned {
    pub task: Task,
    pub coalition_name: String,
    pub timezone: String,
    pub goal_title: Option<String>,
    pub assignee_name: String,
    /// Whether a DM to the assignee was queued (not when they assigned themselves).
    pub notified: bool,
}

/// `/task assign` (member): creates task #N for a member and queues a DM to them.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn assign(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AssignTask,
) -> Result<TaskAssigned> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let title = text::single_line("task title", &input.title, text::MAX_TITLE)?;
    let due_at = match input.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(due) => Some(when::parse_due(due, scope.coalition.tz(), now)?.timestamp()),
        None => None,
    };
    let goal = match input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => {
            let goal = super::goals::resolve(store, &scope, g).await?;
            super::goals::require_active(&goal, &scope)?;
            Some(goal)
        }
        None => None,
    };
    let now_s = ts(now);
    let next_ping_at =
        due_at.and_then(|due| pings::next_ping_at(due, &ping_offsets(&scope.coalition), now_s));

    let mut tx = store.write().await?;
    // The assignee must be a member when the task is created, and it takes the org they are in
    // now: read inside the write, so someone removed this very moment gets no task.
    let assignee = require_assignee(&mut *tx, &scope, input.assignee, &input.assignee_name).await?;
    let new = NewTask {
        coalition: scope.id(),
        title: &title,
        assignee: input.assignee,
        org: assignee.org_id,
        goal: goal.as_ref().map(|g| g.id),
        due_at,
        next_ping_at,
        created_by: actor.user,
    };
    let task = store::tasks::insert(&mut tx, &new, now_s).await?;
    let (id, number) = (task.id, task.number);
    let notified = input.assignee != actor.user;
    if notified {
        let dm = assigned_dm(
            &scope,
            id,
            input.assignee,
            format!("task_assigned:{}", id.0),
            now_s,
        );
        store::deliveries::enqueue(&mut tx, &dm, now_s).await?;
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "task.assign",
        &format!("task #{number}"),
        &title,
        now_s,
    )
    .await?;
    tx.commit().await?;

    Ok(TaskAssigned {
        task,
        coalition_name: scope.coalition.name.clone(),
        timezone: scope.coalition.timezone.clone(),
        goal_title: goal.map(|g| g.title),
        assignee_name: display_name(&input.assignee_name, &assignee),
        notified,
    })
}

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
    pub tasks: Vec<TaskRow>,
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
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
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
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
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
    let (mut tasks, paged) = super::pages::fetch_page(
        page,
        PAGE_SIZE,
        |p| store::tasks::list(store, scope.id(), filter, now_s, p),
        store::tasks::count(store, scope.id(), filter),
    )
    .await?;
    // Why a task is blocked is for the leads and its own assignee.
    let me = Some(scope.actor.user);
    for row in &mut tasks {
        if !(scope.is_lead() || (row.task.assignee_id == me && scope.member.is_some())) {
            row.task.blocked_reason = None;
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
        timezone: super::me::shown_timezone(scope),
        tasks,
        total,
        status: filter.status,
        now: now_s,
        paged,
        key,
    })
}

/// A task by row id with its coalition, only if it belongs to `guild` (for buttons and renderers).
pub async fn get_by_id(store: &Store, guild: GuildId, id: TaskId) -> Result<Option<(Task, Coalition)>> {
    let Some(task) = store::tasks::get_in_guild(store, guild, id).await? else {
        return Ok(None);
    };
    Ok(store::coalitions::get(store.pool(), guild, task.coalition_id)
        .await?
        .map(|c| (task, c)))
}

/// Remembers where a task's card was posted (channel and message), so buttons can update it.
pub async fn remember_message(
    store: &Store,
    task: TaskId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    store::tasks::set_message(store, task, channel, message).await
}

/// Autocomplete for `task` options: not-done tasks whose number or title matches `typed`.
pub async fn suggest(
    store: &Store,
    guild: GuildId,
    channel: Option<ChannelId>,
    coalition: Option<&str>,
    typed: &str,
) -> Result<Vec<(String, String)>> {
    let Some(c) = super::coalition_for_suggest(store, guild, channel, coalition).await? else {
        return Ok(Vec::new());
    };
    Ok(store::tasks::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|t| super::numbered_choice(t.number, &format!("{} ({})", t.title, t.status.label())))
        .collect())
}

/// Finds the task a command or button means, with the scope of its coalition. A button's row id
/// from another guild is "not found", like any unknown task.
pub(crate) async fn resolve(
    store: &Store,
    actor: &Actor,
    coalition: Option<&str>,
    sel: &TaskSel,
) -> Result<(Scope, Task)> {
    match sel {
        TaskSel::Id(id) => {
            let (task, coalition) = get_by_id(store, actor.guild, *id).await?.ok_or_else(|| {
                Error::user("That task no longer exists — `/task list` shows the open ones.")
            })?;
            let member = store::members::get(store, coalition.id, actor.user).await?;
            Ok((
                Scope {
                    coalition,
                    member,
                    actor: actor.clone(),
                    own_timezone: None,
                },
                task,
            ))
        }
        TaskSel::Ref(text) => {
            let scope = super::scope(store, actor, coalition).await?;
            let task = match Ref::parse("task", text)? {
                Ref::Number(n) => store::tasks::by_number(store, scope.id(), n)
                    .await?
                    .ok_or_else(|| {
                        Error::user(format!(
                            "No task #{n} in **{}** — `/task list` shows open tasks.",
                            scope.coalition.name
                        ))
                    })?,
                Ref::Title(prefix) => {
                    let found = store::tasks::open_by_title(store, scope.id(), &prefix).await?;
                    super::one_match("task", &prefix, &scope.coalition.name, "/task list", found, |t| {
                        format!("#{} {}", t.number, t.title)
                    })?
                }
            };
            Ok((scope, task))
        }
    }
}

/// The member a task can go to; anyone else is refused with how to add them.
pub(crate) async fn require_assignee(
    db: impl sqlx::SqliteExecutor<'_>,
    scope: &Scope,
    user: UserId,
    name: &str,
) -> Result<Member> {
    store::members::get_in(db, scope.id(), user).await?.ok_or_else(|| {
        let who = if name.trim().is_empty() { format!("<@{}>", user.0) } else { format!("**{}**", name.trim()) };
        Error::user(format!(
            "{who} isn't a member of **{}** — a lead can add them with `/member add`, or they can use `/coalition join`.",
            scope.coalition.name
        ))
    })
}

/// The name to show for a member: what Discord told us, else what we remembered.
pub(crate) fn display_name(given: &str, member: &Member) -> String {
    let given = given.trim();
    if given.is_empty() {
        member.display_name.clone()
    } else {
        given.to_string()
    }
}

/// The coalition's ping offsets in seconds (the default if the stored text is somehow unreadable).
pub(crate) fn ping_offsets(c: &Coalition) -> Vec<i64> {
    pings::parse_offsets(&c.ping_offsets).unwrap_or_else(|_| vec![72 * 3600, 24 * 3600])
}

/// The DM telling `assignee` about a task; `key` makes it unique.
pub(crate) fn assigned_dm(
    scope: &Scope,
    task: TaskId,
    assignee: UserId,
    key: String,
    now: i64,
) -> NewDelivery {
    NewDelivery {
        coalition: scope.id(),
        kind: DeliveryKind::TaskAssigned,
        dedupe_key: key,
        target: Target::User(assignee),
        subject_id: Some(task.0),
        payload: serde_json::json!({ "by": scope.actor.user.0, "by_name": scope.actor.name }).to_string(),
        due_at: now,
    }
}

/// Reads a task back after a write.
pub(crate) async fn load(store: &Store, scope: &Scope, id: TaskId) -> Result<Task> {
    store::tasks::get(store, scope.id(), id)
        .await?
        .ok_or_else(|| Error::internal("task vanished after write"))
}
