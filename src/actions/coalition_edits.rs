//! `/coalition rename`, `/coalition archive` and `/coalition restore`. An archived coalition keeps
//! its data (and its export) but posts nothing and is hidden from lists and autocomplete; its
//! name stays taken until it is restored under it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::schedule::Schedule;
use crate::domain::{pings, text, *};
use crate::error::{Error, Result};
use crate::store::{self, Store};

/// Input of `/coalition rename`.
#[derive(Debug, Clone, Default)]
pub struct RenameCoalition {
    pub coalition: Option<String>,
    pub name: String,
}

/// A coalition was renamed.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionRenamed {
    pub previous: String,
    pub name: String,
}

/// `/coalition rename` (lead): a new name, unique in the server among active and archived ones.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn rename(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RenameCoalition,
) -> Result<CoalitionRenamed> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let name = text::single_line("coalition name", &input.name, text::MAX_NAME)?;
    let previous = scope.coalition.name.clone();
    if name == previous {
        return Err(Error::user(format!(
            "**{previous}** is already called that — nothing changed."
        )));
    }
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let taken = store::coalition_edits::any_by_name(&mut *tx, actor.guild, &name).await?;
    // Only a case change of its own name may reuse it.
    if let Some(other) = taken.filter(|c| c.id != scope.id()) {
        return Err(name_taken(&other));
    }
    match store::coalition_edits::rename(&mut tx, scope.id(), &previous, &name).await? {
        Some(true) => {}
        Some(false) => {
            return Err(Error::user(format!(
                "**{previous}** was renamed by someone else just now — see `/coalition list` and try again."
            )));
        }
        None => {
            return Err(Error::user(format!(
                "The name **{name}** was just taken — pick another."
            )));
        }
    }
    let detail = format!("name: {previous} → {name}");
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "coalition.rename",
        &name,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(CoalitionRenamed { previous, name })
}

/// The error for a name another coalition of the server holds (archived ones included).
pub fn name_taken(other: &Coalition) -> Error {
    if other.archived_at.is_some() {
        Error::user(format!(
            "**{}** is the name of an archived coalition — an admin can bring it back with `/coalition restore`, or pick another name.",
            other.name
        ))
    } else {
        Error::user(format!(
            "This server already has a coalition named **{}** — pick another name, or see `/coalition list`.",
            other.name
        ))
    }
}

/// Input of `/coalition archive`.
#[derive(Debug, Clone, Default)]
pub struct ArchiveCoalition {
    pub coalition: Option<String>,
}

/// A coalition was archived.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionArchived {
    pub name: String,
    /// Messages that were waiting to go out and now won't.
    pub deliveries_cancelled: u64,
}

/// `/coalition archive` (admin): stops its schedules and pending messages, hides it.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn archive(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ArchiveCoalition,
) -> Result<CoalitionArchived> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    require_admin(&scope, "archive")?;
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let Some(deliveries_cancelled) = store::coalition_edits::archive(&mut tx, scope.id(), now_s).await?
    else {
        return Err(Error::user(format!(
            "**{}** was archived just now — nothing more to do.",
            scope.coalition.name
        )));
    };
    let detail = format!("archived_at: none → {now_s}; {deliveries_cancelled} pending messages cancelled");
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "coalition.archive",
        &scope.coalition.name,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(CoalitionArchived {
        name: scope.coalition.name.clone(),
        deliveries_cancelled,
    })
}

/// Input of `/coalition restore`.
#[derive(Debug, Clone, Default)]
pub struct RestoreCoalition {
    /// The archived coalition's name (required: it's not any channel's coalition any more).
    pub coalition: String,
}

/// A coalition was restored.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionRestored {
    pub coalition: Coalition,
    /// Next check-in and digest (UTC seconds): the schedules resume there, nothing is replayed.
    pub next_checkin_at: Option<i64>,
    pub next_digest_at: Option<i64>,
}

/// `/coalition restore` (admin): brings an archived coalition back; schedules and deadline pings
/// resume at their next occurrence.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn restore(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RestoreCoalition,
) -> Result<CoalitionRestored> {
    if !actor.manage_server {
        return Err(Error::user(
            "Only server admins (Manage Server permission) can restore a coalition — ask one to run `/coalition restore`.",
        ));
    }
    let name = input.coalition.trim();
    if name.is_empty() {
        return Err(Error::user(
            "Say which archived coalition to restore — the `coalition` option lists them.",
        ));
    }
    let c = store::coalition_edits::any_by_name(store.pool(), actor.guild, name).await?;
    let c = match c {
        Some(c) if c.archived_at.is_some() => c,
        Some(c) => {
            return Err(Error::user(format!(
                "**{}** isn't archived — nothing to restore.",
                c.name
            )));
        }
        None => {
            return Err(Error::user(format!(
                "No archived coalition named `{}` in this server — the `coalition` option lists them.",
                text::truncate(name, 60).replace('`', "'")
            )));
        }
    };
    let tz = c.tz();
    let next = |stored: &str| {
        Schedule::parse(stored)
            .ok()
            .and_then(|s| s.next_after(now, tz))
            .map(|t| t.timestamp())
    };
    let (next_checkin_at, next_digest_at) = (next(&c.checkin_schedule), next(&c.digest_schedule));
    let offsets = pings::parse_offsets(&c.ping_offsets).unwrap_or_else(|_| vec![72 * 3600, 24 * 3600]);
    let now_s = ts(now);

    let mut tx = store.write().await?;
    if let Some(other) =
        store::coalitions::home_of_channel(&mut *tx, actor.guild, c.home_channel_id, c.id).await?
    {
        return Err(Error::user(format!(
            "<#{}> is now the home channel of **{}** — move that coalition's home (`/coalition settings channel:`) first, then restore.",
            c.home_channel_id, other.name
        )));
    }
    if !store::coalition_edits::restore(&mut tx, c.id, next_checkin_at, next_digest_at).await? {
        return Err(Error::user(format!(
            "**{}** was restored just now — nothing more to do.",
            c.name
        )));
    }
    // Deadline pings start again from the next stage still ahead; none missed is sent.
    for (subject, due) in store::coalitions::ping_subjects(&mut tx, c.id).await? {
        let at = pings::next_ping_at(due, &offsets, now_s);
        store::coalitions::set_next_ping(&mut tx, c.id, subject, at).await?;
    }
    let detail = format!("archived_at: {} → none", c.archived_at.unwrap_or_default());
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "coalition.restore",
        &c.name,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;

    let coalition = store::coalitions::get(store.pool(), actor.guild, c.id)
        .await?
        .ok_or_else(|| Error::internal("coalition vanished after restore"))?;
    Ok(CoalitionRestored {
        coalition,
        next_checkin_at,
        next_digest_at,
    })
}

/// Autocomplete for `/coalition restore`: the server's archived coalitions.
pub async fn suggest_archived(store: &Store, guild: GuildId, typed: &str) -> Result<Vec<(String, String)>> {
    Ok(store::coalition_edits::archived(store, guild, typed, 25)
        .await?
        .into_iter()
        .map(|c| (format!("{} (archived)", c.name), c.name))
        .collect())
}

fn require_admin(scope: &Scope, verb: &str) -> Result<()> {
    if scope.actor.manage_server {
        return Ok(());
    }
    Err(Error::user(format!(
        "Only server admins (Manage Server permission) can {verb} **{}** — ask one.",
        scope.coalition.name
    )))
}
