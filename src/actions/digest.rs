//! The weekly digest: built from the store for the scheduler, the CLI and `/digest` commands.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, ts};
use crate::domain::digest::{self as d, Digest, DigestBlocker, DigestDue, DueKind};
use crate::domain::schedule::Schedule;
use crate::domain::{text, *};
use crate::error::{Error, Result};
use crate::store::deliveries::{self, NewDelivery, Target};
use crate::store::payload::{Payload, Period};
use crate::store::{self, Store, period};

/// The period a digest covers when its schedule can't tell (no earlier occurrence in a year).
pub const FALLBACK_PERIOD_SECONDS: i64 = 7 * 86_400;

/// The period a digest ending at `end` covers: from the previous occurrence of the coalition's
/// digest schedule (strictly before `end`, in its time zone, so exact around DST) up to `end`.
pub fn period(coalition: &Coalition, end: i64) -> (i64, i64) {
    let at = |s: i64| chrono::TimeZone::timestamp_opt(&Utc, s, 0).single();
    let start = Schedule::parse(&coalition.digest_schedule).ok().and_then(|sch| {
        let (before, since) = (at(end - 1)?, at(end - 400 * 86_400)?);
        sch.latest_at_or_before(before, since, coalition.tz())
    });
    (
        start.map_or(end - FALLBACK_PERIOD_SECONDS, |s| s.timestamp()),
        end,
    )
}

/// The bounds of the chart's `periods` periods of wins, oldest first, ending with `[start, end]`:
/// the earlier ones are the digest schedule's own periods (a week for a weekly digest, whatever
/// this one's length — a preview three days into the week still has whole weeks before it), or
/// periods of this one's length when the schedule can't tell.
pub fn chart_bounds(coalition: &Coalition, start: i64, end: i64, periods: usize) -> Vec<i64> {
    let mut bounds = vec![end, start];
    let schedule = Schedule::parse(&coalition.digest_schedule).ok();
    let at = |s: i64| chrono::TimeZone::timestamp_opt(&Utc, s, 0).single();
    while bounds.len() <= periods {
        let from = *bounds.last().expect("two bounds at least");
        let earlier = schedule.as_ref().and_then(|sch| {
            let (before, since) = (at(from - 1)?, at(from - 400 * 86_400)?);
            sch.latest_at_or_before(before, since, coalition.tz())
        });
        let previous = earlier.map_or(from - (end - start).max(1), |t| t.timestamp());
        bounds.push(previous.min(from - 1));
    }
    bounds.reverse();
    bounds
}

/// The digest of `coalition` for the period of its schedule up to `now` (see [`period`]). No
/// permission check: the scheduler and the CLI call it directly.
pub async fn build(store: &Store, coalition: &Coalition, now: DateTime<Utc>) -> Result<Digest> {
    let (start, end) = period(coalition, ts(now));
    build_period(store, coalition, start, end).await
}

