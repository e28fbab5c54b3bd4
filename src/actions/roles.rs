//! Named responsibilities ("communications", "data steward") held by members.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::coalitions::Person;
use super::{Actor, Scope, ts};
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::{self, Store};

/// Input of `/role assign` and `/role unassign`.
#[derive(Debug, Clone)]
pub struct AssignRole {
    pub coalition: Option<String>,
    pub user: UserId,
    pub responsibility: String,
}

/// A responsibility was given to or taken from a member.
#[derive(Debug, Clone, Serialize)]
pub struct RoleChanged {
    pub coalition: String,
    pub user_id: UserId,
    pub name: String,
    pub responsibility: String,
}

/// `/role assign` (lead): gives a member a named responsibility.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn assign(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AssignRole,
) -> Result<RoleChanged> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let responsibility = text::single_line("responsibility", &input.responsibility, text::MAX_NAME)?;
    let member = holder(store, &scope, input.user).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if !store::members::add_responsibility(&mut tx, c.id, input.user, &responsibility, now_s).await? {
        return Err(Error::user(format!(
            "<@{}> is already responsible for **{responsibility}** in **{}** — `/role list` shows who holds what.",
            input.user, c.name
        )));
    }
    let detail = format!("user={}", input.user);
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "role.assign",
        &responsibility,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(RoleChanged {
        coalition: c.name.clone(),
        user_id: input.user,
        name: member.display_name,
        responsibility,
    })
}

/// Input of `/role unassign`.
pub type UnassignRole = AssignRole;

/// `/role unassign` (lead): takes a responsibility away from a member.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn unassign(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: UnassignRole,
) -> Result<RoleChanged> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let wanted = text::single_line("responsibility", &input.responsibility, text::MAX_NAME)?;
    let member = holder(store, &scope, input.user).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let Some(responsibility) =
        store::members::remove_responsibility(&mut tx, c.id, input.user, &wanted).await?
    else {
        return Err(Error::user(format!(
            "<@{}> isn't responsible for **{wanted}** in **{}** — `/role list` shows who holds what.",
            input.user, c.name
        )));
    };
    let detail = format!("user={}", input.user);
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "role.unassign",
        &responsibility,
        &detail,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(RoleChanged {
        coalition: c.name.clone(),
        user_id: input.user,
        name: member.display_name,
        responsibility,
    })
}

/// The member who holds (or is to hold) a responsibility, or an error saying how to add them.
async fn holder(store: &Store, scope: &Scope, user: UserId) -> Result<Member> {
    store::members::get(store, scope.id(), user)
        .await?
        .ok_or_else(|| {
            Error::user(format!(
                "<@{user}> isn't a member of **{}** — add them with `/member add` first.",
                scope.coalition.name
            ))
        })
}

/// One responsibility and the members who hold it.
#[derive(Debug, Clone, Serialize)]
pub struct ResponsibilityGroup {
    pub name: String,
    pub holders: Vec<Person>,
}

/// What `/role list` shows.
#[derive(Debug, Clone, Serialize)]
pub struct RoleList {
    pub coalition: String,
    pub responsibilities: Vec<ResponsibilityGroup>,
}

/// `/role list` (anyone): who is responsible for what, by responsibility name.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor, coalition: Option<&str>) -> Result<RoleList> {
    let scope = super::scope(store, actor, coalition).await?;
    list_in(store, &scope).await
}

/// Who holds what in the scope's coalition (for `/role list` and its pages).
pub(crate) async fn list_in(store: &Store, scope: &Scope) -> Result<RoleList> {
    let mut groups: Vec<ResponsibilityGroup> = Vec::new();
    for held in store::members::responsibilities(store, scope.id()).await? {
        let person = Person {
            user_id: held.user_id,
            name: held.display_name,
        };
        // Rows come sorted by name ignoring case, so "Comms" and "comms" share a group.
        match groups.last_mut() {
            Some(g) if g.name.eq_ignore_ascii_case(&held.name) => g.holders.push(person),
            _ => groups.push(ResponsibilityGroup {
                name: held.name,
                holders: vec![person],
            }),
        }
    }
    Ok(RoleList {
        coalition: scope.coalition.name.clone(),
        responsibilities: groups,
    })
}

/// Responsibility names already used in the coalition, for autocomplete; empty when unclear.
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
    let names = store::members::suggest_responsibilities(store, c.id, typed, 25).await?;
    Ok(names.into_iter().map(|n| (text::truncate(&n, 100), n)).collect())
}
