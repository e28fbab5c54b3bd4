//! Tasks: one folder, shared pieces here — which task a command means (`TaskSel`, `resolve`,
//! `load`), who may be given one (`require_assignee`), the guards every change goes through
//! (`require_creator_or_lead`, `require_not_cancelled`) — then one file per group of verbs:
//! `assign`, `list` (list and mine), `status` (update and done), `changes` (reassign and due),
//! `edits` (edit, cancel, repeat), and `races` (what the loser of a race is told).

use crate::actions::{Actor, Holder, Ref, Scope};
use crate::domain::*;
use crate::domain::{pings, text};
use crate::error::{Error, Result};
use crate::store::deliveries::{NewDelivery, Target};
use crate::store::payload::{AssignedBy, Payload};
use crate::store::{self, Store};

mod assign;
mod changes;
mod edits;
mod list;
pub mod races;
mod status;

pub use assign::*;
pub use changes::*;
pub use edits::*;
pub use list::*;
pub use status::*;

/// Which task a command or button means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskSel {
    /// What a user typed: `#12`, `12`, or the start of the title.
    Ref(String),
    /// A row id carried by a button; still scoped to the clicking user's guild.
    Id(TaskId),
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
    let Some(c) = crate::actions::coalition_for_suggest(store, guild, channel, coalition).await? else {
        return Ok(Vec::new());
    };
    Ok(store::tasks::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|t| crate::actions::numbered_choice(t.number, &format!("{} ({})", t.title, t.status.label())))
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
            let scope = crate::actions::scope(store, actor, coalition).await?;
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
                    crate::actions::one_match(
                        "task",
                        &prefix,
                        &scope.coalition.name,
                        "/task list",
                        found,
                        |t| format!("#{} {}", t.number, t.title),
                    )?
                }
            };
            Ok((scope, task))
        }
    }
}

/// The member a task can go to; anyone else is refused with how to add them.
pub(crate) async fn require_assignee(
    db: impl crate::store::sql::Conn<'_>,
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
        dedupe_key: key,
        target: Target::User(assignee),
        subject_id: Some(task.0),
        payload: Payload::TaskAssigned(AssignedBy {
            by: scope.actor.user,
            by_name: scope.actor.name.clone(),
        }),
        due_at: now,
    }
}

/// Reads a task back after a write.
pub(crate) async fn load(store: &Store, scope: &Scope, id: TaskId) -> Result<Task> {
    store::tasks::get(store, scope.id(), id)
        .await?
        .ok_or_else(|| Error::internal("task vanished after write"))
}

/// The task's creator (while still a member) or a lead may reassign it or move its due date.
pub(crate) fn require_creator_or_lead(scope: &Scope, task: &Task, verb: &str) -> Result<()> {
    let subject = format!("task #{}", task.number);
    scope.require_right(&[(Holder::Creator, Some(task.created_by))], &subject, verb)
}

/// Refuses any change to a cancelled task, as old cards' buttons and commands alike must.
pub(crate) fn require_not_cancelled(task: &Task) -> Result<()> {
    if task.status != TaskStatus::Cancelled {
        return Ok(());
    }
    Err(Error::user(format!(
        "This task was cancelled (#{} {}) — nothing was changed. `/task list` shows the open ones.",
        task.number,
        text::defuse_mentions(&text::escape_markdown(&text::truncate(&task.title, 80)))
    )))
}

fn require_not_done(task: &Task) -> Result<()> {
    require_not_cancelled(task)?;
    if task.status != TaskStatus::Done {
        return Ok(());
    }
    Err(Error::user(format!(
        "Task #{} is done — reopen it first with `/task update status:open`.",
        task.number
    )))
}

async fn assignee_name(store: &Store, scope: &Scope, task: &Task) -> Result<Option<String>> {
    Ok(match task.assignee_id {
        Some(user) => store::members::get(store, scope.id(), user)
            .await?
            .map(|m| m.display_name),
        None => None,
    })
}
