//! What a delivery says, decided when it is sent: from current data, so a task finished or a
//! deadline moved since planning cancels its ping, and a renamed task shows its new title.

use chrono::{DateTime, Utc};

use super::route::Places;
use crate::domain::message::Message;
use crate::domain::*;
use crate::error::Result;
use crate::render::{digest as render_digest, scheduled as render};
use crate::store::deliveries::{Delivery, Target};
use crate::store::payload::{Blocker, Payload};
use crate::store::{self, Store};

/// The outcome of rendering a delivery.
pub(crate) enum Content {
    /// Send `msg` to `target`; for a check-in prompt, `round` records the message on the round.
    /// `places` are the coalition's channels, where what stands in for a DM that can't go may go
    /// (see `route`).
    Send {
        target: Target,
        msg: Message,
        round: Option<RoundId>,
        places: Places,
    },
    /// Not wanted any more; the reason is kept in `last_error`.
    Cancel(String),
    /// Not yet: look again at this time (UTC seconds) without counting a failure.
    Later(i64),
    /// Start a thread named `name` on the prompt `message` in `channel`.
    Thread {
        channel: ChannelId,
        message: MessageId,
        name: String,
        round: RoundId,
    },
    /// Post a round's card or summary, or edit it in place.
    Upsert(super::posts::Upsert),
}

fn cancel(why: &str) -> Result<Content> {
    Ok(Content::Cancel(why.to_string()))
}

