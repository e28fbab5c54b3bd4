//! What the coalition sees of its targets: `/target list` (paged, filtered by stance and
//! influence), `/target show` (one target's timeline; leads also see the private notes) and
//! `/target map` (the power/interest grid).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, Scope};
use crate::domain::paging::{Filters, PageKey, Paged};
use crate::domain::targets::*;

use crate::error::Result;
use crate::store::targets::{TargetRow, TimelineEntry};
use crate::store::{self, Store};

/// Targets on one page of `/target list`.
pub const PAGE_SIZE: u32 = 15;
/// Entries of each kind (outreach, stance changes) `/target show` reads.
pub const TIMELINE: i64 = 15;

/// Input of `/target list`.
#[derive(Debug, Clone, Default)]
pub struct ListTargets {
    pub coalition: Option<String>,
    pub stance: Option<String>,
    pub influence: Option<String>,
    pub page: u32,
}

/// One page of targets.
#[derive(Debug, Clone, Serialize)]
pub struct TargetList {
    pub coalition_name: String,
    pub timezone: String,
    pub stance: Option<Stance>,
    pub influence: Option<Influence>,
    pub targets: Vec<TargetRow>,
    pub paged: Paged,
    #[serde(skip)]
    pub key: PageKey,
}

/// `/target list` (anyone): targets, most favourable first, then by influence.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(
    store: &Store,
    actor: &Actor,
    _now: DateTime<Utc>,
    input: ListTargets,
) -> Result<TargetList> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    let stance = input.stance.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let stance = stance.map(Stance::parse).transpose()?;
    let influence = input
        .influence
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let influence = influence.map(Influence::parse).transpose()?;
    list_page(store, &scope, stance, influence, input.page).await
}

/// Another page of `/target list`, from a page button (filters `s` stance, `i` influence).
pub async fn page(store: &Store, scope: &Scope, key: &PageKey) -> Result<TargetList> {
    let stance = key.filters.get('s').and_then(|s| Stance::parse(s).ok());
    let influence = key.filters.get('i').and_then(|s| Influence::parse(s).ok());
    list_page(store, scope, stance, influence, key.page).await
}

async fn list_page(
    store: &Store,
    scope: &Scope,
    stance: Option<Stance>,
    influence: Option<Influence>,
    page: u32,
) -> Result<TargetList> {
    let (targets, paged) = super::pages::fetch_page(
        page,
        PAGE_SIZE,
        |p| store::targets::list(store, scope.id(), stance, influence, p),
        store::targets::count(store, scope.id(), stance, influence),
    )
    .await?;
    let key = PageKey::new(
        "targets",
        scope.actor.user,
        Filters::new()
            .with('c', Some(scope.id()))
            .with('s', stance.map(Stance::as_str))
            .with('i', influence.map(Influence::as_str)),
    );
    Ok(TargetList {
        coalition_name: scope.coalition.name.clone(),
        timezone: super::me::shown_timezone(scope),
        stance,
        influence,
        targets,
        paged,
        key,
    })
}

/// One target's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TargetShown {
    pub target: Target,
    pub coalition_name: String,
    pub timezone: String,
    /// Outreach and stance changes, newest first.
    pub timeline: Vec<TimelineEntry>,
    /// How many outreach the target has had in all.
    pub outreach_total: i64,
    /// The leads' private notes: `Some` only when a lead asked (the answer is then for leads).
    pub notes: Option<Vec<TargetNote>>,
}

/// `/target show` (anyone): the target, its outreach and stance changes; leads also get its
/// private notes and a button to add one.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn show(
    store: &Store,
    actor: &Actor,
    _now: DateTime<Utc>,
    coalition: Option<&str>,
    target: &str,
) -> Result<TargetShown> {
    let scope = super::scope(store, actor, coalition).await?;
    let target = super::targets::resolve(store, &scope, target).await?;
    let (timeline, outreach_total) = store::targets::timeline(store, scope.id(), target.id, TIMELINE).await?;
    let notes = if scope.is_lead() {
        Some(store::targets::notes(store, scope.id(), target.id).await?)
    } else {
        None
    };
    Ok(TargetShown {
        target,
        coalition_name: scope.coalition.name.clone(),
        timezone: super::me::shown_timezone(&scope),
        timeline,
        outreach_total,
        notes,
    })
}

/// Every target of a coalition, for the power/interest grid.
#[derive(Debug, Clone, Serialize)]
pub struct TargetMap {
    pub coalition_name: String,
    pub targets: Vec<Target>,
}

/// `/target map` (anyone): every target, placed by stance and influence.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn map(
    store: &Store,
    actor: &Actor,
    _now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<TargetMap> {
    let scope = super::scope(store, actor, coalition).await?;
    let targets = store::targets::all(store, scope.id()).await?;
    Ok(TargetMap {
        coalition_name: scope.coalition.name.clone(),
        targets,
    })
}

/// The report's targets section for the window `(after, end]` (see
/// [`crate::domain::report::PeriodBounds::window`]).
pub async fn report_part(
    store: &Store,
    coalition: crate::domain::CoalitionId,
    after: i64,
    end: i64,
) -> Result<ReportTargets> {
    let current: Vec<crate::domain::TargetId> = store::targets::all(store, coalition)
        .await?
        .iter()
        .map(|t| t.id)
        .collect();
    let history = store::targets::stances_until(store, coalition, end + 1).await?;
    let moved_rows =
        store::targets::moved_between(store, coalition, after + 1, end + 1, REPORT_MOVED as i64).await?;
    let moved: Vec<ReportMoved> = moved_rows
        .into_iter()
        .filter_map(|m| {
            Some(ReportMoved {
                at: m.at,
                moved: DigestMoved {
                    target: m.target_name,
                    from: m.from_stance?,
                    to: m.to_stance,
                    after_whom: m.org_name.or(m.user_name),
                    kind: m.kind,
                },
            })
        })
        .collect();
    let outreach = store::targets::outreach_between(store, coalition, after + 1, end + 1).await?;
    let mut by_org: Vec<(Option<String>, i64)> = Vec::new();
    for o in &outreach {
        match by_org.iter_mut().find(|(n, _)| *n == o.org_name) {
            Some((_, n)) => *n += 1,
            None => by_org.push((o.org_name.clone(), 1)),
        }
    }
    by_org.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(ReportTargets {
        at_start: distribution(&history, &current, after),
        at_end: distribution(&history, &current, end),
        moved_count: store::targets::moved_count(store, coalition, after + 1, end + 1).await?,
        moved,
        outreach_by_org: by_org,
        outreach_total: outreach.len() as i64,
    })
}
