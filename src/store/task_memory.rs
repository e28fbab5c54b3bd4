//! Each coalition's live tasks (neither done nor cancelled), kept in memory on SQLite so that
//! `/task list` and its pages need no statement while no task changes, and only a small one
//! after a change.
//!
//! As with the scope ([`super::scope`]), the database decides what may be used. Triggers
//! (migration 0270) log every change to a task's listed columns, and every change to a member
//! (whose name a task shows), in `task_changes`; SQLite's update hook tells the process each new
//! log id as the change is made, before it commits. A kept list carries the log id it is up to.
//!
//! * While that id is the newest the process has seen, the list is served as kept.
//! * Otherwise one statement reads the changed tasks of the coalition since that id, as they now
//!   stand, with the newest id of the same snapshot: the list replaces them (or drops them when
//!   they are no longer live). A change still in flight is past that id in memory, so the next
//!   list reads again; nothing read before a change commits is served once it is made.
//! * A member change (names), or a list older than the log keeps (4,096 changes), reads the
//!   coalition's live tasks again whole.
//!
//! Coalitions with more than [`MOST_KEPT`] live tasks are listed by the database as before. The
//! same holds for the writes of this process only, which on SQLite is the only writer (the run
//! lock); PostgreSQL copies keep nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::FromRow;
use sqlx::sqlite::UpdateHookResult;

use super::sql;
use super::tasks::{ListedTask, TaskFilter};
use crate::domain::paging::Page;
use crate::domain::*;
use crate::error::Result;

use super::Store;

/// Most live tasks a coalition may have for its list to be kept.
pub const MOST_KEPT: usize = 5_000;
/// Most live tasks kept over all coalitions; past it, the memory starts again empty.
const MOST_KEPT_IN_ALL: usize = 20_000;
/// A coalition found too big is looked at again after this many lists.
const RECHECK_TOO_BIG: u32 = 256;

/// The kept lists (see the module's notes). One per SQLite store; its update hook feeds it.
#[derive(Debug, Default)]
pub struct Memory {
    /// The newest id of `task_changes` this process has seen.
    seen: super::seen::Seen,
    kept: Mutex<Kept>,
    /// Lists served from a kept list (as kept or brought up to date; not those read whole), for
    /// the metrics and tests.
    hits: AtomicU64,
}

#[derive(Debug, Default)]
struct Kept {
    lists: HashMap<CoalitionId, Entry>,
    /// Live tasks held over all lists.
    tasks: usize,
}

#[derive(Debug)]
enum Entry {
    /// The coalition's live tasks in list order, up to log id `upto`.
    Live { upto: i64, tasks: Vec<Live> },
    /// More than [`MOST_KEPT`] live tasks: listed by the database; `lists` since found so.
    TooBig { lists: u32 },
}

/// A live task as kept: its line, and the org it is filtered by.
#[derive(Debug, Clone, FromRow)]
struct Live {
    #[sqlx(flatten)]
    row: ListedTask,
    org_id: Option<OrgId>,
}

impl Live {
    /// The list's order: by due date, undated last, then number (`ORDER BY t.due_at NULLS LAST,
    /// t.number`).
    fn order(&self) -> (bool, i64, i64) {
        (
            self.row.due_at.is_none(),
            self.row.due_at.unwrap_or(0),
            self.row.number,
        )
    }

    fn matches(&self, filter: &TaskFilter) -> bool {
        filter.assignee.is_none_or(|a| self.row.assignee_id == Some(a))
            && filter.org.is_none_or(|o| self.org_id == Some(o))
    }
}

impl Memory {
    /// SQLite's update hook: a change may have been logged in `task_changes`.
    pub(super) fn saw(&self, change: &UpdateHookResult<'_>) {
        self.seen.saw("task_changes", change);
    }

    /// Also counts `id` as seen (the newest log id when the store opened).
    pub(super) fn saw_id(&self, id: i64) {
        self.seen.at_least(id);
    }

    /// How many lists were served from a kept list.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the coalition's kept list out (to serve or bring up to date); `Err(())` when it is
    /// too big to keep.
    fn take(&self, coalition: CoalitionId) -> std::result::Result<Option<(i64, Vec<Live>)>, ()> {
        let mut kept = self.lock();
        match kept.lists.get_mut(&coalition) {
            Some(Entry::TooBig { lists }) => {
                *lists += 1;
                if *lists < RECHECK_TOO_BIG {
                    return Err(());
                }
                kept.lists.remove(&coalition);
                Ok(None)
            }
            Some(Entry::Live { .. }) => {
                let Some(Entry::Live { upto, tasks }) = kept.lists.remove(&coalition) else {
                    unreachable!("just matched")
                };
                kept.tasks -= tasks.len();
                Ok(Some((upto, tasks)))
            }
            None => Ok(None),
        }
    }

    /// Keeps `tasks`, up to `upto`, unless a newer list was kept meanwhile.
    fn keep(&self, coalition: CoalitionId, upto: i64, tasks: Vec<Live>) {
        let mut kept = self.lock();
        if let Some(Entry::Live { upto: theirs, .. }) = kept.lists.get(&coalition)
            && *theirs >= upto
        {
            return;
        }
        if kept.tasks + tasks.len() > MOST_KEPT_IN_ALL {
            *kept = Kept::default();
        }
        kept.tasks += tasks.len();
        if let Some(Entry::Live { tasks: old, .. }) =
            kept.lists.insert(coalition, Entry::Live { upto, tasks })
        {
            kept.tasks -= old.len();
        }
    }

