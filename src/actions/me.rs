//! `/me settings|away|back`: a member's own time zone, quiet hours, DM preference and away
//! periods. They are kept per user per guild, so a member of several coalitions in one server sets
//! them once; each change is recorded as an event in every coalition of the server they belong to.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Actor, ts};
use crate::domain::hours::{DmPolicy, QuietHours};
use crate::domain::{text, when};
use crate::error::{Error, Result};
use crate::store::people::Prefs;
use crate::store::{self, Store, Tx};

/// Longest away note.
pub const MAX_NOTE: usize = 200;

/// Input of `/me settings`: each option given is changed, the others are kept.
#[derive(Debug, Clone, Default)]
pub struct ChangeSettings {
    /// An IANA time zone name.
    pub timezone: Option<String>,
    /// `21:00-08:00`, or `off`.
    pub quiet_hours: Option<String>,
    pub dms: Option<DmPolicy>,
}

/// A member's settings after `/me settings` (changed or just shown).
#[derive(Debug, Clone, Serialize)]
pub struct MySettings {
    pub prefs: Prefs,
    /// The zone times are shown in: theirs, else their coalition's, else UTC.
    pub shown_tz: String,
    /// Whether `shown_tz` is their own choice.
    pub own_tz: bool,
    /// Names of the settings this call changed (empty when it only showed them).
    pub changed: Vec<&'static str>,
    /// Whether they are away now.
    pub away: bool,
    pub now: i64,
}

/// The zone to show `actor` times in: their own if set, else the coalition the command resolves
/// to (by channel, or the server's only one), else UTC. Returns whether it is their own.
pub async fn viewer_tz(store: &Store, actor: &Actor, prefs: &Prefs) -> Result<(Tz, bool)> {
    if let Some(tz) = prefs.tz() {
        return Ok((tz, true));
    }
    let c = super::coalition_for_suggest(store, actor.guild, actor.channel, None).await?;
    Ok((c.map_or(chrono_tz::UTC, |c| c.tz()), false))
}

/// The zone an ephemeral reply in `scope` shows times in: the actor's own if they set one, else
/// the coalition's. (Due dates are still read in the coalition's zone.)
pub fn shown_timezone(scope: &super::Scope) -> String {
    scope
        .own_timezone
        .clone()
        .filter(|t| t.parse::<Tz>().is_ok())
        .unwrap_or_else(|| scope.coalition.timezone.clone())
}

/// `/me settings` (anyone): changes the options given; with none, shows the current settings.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn settings(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: ChangeSettings,
) -> Result<MySettings> {
    let now_s = ts(now);
    // Read everything first, so a bad option changes nothing.
    let tz = match input.timezone.as_deref() {
        Some(t) => Some(when::parse_timezone(t)?),
        None => None,
    };
    let quiet = match input.quiet_hours.as_deref() {
        Some(q) => Some(QuietHours::parse(q)?),
        None => None,
    };
    let mut changed = Vec::new();
    let prefs = if tz.is_none() && quiet.is_none() && input.dms.is_none() {
        store::people::get(store, actor.guild, actor.user).await?
    } else {
        let mut tx = store.write().await?;
        let mut p = store::people::get_tx(&mut tx, actor.guild, actor.user).await?;
        if let Some(tz) = tz {
            p.timezone = Some(tz.name().to_string());
            changed.push("timezone");
        }
        if let Some(q) = quiet {
            p.quiet = q;
            changed.push("quiet_hours");
        }
        if let Some(d) = input.dms {
            p.dms = d;
            changed.push("dms");
        }
        store::people::put(&mut tx, actor.guild, actor.user, &p, now_s).await?;
        let detail = format!(
            "timezone={} quiet_hours={} dms={}",
            p.timezone.as_deref().unwrap_or("-"),
            p.quiet.map_or("off".to_string(), |q| q.label()),
            p.dms.as_str()
        );
        record(&mut tx, actor, "me.settings", &detail, now_s).await?;
        tx.commit().await?;
        p
    };
    let (shown, own_tz) = viewer_tz(store, actor, &prefs).await?;
    Ok(MySettings {
        away: prefs.away_at(now_s),
        prefs,
        shown_tz: shown.name().to_string(),
        own_tz,
        changed,
        now: now_s,
    })
}

