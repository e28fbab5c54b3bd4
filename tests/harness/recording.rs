//! A notifier that records every call and can be scripted to fail, honouring nonces as Discord
//! does: the scheduler tests' stand-in for Discord. Test code only, kept out of the library.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use backbone::domain::meeting::{EventStatus, ScheduledEvent};
use backbone::domain::message::Message;
use backbone::domain::{ChannelId, GuildId, MessageId, UserId};
use backbone::scheduler::{Notifier, SendError};
use backbone::store::deliveries::Target;

/// What a scripted call does.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// Fails with this error.
    Fail(SendError),
    /// Posts, then never returns: the process "dies" between send and record.
    SucceedThenHang,
    /// Waits this long (real time), then posts.
    Delay(Duration),
    /// Never returns and posts nothing: a request that hangs.
    Hang,
}

/// One call to the notifier.
#[derive(Debug, Clone)]
pub struct Sent {
    pub target: Target,
    pub msg: Message,
    pub nonce: Option<String>,
    /// The message id returned (None when the call failed).
    pub message_id: Option<MessageId>,
    pub error: Option<SendError>,
    /// True when Discord would have dropped it as a repeat of an earlier nonce.
    pub duplicate: bool,
}

impl Sent {
    /// Whether this call put a new message in front of someone.
    pub fn posted(&self) -> bool {
        self.error.is_none() && !self.duplicate
    }
}

/// One message edit or thread made through the notifier.
#[derive(Debug, Clone)]
pub struct Changed {
    pub channel: ChannelId,
    pub message: MessageId,
    /// The new message (edits), or `None` (threads).
    pub msg: Option<Message>,
    /// The thread's name (threads).
    pub thread_name: Option<String>,
    pub error: Option<SendError>,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Sent>,
    changes: Vec<Changed>,
    /// Channels where posts, edits and threads fail with this error.
    broken: HashMap<ChannelId, SendError>,
    threads: HashMap<MessageId, ChannelId>,
    scripts: HashMap<Target, VecDeque<Scripted>>,
    any: VecDeque<Scripted>,
    nonces: HashMap<(Target, String), MessageId>,
    next_id: i64,
    /// People whose DMs are closed: every DM to them fails with 50007.
    closed_dms: Vec<UserId>,
    /// People who left the server (asked about, Discord says 10007 Unknown Member).
    left: Vec<UserId>,
    /// How often `in_guild` was asked.
    membership_checks: usize,
    /// Errors the next attempts to start a thread meet, in order.
    thread_failures: VecDeque<SendError>,
    /// Scheduled events made, with their current status.
    events: Vec<(GuildId, i64, ScheduledEvent, EventStatus)>,
    /// Every status change asked for: (event, from, to, accepted).
    event_moves: Vec<(i64, EventStatus, EventStatus, bool)>,
    /// When set, every event call fails with this (a missing Create Events permission).
    events_refused: Option<SendError>,
}

/// A notifier that records every call and can be scripted to fail; it honours nonces as Discord does.
#[derive(Default)]
pub struct RecordingNotifier {
    inner: Mutex<Inner>,
}

impl RecordingNotifier {
    /// A notifier where every send succeeds.
    pub fn new() -> RecordingNotifier {
        RecordingNotifier::default()
    }

    /// The next call to `target` does `what` (calls queue up in order).
    pub fn script(&self, target: Target, what: Scripted) {
        self.lock().scripts.entry(target).or_default().push_back(what);
    }

    /// The next call to any target with no script of its own does `what`.
    pub fn script_any(&self, what: Scripted) {
        self.lock().any.push_back(what);
    }

    /// `user`'s DMs are closed: every DM to them fails with 50007 from now on.
    pub fn close_dms(&self, user: UserId) {
        self.lock().closed_dms.push(user);
    }

    /// `user` left the server: `in_guild` says no from now on.
    pub fn leave_server(&self, user: UserId) {
        self.lock().left.push(user);
    }

    /// Scheduled events made so far: (guild, id, event, status now).
    pub fn events(&self) -> Vec<(GuildId, i64, ScheduledEvent, EventStatus)> {
        self.lock().events.clone()
    }

