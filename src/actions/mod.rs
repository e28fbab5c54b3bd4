//! One function per use case: `(store, actor, now, input) -> Result<Outcome>`. Permissions are
//! checked here — not in the Discord layer — and every change records an `events` row.

use chrono::{DateTime, Utc};
use tracing::Instrument;

use crate::domain::*;
use crate::error::{Error, Result};
use crate::store::scope::Candidate;
use crate::store::{self, Store};
use crate::telemetry::phase;

pub mod checkin_posts;
pub mod checkin_report;
pub mod checkins;
pub mod coalition_edits;
pub mod coalitions;
pub mod deadlines;
pub mod digest;
pub mod export;
pub mod feedback;
pub mod goals;
pub mod me;
pub mod meetings;
pub mod members;
pub mod orgs;
pub mod outreach;
pub mod pages;
pub mod plan_edits;
pub mod report;
pub mod resources;
pub mod roles;
pub mod target_views;
pub mod targets;
pub mod tasks;
pub mod win_edits;
pub mod wins;

/// Who is acting: the Discord user, the guild the interaction came from, and whether they hold
/// the Manage Server permission (admins count as leads everywhere).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserId,
    pub guild: GuildId,
    pub manage_server: bool,
    /// The user's display name, remembered for digests and exports.
    pub name: String,
    /// The channel the command was run in, used to pick the coalition by its home channel.
    pub channel: Option<ChannelId>,
}

/// What someone is to a row that gives them a right over it (while they are a member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// Assigned the task.
    Creator,
    /// The task is theirs.
    Assignee,
    /// Logged the win.
    Author,
}

impl Holder {
    /// "whoever assigned task #12" (or "… it" when the row was named already).
    fn who(self, subject: Option<&str>) -> String {
        match (self, subject) {
            (Holder::Creator, Some(s)) => format!("whoever assigned {s}"),
            (Holder::Creator, None) => "whoever assigned it".into(),
            (Holder::Assignee, Some(s)) => format!("{s}'s assignee"),
            (Holder::Assignee, None) => "its assignee".into(),
            (Holder::Author, Some(s)) => format!("whoever logged {s}"),
            (Holder::Author, None) => "whoever logged it".into(),
        }
    }

    fn did(self) -> &'static str {
        match self {
            Holder::Creator => "assigned",
            Holder::Assignee => "were assigned",
            Holder::Author => "logged",
        }
    }
}

/// The coalition an action works on, with the actor's place in it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub coalition: Coalition,
    pub member: Option<Member>,
    pub actor: Actor,
    /// The time zone the actor set for themselves (`/me settings`), read with the scope; `None`
    /// when they set none, or when the scope was built without it (buttons, forms).
    pub own_timezone: Option<String>,
}

impl Scope {
    /// Whether the actor is a lead of this coalition or a server admin.
    pub fn is_lead(&self) -> bool {
        self.actor.manage_server || self.member.as_ref().is_some_and(|m| m.role == Role::Lead)
    }

    /// Whether the actor is a member (or lead) of this coalition, or a server admin.
    pub fn is_member(&self) -> bool {
        self.actor.manage_server || self.member.is_some()
    }

    /// Refuses unless the actor is a member.
    pub fn require_member(&self) -> Result<()> {
        if self.is_member() {
            return Ok(());
        }
        Err(Error::user(format!(
            "You're not a member of **{}** — use `/coalition join` first, or ask a lead to add you.",
            self.coalition.name
        )))
    }

    /// Refuses unless the actor is a lead or admin.
    pub fn require_lead(&self) -> Result<()> {
        if self.is_lead() {
            return Ok(());
        }
        Err(Error::user(format!(
            "Only leads of **{}** (or server admins) can do that — ask a lead, or see `/member list`.",
            self.coalition.name
        )))
    }

    /// The one membership rule for rights held through a row: the actor may act as one of
    /// `holders` (creator, assignee, author: who they are to the row, and the user who is that)
    /// only while a current member; leads and admins always may. `subject` names the row
    /// ("task #12") and `verb` what they want to do with it ("cancel it").
    pub fn require_right(
        &self,
        holders: &[(Holder, Option<UserId>)],
        subject: &str,
        verb: &str,
    ) -> Result<()> {
        if self.is_lead() {
            return Ok(());
        }
        let me = Some(self.actor.user);
        match holders.iter().find(|(_, user)| *user == me) {
            Some(_) if self.member.is_some() => Ok(()),
            Some((holder, _)) => Err(Error::user(format!(
                "You {} {subject} but are no longer a member of **{}** — only a current member or a lead can {verb}; ask a lead (`/member list` shows them).",
                holder.did(),
                self.coalition.name
            ))),
            None => {
                let who: Vec<String> = holders
                    .iter()
                    .enumerate()
                    .map(|(i, (h, _))| h.who(if i == 0 { Some(subject) } else { None }))
                    .collect();
                Err(Error::user(format!(
                    "Only {} or a lead of **{}** can {verb} — ask one of them (`/member list` shows the leads).",
                    who.join(", "),
                    self.coalition.name
                )))
            }
        }
    }

    /// The coalition's id.
    pub fn id(&self) -> CoalitionId {
        self.coalition.id
    }
}

/// Finds the coalition a command acts on: by `name` when given; else the one whose home channel
/// the command ran in; else the guild's only coalition. Ambiguity is an error listing the choices.
/// One statement: the guild's coalitions with the actor's membership in each (and their own
/// time zone).
pub async fn scope(store: &Store, actor: &Actor, name: Option<&str>) -> Result<Scope> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let mut all = store::scope::candidates(store, actor.guild, actor.user, name)
        .instrument(phase::scope())
        .await?;
    let i = choose(&all, actor.channel, name)?;
    Ok(Scope::of(all.swap_remove(i), actor))
}

