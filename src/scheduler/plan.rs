//! Planning: turn what has come due (schedule occurrences, nudge times, ping stages) into
//! `deliveries` rows with unique dedupe keys, then move each `next_*` time past `now`. Every row a
//! planning query returns is moved or cleared, so the loop ends and an idle tick is an index probe.

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use tracing::Instrument;

use super::SchedulerSettings;
use crate::domain::schedule::Schedule;
use crate::domain::{pings, *};
use crate::error::Result;
use crate::store::deliveries::{self, NewDelivery, Target};
use crate::store::payload::{Closing, Opens, Payload, Period, Ping};
use crate::store::{self, Store, Tx};

/// What one tick planned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub checkins: usize,
    pub digests: usize,
    pub nudges: usize,
    pub pings: usize,
    /// Occurrences that were missed by more than the grace window and skipped.
    pub skipped: usize,
}

/// Plans everything that has come due by `now`. Safe to run twice or concurrently: inserts are
/// idempotent by dedupe key and each step runs in one write transaction.
pub async fn tick(store: &Store, settings: &SchedulerSettings, now: DateTime<Utc>) -> Result<TickReport> {
    let span = tracing::info_span!("tick", now = %now);
    async {
        let mut report = TickReport::default();
        let now_s = now.timestamp();
        // Meetings whose time passed unheld: their series moves on.
        let missed = crate::actions::meetings::pass_missed(store, now).await?;
        if missed > 0 {
            tracing::info!(missed, "meetings passed without being held");
        }
        let reminders =
            crate::actions::meetings::plan_reminders(store, now, settings.meeting_reminder, settings.batch)
                .await?;
        if reminders > 0 {
            tracing::info!(reminders, "meeting reminders planned");
        }
        if !store::schedule::anything_due(store, now_s).await? {
            return Ok(report);
        }
        // Check-ins before nudges: a round that closes at this instant gets no late nudges.
        while plan_checkins(store, settings, now, &mut report).await? {}
        while plan_digests(store, settings, now, &mut report).await? {}
        while plan_nudges(store, settings, now_s, &mut report).await? {}
        while plan_task_pings(store, settings, now_s, &mut report).await? {}
        while plan_deadline_pings(store, settings, now_s, &mut report).await? {}
        if report != TickReport::default() {
            tracing::info!(?report, "planned");
        }
        Ok(report)
    }
    .instrument(span)
    .await
}

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The occurrence to send now, if any: the latest one in `[next_at, now]`, if within the grace window.
fn occurrence(
    schedule: &Schedule,
    next_at: i64,
    now: DateTime<Utc>,
    grace: i64,
    c: &Coalition,
) -> Option<i64> {
    let latest = schedule
        .latest_at_or_before(now, at(next_at - 1), c.tz())
        .map(|t| t.timestamp());
    // The stored time is itself an occurrence (unless the schedule changed since): trust it when
    // the schedule finds nothing later.
    let latest = latest.unwrap_or(next_at).max(next_at);
    (now.timestamp() - latest <= grace).then_some(latest)
}

