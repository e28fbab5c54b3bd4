//! A notifier that records every call and can be scripted to fail, honouring nonces as Discord
//! does: the scheduler tests' stand-in for Discord. Test code only, kept out of the library.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use backbone::domain::message::Message;
use backbone::domain::{ChannelId, MessageId, UserId};
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

#[derive(Default)]
struct Inner {
    calls: Vec<Sent>,
    scripts: HashMap<Target, VecDeque<Scripted>>,
    any: VecDeque<Scripted>,
    nonces: HashMap<(Target, String), MessageId>,
    next_id: i64,
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
        self.lock().calls.clear();
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
}
