//! What every command starts from: the guild's active coalitions, each with the acting user's
//! membership (and the time zone they set for themselves), in one statement.

use super::sql;

use crate::domain::*;
use crate::error::Result;

use super::Store;
use super::overview::{Overview, overview_columns};

/// An active coalition of the guild, as a command may mean it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub coalition: Coalition,
    /// The acting user's membership, if they are a member.
    pub member: Option<Member>,
    /// Whether its name is the one the command gave (compared as the name column compares).
    pub named: bool,
    /// The time zone the user set for themselves in this guild, if any.
    pub own_timezone: Option<String>,
}

/// The active coalitions of `guild` by name, with `user`'s membership in each, and which one
/// `name` names.
pub async fn candidates(
    store: &Store,
    guild: GuildId,
    user: UserId,
    name: Option<&str>,
) -> Result<Vec<Candidate>> {
    let rows = sql::query(candidate_rows!())
        .bind(name.map(str::trim))
        .bind(user)
        .bind(guild)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(candidate).collect()
}

/// [`candidates`] and, beside each at the same index, its [`Overview`] (for `/coalition info`),
/// in the same statement.
pub async fn with_overview(
    store: &Store,
    guild: GuildId,
    user: UserId,
    name: Option<&str>,
) -> Result<(Vec<Candidate>, Vec<Overview>)> {
    let rows = sql::query_for(
        candidate_rows!(, overview_columns!(sqlite)),
        candidate_rows!(, overview_columns!(postgres)),
    )
    .bind(name.map(str::trim))
    .bind(user)
    .bind(guild)
    .fetch_all(store.pool())
    .await?;
    let both: Vec<(Candidate, Overview)> = rows
        .iter()
        .map(|row| Ok((candidate(row)?, Overview::read(row)?)))
        .collect::<Result<_>>()?;
    Ok(both.into_iter().unzip())
}

/// The candidates statement's text, with more columns when given (`, overview_columns!(…)`); binds ?1
/// name, ?2 user, ?3 guild.
macro_rules! candidate_rows {
    ($($more:tt)*) => {
        concat!(
            select_coalition!(
                ", COALESCE(lower(name) = lower(?1), FALSE) AS named,
               m.user_id AS m_user_id, m.role AS m_role, m.org_id AS m_org_id,
               m.display_name AS m_display_name, m.joined_at AS m_joined_at,
               (SELECT p.timezone FROM member_prefs p WHERE p.guild_id = c.guild_id AND p.user_id = ?2)
                 AS own_timezone"
                $($more)*
            ),
            "c LEFT JOIN members m ON m.coalition_id = c.id AND m.user_id = ?2
         WHERE c.guild_id = ?3 AND c.archived_at IS NULL ORDER BY c.name COLLATE NOCASE"
        )
    };
}
use candidate_rows;

/// A candidate from a row of [`candidate_rows!`].
fn candidate(row: &sql::Row) -> Result<Candidate> {
    let coalition: Coalition = row.read()?;
    let member_id: Option<UserId> = row.try_get("m_user_id")?;
    let member = match member_id {
        Some(user_id) => Some(Member {
            coalition_id: coalition.id,
            user_id,
            role: row.try_get("m_role")?,
            org_id: row.try_get("m_org_id")?,
            display_name: row.try_get("m_display_name")?,
            joined_at: row.try_get("m_joined_at")?,
        }),
        None => None,
    };
    Ok(Candidate {
        named: row.try_get("named")?,
        own_timezone: row.try_get("own_timezone")?,
        coalition,
        member,
    })
}
