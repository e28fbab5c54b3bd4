//! Sending one claimed delivery: render it from current data, apply its reader's preferences and
//! where its audience may go (`route`), send it at the pacer's pace (a 429 waited out in line) and
//! record what happened. A [`Sender`] holds what every send needs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::Instrument;

use super::content::{self, Content};
use super::deliver::{Step, nonce};
use super::outcome::{Outcome, cancelled, lost, record, sane_retry_after, timed, transient};
use super::pace::{InLine, MAX_LIMITS_IN_LINE, Pacer, Wait, wait_plan};
use super::pointer::Pointer;
use super::route::{self, InsteadOfDm, NoDm};
use super::{Notifier, SchedulerSettings, SendError};
use crate::clock::Clock;
use crate::domain::message::Message;
use crate::domain::*;
use crate::error::Result;
use crate::store::deliveries::{self, Delivery, Target};
use crate::store::payload::Payload;
use crate::store::{self, Store};

/// What every send of one [`super::deliver_until`] round needs: the store, the notifier, the
/// settings, the clock, the pacer, the line of 429s waited out, and whether to stop.
pub(crate) struct Sender<'a, N> {
    pub store: &'a Store,
    pub notifier: &'a N,
    pub settings: &'a SchedulerSettings,
    pub clock: &'a dyn Clock,
    pub pacer: &'a Pacer,
    pub line: &'a InLine,
    pub stopped: &'a (dyn Fn() -> bool + Sync),
}

impl<N> Clone for Sender<'_, N> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<N> Copy for Sender<'_, N> {}

