//! What every command starts from: the guild's active coalitions, each with the acting user's
//! membership (and the time zone they set for themselves), in one statement.
//!
//! On SQLite the process also keeps the answer in memory ([`Memory`]), per guild and user, so a
//! command finds its scope without asking the database (and `/coalition info` its overview too:
//! leads, orgs, member count and goals). What may be kept is decided by the database itself:
//! triggers (migration 0260) count every change to coalitions, members, member preferences, orgs
//! and goals in `scope_changes`, whose one row's id is the count. The scope statement
//! reads that count in the same snapshot as the scope; SQLite's update hook, on every connection
//! of the pool, tells the process each new count as the change is made, before it commits. A kept
//! scope is used only while its count is the newest the process has seen, so:
//!
//! * a scope read before a change commits carries the old count, which the change has already
//!   passed in memory: it is never used once the change is made;
//! * a change that rolls back leaves memory one ahead of the database until the next change
//!   commits: scopes are read afresh (and not kept) until then, never served stale.
//!
//! This holds for the writes of this process, which on SQLite is the only one: `backbone run` and
//! `serve` hold the database's run lock. PostgreSQL copies keep nothing (another copy's writes
//! would not reach this one's memory).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::sqlite::UpdateHookResult;

use super::sql;

use crate::domain::*;
use crate::error::Result;

use super::Store;
use super::overview::{Overview, overview_columns};

/// An active coalition of the guild, as a command may mean it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub coalition: Coalition,
    /// The acting user's membership, if they are a member.
    pub member: Option<Member>,
    /// Whether its name is the one the command gave (compared as the name column compares).
    pub named: bool,
    /// The time zone the user set for themselves in this guild, if any.
    pub own_timezone: Option<String>,
}

/// Most scopes kept at once (one per guild and user); past it, the memory starts again empty.
const KEPT_SCOPES: usize = 2048;

/// Scopes kept in memory while no change to what they came from has been made (see the module's
/// notes). One per SQLite store; its update hook feeds it.
#[derive(Debug, Default)]
pub struct Memory {
    /// The newest count of `scope_changes` this process has seen.
    seen: super::seen::Seen,
    kept: Mutex<HashMap<(GuildId, UserId), Arc<Kept>>>,
    /// Scopes served from memory, for the metrics.
    hits: AtomicU64,
}

/// A kept scope: the candidates (each with `named` false), their overviews when they were read
/// with them (`/coalition info`), and the count they were read at.
#[derive(Debug)]
struct Kept {
    count: i64,
    candidates: Vec<Candidate>,
    overviews: Option<Vec<Overview>>,
}

impl Memory {
    /// SQLite's update hook: a change to a coalition, member, member preference, org or goal was
    /// just made (its trigger inserted the next count).
    pub(super) fn saw(&self, change: UpdateHookResult<'_>) {
        self.seen.saw("scope_changes", &change);
    }

    /// Also counts `count` as seen (the count when the store opened).
    pub(super) fn saw_count(&self, count: i64) {
        self.seen.at_least(count);
    }

