//! Each member's own hours and away periods (`member_prefs`): one row per user per guild, so a
//! member of several coalitions in one server sets them once.

use super::sql;
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::hours::{DmPolicy, QuietHours};
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// A member's preferences as stored (defaults when they never set any).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prefs {
    /// Their IANA time zone, if they chose one.
    pub timezone: Option<String>,
    pub quiet: Option<QuietHours>,
    pub dms: DmPolicy,
    /// Away until then (UTC seconds), if an away period was set; it may have ended already.
    pub away_until: Option<i64>,
    pub away_note: Option<String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            timezone: None,
            quiet: None,
            dms: DmPolicy::All,
            away_until: None,
            away_note: None,
        }
    }
}

impl Prefs {
    /// Their time zone, if set and known.
    pub fn tz(&self) -> Option<Tz> {
        self.timezone.as_deref().and_then(|t| t.parse().ok())
    }

    /// Whether they are away at `now` (an away period ends by itself at its `until`).
    pub fn away_at(&self, now: i64) -> bool {
        self.away_until.is_some_and(|u| u > now)
    }
}

#[derive(sqlx::FromRow)]
struct PrefsRow {
    timezone: Option<String>,
    quiet_start: Option<i64>,
    quiet_end: Option<i64>,
    dms: String,
    away_until: Option<i64>,
    away_note: Option<String>,
}

impl From<PrefsRow> for Prefs {
    fn from(r: PrefsRow) -> Prefs {
        let quiet = match (r.quiet_start, r.quiet_end) {
            (Some(s), Some(e)) if s != e => Some(QuietHours {
                start: s.clamp(0, 1439) as u16,
                end: e.clamp(0, 1439) as u16,
            }),
            _ => None,
        };
        Prefs {
            timezone: r.timezone,
            quiet,
            dms: DmPolicy::parse(&r.dms),
            away_until: r.away_until,
            away_note: r.away_note,
        }
    }
}

const SELECT: &str = "SELECT timezone, quiet_start, quiet_end, dms, away_until, away_note FROM member_prefs
     WHERE guild_id = ? AND user_id = ?";

/// A user's preferences in `guild` (defaults if none were set).
pub async fn get(store: &Store, guild: GuildId, user: UserId) -> Result<Prefs> {
    let row: Option<PrefsRow> = sql::query_as(SELECT)
        .bind(guild)
        .bind(user)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(Prefs::from).unwrap_or_default())
}

/// [`get`] inside a write transaction.
pub async fn get_tx(tx: &mut Tx, guild: GuildId, user: UserId) -> Result<Prefs> {
    let row: Option<PrefsRow> = sql::query_as(SELECT)
        .bind(guild)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(Prefs::from).unwrap_or_default())
}

/// The preferences of the user a delivery of `coalition` goes to (by the coalition's guild).
pub async fn of_member(store: &Store, coalition: CoalitionId, user: UserId) -> Result<Prefs> {
    let row: Option<PrefsRow> = sql::query_as(
        "SELECT p.timezone, p.quiet_start, p.quiet_end, p.dms, p.away_until, p.away_note
         FROM member_prefs p JOIN coalitions c ON c.guild_id = p.guild_id
         WHERE c.id = ? AND p.user_id = ?",
    )
    .bind(coalition)
    .bind(user)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(Prefs::from).unwrap_or_default())
}

/// Stores all of a user's preferences in `guild` (the caller merged the changes in).
pub async fn put(tx: &mut Tx, guild: GuildId, user: UserId, p: &Prefs, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO member_prefs (guild_id, user_id, timezone, quiet_start, quiet_end, dms,
                                   away_until, away_note, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (guild_id, user_id) DO UPDATE SET
             timezone = excluded.timezone, quiet_start = excluded.quiet_start,
             quiet_end = excluded.quiet_end, dms = excluded.dms, away_until = excluded.away_until,
             away_note = excluded.away_note, updated_at = excluded.updated_at",
    )
    .bind(guild)
    .bind(user)
    .bind(&p.timezone)
    .bind(p.quiet.map(|q| i64::from(q.start)))
    .bind(p.quiet.map(|q| i64::from(q.end)))
    .bind(p.dms.as_str())
    .bind(p.away_until)
    .bind(&p.away_note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A member who is away.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AwayMember {
    pub user_id: UserId,
    pub display_name: String,
    /// Away until then (UTC seconds).
    pub until: i64,
    pub note: Option<String>,
}

/// The members of `coalition` who are away at `now`, soonest back first — for `/member list`,
/// `/checkin status`, round summaries and the digest (away members are not "missing").
pub async fn away_members(store: &Store, coalition: CoalitionId, now: i64) -> Result<Vec<AwayMember>> {
    Ok(sql::query_as(
        "SELECT m.user_id, m.display_name, p.away_until AS until, p.away_note AS note
         FROM members m
         JOIN coalitions c ON c.id = m.coalition_id
         JOIN member_prefs p ON p.guild_id = c.guild_id AND p.user_id = m.user_id
         WHERE m.coalition_id = ? AND p.away_until > ?
         ORDER BY p.away_until, m.user_id",
    )
    .bind(coalition)
    .bind(now)
    .fetch_all(store.pool())
    .await?)
}

/// Whether `user` is away at `now` in the guild of `coalition`, read inside a planning transaction.
pub async fn is_away(tx: &mut Tx, coalition: CoalitionId, user: UserId, now: i64) -> Result<bool> {
    Ok(sql::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM member_prefs p JOIN coalitions c ON c.guild_id = p.guild_id
                        WHERE c.id = ? AND p.user_id = ? AND p.away_until > ?)",
    )
    .bind(coalition)
    .bind(user)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// The coalitions of `guild` that `user` is a member of (where their preference changes are
/// recorded as events).
pub async fn coalitions_of(tx: &mut Tx, guild: GuildId, user: UserId) -> Result<Vec<CoalitionId>> {
    Ok(sql::query_scalar(
        "SELECT c.id FROM coalitions c JOIN members m ON m.coalition_id = c.id
         WHERE c.guild_id = ? AND m.user_id = ? ORDER BY c.id",
    )
    .bind(guild)
    .bind(user)
    .fetch_all(&mut **tx)
    .await?)
}
