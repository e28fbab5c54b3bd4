//! Check-in rounds (one per coalition per scheduled period) and members' answers to them.

use super::sql;
use crate::domain::*;
use crate::error::Result;

use super::{Store, Tx};

/// `SELECT … FROM checkin_rounds` with every column of [`CheckinRound`].
macro_rules! select_round {
    () => {
        "SELECT id, coalition_id, opens_at, nudge_at, channel_id, message_id, created_at
         FROM checkin_rounds "
    };
}

/// `SELECT … FROM checkins` with every column of [`Checkin`].
macro_rules! select_checkin {
    () => {
        "SELECT id, round_id, coalition_id, user_id, done, next, blockers, submitted_at, updated_at
         FROM checkins "
    };
}

/// Opens the round of `coalition` that starts at `opens_at`, or finds it if it is already open:
/// the scheduler may plan the same occurrence twice. The round asks the coalition's questions as
/// they are now: later changes affect later rounds only.
#[tracing::instrument(skip_all)]
pub async fn open_round(
    tx: &mut Tx,
    coalition: CoalitionId,
    opens_at: i64,
    nudge_at: Option<i64>,
    now: i64,
) -> Result<RoundId> {
    sql::query(
        "INSERT INTO checkin_rounds (coalition_id, opens_at, nudge_at, created_at, questions_version)
         VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(version), 0) FROM checkin_questions
                                  WHERE coalition_id = ?1))
         ON CONFLICT (coalition_id, opens_at) DO NOTHING",
    )
    .bind(coalition)
    .bind(opens_at)
    .bind(nudge_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(
        sql::query_scalar("SELECT id FROM checkin_rounds WHERE coalition_id = ? AND opens_at = ?")
            .bind(coalition)
            .bind(opens_at)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// The round members are answering now: the latest one that has opened.
#[tracing::instrument(skip_all)]
pub async fn current_round(store: &Store, coalition: CoalitionId, now: i64) -> Result<Option<CheckinRound>> {
    current_round_in(store.pool(), coalition, now).await
}

/// [`current_round`] on any connection — inside a write transaction (`&mut **tx`), a round
/// opened meanwhile is seen.
pub async fn current_round_in(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    now: i64,
) -> Result<Option<CheckinRound>> {
    Ok(sql::query_as(concat!(
        select_round!(),
        "WHERE coalition_id = ? AND opens_at <= ? ORDER BY opens_at DESC LIMIT 1"
    ))
    .bind(coalition)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// A round and its coalition, only if the coalition belongs to `guild`.
#[tracing::instrument(skip_all)]
pub async fn round_by_id(
    store: &Store,
    guild: GuildId,
    round: RoundId,
) -> Result<Option<(CheckinRound, Coalition)>> {
    let found: Option<CheckinRound> = sql::query_as(concat!(
        select_round!(),
        "WHERE id = ? AND coalition_id IN (SELECT id FROM coalitions WHERE guild_id = ?)"
    ))
    .bind(round)
    .bind(guild)
    .fetch_optional(store.pool())
    .await?;
    let Some(round) = found else { return Ok(None) };
    let coalition = super::coalitions::get(store.pool(), guild, round.coalition_id).await?;
    Ok(coalition.map(|c| (round, c)))
}

/// A round by id regardless of guild — for the scheduler, which works across guilds.
pub async fn round_any(store: &Store, round: RoundId) -> Result<Option<CheckinRound>> {
    Ok(sql::query_as(concat!(select_round!(), "WHERE id = ?"))
        .bind(round)
        .fetch_optional(store.pool())
        .await?)
}

/// `user`'s answer to `round`, if they have given one.
pub async fn answer(store: &Store, round: RoundId, user: UserId) -> Result<Option<Checkin>> {
    Ok(
        sql::query_as(concat!(select_checkin!(), "WHERE round_id = ? AND user_id = ?"))
            .bind(round)
            .bind(user)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// An answer to store; empty strings mean "nothing to say".
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub done: &'a str,
    pub next: &'a str,
    pub blockers: &'a str,
}

/// Stores `user`'s answer to `round`, replacing an earlier one. Returns the check-in id and the
/// answer it replaced (`None` when this is the first answer).
#[tracing::instrument(skip_all)]
pub async fn upsert_answer(
    tx: &mut Tx,
    round: &CheckinRound,
    user: UserId,
    answer: &Answer<'_>,
    now: i64,
) -> Result<(CheckinId, Option<Checkin>)> {
    let previous: Option<Checkin> =
        sql::query_as(concat!(select_checkin!(), "WHERE round_id = ? AND user_id = ?"))
            .bind(round.id)
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    let id: CheckinId = sql::query_scalar(
        "INSERT INTO checkins (round_id, coalition_id, user_id, done, next, blockers, submitted_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (round_id, user_id) DO UPDATE SET
             done = excluded.done, next = excluded.next, blockers = excluded.blockers,
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(round.id)
    .bind(round.coalition_id)
    .bind(user)
    .bind(answer.done)
    .bind(answer.next)
    .bind(answer.blockers)
    .bind(now)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, previous))
}

/// Someone who answered a round, as `/checkin status` shows them.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Answered {
    pub user_id: UserId,
    pub name: String,
    pub has_blockers: bool,
    pub submitted_at: i64,
    pub updated_at: i64,
}

/// Who answered `round`, earliest first (former members included, with a fallback name).
#[tracing::instrument(skip_all)]
pub async fn answered(store: &Store, round: &CheckinRound) -> Result<Vec<Answered>> {
    Ok(sql::query_as(concat!(
        "SELECT k.user_id, ",
        member_name!("m", "k.user_id"),
        " AS name,
                k.blockers <> '' AS has_blockers, k.submitted_at, k.updated_at
         FROM checkins k
         LEFT JOIN members m ON m.coalition_id = k.coalition_id AND m.user_id = k.user_id
         WHERE k.coalition_id = ? AND k.round_id = ?
         ORDER BY k.submitted_at, k.id"
    ))
    .bind(round.coalition_id)
    .bind(round.id)
    .fetch_all(store.pool())
    .await?)
}

/// Current members who have not answered `round`, by name.
#[tracing::instrument(skip_all)]
pub async fn missing_members(store: &Store, round: &CheckinRound) -> Result<Vec<(UserId, String)>> {
    Ok(sql::query_as(concat!(
        "SELECT m.user_id, ",
        member_name!("m", "m.user_id"),
        "
         FROM members m
         WHERE m.coalition_id = ?
           AND NOT EXISTS (SELECT 1 FROM checkins k WHERE k.round_id = ? AND k.user_id = m.user_id)
         ORDER BY lower(m.display_name), m.user_id"
    ))
    .bind(round.coalition_id)
    .bind(round.id)
    .fetch_all(store.pool())
    .await?)
}

/// Remembers the prompt message posted for a round (so its button can be found again).
/// Pass `store.pool()`, or `&mut *tx` to record it in the same step as the delivery.
pub async fn set_round_message(
    db: impl sql::Conn<'_>,
    round: RoundId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    sql::query("UPDATE checkin_rounds SET channel_id = ?, message_id = ? WHERE id = ?")
        .bind(channel)
        .bind(message)
        .bind(round)
        .execute(db)
        .await?;
    Ok(())
}