/// The digest of `coalition` for `[start, end)` (UTC seconds): a scheduled digest's period is
/// fixed when it is planned, so a retry covers the same period.
#[tracing::instrument(skip_all, fields(coalition = %coalition.id))]
pub async fn build_period(store: &Store, coalition: &Coalition, start: i64, end: i64) -> Result<Digest> {
    let id = coalition.id;
    let items = d::MAX_ITEMS as i64;

    let window = period::Window::new(start, end);
    let wins_count = period::wins(store, id, window).await?;
    let bounds = chart_bounds(coalition, start, end, d::WIN_PERIODS);
    let wins_per_period = period::wins_per_period(store, id, &bounds).await?;
    let wins = store::digest::recent_wins(store, id, start, end, items).await?;
    let top_contributors =
        store::digest::top_contributors(store, id, start, end, d::MAX_CONTRIBUTORS as i64).await?;
    let tasks_completed = period::completed(store, id, window).await?;
    let tasks_cancelled = period::cancelled(store, id, window).await?;
    let overdue_count = period::overdue(store, id, end).await?;
    let overdue = store::digest::overdue(store, id, end, items).await?;

    let until = end + d::UPCOMING_DAYS * 86_400;
    let (tasks_due, task_rows) = store::digest::tasks_due(store, id, end, until, items).await?;
    let (milestones_due, milestone_rows) =
        store::digest::milestones_due(store, id, end, until, items).await?;
    let mut upcoming: Vec<DigestDue> = milestone_rows
        .into_iter()
        .map(|r| (DueKind::Milestone, r))
        .chain(task_rows.into_iter().map(|r| (DueKind::Task, r)))
        .map(|(kind, (number, title, who, due_at))| DigestDue {
            kind,
            number,
            title,
            who,
            due_at,
        })
        .collect();
    // Milestones first on the same instant: they are what the tasks work toward.
    upcoming.sort_by_key(|u| (u.due_at, u.kind != DueKind::Milestone, u.number));
    upcoming.truncate(d::MAX_ITEMS);

    let (goals_active, mut goals) = store::digest::active_goals(store, id, d::MAX_GOALS as i64).await?;
    for g in &mut goals {
        g.fraction = g
            .target
            .filter(|t| *t > 0.0)
            .map(|t| (g.current / t).clamp(0.0, 1.0));
    }

    let round = store::checkins::current_round(store, id, end).await?;
    let participation = match &round {
        Some(r) => {
            let p = super::checkin_posts::participation(store, id, r.id, end)
                .await?
                .participation;
            Some(d::Participation {
                round_id: r.id,
                opens_at: r.opens_at,
                answered: p.answered.len() as i64,
                members: p.expected() as i64,
                away: p.away.len() as i64,
                figure: p.figure(),
            })
        }
        None => None,
    };

    let (blocked_count, blocked) = store::digest::blocked_tasks(store, id, items).await?;
    let (checkin_count, checkin_blockers) = match &round {
        Some(r) => store::digest::checkin_blockers(store, id, r.id, items).await?,
        None => (0, Vec::new()),
    };
    let mut blockers: Vec<DigestBlocker> = blocked
        .into_iter()
        .map(|(number, title, who, reason)| DigestBlocker {
            source: d::BlockerSource::Task { number, title },
            who,
            reason: text::truncate(&reason, 300),
        })
        .chain(checkin_blockers.into_iter().map(|(who, reason)| DigestBlocker {
            source: d::BlockerSource::Checkin,
            who: Some(who),
            reason: text::truncate(&reason, 300),
        }))
        .collect();
    blockers.truncate(d::MAX_ITEMS);

    let away = store::people::away_members(store, id, end)
        .await?
        .into_iter()
        .take(d::MAX_ITEMS)
        .map(|a| d::DigestAway {
            who: a.display_name,
            until: a.until,
        })
        .collect();
    let (feedback_new, feedback_acknowledged) = store::feedback::period_counts(store, id, start, end).await?;
    let advocacy = super::outreach::digest_part(store, id, start, end).await?;

    Ok(Digest {
        coalition_id: id,
        coalition: coalition.name.clone(),
        timezone: coalition.timezone.clone(),
        period_start: start,
        period_end: end,
        wins_count,
        wins_per_period,
        wins,
        tasks_completed,
        tasks_cancelled,
        overdue_count,
        overdue,
        upcoming_count: tasks_due + milestones_due,
        upcoming,
        goals_active,
        goals,
        participation,
        blockers_count: blocked_count + checkin_count,
        blockers,
        top_contributors,
        away,
        feedback_new,
        feedback_acknowledged,
        checkin_blockers_count: checkin_count,
        blockers_for_leads: 0,
        advocacy,
        meetings: store::meetings::digest_summary(store, id, end, d::MAX_ITEMS as i64).await?,
    })
}

/// The digest of `coalition` for `[start, end)` as `reader` may read it: the leads' view for a
/// lead, else the public one (which obeys the check-in report mode).
pub async fn build_for(
    store: &Store,
    coalition: &Coalition,
    start: i64,
    end: i64,
    reader: Reader,
) -> Result<Digest> {
    let digest = build_period(store, coalition, start, end).await?;
    if reader == Reader::Lead {
        return Ok(digest);
    }
    let answers_public = store::checkin_posts::settings(store.pool(), coalition.id)
        .await?
        .report
        .is_public();
    Ok(digest.public(answers_public))
}

