//! Creating, inspecting and configuring coalitions; joining and leaving them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{Actor, ts};
use crate::domain::schedule::{self, Schedule};
use crate::domain::{pings, text, when, *};
use crate::error::{Error, Result};
use crate::store::coalitions::{CoalitionSummary, GoalProgress, NewCoalition};
use crate::store::{self, Store};

/// Joining and leaving change membership rows, so they live with the other member actions.
pub use super::members::{Joined, Left, join, leave};

/// Input of `/coalition create`.
#[derive(Debug, Clone, Default)]
pub struct CreateCoalition {
    pub name: String,
    /// Home channel; defaults to the channel the command ran in.
    pub channel: Option<ChannelId>,
    /// IANA time zone; defaults to UTC.
    pub timezone: Option<String>,
}

/// A coalition was created; the actor is its first lead.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionCreated {
    pub coalition: Coalition,
    /// Next check-in and digest times (UTC seconds).
    pub next_checkin_at: Option<i64>,
    pub next_digest_at: Option<i64>,
}

/// `/coalition create` (admin): creates a coalition; the invoker becomes its first lead.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn create(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: CreateCoalition,
) -> Result<CoalitionCreated> {
    if !actor.manage_server {
        return Err(Error::user(
            "Only server admins (Manage Server permission) can create a coalition — ask one to run `/coalition create`.",
        ));
    }
    let name = text::single_line("coalition name", &input.name, text::MAX_NAME)?;
    let tz: Tz = match input.timezone.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => when::parse_timezone(t)?,
        None => chrono_tz::UTC,
    };
    let channel = input.channel.or(actor.channel).ok_or_else(|| {
        Error::user(
            "Pick a home channel with the `channel` option — it's where check-ins and digests are posted.",
        )
    })?;
    let checkin = Schedule::parse(schedule::DEFAULT_CHECKIN)?;
    let digest = Schedule::parse(schedule::DEFAULT_DIGEST)?;
    let offsets = pings::format_offsets(&pings::parse_offsets(DEFAULT_PING_OFFSETS)?);
    let next_checkin_at = checkin.next_after(now, tz).map(|t| t.timestamp());
    let next_digest_at = digest.next_after(now, tz).map(|t| t.timestamp());
    let now_s = ts(now);

    let mut tx = store.write().await?;
    let new = NewCoalition {
        guild_id: actor.guild,
        name: &name,
        home_channel_id: channel,
        timezone: tz.name(),
        checkin_schedule: checkin.source(),
        digest_schedule: digest.source(),
        ping_offsets: &offsets,
        next_checkin_at,
        next_digest_at,
        created_by: actor.user,
    };
    // The name first (the likelier clash), then the home: commands find their coalition by the
    // channel they run in, so a home can't be shared. Both are checked inside the write so two
    // coalitions created at once can't both claim them (the schema refuses both too, but without a
    // message that says how to fix it). An archived coalition keeps its name, and says so.
    if let Some(other) = store::coalition_edits::any_by_name(&mut *tx, actor.guild, &name).await? {
        return Err(super::coalition_edits::name_taken(&other));
    }
    if let Some(other) =
        store::coalitions::home_of_channel(&mut *tx, actor.guild, channel, CoalitionId(0)).await?
    {
        return Err(Error::user(format!(
            "<#{channel}> is already the home channel of **{}** — pick another channel with `channel:`.",
            other.name
        )));
    }
    let Some(id) = store::coalitions::insert(&mut tx, &new, now_s).await? else {
        // An archived coalition keeps its name.
        return Err(name_taken(&name));
    };
    store::members::upsert(
        &mut tx,
        id,
        actor.user,
        Some(Role::Lead),
        Some(None),
        &actor.name,
        now_s,
    )
    .await?;
    store::record_event(
        &mut tx,
        id,
        actor.user,
        "coalition.create",
        &name,
        tz.name(),
        now_s,
    )
    .await?;
    tx.commit().await?;

    let coalition = store::coalitions::get(store.pool(), actor.guild, id)
        .await?
        .ok_or_else(|| Error::internal("coalition vanished after insert"))?;
    Ok(CoalitionCreated {
        coalition,
        next_checkin_at,
        next_digest_at,
    })
}

