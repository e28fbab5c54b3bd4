//! The shared library: documents, toolkits and talking points, as http(s) links with a title and
//! tags, optionally tied to a goal or a target.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Holder, Ref, Scope, ts};
use crate::domain::paging::{Filters, PageKey, Paged};
use crate::domain::targets::*;
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::resources::{NewResource, ResourceFilter, ResourceRow};
use crate::store::{self, Store};

/// Resources on one page of `/resource list`.
pub const PAGE_SIZE: u32 = 10;
/// Longest `search` text.
pub const MAX_SEARCH: usize = 50;

/// Input of `/resource add`.
#[derive(Debug, Clone, Default)]
pub struct AddResource {
    pub coalition: Option<String>,
    pub url: String,
    pub title: String,
    /// `toolkit, housing` (commas or spaces).
    pub tags: Option<String>,
    /// `#3`, `3`, or the start of an active goal's title.
    pub goal: Option<String>,
    /// A target's name.
    pub target: Option<String>,
}

/// A resource was added.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceAdded {
    pub resource: Resource,
    pub coalition_name: String,
    pub goal: Option<Goal>,
    pub target_name: Option<String>,
}

/// `/resource add` (member): a link for the coalition's library.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn add(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: AddResource,
) -> Result<ResourceAdded> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_member()?;
    let url = check_url(&input.url)?;
    let title = text::single_line("title", &input.title, text::MAX_TITLE)?;
    let tags = parse_tags(input.tags.as_deref().unwrap_or(""))?;
    let goal = match input.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => Some(super::goals::resolve(store, &scope, g).await?),
        None => None,
    };
    let target = match input.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(super::targets::resolve(store, &scope, t).await?),
        None => None,
    };
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let new = NewResource {
        coalition: scope.id(),
        url: &url,
        title: &title,
        tags: &tags,
        goal: goal.as_ref().map(|g| g.id),
        target: target.as_ref().map(|t| t.id),
        created_by: actor.user,
    };
    let resource = store::resources::insert(&mut tx, &new, now_s).await?;
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "resource.add",
        &format!("resource #{}", resource.number),
        &format!("{title} <{url}>"),
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(ResourceAdded {
        resource,
        coalition_name: scope.coalition.name.clone(),
        goal,
        target_name: target.map(|t| t.name),
    })
}

/// Input of `/resource list`.
#[derive(Debug, Clone, Default)]
pub struct ListResources {
    pub coalition: Option<String>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub page: u32,
}

/// One page of the library.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceList {
    pub coalition_name: String,
    pub timezone: String,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub resources: Vec<ResourceRow>,
    pub paged: Paged,
    #[serde(skip)]
    pub key: PageKey,
}

/// `/resource list` (anyone): the library, newest first, by tag and words in it.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    _now: DateTime<Utc>,
    input: ListResources,
) -> Result<ResourceList> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    let tag = match input.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            let parsed = parse_tags(t)?;
            match tag_list(&parsed).as_slice() {
                [one] => Some(one.to_string()),
                _ => {
                    return Err(Error::user(
                        "Filter by one tag at a time, like `tag: toolkit` — use `search` for words.",
                    ));
                }
            }
        }
        None => None,
    };
    let search = match input.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(text::single_line("search", s, MAX_SEARCH)?),
        None => None,
    };
    list_page(store, &scope, tag, search, input.page).await
}

/// Another page of `/resource list`, from a page button (filters `t` tag, `q` search in hex).
pub async fn page(store: &Store, scope: &Scope, key: &PageKey) -> Result<ResourceList> {
    let tag = key.filters.get('t').map(str::to_string);
    let search = key.filters.get('q').and_then(unhex);
    list_page(store, scope, tag, search, key.page).await
}

async fn list_page(
    store: &Store,
    scope: &Scope,
    tag: Option<String>,
    search: Option<String>,
    page: u32,
) -> Result<ResourceList> {
    let filter = ResourceFilter {
        tag: tag.clone(),
        search: search.clone(),
    };
    let (resources, paged) = super::pages::fetch_page(
        page,
        PAGE_SIZE,
        |p| store::resources::list(store, scope.id(), &filter, p),
        store::resources::count(store, scope.id(), &filter),
    )
    .await?;
    let key = PageKey::new(
        "resources",
        scope.actor.user,
        Filters::new()
            .with('c', Some(scope.id()))
            .with('t', tag.clone())
            .with('q', search.as_deref().map(hex)),
    );
    Ok(ResourceList {
        coalition_name: scope.coalition.name.clone(),
        timezone: super::me::shown_timezone(scope),
        tag,
        search,
        resources,
        paged,
        key,
    })
}

/// A resource was removed.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceRemoved {
    pub resource: Resource,
    pub coalition_name: String,
}

/// `/resource remove` (author or lead).
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn remove(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
    resource: &str,
) -> Result<ResourceRemoved> {
    let scope = super::scope(store, actor, coalition).await?;
    let resource = resolve(store, &scope, resource).await?;
    scope.require_right(
        &[(Holder::Author, Some(resource.created_by))],
        &format!("resource #{}", resource.number),
        "remove it",
    )?;
    let now_s = ts(now);
    let mut tx = store.write().await?;
    if !store::resources::delete(&mut tx, scope.id(), resource.id).await? {
        return Err(Error::user(format!(
            "Resource #{} was just removed — `/resource list` shows the library.",
            resource.number
        )));
    }
    store::record_event(
        &mut tx,
        scope.id(),
        actor.user,
        "resource.remove",
        &format!("resource #{}", resource.number),
        &resource.title,
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(ResourceRemoved {
        resource,
        coalition_name: scope.coalition.name.clone(),
    })
}

/// Finds a resource by `#N` or the start of its title.
pub async fn resolve(store: &Store, scope: &Scope, typed: &str) -> Result<Resource> {
    match Ref::parse("resource", typed)? {
        Ref::Number(n) => store::resources::by_number(store, scope.id(), n)
            .await?
            .ok_or_else(|| {
                Error::user(format!(
                    "No resource #{n} in **{}** — `/resource list` shows the library.",
                    scope.coalition.name
                ))
            }),
        Ref::Title(prefix) => {
            let found = store::resources::by_title(store, scope.id(), &prefix).await?;
            super::one_match(
                "resource",
                &text::truncate(&prefix, 60),
                &scope.coalition.name,
                "/resource list",
                found,
                |r| format!("#{} {}", r.number, r.title),
            )
        }
    }
}

/// Autocomplete for `resource` options.
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
    Ok(store::resources::suggest(store, c.id, typed, 25)
        .await?
        .into_iter()
        .map(|r| super::numbered_choice(r.number, &r.title))
        .collect())
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    bytes.and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_text_survives_a_page_key() {
        let s = "talking points: v2.0 ✊";
        assert_eq!(super::unhex(&super::hex(s)).as_deref(), Some(s));
        assert_eq!(super::unhex("zz"), None);
    }
}
