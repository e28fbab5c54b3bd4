//! What the loser of a race on a task is told. Task changes are compare-and-set: the write applies
//! only if the task is still as the action read it. When someone else changed it first, nothing
//! was written, and these build the plain answer from the task as it is now.

use crate::actions::Scope;
use crate::domain::{when, *};
use crate::error::{Error, Result};
use crate::store::{self, Store};

/// The answer to a status change that lost to another one.
pub async fn status_lost(store: &Store, scope: &Scope, read: &Task, wanted: TaskStatus) -> Error {
    match status_message(store, scope, read, wanted).await {
        Ok(msg) => Error::user(msg),
        Err(e) => e,
    }
}

async fn status_message(store: &Store, scope: &Scope, read: &Task, wanted: TaskStatus) -> Result<String> {
    let Some(now) = store::tasks::get(store, scope.id(), read.id).await? else {
        return Ok(gone(read));
    };
    let who = store::tasks::status_by(store, scope.id(), read.id).await?;
    let by = by(who);
    let n = now.number;
    Ok(if now.status == wanted && wanted != TaskStatus::Blocked {
        already(&now, who)
    } else if now.status == read.status && now.assignee_id != read.assignee_id && !scope.is_lead() {
        format!(
            "#{n} was just reassigned to someone else — only its assignee or a lead of **{}** can change \
             its status now.",
            scope.coalition.name
        )
    } else if now.status == TaskStatus::Blocked && wanted == TaskStatus::Blocked {
        format!(
            "#{n} was just marked blocked{by} (\"{}\") — the leads have been told; \
             `/task update status:blocked note:…` again if the reason is different.",
            now.blocked_reason.as_deref().unwrap_or_default()
        )
    } else if now.status != read.status {
        format!(
            "#{n} was just marked {}{by} while you were changing it — nothing changed; \
             `/task update status:{}` again if it should still be {}.",
            now.status.label(),
            wanted.as_str(),
            wanted.label()
        )
    } else {
        // Same status, but its due date moved under a reopen: its pings were planned anew.
        format!("#{n} changed while you were updating it — nothing changed; try `/task update` again.")
    })
}

/// The answer to a reassignment that lost to another change.
pub async fn reassign_lost(
    store: &Store,
    scope: &Scope,
    read: &Task,
    wanted: UserId,
    wanted_name: &str,
) -> Error {
    let msg = async {
        let Some(now) = store::tasks::get(store, scope.id(), read.id).await? else {
            return Ok(gone(read));
        };
        let n = now.number;
        Ok(if !is_worked_on(now.status) {
            format!(
                "#{n} was just marked {} — reopen it first with `/task update status:open` to reassign it.",
                now.status.label()
            )
        } else if now.assignee_id == Some(wanted) {
            format!("#{n} was already reassigned to **{wanted_name}** — nothing to change.")
        } else if now.assignee_id != read.assignee_id {
            let to = match now.assignee_id {
                Some(user) => format!("<@{user}>"),
                None => "nobody".to_string(),
            };
            format!(
                "#{n} was just reassigned to {to} while you were changing it — nothing changed; \
                 `/task reassign` again if it should still go to **{wanted_name}**."
            )
        } else {
            format!(
                "**{wanted_name}** is no longer a member of **{}** — pick someone from `/member list`.",
                scope.coalition.name
            )
        })
    };
    match msg.await {
        Ok(m) => Error::user(m),
        Err(e) => e,
    }
}

/// The answer to a due-date move that lost to another change.
pub async fn due_lost(store: &Store, scope: &Scope, read: &Task) -> Error {
    let msg = async {
        let Some(now) = store::tasks::get(store, scope.id(), read.id).await? else {
            return Ok(gone(read));
        };
        let n = now.number;
        Ok(if !is_worked_on(now.status) {
            format!(
                "#{n} was just marked {} — reopen it first with `/task update status:open` to move its due date.",
                now.status.label()
            )
        } else {
            let due = match now.due_at.and_then(|d| chrono::DateTime::from_timestamp(d, 0)) {
                Some(d) => format!("moved to {}", when::describe(d, scope.coalition.tz())),
                None => "removed".to_string(),
            };
            format!(
                "#{n}'s due date was just {due} by someone else — nothing changed; \
                 `/task due` again if it should still move."
            )
        })
    };
    match msg.await {
        Ok(m) => Error::user(m),
        Err(e) => e,
    }
}

/// "#12 was already marked done by @member": the task is already in the status asked for.
pub fn already(task: &Task, who: Option<UserId>) -> String {
    format!(
        "#{} was already marked {}{} — nothing to change; `/task update` with another status changes it.",
        task.number,
        task.status.label(),
        by(who)
    )
}

fn by(who: Option<UserId>) -> String {
    who.map(|u| format!(" by <@{u}>")).unwrap_or_default()
}

/// Whether a task is still being worked on: reassigning it or moving its due date makes sense.
fn is_worked_on(status: TaskStatus) -> bool {
    matches!(
        status,
        TaskStatus::Open | TaskStatus::InProgress | TaskStatus::Blocked
    )
}

fn gone(read: &Task) -> String {
    format!(
        "Task #{} no longer exists — `/task list` shows the current ones.",
        read.number
    )
}
