//! Members of a coalition: joining and leaving, adding or updating them, removing them, listing
//! them by org.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::members::UnassignedTask;
use crate::store::{self, Store};

/// Input of `/member add`.
#[derive(Debug, Clone)]
pub struct AddMember {
    pub coalition: Option<String>,
    pub user: UserId,
    /// The user's display name, remembered for digests and exports.
    pub user_name: String,
    /// Defaults to member for someone new, and to their current role otherwise.
    pub role: Option<Role>,
    pub org: Option<String>,
}

/// A member was added or updated.
#[derive(Debug, Clone, Serialize)]
pub struct MemberAdded {
    pub coalition: String,
    pub user_id: UserId,
    pub name: String,
    /// Whether they were not a member before.
    pub is_new: bool,
    pub role: Role,
    /// Their org's name, if they have one.
    pub org: Option<String>,
}

/// `/member add` (lead): adds a member, or changes a member's role or org.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(store: &Store, actor: &Actor, now: DateTime<Utc>, input: AddMember) -> Result<MemberAdded> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    // `org: none` clears it; no `org` keeps it.
    let org = match input.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) if is_no_org(name) => Some(None),
        Some(name) => Some(Some(super::orgs::resolve(store, c, name).await?)),
        None => None,
    };
    let existing = store::members::get(store, c.id, input.user).await?;
    let name = text::truncate(input.user_name.trim(), text::MAX_NAME);
    let now_s = ts(now);
    let mut tx = store.write().await?;
    // Only the role and org given are written; the row as it now stands is the answer.
    let m = store::members::upsert(
        &mut tx,
        c.id,
        input.user,
        input.role,
        org.as_ref().map(|o| o.as_ref().map(|o| o.id)),
        &name,
        now_s,
    )
    .await?;
    // Checked after the write, inside it: two leads demoting each other at once can't both win.
    let was_lead = existing.as_ref().is_some_and(|e| e.role == Role::Lead);
    if was_lead && m.role != Role::Lead && store::members::count_leads(&mut tx, c.id).await? == 0 {
        return Err(Error::user(format!(
            "<@{}> is the last lead of **{}** — make someone else lead with `/member add user role:lead` first.",
            input.user, c.name
        )));
    }
    let org_name = match (&org, m.org_id) {
        (Some(o), _) => o.as_ref().map(|o| o.name.clone()),
        (None, Some(id)) => store::tasks::org_name(&mut *tx, c.id, id).await?,
        (None, None) => None,
    };
    let kind = if existing.is_some() {
        "member.update"
    } else {
        "member.add"
    };
    let detail = format!(
        "user={} role={} org={}",
        input.user,
        m.role.as_str(),
        org_name.as_deref().unwrap_or("-")
    );
    store::record_event(&mut tx, c.id, actor.user, kind, &m.display_name, &detail, now_s).await?;
    tx.commit().await?;
    Ok(MemberAdded {
        coalition: c.name.clone(),
        user_id: input.user,
        name: m.display_name,
        is_new: existing.is_none(),
        role: m.role,
        org: org_name,
    })
}

/// Whether `/member add org:` asks to clear the member's org (`none`, `no org` or `-`).
pub fn is_no_org(name: &str) -> bool {
    matches!(name.trim().to_ascii_lowercase().as_str(), "none" | "no org" | "-")
}

/// Input of `/member remove`.
#[derive(Debug, Clone)]
pub struct RemoveMember {
    pub coalition: Option<String>,
    pub user: UserId,
}

/// A member was removed; their open tasks are now unassigned.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRemoved {
    pub coalition: String,
    pub user_id: UserId,
    pub name: String,
    /// Their not-done tasks, now without an assignee, for leads to reassign.
    pub unassigned: Vec<UnassignedTask>,
}

