//! Check-ins in the open: a coalition's check-in settings and versioned questions, the answer rows
//! keyed by question, and where a round's thread, summary and answer cards were posted.

use super::sql;
use crate::domain::checkin::{Question, ReportMode, default_questions};
use crate::domain::*;
use crate::error::Result;

use super::Tx;

/// A coalition's check-in settings (defaults when never set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckinSettings {
    pub report: ReportMode,
    /// Seconds before non-responders are nudged; `None` = the deployment default, `Some(0)` = off.
    pub nudge_after: Option<i64>,
}

/// The check-in settings of `coalition`.
pub async fn settings(db: impl sql::Conn<'_>, coalition: CoalitionId) -> Result<CheckinSettings> {
    let row: Option<(String, Option<i64>)> =
        sql::query_as("SELECT report, nudge_after FROM checkin_settings WHERE coalition_id = ?")
            .bind(coalition)
            .fetch_optional(db)
            .await?;
    Ok(match row {
        Some((report, nudge_after)) => CheckinSettings {
            report: ReportMode::parse(&report).unwrap_or_default(),
            nudge_after,
        },
        None => CheckinSettings::default(),
    })
}

/// Stores the check-in settings of `coalition`.
pub async fn set_settings(tx: &mut Tx, coalition: CoalitionId, s: CheckinSettings, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO checkin_settings (coalition_id, report, nudge_after, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (coalition_id) DO UPDATE SET report = excluded.report,
             nudge_after = excluded.nudge_after, updated_at = excluded.updated_at",
    )
    .bind(coalition)
    .bind(s.report.as_str())
    .bind(s.nudge_after)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The version of `coalition`'s current questions (0 = the defaults).
pub async fn questions_version(db: impl sql::Conn<'_>, coalition: CoalitionId) -> Result<i64> {
    Ok(
        sql::query_scalar("SELECT COALESCE(MAX(version), 0) FROM checkin_questions WHERE coalition_id = ?")
            .bind(coalition)
            .fetch_one(db)
            .await?,
    )
}

/// The questions of `version` (the defaults for version 0), in form order.
pub async fn questions(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    version: i64,
) -> Result<Vec<Question>> {
    if version == 0 {
        return Ok(default_questions());
    }
    let rows: Vec<(i64, String, bool)> = sql::query_as(
        "SELECT position, label, is_blocker FROM checkin_questions
         WHERE coalition_id = ? AND version = ? ORDER BY position",
    )
    .bind(coalition)
    .bind(version)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Ok(default_questions());
    }
    Ok(rows
        .into_iter()
        .map(|(position, label, is_blocker)| Question {
            position,
            label,
            is_blocker,
        })
        .collect())
}