    /// How many scopes were served from memory.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(GuildId, UserId), Arc<Kept>>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kept scope of `user` in `guild` if no change was made since it was read, and (when
    /// `overviews`) it was read with its overviews; counted as served.
    fn get(&self, guild: GuildId, user: UserId, overviews: bool) -> Option<Arc<Kept>> {
        let kept = self.lock().get(&(guild, user)).cloned()?;
        if kept.count != self.seen.newest() || (overviews && kept.overviews.is_none()) {
            return None;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(kept)
    }

    /// Keeps `candidates` (and their `overviews`), read at `count`, unless a change was made since
    /// (they would never be used).
    fn keep(
        &self,
        guild: GuildId,
        user: UserId,
        count: i64,
        candidates: &[Candidate],
        overviews: Option<&[Overview]>,
    ) {
        if count != self.seen.newest() {
            return;
        }
        let candidates = candidates
            .iter()
            .map(|c| Candidate {
                named: false,
                ..c.clone()
            })
            .collect();
        let mut kept = self.lock();
        if kept.len() >= KEPT_SCOPES {
            kept.clear();
        }
        let overviews = overviews.map(<[Overview]>::to_vec);
        kept.insert(
            (guild, user),
            Arc::new(Kept {
                count,
                candidates,
                overviews,
            }),
        );
    }
}

impl Kept {
    /// The kept candidates, each marked as named by `name` or not.
    fn named(&self, name: Option<&str>) -> Vec<Candidate> {
        self.candidates
            .iter()
            .map(|c| Candidate {
                named: names(&c.coalition, name),
                ..c.clone()
            })
            .collect()
    }
}

/// Whether `name` (trimmed) names `coalition`, as the scope statement compares them on SQLite:
/// `lower()` there folds ASCII letters only.
fn names(coalition: &Coalition, name: Option<&str>) -> bool {
    name.is_some_and(|n| coalition.name.eq_ignore_ascii_case(n))
}

/// Keeps the scope just read (on SQLite), at the count its first row carries.
fn remember(
    store: &Store,
    guild: GuildId,
    user: UserId,
    rows: &[sql::Row],
    found: &[Candidate],
    overviews: Option<&[Overview]>,
) -> Result<()> {
    let (Some(memory), Some(first)) = (store.scope_memory(), rows.first()) else {
        return Ok(());
    };
    let count: Option<i64> = first.try_get("scope_count")?;
    if let Some(count) = count {
        memory.keep(guild, user, count, found, overviews);
    }
    Ok(())
}

/// The active coalitions of `guild` by name, with `user`'s membership in each, and which one
/// `name` names.
pub async fn candidates(
    store: &Store,
    guild: GuildId,
    user: UserId,
    name: Option<&str>,
) -> Result<Vec<Candidate>> {
    let name = name.map(str::trim);
    if let Some(kept) = store.scope_memory().and_then(|m| m.get(guild, user, false)) {
        return Ok(kept.named(name));
    }
    let rows = sql::query(candidate_rows!())
        .bind(name)
        .bind(user)
        .bind(guild)
        .fetch_all(store.pool())
        .await?;
    let found = rows.iter().map(candidate).collect::<Result<Vec<_>>>()?;
    remember(store, guild, user, &rows, &found, None)?;
    Ok(found)
}

/// [`candidates`] and, beside each at the same index, its [`Overview`] (for `/coalition info`),
/// in the same statement.
pub async fn with_overview(
    store: &Store,
    guild: GuildId,
    user: UserId,
    name: Option<&str>,
) -> Result<(Vec<Candidate>, Vec<Overview>)> {
    let name = name.map(str::trim);
    if let Some(kept) = store.scope_memory().and_then(|m| m.get(guild, user, true)) {
        let overviews = kept.overviews.clone().unwrap_or_default();
        return Ok((kept.named(name), overviews));
    }
    let rows = sql::query_for(
        candidate_rows!(, overview_columns!(sqlite)),
        candidate_rows!(, overview_columns!(postgres)),
    )
    .bind(name)
    .bind(user)
    .bind(guild)
    .fetch_all(store.pool())
    .await?;
    let both: Vec<(Candidate, Overview)> = rows
        .iter()
        .map(|row| Ok((candidate(row)?, Overview::read(row)?)))
        .collect::<Result<_>>()?;
    let (found, overviews): (Vec<Candidate>, Vec<Overview>) = both.into_iter().unzip();
    remember(store, guild, user, &rows, &found, Some(&overviews))?;
    Ok((found, overviews))
}

/// The candidates statement's text, with more columns when given (`, overview_columns!(…)`); binds ?1
/// name, ?2 user, ?3 guild. `scope_count` is the count of changes the rows were read at (see the
/// module's notes).
macro_rules! candidate_rows {
    ($($more:tt)*) => {
        concat!(
            select_coalition!(
                ", COALESCE(lower(name) = lower(?1), FALSE) AS named,
               m.user_id AS m_user_id, m.role AS m_role, m.org_id AS m_org_id,
               m.display_name AS m_display_name, m.joined_at AS m_joined_at,
               (SELECT p.timezone FROM member_prefs p WHERE p.guild_id = c.guild_id AND p.user_id = ?2)
                 AS own_timezone,
               (SELECT MAX(id) FROM scope_changes) AS scope_count"
                $($more)*
            ),
            "c LEFT JOIN members m ON m.coalition_id = c.id AND m.user_id = ?2
         WHERE c.guild_id = ?3 AND c.archived_at IS NULL ORDER BY c.name COLLATE NOCASE"
        )
    };
}
use candidate_rows;

/// A candidate from a row of [`candidate_rows!`].
fn candidate(row: &sql::Row) -> Result<Candidate> {
    let coalition: Coalition = row.read()?;
    let member_id: Option<UserId> = row.try_get("m_user_id")?;
    let member = match member_id {
        Some(user_id) => Some(Member {
            coalition_id: coalition.id,
            user_id,
            role: row.try_get("m_role")?,
            org_id: row.try_get("m_org_id")?,
            display_name: row.try_get("m_display_name")?,
            joined_at: row.try_get("m_joined_at")?,
        }),
        None => None,
    };
    Ok(Candidate {
        named: row.try_get("named")?,
        own_timezone: row.try_get("own_timezone")?,
        coalition,
        member,
    })
}