    fn too_big(&self, coalition: CoalitionId) {
        self.lock().lists.insert(coalition, Entry::TooBig { lists: 0 });
    }
}

/// A page of the coalition's live tasks matching `filter` (assignee and org; `filter.status` must
/// be None), with how many match in all — from memory (see the module's notes). `None` when the
/// coalition's list is not kept (PostgreSQL, or too many live tasks): the caller asks the database.
pub async fn page(
    store: &Store,
    coalition: CoalitionId,
    filter: &TaskFilter,
    page: Page,
) -> Result<Option<(Vec<ListedTask>, i64)>> {
    let Some(memory) = store.task_memory() else {
        return Ok(None);
    };
    if filter.status.is_some() {
        return Ok(None);
    }
    let Ok(kept) = memory.take(coalition) else {
        return Ok(None);
    };
    let seen = memory.seen.newest();
    let brought = match kept {
        Some((upto, tasks)) if upto == seen => Some((upto, tasks)),
        Some((upto, tasks)) => changes_since(store, coalition, upto, tasks).await?,
        None => None,
    };
    let from_memory = brought.is_some();
    let (upto, tasks) = match brought {
        Some(brought) => brought,
        None => match whole(store, coalition).await? {
            Some(read) => read,
            None => {
                memory.too_big(coalition);
                return Ok(None);
            }
        },
    };
    let matching: Vec<&Live> = tasks.iter().filter(|t| t.matches(filter)).collect();
    let total = matching.len() as i64;
    let rows = page.slice(&matching).iter().map(|t| t.row.clone()).collect();
    memory.keep(coalition, upto, tasks);
    if from_memory {
        memory.hits.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Some((rows, total)))
}

/// The columns of a kept task, from `tasks t` and its assignee `members m`.
macro_rules! live_columns {
    () => {
        "t.id, t.number, t.title, t.status, t.assignee_id, t.due_at, t.blocked_reason,
         m.display_name AS assignee_name, t.org_id"
    };
}

/// The task a row read back carries, when it has one (`t.id` is not NULL).
fn live(row: &sql::Row) -> Result<Option<Live>> {
    let id: Option<TaskId> = row.try_get("id")?;
    Ok(match id {
        Some(_) => Some(row.read()?),
        None => None,
    })
}

/// `tasks` (up to `upto`) brought up to date with one statement; None when that takes reading the
/// list again whole (a member changed, or the log no longer reaches back to `upto`).
async fn changes_since(
    store: &Store,
    coalition: CoalitionId,
    upto: i64,
    mut tasks: Vec<Live>,
) -> Result<Option<(i64, Vec<Live>)>> {
    let rows = sql::query(concat!(
        "SELECT u.upto, u.oldest, c.task_id AS changed, c.whole, ",
        live_columns!(),
        " FROM (SELECT MAX(id) AS upto, MIN(id) AS oldest FROM task_changes) u
          LEFT JOIN (SELECT task_id, task_id IS NULL AS whole FROM task_changes
                     WHERE id > ?2 AND coalition_id = ?1 GROUP BY task_id) c ON TRUE
          LEFT JOIN tasks t ON t.id = c.task_id AND t.coalition_id = ?1 AND ",
        live_task!("t"),
        " LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id"
    ))
    .bind(coalition)
    .bind(upto)
    .fetch_all(store.pool())
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let newest: Option<i64> = first.try_get("upto")?;
    let oldest: Option<i64> = first.try_get("oldest")?;
    // The log must reach back to the change after `upto`, and no member may have changed.
    if oldest.is_some_and(|oldest| oldest > upto + 1) {
        return Ok(None);
    }
    for row in &rows {
        if row.try_get::<Option<bool>>("whole")? == Some(true) {
            return Ok(None);
        }
    }
    for row in &rows {
        let Some(id) = row.try_get::<Option<TaskId>>("changed")? else {
            continue;
        };
        tasks.retain(|t| t.row.id != id);
        if let Some(live) = live(row)? {
            let at = tasks.partition_point(|t| t.order() < live.order());
            tasks.insert(at, live);
        }
    }
    Ok(Some((newest.unwrap_or(0), tasks)))
}

/// The coalition's live tasks read whole, in list order, with the newest log id of the same
/// snapshot; None when there are more than [`MOST_KEPT`].
async fn whole(store: &Store, coalition: CoalitionId) -> Result<Option<(i64, Vec<Live>)>> {
    let rows = sql::query(concat!(
        "SELECT u.upto, ",
        live_columns!(),
        " FROM (SELECT MAX(id) AS upto FROM task_changes) u
          LEFT JOIN tasks t ON t.coalition_id = ?1 AND ",
        live_task!("t"),
        " LEFT JOIN members m ON m.coalition_id = t.coalition_id AND m.user_id = t.assignee_id
          ORDER BY t.due_at NULLS LAST, t.number LIMIT ?2"
    ))
    .bind(coalition)
    .bind(MOST_KEPT as i64 + 1)
    .fetch_all(store.pool())
    .await?;
    if rows.len() > MOST_KEPT {
        return Ok(None);
    }
    let upto: Option<i64> = match rows.first() {
        Some(row) => row.try_get("upto")?,
        None => None,
    };
    let tasks = rows
        .iter()
        .map(live)
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((upto.unwrap_or(0), tasks)))
}