    /// Status changes asked for: (event, from, to, whether Discord's rules allowed it).
    pub fn event_moves(&self) -> Vec<(i64, EventStatus, EventStatus, bool)> {
        self.lock().event_moves.clone()
    }

    /// From now on every event call fails with `err` (e.g. 403 50013, no Create Events).
    pub fn refuse_events(&self, err: SendError) {
        self.lock().events_refused = Some(err);
    }

    /// How often the sender asked whether someone is still in the server.
    pub fn membership_checks(&self) -> usize {
        self.lock().membership_checks
    }

    /// The next attempt to start a thread fails with `err` (calls queue up in order).
    pub fn fail_next_thread(&self, err: SendError) {
        self.lock().thread_failures.push_back(err);
    }

    /// The next call to `target` fails with `err`.
    pub fn fail_next(&self, target: Target, err: SendError) {
        self.script(target, Scripted::Fail(err));
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Sent> {
        self.lock().calls.clone()
    }

    /// Calls that put a new message in front of someone.
    pub fn posted(&self) -> Vec<Sent> {
        self.calls().into_iter().filter(Sent::posted).collect()
    }

    /// Messages posted to `target`.
    pub fn posted_to(&self, target: Target) -> Vec<Sent> {
        self.posted().into_iter().filter(|s| s.target == target).collect()
    }

    /// Forgets the calls recorded so far (scripts stay).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.calls.clear();
        inner.changes.clear();
    }

    /// Every message edit and thread so far, in order.
    pub fn changes(&self) -> Vec<Changed> {
        self.lock().changes.clone()
    }

    /// Successful edits of `message`, oldest first.
    pub fn edits_of(&self, message: MessageId) -> Vec<Message> {
        self.changes()
            .into_iter()
            .filter(|c| c.message == message && c.error.is_none())
            .filter_map(|c| c.msg)
            .collect()
    }

    /// Threads made: (parent channel, message, name).
    pub fn threads(&self) -> Vec<(ChannelId, MessageId, String)> {
        self.changes()
            .into_iter()
            .filter(|c| c.error.is_none())
            .filter_map(|c| c.thread_name.map(|n| (c.channel, c.message, n)))
            .collect()
    }

    /// From now on, posts, edits and threads in `channel` fail with `err` (a deleted thread,
    /// missing permissions).
    pub fn break_channel(&self, channel: ChannelId, err: SendError) {
        self.lock().broken.insert(channel, err);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_script(&self, target: Target) -> Option<Scripted> {
        let mut inner = self.lock();
        match inner.scripts.get_mut(&target).and_then(VecDeque::pop_front) {
            Some(s) => Some(s),
            None => inner.any.pop_front(),
        }
    }

    /// Records a call; returns the message id (the earlier one for a repeated nonce).
    fn record(
        &self,
        target: Target,
        msg: &Message,
        nonce: Option<&str>,
        error: Option<SendError>,
    ) -> Result<MessageId, SendError> {
        let mut inner = self.lock();
        let mut duplicate = false;
        let message_id = match (&error, target, nonce) {
            (Some(_), _, _) => None,
            (None, t, Some(n)) if inner.nonces.contains_key(&(t, n.to_string())) => {
                duplicate = true;
                inner.nonces.get(&(t, n.to_string())).copied()
            }
            (None, _, _) => {
                inner.next_id += 1;
                let id = MessageId(900_000 + inner.next_id);
                if let Some(n) = nonce {
                    inner.nonces.insert((target, n.to_string()), id);
                }
                Some(id)
            }
        };
        inner.calls.push(Sent {
            target,
            msg: msg.clone(),
            nonce: nonce.map(str::to_string),
            message_id,
            error: error.clone(),
            duplicate,
        });
        match (error, message_id) {
            (Some(e), _) => Err(e),
            (None, Some(id)) => Ok(id),
            (None, None) => Err(SendError::Other("no message id".into())),
        }
    }

    async fn send(&self, target: Target, msg: &Message, nonce: Option<&str>) -> Result<MessageId, SendError> {
        let broken = match target {
            Target::Channel(c) => self.lock().broken.get(&c).cloned(),
            Target::User(u) => self.lock().closed_dms.contains(&u).then_some(SendError::DmClosed),
        };
        if let Some(e) = broken {
            return self.record(target, msg, nonce, Some(e));
        }
        match self.next_script(target) {
            None => self.record(target, msg, nonce, None),
            Some(Scripted::Fail(e)) => self.record(target, msg, nonce, Some(e)),
            Some(Scripted::Delay(d)) => {
                tokio::time::sleep(d).await;
                self.record(target, msg, nonce, None)
            }
            Some(Scripted::Hang) => std::future::pending().await,
            Some(Scripted::SucceedThenHang) => {
                let _ = self.record(target, msg, nonce, None);
                std::future::pending().await
            }
        }
    }
}

impl Notifier for RecordingNotifier {
    async fn send_channel(
        &self,
        channel: ChannelId,
        msg: &Message,
        nonce: &str,
    ) -> Result<MessageId, SendError> {
        self.send(Target::Channel(channel), msg, Some(nonce)).await
    }