/// Input of `/me away`.
#[derive(Debug, Clone, Default)]
pub struct GoAway {
    /// When they are back: read like a due date, in their own time zone.
    pub until: String,
    pub note: Option<String>,
}

/// An away period was set or ended.
#[derive(Debug, Clone, Serialize)]
pub struct AwayChanged {
    /// Back at (UTC seconds); for `/me back`, the end the period had.
    pub until: i64,
    pub note: Option<String>,
    /// The zone `until` is shown (and was read) in.
    pub tz: String,
}

/// How the `until` typed so far is read, in the member's own zone (autocomplete preview).
pub async fn preview_until(store: &Store, actor: &Actor, now: DateTime<Utc>, text: &str) -> Result<String> {
    let prefs = store::people::get(store, actor.guild, actor.user).await?;
    let (tz, _) = viewer_tz(store, actor, &prefs).await?;
    Ok(when::preview_due(text, tz, now))
}

/// `/me away` (anyone): no nudges or deadline DMs until `until`; leads see it.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn away(store: &Store, actor: &Actor, now: DateTime<Utc>, input: GoAway) -> Result<AwayChanged> {
    let now_s = ts(now);
    let current = store::people::get(store, actor.guild, actor.user).await?;
    let (tz, _) = viewer_tz(store, actor, &current).await?;
    let until = when::parse_due(&input.until, tz, now).map_err(|e| match e {
        Error::User(m) => Error::user(format!(
            "{m} `until` is when you're back, like `friday`, `2026-12-24` or `in 2 weeks`."
        )),
        other => other,
    })?;
    let note = match input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(text::single_line("note", n, MAX_NOTE)?),
        None => None,
    };
    let mut tx = store.write().await?;
    let mut p = store::people::get_tx(&mut tx, actor.guild, actor.user).await?;
    p.away_until = Some(until.timestamp());
    p.away_note = note.clone();
    store::people::put(&mut tx, actor.guild, actor.user, &p, now_s).await?;
    record(
        &mut tx,
        actor,
        "me.away",
        &format!("until {}", until.timestamp()),
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(AwayChanged {
        until: until.timestamp(),
        note,
        tz: tz.name().to_string(),
    })
}

/// `/me back` (anyone): ends an away period early.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn back(store: &Store, actor: &Actor, now: DateTime<Utc>) -> Result<AwayChanged> {
    let now_s = ts(now);
    let mut tx = store.write().await?;
    let mut p = store::people::get_tx(&mut tx, actor.guild, actor.user).await?;
    let Some(until) = p.away_until.filter(|u| *u > now_s) else {
        return Err(Error::user(
            "You're not away — `/me away until:…` sets an away period.",
        ));
    };
    let note = p.away_note.take();
    p.away_until = None;
    store::people::put(&mut tx, actor.guild, actor.user, &p, now_s).await?;
    record(&mut tx, actor, "me.back", "", now_s).await?;
    tx.commit().await?;
    let (tz, _) = viewer_tz(store, actor, &p).await?;
    Ok(AwayChanged {
        until,
        note,
        tz: tz.name().to_string(),
    })
}

/// Records the change in every coalition of the server the actor is a member of.
async fn record(tx: &mut Tx, actor: &Actor, kind: &str, detail: &str, now: i64) -> Result<()> {
    for c in store::people::coalitions_of(tx, actor.guild, actor.user).await? {
        let subject = format!("member {}", actor.user);
        store::record_event(tx, c, actor.user, kind, &subject, detail, now).await?;
    }
    Ok(())
}