fn name_taken(name: &str) -> Error {
    Error::user(format!(
        "This server already has a coalition named **{name}** — pick another name, or see `/coalition list`."
    ))
}

/// Deadline pings before each due date unless a coalition says otherwise.
pub const DEFAULT_PING_OFFSETS: &str = "72h,24h";

/// `/coalition list` (anyone): the server's coalitions with member and open-task counts.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<CoalitionSummary>> {
    store::coalitions::summaries(store, actor.guild).await
}

/// A schedule as people read it, with its next occurrence.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleInfo {
    /// As stored: cron or plain words.
    pub source: String,
    pub description: String,
    /// Next occurrence (UTC seconds).
    pub next_at: Option<i64>,
}

impl ScheduleInfo {
    fn of(stored: &str, tz: Tz, now: DateTime<Utc>) -> ScheduleInfo {
        match Schedule::parse(stored) {
            Ok(s) => ScheduleInfo {
                source: s.source().to_string(),
                description: s.describe(),
                next_at: s.next_after(now, tz).map(|t| t.timestamp()),
            },
            // A stored schedule always parsed once; show it as typed if the rules ever tighten.
            Err(_) => ScheduleInfo {
                source: stored.to_string(),
                description: stored.to_string(),
                next_at: None,
            },
        }
    }
}

/// A person shown by id and remembered display name.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
}

/// What `/coalition info` shows.
#[derive(Debug, Clone, Serialize)]
pub struct CoalitionInfo {
    pub coalition: Coalition,
    pub checkin: ScheduleInfo,
    pub digest: ScheduleInfo,
    /// Deadline ping offsets, e.g. `72h,24h`.
    pub ping_offsets: String,
    pub leads: Vec<Person>,
    pub orgs: Vec<String>,
    pub member_count: i64,
    pub goals: Vec<GoalProgress>,
}

/// `/coalition info` (anyone): settings, leads, orgs, member count and goal progress.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn info(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<CoalitionInfo> {
    let (scope, overview) = super::scope_with_overview(store, actor, coalition).await?;
    let c = scope.coalition;
    let tz = c.tz();
    Ok(CoalitionInfo {
        checkin: ScheduleInfo::of(&c.checkin_schedule, tz, now),
        digest: ScheduleInfo::of(&c.digest_schedule, tz, now),
        ping_offsets: pings::parse_offsets(&c.ping_offsets)
            .map(|o| pings::format_offsets(&o))
            .unwrap_or_else(|_| c.ping_offsets.clone()),
        leads: overview
            .leads
            .into_iter()
            .map(|(user_id, name)| Person { user_id, name })
            .collect(),
        orgs: overview.orgs,
        member_count: overview.member_count,
        goals: overview.goals,
        coalition: c,
    })
}

/// Input of `/coalition settings`; every field is optional, at least one is needed.
#[derive(Debug, Clone, Default)]
pub struct UpdateSettings {
    pub coalition: Option<String>,
    pub channel: Option<ChannelId>,
    pub timezone: Option<String>,
    pub checkin_schedule: Option<String>,
    pub digest_schedule: Option<String>,
    pub ping_offsets: Option<String>,
    /// The leads' private channel. The Discord layer checks first that `@everyone` can't read it.
    pub leads_channel: Option<ChannelId>,
}

/// One setting that changed.
#[derive(Debug, Clone, Serialize)]
pub struct SettingChange {
    /// The option's name: `channel`, `timezone`, `checkin_schedule`, `digest_schedule`, `ping_offsets`.
    pub setting: &'static str,
    pub from: String,
    pub to: String,
}