/// Returns whether a full batch was processed (so there may be more).
async fn plan_checkins(
    store: &Store,
    s: &SchedulerSettings,
    now: DateTime<Utc>,
    r: &mut TickReport,
) -> Result<bool> {
    let now_s = now.timestamp();
    let mut tx = store.write().await?;
    let due = store::schedule::due_checkins(&mut tx, now_s, s.batch).await?;
    for c in &due {
        let schedule = Schedule::parse(&c.checkin_schedule).ok();
        let next_at = c.next_checkin_at.unwrap_or(now_s);
        match schedule
            .as_ref()
            .and_then(|sch| occurrence(sch, next_at, now, s.grace, c))
        {
            Some(opens_at) => {
                let cs = store::checkin_posts::settings(&mut *tx, c.id).await?;
                let nudge_at = match cs.nudge_after.unwrap_or(s.nudge_after) {
                    0 => None,
                    after => Some(opens_at + after),
                };
                let previous = store::checkin_posts::previous_round(&mut *tx, c.id, opens_at).await?;
                let round = store::checkins::open_round(&mut tx, c.id, opens_at, nudge_at, now_s).await?;
                if let Some(prev) = previous.filter(|p| *p != round && cs.report.is_public()) {
                    // The next round closes the previous one with a summary in its thread.
                    let close = NewDelivery {
                        coalition: c.id,
                        dedupe_key: format!("close:{prev}"),
                        target: Target::Channel(c.home_channel_id),
                        subject_id: Some(prev.0),
                        payload: Payload::CheckinClose(Closing {
                            round_id: prev,
                            closed_by: round,
                        }),
                        due_at: opens_at,
                    };
                    deliveries::enqueue(&mut tx, &close, now_s).await?;
                }
                let d = NewDelivery {
                    coalition: c.id,
                    dedupe_key: format!("checkin:{}:{opens_at}", c.id),
                    target: Target::Channel(c.home_channel_id),
                    subject_id: Some(round.0),
                    payload: Payload::CheckinPrompt(Opens { opens_at }),
                    due_at: opens_at,
                };
                r.checkins += usize::from(deliveries::enqueue(&mut tx, &d, now_s).await?);
            }
            None => r.skipped += 1,
        }
        let next = schedule
            .and_then(|sch| sch.next_after(now, c.tz()))
            .map(|t| t.timestamp());
        store::schedule::set_next_checkin(&mut tx, c.id, next).await?;
    }
    tx.commit().await?;
    Ok(due.len() as i64 == s.batch)
}

async fn plan_digests(
    store: &Store,
    s: &SchedulerSettings,
    now: DateTime<Utc>,
    r: &mut TickReport,
) -> Result<bool> {
    let now_s = now.timestamp();
    let mut tx = store.write().await?;
    let due = store::schedule::due_digests(&mut tx, now_s, s.batch).await?;
    for c in &due {
        let schedule = Schedule::parse(&c.digest_schedule).ok();
        let next_at = c.next_digest_at.unwrap_or(now_s);
        match schedule
            .as_ref()
            .and_then(|sch| occurrence(sch, next_at, now, s.grace, c))
        {
            Some(occ) => {
                let d = NewDelivery {
                    coalition: c.id,
                    dedupe_key: format!("digest:{}:{occ}", c.id),
                    target: Target::Channel(c.home_channel_id),
                    subject_id: None,
                    // The period is fixed now: from the previous occurrence up to this one.
                    payload: {
                        let (from, to) = crate::actions::digest::period(c, occ);
                        Payload::Digest(Period {
                            from,
                            to,
                            at: Some(occ),
                            requested_by: None,
                        })
                    },
                    due_at: occ,
                };
                r.digests += usize::from(crate::actions::digest::queue(&mut tx, c, &d, now_s).await?);
            }
            None => r.skipped += 1,
        }
        let next = schedule
            .and_then(|sch| sch.next_after(now, c.tz()))
            .map(|t| t.timestamp());
        store::schedule::set_next_digest(&mut tx, c.id, next).await?;
    }
    tx.commit().await?;
    Ok(due.len() as i64 == s.batch)
}