/// Renders `d`, which carries `payload`, from current data as of `now`.
pub(crate) async fn render(
    store: &Store,
    d: &Delivery,
    payload: &Payload,
    now: DateTime<Utc>,
) -> Result<Content> {
    let now_s = now.timestamp();
    let Some(c) = store::coalitions::get_any(store, d.coalition_id).await? else {
        return cancel("coalition deleted");
    };
    if c.archived_at.is_some() && !matches!(payload, Payload::ChannelWarning(_)) {
        return cancel("coalition archived");
    }
    // A DM shows times in its reader's own zone when they set one (`/me settings timezone:`).
    let tz = match d.target() {
        Target::User(u) => store::people::of_member(store, c.id, u)
            .await?
            .tz()
            .unwrap_or_else(|| c.tz()),
        Target::Channel(_) => c.tz(),
    };
    let subject = d.subject_id.unwrap_or(0);
    let target = d.target();
    let user = match target {
        Target::User(u) => Some(u),
        Target::Channel(_) => None,
    };
    // Channel posts follow the home channel if a lead moved it after planning.
    let home = Target::Channel(c.home_channel_id);
    let places = Places::of(&c);
    let send = |target: Target, msg: Message| {
        Ok(Content::Send {
            target,
            msg,
            round: None,
            places,
        })
    };

    match payload {
        Payload::CheckinPrompt(_) => {
            let round = RoundId(subject);
            let Some(r) = store::checkins::round_any(store, round).await? else {
                return cancel("round deleted");
            };
            if !store::schedule::round_is_current(store, c.id, round, now_s).await? {
                return cancel("a later round has opened");
            }
            let msg = render::checkin_prompt(&c.name, round, r.opens_at, r.nudge_at, tz);
            Ok(Content::Send {
                target: home,
                msg,
                round: Some(round),
                places,
            })
        }
        Payload::Nudge(_) => {
            let (round, Some(user)) = (RoundId(subject), user) else {
                return cancel("not a DM");
            };
            let Some(r) = store::checkins::round_any(store, round).await? else {
                return cancel("round deleted");
            };
            if !store::schedule::round_is_current(store, c.id, round, now_s).await? {
                return cancel("the round has closed");
            }
            if store::schedule::role_of(store, c.id, user).await?.is_none() {
                return cancel("no longer a member");
            }
            if store::checkins::answer(store, round, user).await?.is_some() {
                return cancel("already answered");
            }
            send(target, render::nudge(&c.name, round, r.opens_at, tz))
        }
        Payload::TaskPing(ping) => {
            let Some(user) = user else {
                return cancel("not a DM");
            };
            let Some(task) = store::tasks::get(store, c.id, TaskId(subject)).await? else {
                return cancel("task deleted");
            };
            match task.status {
                TaskStatus::Done => return cancel("task done"),
                TaskStatus::Cancelled => return cancel("task cancelled"),
                _ => {}
            }
            if task.due_at != Some(ping.due_at) {
                return cancel("due date moved");
            }
            let lead = store::schedule::role_of(store, c.id, user).await? == Some(Role::Lead);
            if task.assignee_id != Some(user) && !lead {
                return cancel("no longer assignee or lead");
            }
            let assignee = match task.assignee_id {
                Some(a) => Some(store::schedule::display_name(store, c.id, a).await?),
                None => None,
            };
            send(
                target,
                render::task_ping(&c.name, &task, assignee.as_deref(), ping.offset, tz),
            )
        }
        Payload::DeadlinePing(ping) => {
            let Some(user) = user else {
                return cancel("not a DM");
            };
            let Some(dl) = store::deadlines::get(store, c.id, DeadlineId(subject)).await? else {
                return cancel("deadline deleted");
            };
            if dl.is_met() {
                return cancel("deadline met");
            }
            if dl.due_at != ping.due_at {
                return cancel("due date moved");
            }
            if store::schedule::role_of(store, c.id, user).await? != Some(Role::Lead) {
                return cancel("no longer a lead");
            }
            send(
                target,
                render::deadline_ping(&c.name, dl.id, dl.number, &dl.title, dl.due_at, ping.offset, tz),
            )
        }
        Payload::BlockerAlert(blocker) => {
            let Some(lead) = user else {
                return cancel("not a DM");
            };
            if store::schedule::role_of(store, c.id, lead).await? != Some(Role::Lead) {
                return cancel("no longer a lead");
            }
            // Alerts queued before leads who raise a blocker were left out of their own alert.
            if blocker.raised_by() == lead {
                return cancel("raised by this lead");
            }
            if let Blocker::Checkin {
                round_id, user_id, ..
            } = blocker
            {
                let answer = store::checkins::answer(store, *round_id, *user_id).await?;
                let Some(answer) = answer.filter(|a| !a.blockers.trim().is_empty()) else {
                    return cancel("blocker withdrawn");
                };
                let name = store::schedule::display_name(store, c.id, *user_id).await?;
                return send(
                    target,
                    render::blocker_alert_checkin(&c.name, &name, *user_id, &answer.blockers),
                );
            }
            let Some(task) = store::tasks::get(store, c.id, TaskId(subject)).await? else {
                return cancel("task deleted");
            };
            if task.status != TaskStatus::Blocked {
                return cancel("no longer blocked");
            }
            let who = match task.assignee_id {
                Some(a) => Some(store::schedule::display_name(store, c.id, a).await?),
                None => None,
            };
            send(
                target,
                render::blocker_alert_task(&c.name, &task, who.as_deref(), tz),
            )
        }
        Payload::Digest(period) => {
            // The period was fixed when the digest was planned (or queued), so a retry doesn't move it.
            let digest =
                crate::actions::digest::build_for(store, &c, period.from, period.to, Reader::Outsider)
                    .await?;
            send(home, render_digest::digest(&digest))
        }
        Payload::DigestLeads(period) => {
            if let Some(lead) = user
                && store::schedule::role_of(store, c.id, lead).await? != Some(Role::Lead)
            {
                return cancel("no longer a lead");
            }
            let digest =
                crate::actions::digest::build_for(store, &c, period.from, period.to, Reader::Lead).await?;
            match render_digest::leads_part(&digest) {
                Some(msg) => send(target, msg),
                None => cancel("nothing only the leads may read"),
            }
        }
        Payload::TaskAssigned(by) => {
            let Some(user) = user else {
                return cancel("not a DM");
            };
            let Some(task) = store::tasks::get(store, c.id, TaskId(subject)).await? else {
                return cancel("task deleted");
            };
            match task.status {
                TaskStatus::Done => return cancel("task done"),
                TaskStatus::Cancelled => return cancel("task cancelled"),
                _ => {}
            }
            if task.assignee_id != Some(user) {
                return cancel("reassigned");
            }
            let by = Some(by.by_name.as_str()).filter(|b| !b.is_empty());
            send(target, render::task_assigned(&c.name, &task, by, tz))
        }
        Payload::WinCelebration => {
            let Some(win) = store::wins::get(store, c.id, WinId(subject)).await? else {
                return cancel("win deleted");
            };
            let who = store::schedule::display_name(store, c.id, win.user_id).await?;
            let goal = match win.goal_id {
                Some(g) => store::schedule::goal_progress(store, c.id, g).await?,
                None => None,
            };
            let goal = goal
                .as_ref()
                .map(|(title, current, target, unit)| render::WinGoal {
                    title,
                    current: *current,
                    target: *target,
                    unit: unit.as_deref(),
                });
            send(
                home,
                render::win_celebration(&c.name, &who, &win.text, win.amount, goal),
            )
        }
        Payload::ChannelWarning(w) => send(
            target,
            render::channel_warning(&c.name, w.channel_id, w.code, &w.error),
        ),
        Payload::CheckinThread(_)
        | Payload::CheckinCard(_)
        | Payload::CheckinSummary(_)
        | Payload::CheckinClose(_) => super::posts::render(store, &c, d, payload.kind(), now).await,
        Payload::FeedbackToLead | Payload::FeedbackAck => super::people::feedback_content(store, &c, d).await,
        Payload::MeetingReminder(_) | Payload::MeetingMinutes | Payload::MeetingCancelled => {
            super::meetings::content(store, &c, d, payload, now).await
        }
        // Handled before rendering (see `deliver`); never a message.
        Payload::TaskRepeat | Payload::MeetingEvent(_) | Payload::MeetingPost | Payload::MeetingThread => {
            cancel("not a message")
        }
    }
}