/// `/member remove` (lead): removes a member; the last lead cannot be removed.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RemoveMember,
) -> Result<MemberRemoved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let Some(member) = store::members::get(store, c.id, input.user).await? else {
        return Err(Error::user(format!(
            "<@{}> isn't a member of **{}** — `/member list` shows who is.",
            input.user, c.name
        )));
    };
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if member.role == Role::Lead && store::members::count_leads(&mut tx, c.id).await? <= 1 {
        return Err(Error::user(format!(
            "<@{}> is the last lead of **{}** — make someone else lead with `/member add user role:lead` first.",
            input.user, c.name
        )));
    }
    let unassigned = store::members::unassign_open_tasks(&mut tx, c.id, input.user, now_s).await?;
    store::members::remove(&mut tx, c.id, input.user).await?;
    let detail = format!("user={} {}", input.user, task_list(&unassigned));
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "member.remove",
        &member.display_name,
        detail.trim_end(),
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(MemberRemoved {
        coalition: c.name.clone(),
        user_id: input.user,
        name: member.display_name,
        unassigned,
    })
}

/// The actor joined a coalition, or changed their org in it.
#[derive(Debug, Clone, Serialize)]
pub struct Joined {
    pub coalition: String,
    /// Their org's name, if they have one.
    pub org: Option<String>,
    /// Whether they were already a member and only their org changed.
    pub updated: bool,
}

/// `/coalition join` (anyone in the server): joins as a member, optionally with an org.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn join(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<String>,
    org: Option<String>,
) -> Result<Joined> {
    let scope = super::scope(store, actor, coalition.as_deref()).await?;
    let c = &scope.coalition;
    let org = match org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(super::orgs::resolve(store, c, name).await?),
        None => None,
    };
    let now_s = ts(now);
    if let Some(m) = &scope.member {
        let Some(org) = org.filter(|o| Some(o.id) != m.org_id) else {
            return Err(Error::user(format!(
                "You're already a member of **{}**. To change your org, use `/coalition join org:…`; `/member list` shows everyone.",
                c.name
            )));
        };
        let mut tx = store.write().await?;
        store::members::upsert(
            &mut tx,
            c.id,
            actor.user,
            None,
            Some(Some(org.id)),
            &actor.name,
            now_s,
        )
        .await?;
        store::record_event(
            &mut tx,
            c.id,
            actor.user,
            "member.org",
            &actor.name,
            &org.name,
            now_s,
        )
        .await?;
        tx.commit().await?;
        return Ok(Joined {
            coalition: c.name.clone(),
            org: Some(org.name),
            updated: true,
        });
    }
    let mut tx = store.write().await?;
    store::members::upsert(
        &mut tx,
        c.id,
        actor.user,
        Some(Role::Member),
        Some(org.as_ref().map(|o| o.id)),
        &actor.name,
        now_s,
    )
    .await?;
    let detail = org.as_ref().map(|o| o.name.as_str()).unwrap_or("");
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "member.join",
        &actor.name,
        detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(Joined {
        coalition: c.name.clone(),
        org: org.map(|o| o.name),
        updated: false,
    })
}

/// The actor left a coalition; their open tasks are now unassigned.
#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub coalition: String,
    /// Their not-done tasks, now without an assignee, for leads to reassign.
    pub unassigned: Vec<UnassignedTask>,
}

/// `/coalition leave` (member): leaves; the last lead must hand over first.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn leave(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<String>,
) -> Result<Left> {
    let scope = super::scope(store, actor, coalition.as_deref()).await?;
    let c = &scope.coalition;
    let Some(member) = &scope.member else {
        return Err(Error::user(format!(
            "You're not a member of **{}**, so there's nothing to leave — `/coalition list` shows the coalitions here.",
            c.name
        )));
    };
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if member.role == Role::Lead && store::members::count_leads(&mut tx, c.id).await? <= 1 {
        return Err(Error::user(format!(
            "You're the last lead of **{}** — make someone else lead with `/member add user role:lead` first, then leave.",
            c.name
        )));
    }
    let unassigned = store::members::unassign_open_tasks(&mut tx, c.id, actor.user, now_s).await?;
    store::members::remove(&mut tx, c.id, actor.user).await?;
    let detail = task_list(&unassigned);
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "member.leave",
        &actor.name,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(Left {
        coalition: c.name.clone(),
        unassigned,
    })
}

