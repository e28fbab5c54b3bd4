//! Partner organizations of a coalition: adding, listing with their numbers, removing.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use serde::Serialize;

use super::{Actor, Scope, ts};
use crate::domain::{text, when, *};
use crate::error::{Error, Result};
use crate::store::coalitions::OrgStats;
use crate::store::{self, Store};

/// Input of `/org add`.
#[derive(Debug, Clone, Default)]
pub struct AddOrg {
    pub coalition: Option<String>,
    pub name: String,
}

/// An org was added.
#[derive(Debug, Clone, Serialize)]
pub struct OrgAdded {
    pub coalition: String,
    pub org: Org,
}

/// `/org add` (lead): adds a partner organization.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(store: &Store, actor: &Actor, now: DateTime<Utc>, input: AddOrg) -> Result<OrgAdded> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let name = text::single_line("org name", &input.name, text::MAX_NAME)?;
    if super::members::is_no_org(&name) {
        return Err(Error::user(format!(
            "`{name}` means \"no org\" in `/member add org:` — give the organization its real name."
        )));
    }
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let Some(id) = store::coalitions::insert_org(&mut tx, c.id, &name, now_s).await? else {
        return Err(Error::user(format!(
            "**{}** already has an org named **{name}** — `/org list` shows them; pick another name.",
            c.name
        )));
    };
    store::record_event(&mut tx, c.id, actor.user, "org.add", &name, "", now_s).await?;
    tx.commit().await?;
    let org = Org {
        id,
        coalition_id: c.id,
        name,
        created_at: now_s,
    };
    Ok(OrgAdded {
        coalition: c.name.clone(),
        org,
    })
}

/// What `/org list` shows.
#[derive(Debug, Clone, Serialize)]
pub struct OrgList {
    pub coalition: String,
    /// Start of this calendar month in the coalition's time zone (UTC seconds): wins count from here.
    pub month_start: i64,
    pub orgs: Vec<OrgStats>,
}

/// `/org list` (anyone): each org with members, open tasks and wins this month.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<OrgList> {
    let scope = super::scope(store, actor, coalition).await?;
    list_in(store, &scope, now).await
}

/// The orgs of the scope's coalition with their numbers (for `/org list` and its pages).
pub(crate) async fn list_in(store: &Store, scope: &Scope, now: DateTime<Utc>) -> Result<OrgList> {
    let c = &scope.coalition;
    let month_start = month_start(now, c.tz());
    let orgs = store::coalitions::org_stats(store, c.id, month_start).await?;
    Ok(OrgList {
        coalition: c.name.clone(),
        month_start,
        orgs,
    })
}

/// Midnight on the first of `now`'s month in `tz`, as UTC seconds.
fn month_start(now: DateTime<Utc>, tz: chrono_tz::Tz) -> i64 {
    let local = now.with_timezone(&tz).date_naive();
    let first = local.with_day(1).unwrap_or(local);
    when::resolve_local(first.and_time(NaiveTime::MIN), tz).timestamp()
}

/// Input of `/org remove`.
#[derive(Debug, Clone, Default)]
pub struct RemoveOrg {
    pub coalition: Option<String>,
    pub name: String,
}

/// An org was removed.
#[derive(Debug, Clone, Serialize)]
pub struct OrgRemoved {
    pub coalition: String,
    pub org: String,
}

/// `/org remove` (lead): removes an org that has no members left.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: RemoveOrg,
) -> Result<OrgRemoved> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let org = resolve(store, c, &input.name).await?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let members = store::coalitions::org_member_count(&mut tx, c.id, org.id).await?;
    if members > 0 {
        let who = if members == 1 {
            "1 member".to_string()
        } else {
            format!("{members} members")
        };
        return Err(Error::user(format!(
            "**{}** still has {who} — move them to another org with `/member add user:… org:…` \
             (`org:none` for no org; `/member list org:{}` shows them), then remove it.",
            org.name, org.name
        )));
    }
    store::coalitions::delete_org(&mut tx, c.id, org.id).await?;
    store::record_event(&mut tx, c.id, actor.user, "org.remove", &org.name, "", now_s).await?;
    tx.commit().await?;
    Ok(OrgRemoved {
        coalition: c.name.clone(),
        org: org.name,
    })
}

/// Org names for autocomplete; empty when the coalition is unknown or ambiguous.
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
    let names = store::coalitions::suggest_orgs(store, c.id, typed, 25).await?;
    Ok(names.into_iter().map(|n| (text::truncate(&n, 100), n)).collect())
}

/// The org of `c` named `name` (any case), or an error pointing at `/org list`.
pub(crate) async fn resolve(store: &Store, c: &Coalition, name: &str) -> Result<Org> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::user("Say which org — `/org list` shows them."));
    }
    store::coalitions::find_org(store, c.id, name)
        .await?
        .ok_or_else(|| {
            Error::user(format!(
                "No org named `{}` in **{}** — `/org list` shows them; a lead can add one with `/org add`.",
                text::truncate(name, text::MAX_NAME),
                c.name
            ))
        })
}