/// Settings were changed (or were already as asked, when `changes` is empty).
#[derive(Debug, Clone, Serialize)]
pub struct SettingsUpdated {
    pub coalition: Coalition,
    pub changes: Vec<SettingChange>,
    /// The next three check-ins and digests (UTC seconds), to show in the coalition's time zone.
    pub next_checkins: Vec<i64>,
    pub next_digests: Vec<i64>,
}

/// `/coalition settings` (lead): changes the home channel, time zone, schedules or ping offsets.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn settings(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    input: UpdateSettings,
) -> Result<SettingsUpdated> {
    let scope = super::scope(store, actor, input.coalition.as_deref()).await?;
    scope.require_lead()?;
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let (tz_in, checkin_in, digest_in, offsets_in) = (
        given(&input.timezone),
        given(&input.checkin_schedule),
        given(&input.digest_schedule),
        given(&input.ping_offsets),
    );
    if input.channel.is_none()
        && input.leads_channel.is_none()
        && tz_in.is_none()
        && checkin_in.is_none()
        && digest_in.is_none()
        && offsets_in.is_none()
    {
        return Err(Error::user(
            "Nothing to change — give `/coalition settings` at least one of `channel`, `leads_channel`, \
             `timezone`, `checkin_schedule`, `digest_schedule` or `ping_offsets`.",
        ));
    }
    // Everything given is checked before the write, so a typo never waits for the write lock.
    let tz_new = tz_in.as_deref().map(when::parse_timezone).transpose()?;
    let checkin_new = checkin_in.as_deref().map(Schedule::parse).transpose()?;
    let digest_new = digest_in.as_deref().map(Schedule::parse).transpose()?;
    let offsets_new = offsets_in.as_deref().map(pings::parse_offsets).transpose()?;
    let offsets_text = offsets_new.as_deref().map(pings::format_offsets);
    let now_s = ts(now);

    // Compared and written inside one write transaction against the coalition as it is now, and
    // only the settings given are written: two leads changing different settings both win.
    let mut tx = store.write().await?;
    let old = store::coalitions::get(&mut *tx, actor.guild, scope.coalition.id)
        .await?
        .ok_or_else(|| {
            Error::user("That coalition no longer exists — `/coalition list` shows the current ones.")
        })?;
    if let Some(channel) = input.channel.filter(|c| *c != old.home_channel_id)
        && let Some(other) =
            store::coalitions::home_of_channel(&mut *tx, actor.guild, channel, old.id).await?
    {
        return Err(Error::user(format!(
            "<#{channel}> is already the home channel of **{}** — pick another channel for **{}**.",
            other.name, old.name
        )));
    }
    if let Some(leads) = input.leads_channel {
        let home = input.channel.unwrap_or(old.home_channel_id);
        if leads == home {
            return Err(Error::user(format!(
                "<#{leads}> is the home channel, which everyone reads — pick a private channel only the leads can see for `leads_channel`."
            )));
        }
        if let Some(other) =
            store::coalitions::home_of_channel(&mut *tx, actor.guild, leads, CoalitionId(0)).await?
        {
            return Err(Error::user(format!(
                "<#{leads}> is the home channel of **{}**, which everyone reads — pick a private channel only the leads can see.",
                other.name
            )));
        }
    }
    if let Some(home) = input.channel
        && Some(home) == old.leads_channel_id
        && input.leads_channel.is_none_or(|l| l == home)
    {
        return Err(Error::user(format!(
            "<#{home}> is the leads' private channel — pick another home channel, or move `leads_channel` first."
        )));
    }
    let tz = tz_new.unwrap_or_else(|| old.tz());
    let checkin = match checkin_new {
        Some(s) => s,
        None => Schedule::parse(&old.checkin_schedule)?,
    };
    let digest = match digest_new {
        Some(s) => s,
        None => Schedule::parse(&old.digest_schedule)?,
    };

    let mut changes = Vec::new();
    let mut note = |setting: &'static str, from: &str, to: Option<&str>| {
        if let Some(to) = to.filter(|to| *to != from) {
            changes.push(SettingChange {
                setting,
                from: from.to_string(),
                to: to.to_string(),
            });
        }
    };
    note(
        "channel",
        &format!("<#{}>", old.home_channel_id),
        input.channel.map(|c| format!("<#{c}>")).as_deref(),
    );
    let leads_was = old
        .leads_channel_id
        .map(|c| format!("<#{c}>"))
        .unwrap_or_else(|| "none".into());
    note(
        "leads_channel",
        &leads_was,
        input.leads_channel.map(|c| format!("<#{c}>")).as_deref(),
    );
    note("timezone", &old.timezone, tz_new.map(|t| t.name()));
    note(
        "checkin_schedule",
        &old.checkin_schedule,
        checkin_in.is_some().then(|| checkin.source()),
    );
    note(
        "digest_schedule",
        &old.digest_schedule,
        digest_in.is_some().then(|| digest.source()),
    );
    note("ping_offsets", &old.ping_offsets, offsets_text.as_deref());
    let changed = |s: &str| changes.iter().any(|c| c.setting == s);
    let tz_changed = changed("timezone");
    let upcoming = |s: &Schedule| {
        s.upcoming(now, tz, 3)
            .iter()
            .map(|t| t.timestamp())
            .collect::<Vec<_>>()
    };
    let (next_checkins, next_digests) = (upcoming(&checkin), upcoming(&digest));

    if changes.is_empty() {
        return Ok(SettingsUpdated {
            coalition: old,
            changes,
            next_checkins,
            next_digests,
        });
    }
    // Only a changed schedule (or zone) moves its next occurrence: one the scheduler is about to
    // plan must not be skipped because the home channel changed.
    let write = store::coalitions::SettingsChange {
        home_channel_id: input.channel.filter(|_| changed("channel")),
        leads_channel_id: input.leads_channel.filter(|_| changed("leads_channel")),
        timezone: tz_changed.then(|| tz.name()),
        checkin_schedule: changed("checkin_schedule").then(|| checkin.source()),
        digest_schedule: changed("digest_schedule").then(|| digest.source()),
        ping_offsets: offsets_text.as_deref().filter(|_| changed("ping_offsets")),
        next_checkin_at: (tz_changed || changed("checkin_schedule"))
            .then(|| checkin.next_after(now, tz).map(|t| t.timestamp())),
        next_digest_at: (tz_changed || changed("digest_schedule"))
            .then(|| digest.next_after(now, tz).map(|t| t.timestamp())),
    };
    store::coalitions::update_settings(&mut tx, old.id, &write).await?;
    if tz_changed || changed("ping_offsets") {
        let offsets = match offsets_new {
            Some(o) => o,
            None => pings::parse_offsets(&old.ping_offsets)?,
        };
        for (subject, due_at) in store::coalitions::ping_subjects(&mut tx, old.id).await? {
            let next = pings::next_ping_at(due_at, &offsets, now_s);
            store::coalitions::set_next_ping(&mut tx, old.id, subject, next).await?;
        }
    }
    let detail: Vec<String> = changes
        .iter()
        .map(|c| format!("{}: {} → {}", c.setting, c.from, c.to))
        .collect();
    store::record_event(
        &mut tx,
        old.id,
        actor.user,
        "coalition.settings",
        &old.name,
        &detail.join("; "),
        now_s,
    )
    .await?;
    let coalition = store::coalitions::get(&mut *tx, actor.guild, old.id)
        .await?
        .ok_or_else(|| Error::internal("coalition vanished during its update"))?;
    tx.commit().await?;
    Ok(SettingsUpdated {
        coalition,
        changes,
        next_checkins,
        next_digests,
    })
}

/// Coalition names for autocomplete: those containing `typed`, prefix matches first.
pub async fn suggest(store: &Store, guild: GuildId, typed: &str) -> Result<Vec<(String, String)>> {
    let names = store::coalitions::suggest_names(store, guild, typed, 25).await?;
    Ok(names.into_iter().map(|n| (text::truncate(&n, 100), n)).collect())
}