/// Someone left the Discord server (or was kicked or banned): they leave every coalition of that
/// server as `/coalition leave` does — their open tasks stay, unassigned — and with them every
/// right and every message meant for members or leads. The last lead goes too: they are gone
/// whatever the coalition says (server admins still count as leads). Returns the coalitions left.
#[tracing::instrument(skip_all, fields(guild = %guild))]
pub async fn left_server(
    store: &Store,
    guild: GuildId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let memberships = store::members::memberships_in_guild(&mut tx, guild, user).await?;
    for (coalition, _) in &memberships {
        let unassigned = store::members::unassign_open_tasks(&mut tx, *coalition, user, now_s).await?;
        store::members::remove(&mut tx, *coalition, user).await?;
        store::record_event(
            &mut tx,
            *coalition,
            user,
            "member.left_server",
            &user.to_string(),
            &task_list(&unassigned),
            now_s,
        )
        .await?;
    }
    tx.commit().await?;
    if !memberships.is_empty() {
        tracing::info!(
            coalitions = memberships.len(),
            "member left the server; memberships ended"
        );
    }
    Ok(memberships.into_iter().map(|(_, name)| name).collect())
}

/// Tasks as `#3 Title, #5 Title` for an event's detail.
fn task_list(tasks: &[UnassignedTask]) -> String {
    let shown: Vec<String> = tasks
        .iter()
        .map(|t| format!("#{} {}", t.number, t.title))
        .collect();
    shown.join(", ")
}

/// One member in `/member list`.
#[derive(Debug, Clone, Serialize)]
pub struct MemberEntry {
    pub user_id: UserId,
    pub name: String,
    pub role: Role,
    pub responsibilities: Vec<String>,
    /// Away until then (UTC seconds) — filled in for leads only, who see who is away.
    pub away_until: Option<i64>,
}

/// The members of one org (or of no org, when `org` is `None`).
#[derive(Debug, Clone, Serialize)]
pub struct MemberGroup {
    pub org: Option<String>,
    pub members: Vec<MemberEntry>,
}

/// What `/member list` shows: groups by org name, the no-org group last, leads first in each.
#[derive(Debug, Clone, Serialize)]
pub struct MemberList {
    pub coalition: String,
    pub groups: Vec<MemberGroup>,
    /// The zone away times are shown in (the viewer's own, else the coalition's).
    pub timezone: String,
}

/// `/member list` (anyone): members by org with role and responsibilities.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    org: Option<String>,
) -> Result<MemberList> {
    let scope = super::scope(store, actor, coalition).await?;
    let org = match org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(super::orgs::resolve(store, &scope.coalition, name).await?),
        None => None,
    };
    list_in(store, &scope, now, org.map(|o| o.id)).await
}

/// The members of the scope's coalition, of one org when `org` is given (for `/member list` and
/// its pages).
pub(crate) async fn list_in(
    store: &Store,
    scope: &Scope,
    now: DateTime<Utc>,
    org: Option<OrgId>,
) -> Result<MemberList> {
    let c = &scope.coalition;
    // Leads see who is away; the others don't (an away note can be private).
    let leads_view = scope.is_lead();
    let rows = store::members::list(store, c.id, org, now.timestamp()).await?;
    let mut groups: Vec<MemberGroup> = Vec::new();
    for row in rows {
        let entry = MemberEntry {
            user_id: row.user_id,
            role: row.role,
            responsibilities: row.responsibilities(),
            away_until: row.away_until.filter(|_| leads_view),
            name: row.display_name,
        };
        // Rows come sorted by org, so a new org name starts a new group.
        match groups.last_mut() {
            Some(g) if g.org == row.org_name => g.members.push(entry),
            _ => groups.push(MemberGroup {
                org: row.org_name,
                members: vec![entry],
            }),
        }
    }
    Ok(MemberList {
        coalition: c.name.clone(),
        groups,
        // Shown to the viewer alone: in their own zone when they set one.
        timezone: super::me::shown_timezone(scope),
    })
}