/// `/digest preview` (anyone): the digest since the schedule's last occurrence, as it would be
/// sent now — the public digest, or for a lead the leads' view with what the public one leaves out.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn preview(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<Digest> {
    let scope = super::scope(store, actor, coalition).await?;
    let reader = if scope.is_lead() {
        Reader::Lead
    } else if scope.member.is_some() {
        Reader::Member
    } else {
        Reader::Outsider
    };
    let (start, end) = period(&scope.coalition, ts(now));
    build_for(store, &scope.coalition, start, end, reader).await
}

/// The digest was queued for the home channel.
#[derive(Debug, Clone, Serialize)]
pub struct DigestQueued {
    pub coalition_name: String,
    pub channel: ChannelId,
    /// When it goes out (UTC seconds): now.
    pub due_at: i64,
}

/// `/digest send` (lead): queues the digest for the home channel now.
#[tracing::instrument(skip_all, fields(guild = %actor.guild, user = %actor.user))]
pub async fn send(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    coalition: Option<&str>,
) -> Result<DigestQueued> {
    let scope = super::scope(store, actor, coalition).await?;
    scope.require_lead()?;
    let c = &scope.coalition;
    let now_s = ts(now);
    // The period is fixed now, so a retry later covers the same one.
    let (from, to) = period(c, now_s);
    let delivery = NewDelivery {
        coalition: c.id,
        dedupe_key: format!("digest:manual:{}:{now_s}", c.id),
        target: Target::Channel(c.home_channel_id),
        subject_id: None,
        payload: Payload::Digest(Period {
            from,
            to,
            at: None,
            requested_by: Some(actor.user),
        }),
        due_at: now_s,
    };
    let mut tx = store.write().await?;
    queue(&mut tx, c, &delivery, now_s).await?;
    let channel = c.home_channel_id.to_string();
    store::record_event(
        &mut tx,
        c.id,
        actor.user,
        "digest.send",
        &channel,
        "manual",
        now_s,
    )
    .await?;
    tx.commit().await?;
    Ok(DigestQueued {
        coalition_name: c.name.clone(),
        channel: c.home_channel_id,
        due_at: now_s,
    })
}

/// Queues the digest `public` (to the home channel) and, beside it, its leads' part: to the
/// leads' channel if the coalition has one, else to each lead by DM. The leads' part is rendered
/// when sent and dropped if the period holds nothing only leads may read. Returns whether the
/// digest was new.
pub async fn queue(tx: &mut store::Tx, c: &Coalition, public: &NewDelivery, now: i64) -> Result<bool> {
    let new = deliveries::enqueue(tx, public, now).await?;
    let Payload::Digest(period) = public.payload else {
        return Err(crate::error::Error::internal("digest::queue takes a digest"));
    };
    let leads_part = Payload::DigestLeads(period);
    let key = format!("{}:leads", public.dedupe_key);
    match c.leads_channel_id {
        Some(channel) => {
            let leads = NewDelivery {
                dedupe_key: key,
                target: Target::Channel(channel),
                payload: leads_part,
                ..public.clone()
            };
            deliveries::enqueue(tx, &leads, now).await?;
        }
        None => {
            deliveries::enqueue_to_leads(tx, c.id, &key, None, &leads_part, None, now).await?;
        }
    }
    Ok(new)
}

/// The coalition named `name` in `guild`, for `backbone digest --preview` and `backbone export`.
pub async fn find_for_cli(store: &Store, guild: GuildId, name: &str) -> Result<Coalition> {
    if let Some(c) = store::coalitions::find_by_name(store.pool(), guild, name).await? {
        return Ok(c);
    }
    let all = store::coalitions::list_in_guild(store, guild).await?;
    if all.is_empty() {
        return Err(Error::user(format!(
            "No coalition named `{name}` — guild {guild} has no coalitions; check the guild id."
        )));
    }
    let names: Vec<String> = all.iter().map(|c| format!("`{}`", c.name)).collect();
    Err(Error::user(format!(
        "No coalition named `{name}` in guild {guild} — choose one of: {}.",
        names.join(", ")
    )))
}
