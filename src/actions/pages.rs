//! Lists you can page through. Tasks and wins are paged in SQL (they can be long); goals,
//! deadlines, members, orgs and responsibilities are loaded whole and sliced here. A page
//! button's key (see [`crate::domain::paging`]) is drawn again from current data, and only the
//! person who ran the list may page it.

use chrono::{DateTime, Utc};

use super::deadlines::DeadlineList;
use super::goals::GoalList;
use super::members::{MemberGroup, MemberList};
use super::orgs::OrgList;
use super::roles::RoleList;
use super::tasks::TaskList;
use super::wins::WinList;
use super::{Actor, Scope};
use crate::domain::paging::{Filters, Page, PageKey, Paged};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::{self, Store};

/// Page `number` of a list paged in SQL, where `fetch` returns a page's rows with the list's total
/// in one statement. A page past the end has no row to carry the total (the list shrank since its
/// button was drawn): then `count` (a future, run only then) says how long the list is, and the
/// last page is fetched instead.
pub(crate) async fn fetch_page<T, F>(
    number: u32,
    size: u32,
    fetch: impl Fn(Page) -> F,
    count: impl Future<Output = Result<i64>>,
) -> Result<(Vec<T>, Paged)>
where
    F: Future<Output = Result<(Vec<T>, i64)>>,
{
    let page = Page::new(number, size);
    let (rows, total) = fetch(page).await?;
    if !rows.is_empty() || page.number == 1 {
        return Ok((rows, Paged::new(page, total)));
    }
    let total = count.await?;
    let last = page.within(total);
    let (rows, _) = fetch(last).await?;
    Ok((rows, Paged::new(last, total)))
}

/// Goals on one page (each takes two lines).
pub const GOALS_PER_PAGE: u32 = 10;
/// Deadlines on one page, across its missed / upcoming / met sections.
pub const DEADLINES_PER_PAGE: u32 = 15;
/// Members on one page.
pub const MEMBERS_PER_PAGE: u32 = 25;
/// Organizations on one page.
pub const ORGS_PER_PAGE: u32 = 20;
/// Responsibilities on one page.
pub const ROLES_PER_PAGE: u32 = 15;

/// A list sliced to one page, with where it stands and the key its buttons carry.
#[derive(Debug, Clone)]
pub struct Sliced<T> {
    pub list: T,
    pub paged: Paged,
    pub key: PageKey,
}

/// One page of one of Backbone's lists.
#[derive(Debug, Clone)]
pub enum ListPage {
    /// `/task list`.
    Tasks(TaskList),
    /// `/task mine`.
    Mine(TaskList),
    /// `/win list`.
    Wins(WinList),
    /// `/goal list`.
    Goals(Sliced<GoalList>),
    /// `/deadline list`.
    Deadlines(Sliced<DeadlineList>),
    /// `/member list`.
    Members(Sliced<MemberList>),
    /// `/org list`.
    Orgs(Sliced<OrgList>),
    /// `/role list`.
    Roles(Sliced<RoleList>),
    /// `/target list`.
    Targets(super::target_views::TargetList),
    /// `/resource list`.
    Resources(super::resources::ResourceList),
}

/// The page a button asks for, checked again from scratch: the clicking user must be the one who
/// ran the list, and the list's coalition must still be there (and in their guild).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user, list = %key.list, page = key.page))]
pub async fn turn(store: &Store, actor: &Actor, now: DateTime<Utc>, key: &PageKey) -> Result<ListPage> {
    if key.owner != actor.user {
        return Err(Error::user(
            "Only the person who ran this list can turn its pages — run the command yourself for your own copy.",
        ));
    }
    let scope = scope_of(store, actor, key).await?;
    Ok(match key.list.as_str() {
        "tasks" => ListPage::Tasks(super::tasks::page(store, &scope, now, key).await?),
        "mine" => {
            scope.require_member()?;
            ListPage::Mine(super::tasks::page(store, &scope, now, key).await?)
        }
        "wins" => ListPage::Wins(super::wins::page(store, &scope, now, key).await?),
        "targets" => ListPage::Targets(super::target_views::page(store, &scope, key).await?),
        "resources" => ListPage::Resources(super::resources::page(store, &scope, key).await?),
        "goals" | "deadlines" | "orgs" | "roles" => sliced(store, &scope, now, &key.list, key.page).await?,
        "members" => members_page(store, &scope, now, key.filters.number('o').map(OrgId), key.page).await?,
        _ => return Err(stale()),
    })
}

/// The first page of `/goal list`, `/deadline list`, `/org list` or `/role list` (`list` names
/// which, as in its page key).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user, list))]
pub async fn first(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    list: &str,
    coalition: Option<&str>,
) -> Result<ListPage> {
    let scope = super::scope(store, actor, coalition).await?;
    sliced(store, &scope, now, list, 1).await
}