impl<N: Notifier> Sender<'_, N> {
    /// Sends one claimed delivery and records what happened, in its own span.
    pub(super) async fn one(&self, d: Delivery) -> Step {
        let Sender { store, stopped, .. } = *self;
        if stopped() {
            return Step::Done(match deliveries::release(store, &[(d.id, d.claim_token)]).await {
                Ok(()) => Outcome::Released,
                Err(e) => {
                    tracing::warn!(id = %d.id, error = %e, "could not release a claimed delivery");
                    Outcome::Failed
                }
            });
        }
        let span = tracing::info_span!("delivery", id = %d.id, kind = %d.kind, attempt = d.attempts + 1);
        async {
            match self.send(&d).await {
                Ok(step) => step,
                Err(e) => {
                    // The row stays claimed; it is due again when the claim expires.
                    tracing::error!(error = %e, "delivery failed internally");
                    Step::Done(Outcome::Failed)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Renders `d`, applies its reader's preferences and where it may go, sends it and records it.
    async fn send(&self, d: &Delivery) -> Result<Step> {
        let Sender {
            store,
            notifier,
            settings: s,
            clock,
            ..
        } = *self;
        let now = clock.now();
        // What it carries, as its kind says: a row that doesn't match is dead, loudly, with the reason.
        let payload = match d.payload() {
            Ok(p) => p,
            Err(why) => {
                tracing::error!(error = %why, "a delivery that can't be read");
                let mut tx = store.write().await?;
                if !deliveries::mark_final(&mut tx, d.id, d.claim_token, true, &why, true).await? {
                    return Ok(Step::Done(lost()));
                }
                tx.commit().await?;
                return Ok(Step::Done(Outcome::Dead));
            }
        };
        if payload == Payload::TaskRepeat {
            // Work, not a message: the next copy of a repeating task, created under the claim.
            return Ok(Step::Done(
                match crate::actions::tasks::run_repeat(store, d, now).await? {
                    crate::actions::tasks::RepeatRun::Created { number, .. } => {
                        tracing::info!(task = number, "next copy of a repeating task created");
                        Outcome::Sent
                    }
                    crate::actions::tasks::RepeatRun::Skipped(why) => {
                        tracing::info!(reason = %why, "repeat skipped");
                        Outcome::Cancelled
                    }
                    crate::actions::tasks::RepeatRun::Lost => lost(),
                },
            ));
        }
        // A meeting's event, announcement and thread: more than one message, recorded as they go.
        if let Some(out) = super::meetings::run(self, d, &payload).await? {
            return Ok(Step::Done(out));
        }
        let content = match content::render(store, d, &payload, now).await {
            // Who may read it is settled once, here: the narrower of what render said and the kind's.
            Ok(Content::Send {
                target,
                mut msg,
                round,
                places,
            }) => {
                msg.audience = route::audience(d, &msg);
                Content::Send {
                    target,
                    msg,
                    round,
                    places,
                }
            }
            Ok(c) => c,
            Err(e) => {
                return transient(store, s, now.timestamp(), d, &format!("render: {e}"))
                    .await
                    .map(Step::Done);
            }
        };
        // The recipient's own hours: away, DM preference, quiet hours.
        let content = match super::people::gate(store, d, content, now).await? {
            super::people::Gate::Send(c) => c,
            super::people::Gate::Defer(at, why) => {
                if !deliveries::mark_retry(store, d.id, d.claim_token, at, false, &why).await? {
                    return Ok(Step::Done(lost()));
                }
                tracing::info!(until = at, "deferred for quiet hours");
                return Ok(Step::Done(Outcome::Deferred));
            }
        };
        // Lead-only or personal content goes only to someone still in the server: one who left stops
        // being a member of its coalitions here, and gets nothing.
        if let Content::Send {
            target: Target::User(user),
            ..
        } = &content
            && left_the_server(store, notifier, d, *user, now).await?
        {
            return cancelled(store, d, "recipient left the server")
                .await
                .map(Step::Done);
        }
        let (target, msg, round, places) = match content {
            Content::Cancel(why) => return cancelled(store, d, &why).await.map(Step::Done),
            Content::Send {
                target,
                msg,
                round,
                places,
            } => (target, msg.fit(), round, places),
            Content::Later(at) => return super::posts::later(store, d, at).await.map(Step::Done),
            Content::Thread {
                channel,
                message,
                name,
                round,
            } => {
                let t = (channel, message, name, round);
                return super::posts::thread(self, d, t).await.map(Step::Done);
            }
            Content::Upsert(up) => {
                return super::posts::upsert(self, d, up).await.map(Step::Done);
            }
        };
        // The last word on where it goes: nothing above public lands in a public channel.
        if let Target::Channel(c) = target
            && let Err(why) = route::check_channel(msg.audience, places, c)
        {
            tracing::error!(reason = %why, "not sent: the channel is wider than the message's audience");
            return cancelled(store, d, &why).await.map(Step::Done);
        }
        let result = self.send_paced(d, target, &msg, &nonce(d.id)).await;
        match (result, target) {
            // DMs closed: no public copy of the DM. Leads' content goes to the leads' channel if there
            // is one; otherwise one short pointer per channel per batch, or nothing.
            (Err(SendError::DmClosed), Target::User(user)) => {
                match route::instead_of_dm(d, msg.audience, user, &msg, places, NoDm::Refused) {
                    InsteadOfDm::Post { channel, msg } => {
                        tracing::info!(user = %user, "DMs closed; posting in the leads' channel");
                        let t = Target::Channel(channel);
                        let nonce = format!("{}c", nonce(d.id));
                        let result = self.send_paced(d, t, &msg, &nonce).await;
                        record(self, d, result, Some(channel), None).await.map(Step::Done)
                    }
                    InsteadOfDm::Pointer => {
                        tracing::info!(user = %user, "DMs closed; pointing to it in the home channel");
                        Ok(Step::Point(Box::new(Pointer {
                            d: d.clone(),
                            user,
                            home: places.home,
                        })))
                    }
                    InsteadOfDm::Drop(why) => cancelled(store, d, &format!("DMs closed (50007); {why}"))
                        .await
                        .map(Step::Done),
                }
            }
            (result, Target::Channel(c)) => record(self, d, result, Some(c), round).await.map(Step::Done),
            (result, Target::User(_)) => record(self, d, result, None, round).await.map(Step::Done),
        }
    }

    /// Sends `msg` to `target` (see [`Sender::paced`]).
    async fn send_paced(
        &self,
        d: &Delivery,
        target: Target,
        msg: &Message,
        nonce: &str,
    ) -> std::result::Result<MessageId, SendError> {
        let notifier = self.notifier;
        self.paced(d, || async move {
            match target {
                Target::Channel(c) => notifier.send_channel(c, msg, nonce).await,
                Target::User(u) => notifier.send_dm(u, msg, nonce).await,
            }
        })
        .await
    }

    /// Makes one request for `d` (a send, an edit, a thread) at the pacer's pace, given up after
    /// `send_timeout`. A 429 gives its turn back; when its `retry_after` is short, the request
    /// waits it out in line and goes again (a message with the same nonce), extending the row's
    /// claim when it would end before the wait does, rather than going back behind the whole
    /// queue. A long or repeated limit is returned, for the row to wait in the queue.
    pub(super) async fn paced<T, F, Fut>(
        &self,
        d: &Delivery,
        mut request: F,
    ) -> std::result::Result<T, SendError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, SendError>>,
    {
        let Sender {
            store,
            settings: s,
            clock,
            pacer,
            line,
            stopped,
            ..
        } = *self;
        let mut claimed_until = d.claimed_until;
        let mut limits = 0;
        loop {
            pacer.wait().await;
            let result = timed(s, request()).await;
            let Err(SendError::RateLimited { retry_after, global }) = result else {
                return result;
            };
            // A 429 delivered nothing: it gives its turn back. This request alone waits out its own
            // retry_after (a global one holds every send back too).
            let retry_after = sane_retry_after(retry_after);
            pacer.refund();
            if global {
                pacer.pause(Duration::from_secs_f64(retry_after));
            }
            limits += 1;
            let limited = SendError::RateLimited { retry_after, global };
            let now_ms = clock.now().timestamp_millis();
            let wait = if limits > MAX_LIMITS_IN_LINE {
                Wait::Queue
            } else {
                wait_plan(
                    claimed_until,
                    now_ms,
                    retry_after,
                    s.send_timeout,
                    s.claim_seconds,
                )
            };
            match wait {
                Wait::Queue => return Err(limited),
                Wait::InLine => {}
                Wait::Extending(until) => {
                    match deliveries::extend_claim(store, d.id, d.claim_token, until).await {
                        Ok(true) => claimed_until = Some(until),
                        // Taken over meanwhile: recording the limit will find the claim lost.
                        Ok(false) => return Err(limited),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not extend a claim to wait out a rate limit");
                            return Err(limited);
                        }
                    }
                }
            }
            tracing::info!(
                retry_after,
                global,
                "rate limited; sending again once it has passed"
            );
            if !line.wait_out(clock, retry_after, stopped).await {
                return Err(limited);
            }
        }
    }
}

/// Whether `user` has left the server of `d`'s coalition (asked of Discord, cached by the
/// notifier); if so their memberships end now, as `/coalition leave` would end them. When Discord
/// can't say, the send goes ahead (a DM to someone gone fails on its own).
async fn left_the_server<N: Notifier>(
    store: &Store,
    notifier: &N,
    d: &Delivery,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(c) = store::coalitions::get_any(store, d.coalition_id).await? else {
        return Ok(false);
    };
    match notifier.in_guild(c.guild_id, user).await {
        Ok(true) => Ok(false),
        Ok(false) => {
            crate::actions::members::left_server(store, c.guild_id, user, now).await?;
            Ok(true)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check the recipient is still in the server");
            Ok(false)
        }
    }
}