    async fn send_dm(&self, user: UserId, msg: &Message, nonce: &str) -> Result<MessageId, SendError> {
        self.send(Target::User(user), msg, Some(nonce)).await
    }

    async fn in_guild(&self, _guild: GuildId, user: UserId) -> Result<bool, SendError> {
        let mut inner = self.lock();
        inner.membership_checks += 1;
        Ok(!inner.left.contains(&user))
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        msg: &Message,
    ) -> Result<(), SendError> {
        let mut inner = self.lock();
        let error = inner.broken.get(&channel).cloned();
        inner.changes.push(Changed {
            channel,
            message,
            msg: Some(msg.clone()),
            thread_name: None,
            error: error.clone(),
        });
        error.map_or(Ok(()), Err)
    }

    async fn create_thread(
        &self,
        channel: ChannelId,
        message: MessageId,
        name: &str,
    ) -> Result<ChannelId, SendError> {
        let mut inner = self.lock();
        let error = match inner.broken.get(&channel).cloned() {
            Some(e) => Some(e),
            None => inner.thread_failures.pop_front(),
        };
        if let Some(t) = inner.threads.get(&message).copied().filter(|_| error.is_none()) {
            return Ok(t);
        }
        inner.changes.push(Changed {
            channel,
            message,
            msg: None,
            thread_name: Some(name.to_string()),
            error: error.clone(),
        });
        if let Some(e) = error {
            return Err(e);
        }
        // As on Discord, a thread started from a message has the message's id.
        let thread = ChannelId(message.0);
        inner.threads.insert(message, thread);
        Ok(thread)
    }

    async fn create_event(&self, guild: GuildId, event: &ScheduledEvent) -> Result<i64, SendError> {
        let mut inner = self.lock();
        if let Some(e) = inner.events_refused.clone() {
            return Err(e);
        }
        inner.next_id += 1;
        let id = 700_000 + inner.next_id;
        inner
            .events
            .push((guild, id, event.clone(), EventStatus::Scheduled));
        Ok(id)
    }

    async fn set_event_status(
        &self,
        guild: GuildId,
        event: i64,
        status: EventStatus,
    ) -> Result<(), SendError> {
        let mut inner = self.lock();
        if let Some(e) = inner.events_refused.clone() {
            return Err(e);
        }
        let Some(i) = inner
            .events
            .iter()
            .position(|(g, id, _, _)| *g == guild && *id == event)
        else {
            return Err(SendError::NoAccess {
                code: 10070,
                message: "Unknown Guild Scheduled Event".into(),
            });
        };
        let from = inner.events[i].3;
        let ok = from.may_become(status);
        inner.event_moves.push((event, from, status, ok));
        if !ok {
            return Err(SendError::Other(format!(
                "400: cannot move an event from {from:?} to {status:?}"
            )));
        }
        inner.events[i].3 = status;
        Ok(())
    }
}