/// [`scope`] with the chosen coalition's [`Overview`] (`/coalition info`), in the same statement.
pub async fn scope_with_overview(
    store: &Store,
    actor: &Actor,
    name: Option<&str>,
) -> Result<(Scope, store::overview::Overview)> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let (mut all, mut overviews) = store::scope::with_overview(store, actor.guild, actor.user, name)
        .instrument(phase::scope())
        .await?;
    let i = choose(&all, actor.channel, name)?;
    Ok((Scope::of(all.swap_remove(i), actor), overviews.swap_remove(i)))
}

impl Scope {
    fn of(chosen: Candidate, actor: &Actor) -> Scope {
        Scope {
            coalition: chosen.coalition,
            member: chosen.member,
            actor: actor.clone(),
            own_timezone: chosen.own_timezone,
        }
    }
}

/// Which of `all` a command means (see [`scope`]), as its index.
fn choose(all: &[Candidate], channel: Option<ChannelId>, name: Option<&str>) -> Result<usize> {
    let coalitions = |list: &[Candidate]| list.iter().map(|c| c.coalition.clone()).collect::<Vec<_>>();
    if let Some(name) = name {
        if let Some(i) = all.iter().position(|c| c.named) {
            return Ok(i);
        }
        return Err(Error::user(if all.is_empty() {
            format!(
                "No coalition named `{name}` — this server has none yet; an admin can create one with `/coalition create`."
            )
        } else {
            format!(
                "No coalition named `{name}` in this server — choose one of: {}.",
                names(&coalitions(all))
            )
        }));
    }
    if let Some(channel) = channel {
        let homed: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].coalition.home_channel_id == channel)
            .collect();
        // Two coalitions sharing a home (possible in data from before that was refused) must not
        // silently pick one: the command could land in the wrong coalition.
        match homed[..] {
            [] => {}
            [i] => return Ok(i),
            _ => {
                let homed: Vec<Coalition> = homed.iter().map(|&i| all[i].coalition.clone()).collect();
                return Err(Error::user(format!(
                    "Several coalitions have this channel as their home — pick one with the `coalition` option: {}.",
                    names(&homed)
                )));
            }
        }
    }
    match all.len() {
        0 => Err(Error::user(
            "This server has no coalition yet — an admin can create one with `/coalition create`.",
        )),
        1 => Ok(0),
        _ => Err(Error::user(format!(
            "This server has several coalitions — pick one with the `coalition` option: {}.",
            names(&coalitions(all))
        ))),
    }
}

/// The coalition autocomplete works in, resolved like [`scope`]: by name, else the one whose home
/// channel the user is typing in, else the guild's only one. Autocomplete must never fail, so
/// anything unclear (unknown name, several candidates) is `None`.
pub async fn coalition_for_suggest(
    store: &Store,
    guild: GuildId,
    channel: Option<ChannelId>,
    name: Option<&str>,
) -> Result<Option<Coalition>> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let mut all = store::scope::candidates(store, guild, UserId(0), name).await?;
    match choose(&all, channel, name) {
        Ok(i) => Ok(Some(all.swap_remove(i).coalition)),
        Err(Error::User(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn names(all: &[Coalition]) -> String {
    let shown: Vec<String> = all.iter().take(10).map(|c| format!("`{}`", c.name)).collect();
    let more = all.len().saturating_sub(10);
    if more > 0 {
        format!("{} … and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// How a user referred to a task, goal or deadline: `#12`, `12`, or the start of its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Number(i64),
    Title(String),
}

impl Ref {
    /// Reads a reference; empty text is an error that names `what` is missing.
    pub fn parse(what: &str, text: &str) -> Result<Ref> {
        let t = text.trim();
        if t.is_empty() {
            return Err(Error::user(format!(
                "Say which {what}: its number like `#12`, or the start of its title."
            )));
        }
        let digits = t.strip_prefix('#').unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Ref::Number(n)),
            Ok(_) => Err(Error::user(format!(
                "`{t}` is not a {what} number — numbers start at #1."
            ))),
            Err(_) => Ok(Ref::Title(t.to_string())),
        }
    }
}

/// An autocomplete choice for a numbered item: label `#N label` (≤ 100 chars), value `#N`.
pub fn numbered_choice(number: i64, label: &str) -> (String, String) {
    (
        crate::domain::text::truncate(&format!("#{number} {label}"), 100),
        format!("#{number}"),
    )
}

/// Seconds since the epoch of `now`: the store's unit of time.
pub fn ts(now: DateTime<Utc>) -> i64 {
    now.timestamp()
}

/// Picks the single match of a title prefix, or explains the problem. `found` comes from a lookup
/// limited to [`store::TITLE_MATCH_LIMIT`] rows.
pub fn one_match<T>(
    what: &str,
    text: &str,
    coalition: &str,
    list_cmd: &str,
    mut found: Vec<T>,
    label: impl Fn(&T) -> String,
) -> Result<T> {
    match found.len() {
        0 => Err(Error::user(format!(
            "No {what} matching `{text}` in **{coalition}** — `{list_cmd}` shows them."
        ))),
        1 => Ok(found.remove(0)),
        n => {
            let shown: Vec<String> = found.iter().take(5).map(&label).collect();
            // The lookups stop at the limit, so reaching it means "this many or more".
            let count = if n as i64 >= store::TITLE_MATCH_LIMIT {
                format!("{n} or more")
            } else {
                n.to_string()
            };
            Err(Error::user(format!(
                "`{text}` matches {count} {what}s ({}) — use its number instead.",
                shown.join(", ")
            )))
        }
    }
}