/// Stores `questions` as the coalition's next version; returns it.
pub async fn add_questions(
    tx: &mut Tx,
    coalition: CoalitionId,
    questions: &[Question],
    now: i64,
) -> Result<i64> {
    let version = questions_version(&mut **tx, coalition).await? + 1;
    for q in questions {
        sql::query(
            "INSERT INTO checkin_questions (coalition_id, version, position, label, is_blocker, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(coalition)
        .bind(version)
        .bind(q.position)
        .bind(&q.label)
        .bind(q.is_blocker)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(version)
}

/// Replaces the answer rows of a check-in: `(position, text)`, empty answers left out.
pub async fn set_answers(tx: &mut Tx, checkin: CheckinId, answers: &[(i64, String)]) -> Result<()> {
    sql::query("DELETE FROM checkin_answers WHERE checkin_id = ?")
        .bind(checkin)
        .execute(&mut **tx)
        .await?;
    for (position, text) in answers.iter().filter(|(_, t)| !t.is_empty()) {
        sql::query("INSERT INTO checkin_answers (checkin_id, position, answer) VALUES (?, ?, ?)")
            .bind(checkin)
            .bind(position)
            .bind(text)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The answer rows of a check-in, `(position, text)` in form order.
pub async fn answers_of(db: impl sql::Conn<'_>, checkin: CheckinId) -> Result<Vec<(i64, String)>> {
    Ok(
        sql::query_as("SELECT position, answer FROM checkin_answers WHERE checkin_id = ? ORDER BY position")
            .bind(checkin)
            .fetch_all(db)
            .await?,
    )
}

/// A round with what was posted for it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundPosts {
    pub id: RoundId,
    pub coalition_id: CoalitionId,
    pub opens_at: i64,
    pub questions_version: i64,
    /// The prompt message (None for a round opened by an answer, or one not posted yet).
    pub channel_id: Option<ChannelId>,
    pub message_id: Option<MessageId>,
    pub thread_id: Option<ChannelId>,
    pub thread_failed: bool,
    pub summary_channel_id: Option<ChannelId>,
    pub summary_message_id: Option<MessageId>,
}

/// A round of `coalition` with its posts.
pub async fn round_posts(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    round: RoundId,
) -> Result<Option<RoundPosts>> {
    Ok(sql::query_as(
        "SELECT id, coalition_id, opens_at, questions_version, channel_id, message_id, thread_id,
                thread_failed, summary_channel_id, summary_message_id
         FROM checkin_rounds WHERE id = ? AND coalition_id = ?",
    )
    .bind(round)
    .bind(coalition)
    .fetch_optional(db)
    .await?)
}

/// Records the round's thread.
pub async fn set_thread(db: impl sql::Conn<'_>, round: RoundId, thread: ChannelId) -> Result<()> {
    sql::query("UPDATE checkin_rounds SET thread_id = ?, thread_failed = FALSE WHERE id = ?")
        .bind(thread)
        .bind(round)
        .execute(db)
        .await?;
    Ok(())
}

/// Records that the round's thread can't be used (never made, deleted, no permission): its posts go
/// to the home channel from now on.
pub async fn set_thread_failed(db: impl sql::Conn<'_>, round: RoundId) -> Result<()> {
    sql::query("UPDATE checkin_rounds SET thread_failed = TRUE WHERE id = ?")
        .bind(round)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the round's summary message.
pub async fn set_summary(
    db: impl sql::Conn<'_>,
    round: RoundId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    sql::query("UPDATE checkin_rounds SET summary_channel_id = ?, summary_message_id = ? WHERE id = ?")
        .bind(channel)
        .bind(message)
        .bind(round)
        .execute(db)
        .await?;
    Ok(())
}

/// Records where a check-in's card was posted.
pub async fn set_card(
    db: impl sql::Conn<'_>,
    checkin: CheckinId,
    channel: ChannelId,
    message: MessageId,
) -> Result<()> {
    sql::query("UPDATE checkins SET card_channel_id = ?, card_message_id = ? WHERE id = ?")
        .bind(channel)
        .bind(message)
        .bind(checkin)
        .execute(db)
        .await?;
    Ok(())
}

/// One member's answer to a round, with who they are and where its card is.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RoundAnswer {
    pub checkin_id: CheckinId,
    pub round_id: RoundId,
    pub user_id: UserId,
    pub name: String,
    pub org: Option<String>,
    pub blockers: String,
    pub submitted_at: i64,
    pub updated_at: i64,
    pub card_channel_id: Option<ChannelId>,
    pub card_message_id: Option<MessageId>,
    /// `(position, text)` in form order.
    #[sqlx(skip)]
    pub answers: Vec<(i64, String)>,
}

/// `SELECT … FROM checkins k …` with every column of [`RoundAnswer`] but its answers.
macro_rules! select_answer {
    () => {
        concat!(
            "SELECT k.id AS checkin_id, k.round_id, k.user_id,
        ",
            member_name!("m", "k.user_id"),
            " AS name, o.name AS org,
        k.blockers, k.submitted_at, k.updated_at, k.card_channel_id, k.card_message_id
     FROM checkins k
     LEFT JOIN members m ON m.coalition_id = k.coalition_id AND m.user_id = k.user_id
     LEFT JOIN orgs o ON o.id = m.org_id "
        )
    };
}

async fn with_answers(db: &super::sql::Db, mut rows: Vec<RoundAnswer>) -> Result<Vec<RoundAnswer>> {
    for r in &mut rows {
        r.answers = answers_of(db, r.checkin_id).await?;
    }
    Ok(rows)
}

/// One check-in of `coalition` with its answers.
pub async fn round_answer(
    db: &super::sql::Db,
    coalition: CoalitionId,
    checkin: CheckinId,
) -> Result<Option<RoundAnswer>> {
    let row: Option<RoundAnswer> =
        sql::query_as(concat!(select_answer!(), "WHERE k.coalition_id = ? AND k.id = ?"))
            .bind(coalition)
            .bind(checkin)
            .fetch_optional(db)
            .await?;
    Ok(with_answers(db, row.into_iter().collect()).await?.pop())
}

/// A page of a round's answers, earliest first, and how many there are in all.
pub async fn round_answers(
    db: &super::sql::Db,
    coalition: CoalitionId,
    round: RoundId,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<RoundAnswer>)> {
    let total: i64 =
        sql::query_scalar("SELECT COUNT(*) FROM checkins WHERE coalition_id = ? AND round_id = ?")
            .bind(coalition)
            .bind(round)
            .fetch_one(db)
            .await?;
    let rows: Vec<RoundAnswer> = sql::query_as(concat!(
        select_answer!(),
        "WHERE k.coalition_id = ? AND k.round_id = ?
         ORDER BY k.submitted_at, k.id LIMIT ? OFFSET ?"
    ))
    .bind(coalition)
    .bind(round)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    Ok((total, with_answers(db, rows).await?))
}

/// The round that opened just before `opens_at`, if any.
pub async fn previous_round(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    opens_at: i64,
) -> Result<Option<RoundId>> {
    Ok(sql::query_scalar(
        "SELECT id FROM checkin_rounds WHERE coalition_id = ? AND opens_at < ?
         ORDER BY opens_at DESC LIMIT 1",
    )
    .bind(coalition)
    .bind(opens_at)
    .fetch_optional(db)
    .await?)
}

/// The latest rounds of `coalition` opened by `now`, newest first: `(id, opens_at, answers)`.
pub async fn recent_rounds(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    now: i64,
    limit: i64,
) -> Result<Vec<(RoundId, i64, i64)>> {
    Ok(sql::query_as(
        "SELECT r.id, r.opens_at, (SELECT COUNT(*) FROM checkins k WHERE k.round_id = r.id)
         FROM checkin_rounds r WHERE r.coalition_id = ? AND r.opens_at <= ?
         ORDER BY r.opens_at DESC LIMIT ?",
    )
    .bind(coalition)
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Current members of `coalition` in display order, and those of them who answered `round`.
pub async fn roster(
    db: &super::sql::Db,
    coalition: CoalitionId,
    round: RoundId,
) -> Result<(Vec<(UserId, String)>, std::collections::HashSet<UserId>)> {
    let members: Vec<(UserId, String)> = sql::query_as(concat!(
        "SELECT user_id, ",
        member_name!("members", "user_id"),
        " FROM members
         WHERE coalition_id = ? ORDER BY lower(display_name), user_id"
    ))
    .bind(coalition)
    .fetch_all(db)
    .await?;
    let answered: Vec<UserId> =
        sql::query_scalar("SELECT user_id FROM checkins WHERE coalition_id = ? AND round_id = ?")
            .bind(coalition)
            .bind(round)
            .fetch_all(db)
            .await?;
    Ok((members, answered.into_iter().collect()))
}

/// Whether a delivery of `kind` about `subject` is still waiting to be sent (pending or sending).
pub async fn delivery_waiting(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    kind: &str,
    subject: i64,
) -> Result<bool> {
    Ok(sql::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deliveries WHERE coalition_id = ? AND kind = ? AND subject_id = ?
                          AND status IN ('pending', 'sending'))",
    )
    .bind(coalition)
    .bind(kind)
    .bind(subject)
    .fetch_one(db)
    .await?)
}

/// Whether an older delivery of `kind` about `subject` than `id` is still waiting to be sent: a
/// post about the same card or summary goes after it, so the message is posted once, then edited.
pub async fn older_waiting(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    kind: &str,
    subject: i64,
    id: DeliveryId,
) -> Result<bool> {
    Ok(sql::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deliveries WHERE coalition_id = ? AND kind = ? AND subject_id = ?
                          AND id < ? AND status IN ('pending', 'sending'))",
    )
    .bind(coalition)
    .bind(kind)
    .bind(subject)
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Deliveries of `kind` about `subject`: whether one is still pending (not yet claimed), and how
/// many there have been in all.
pub async fn queued_posts(
    db: impl sql::Conn<'_>,
    coalition: CoalitionId,
    kind: &str,
    subject: i64,
) -> Result<(bool, i64)> {
    Ok(sql::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) > 0, COUNT(*) FROM deliveries
         WHERE coalition_id = ? AND kind = ? AND subject_id = ?",
    )
    .bind(coalition)
    .bind(kind)
    .bind(subject)
    .fetch_one(db)
    .await?)
}