async fn plan_nudges(store: &Store, s: &SchedulerSettings, now: i64, r: &mut TickReport) -> Result<bool> {
    let mut tx = store.write().await?;
    let due = store::schedule::due_nudges(&mut tx, now, s.batch).await?;
    for n in &due {
        // A closed round, an archived coalition or a nudge time long past: nobody wants it now.
        if !n.archived && !n.superseded && now - n.nudge_at <= s.grace {
            for user in store::schedule::unanswered(&mut tx, n.coalition_id, n.round_id).await? {
                // Away members are not nudged (nor counted as missing).
                if store::people::is_away(&mut tx, n.coalition_id, user, now).await? {
                    continue;
                }
                let d = NewDelivery {
                    coalition: n.coalition_id,
                    dedupe_key: format!("nudge:{}:{user}", n.round_id),
                    target: Target::User(user),
                    subject_id: Some(n.round_id.0),
                    payload: Payload::Nudge(Opens { opens_at: n.opens_at }),
                    due_at: n.nudge_at,
                };
                r.nudges += usize::from(deliveries::enqueue(&mut tx, &d, now).await?);
            }
        } else {
            r.skipped += 1;
        }
        store::schedule::clear_nudge(&mut tx, n.round_id).await?;
    }
    tx.commit().await?;
    Ok(due.len() as i64 == s.batch)
}

/// Which thing a ping is about.
#[derive(Clone, Copy)]
enum Subject {
    Task,
    Deadline,
}

async fn plan_task_pings(store: &Store, s: &SchedulerSettings, now: i64, r: &mut TickReport) -> Result<bool> {
    let mut tx = store.write().await?;
    let due = store::schedule::due_task_pings(&mut tx, now, s.batch).await?;
    for p in &due {
        let next = plan_ping(&mut tx, Subject::Task, p, now, r).await?;
        store::schedule::set_task_next_ping(&mut tx, TaskId(p.id), next).await?;
    }
    tx.commit().await?;
    Ok(due.len() as i64 == s.batch)
}

async fn plan_deadline_pings(
    store: &Store,
    s: &SchedulerSettings,
    now: i64,
    r: &mut TickReport,
) -> Result<bool> {
    let mut tx = store.write().await?;
    let due = store::schedule::due_deadline_pings(&mut tx, now, s.batch).await?;
    for p in &due {
        let next = plan_ping(&mut tx, Subject::Deadline, p, now, r).await?;
        store::schedule::set_deadline_next_ping(&mut tx, DeadlineId(p.id), next).await?;
    }
    tx.commit().await?;
    Ok(due.len() as i64 == s.batch)
}

/// Queues the latest ping stage that has come (earlier missed stages are not sent: the latest
/// says more) and returns the next ping time.
async fn plan_ping(
    tx: &mut Tx,
    subject: Subject,
    p: &store::schedule::DuePing,
    now: i64,
    r: &mut TickReport,
) -> Result<Option<i64>> {
    let Some(due_at) = p.due_at.filter(|_| !p.closed && !p.archived) else {
        return Ok(None);
    };
    let offsets = pings::parse_offsets(&p.ping_offsets).unwrap_or_else(|_| vec![72 * 3600, 24 * 3600]);
    if let Some((stage, offset)) = pings::latest_stage_at_or_before(due_at, &offsets, now) {
        let mut users = store::schedule::lead_ids(tx, p.coalition_id).await?;
        if let Some(a) = p.assignee_id {
            users.insert(0, a);
        }
        let mut seen = std::collections::HashSet::new();
        let (ping, name): (fn(Ping) -> Payload, _) = match subject {
            Subject::Task => (Payload::TaskPing, "task"),
            Subject::Deadline => (Payload::DeadlinePing, "deadline"),
        };
        for user in users.into_iter().filter(|u| seen.insert(*u)) {
            // No deadline DMs while away: an away assignee's pings go to the leads only.
            if store::people::is_away(tx, p.coalition_id, user, now).await? {
                continue;
            }
            let d = NewDelivery {
                coalition: p.coalition_id,
                dedupe_key: format!("ping:{name}:{}:{due_at}:{offset}:u{user}", p.id),
                target: Target::User(user),
                subject_id: Some(p.id),
                payload: ping(Ping { due_at, offset }),
                due_at: stage,
            };
            r.pings += usize::from(deliveries::enqueue(tx, &d, now).await?);
        }
    }
    Ok(pings::next_ping_at(due_at, &offsets, now))
}
