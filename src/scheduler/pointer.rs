//! Refused DMs (50007): instead of reposting a private message in public, the home channel gets
//! one short pointer per channel per batch that mentions everyone it concerns ("<@a> <@b> I
//! couldn't DM you — `/task mine` has it"), pinging only them. A channel warning is never pointed
//! to in the very channel it warns about.

use std::collections::BTreeMap;

use tracing::Instrument;

use super::deliver::{Outcome, record, timed};
use super::pace::Pacer;
use super::{Notifier, SchedulerSettings, SendError};
use crate::clock::Clock;
use crate::domain::*;
use crate::render::scheduled as render;
use crate::store::Store;
use crate::store::deliveries::{Delivery, DeliveryKind};

/// A delivery whose DM was refused, still claimed, waiting for its channel pointer.
pub(super) struct Pointer {
    pub d: Delivery,
    pub user: UserId,
    /// The coalition's home channel, where the pointer goes.
    pub home: ChannelId,
}

/// The nonce of the pointer that stands for `first` and the deliveries grouped with it.
fn pointer_nonce(first: DeliveryId) -> String {
    format!("bb{}p", first.0)
}

/// The channel a channel warning is about.
fn warned_channel(d: &Delivery) -> Option<ChannelId> {
    let p = d.payload_json();
    p.get("channel_id")
        .and_then(serde_json::Value::as_i64)
        .or(d.subject_id)
        .map(ChannelId)
}

/// Sends one pointer per home channel for `pointers` and records every delivery it stands for.
pub(super) async fn send_all<N: Notifier>(
    store: &Store,
    notifier: &N,
    s: &SchedulerSettings,
    clock: &dyn Clock,
    pacer: &Pacer,
    pointers: Vec<Pointer>,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut by_channel: BTreeMap<ChannelId, Vec<Pointer>> = BTreeMap::new();
    for p in pointers {
        if p.d.kind() == Some(DeliveryKind::ChannelWarning) && warned_channel(&p.d) == Some(p.home) {
            // The warning is about the home channel itself: a pointer there would not arrive.
            let why = SendError::Other(
                "DMs closed (50007); not posted in the unreachable channel it warns about".into(),
            );
            out.push(settle(store, s, clock, pacer, &p.d, Err(why), None).await);
            continue;
        }
        by_channel.entry(p.home).or_default().push(p);
    }
    for (channel, mut group) in by_channel {
        // Mentions in the order the deliveries were planned, however the sends finished.
        group.sort_by_key(|p| p.d.id);
        let first = group.iter().map(|p| p.d.id).min().unwrap_or(DeliveryId(0));
        let span = tracing::info_span!("dm_pointer", channel = %channel, deliveries = group.len());
        async {
            let mentions: Vec<(UserId, render::PointerHint)> =
                group.iter().map(|p| (p.user, super::route::hint(&p.d))).collect();
            let msg = render::dm_pointer(&mentions);
            pacer.wait().await;
            let result = timed(s, notifier.send_channel(channel, &msg, &pointer_nonce(first))).await;
            for p in &group {
                out.push(settle(store, s, clock, pacer, &p.d, result.clone(), Some(channel)).await);
            }
        }
        .instrument(span)
        .await;
    }
    out
}

async fn settle(
    store: &Store,
    s: &SchedulerSettings,
    clock: &dyn Clock,
    pacer: &Pacer,
    d: &Delivery,
    result: Result<MessageId, SendError>,
    channel: Option<ChannelId>,
) -> Outcome {
    let span = tracing::info_span!("delivery", id = %d.id, kind = %d.kind, attempt = d.attempts + 1);
    match record(store, s, clock, pacer, d, result, channel, None)
        .instrument(span)
        .await
    {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(id = %d.id, error = %e, "delivery failed internally");
            Outcome::Failed
        }
    }
}