/// The first page of `/member list`, of one org when `org` (its name) is given.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn members(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    org: Option<&str>,
) -> Result<ListPage> {
    let scope = super::scope(store, actor, coalition).await?;
    let org = match org.map(str::trim).filter(|o| !o.is_empty()) {
        Some(name) => Some(super::orgs::resolve(store, &scope.coalition, name).await?.id),
        None => None,
    };
    members_page(store, &scope, now, org, 1).await
}

async fn sliced(store: &Store, scope: &Scope, now: DateTime<Utc>, list: &str, page: u32) -> Result<ListPage> {
    let key = PageKey::new(list, scope.actor.user, Filters::new().with('c', Some(scope.id())));
    Ok(match list {
        "goals" => {
            let mut l = super::goals::list_in(store, scope).await?;
            let paged = Paged::new(Page::new(page, GOALS_PER_PAGE), l.goals.len() as i64);
            l.goals = paged.page.slice(&l.goals).to_vec();
            ListPage::Goals(Sliced { list: l, paged, key })
        }
        "deadlines" => {
            let mut l = super::deadlines::list_in(store, scope, now).await?;
            // One running order across the sections: missed, upcoming, then met.
            let (missed, upcoming) = (l.missed.len(), l.upcoming.len());
            let all: Vec<Deadline> = [l.missed.clone(), l.upcoming.clone(), l.recently_met.clone()].concat();
            let paged = Paged::new(Page::new(page, DEADLINES_PER_PAGE), all.len() as i64);
            let start = paged.page.offset() as usize;
            let rows = paged.page.slice(&all);
            let section = |from: usize, to: usize| -> Vec<Deadline> {
                rows.iter()
                    .enumerate()
                    .filter(|(i, _)| (from..to).contains(&(start + i)))
                    .map(|(_, d)| d.clone())
                    .collect()
            };
            l.missed = section(0, missed);
            l.upcoming = section(missed, missed + upcoming);
            l.recently_met = section(missed + upcoming, usize::MAX);
            ListPage::Deadlines(Sliced { list: l, paged, key })
        }
        "orgs" => {
            let mut l = super::orgs::list_in(store, scope, now).await?;
            let paged = Paged::new(Page::new(page, ORGS_PER_PAGE), l.orgs.len() as i64);
            l.orgs = paged.page.slice(&l.orgs).to_vec();
            ListPage::Orgs(Sliced { list: l, paged, key })
        }
        "roles" => {
            let mut l = super::roles::list_in(store, scope).await?;
            let paged = Paged::new(Page::new(page, ROLES_PER_PAGE), l.responsibilities.len() as i64);
            l.responsibilities = paged.page.slice(&l.responsibilities).to_vec();
            ListPage::Roles(Sliced { list: l, paged, key })
        }
        _ => return Err(stale()),
    })
}

async fn members_page(
    store: &Store,
    scope: &Scope,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    page: u32,
) -> Result<ListPage> {
    let mut l = super::members::list_in(store, scope, now, org).await?;
    let key = PageKey::new(
        "members",
        scope.actor.user,
        Filters::new().with('c', Some(scope.id())).with('o', org),
    );
    // Page by member, keeping each page's members under their org's heading.
    let flat: Vec<(Option<String>, super::members::MemberEntry)> = l
        .groups
        .drain(..)
        .flat_map(|g| {
            let org = g.org;
            g.members.into_iter().map(move |m| (org.clone(), m))
        })
        .collect();
    let paged = Paged::new(Page::new(page, MEMBERS_PER_PAGE), flat.len() as i64);
    for (org, member) in paged.page.slice(&flat).iter().cloned() {
        match l.groups.last_mut() {
            Some(g) if g.org == org => g.members.push(member),
            _ => l.groups.push(MemberGroup {
                org,
                members: vec![member],
            }),
        }
    }
    Ok(ListPage::Members(Sliced { list: l, paged, key }))
}

/// The coalition a list's key names (filter `c`), as a scope for the clicking user.
async fn scope_of(store: &Store, actor: &Actor, key: &PageKey) -> Result<Scope> {
    let id = key.filters.number('c').map(CoalitionId).ok_or_else(stale)?;
    let coalition = store::coalitions::get(store.pool(), actor.guild, id)
        .await?
        .filter(|c| c.archived_at.is_none())
        .ok_or_else(|| {
            Error::user("This list's coalition is no longer here (archived or deleted) — `/coalition list` shows the current ones.")
        })?;
    let member = store::members::get(store, coalition.id, actor.user).await?;
    let own_timezone = store::people::get(store, actor.guild, actor.user).await?.timezone;
    Ok(Scope {
        coalition,
        member,
        actor: actor.clone(),
        own_timezone,
    })
}

fn stale() -> Error {
    Error::user("These page buttons are from an older version of Backbone — run the list command again.")
}
