//! Every interaction is answered within Discord's 3 seconds, and exactly once.
//!
//! Each slash command, button click and form submission runs inside [`run`] with a [`Responder`]
//! for its interaction. Handlers answer through the responder ([`Responder::send`],
//! [`Responder::update`], [`Responder::modal`]); if they have not answered after
//! [`DEFER_AFTER`], the responder acknowledges the interaction on its own — a deferred message,
//! ephemeral when the command's answer is private (poise's `ephemeral` command attribute), or a
//! deferred update for buttons and forms on a message — and the handler's answer later replaces
//! that placeholder. One lock over the interaction's state makes "answered twice" impossible.
//!
//! Slash commands are wrapped once, in [`wrap`]: handlers keep calling
//! [`crate::discord::reply`], which goes through the current responder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::all::Builder;
use serenity::{
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateModal, Http, InteractionId,
};
use tokio::sync::Mutex;
use tracing::Instrument;

use super::{Command, Data, convert, error_message};
use crate::domain::message::Message;
use crate::error::{Error, Result};
use crate::store;
use crate::telemetry::phase;

/// How long a handler may take before its interaction is deferred (Discord allows 3 s, and the
/// event needed time to reach us).
pub const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// What a click or command that should have opened a form says when it was deferred first.
pub const LATE_FORM: &str =
    "Backbone was too slow to open the form this time — click the button (or run the command) again.";

/// What kind of interaction is being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A slash command; `private` when its answer is ephemeral.
    Command { private: bool },
    /// A button click on a message.
    Component,
    /// A submitted form; `on_message` when it was opened from a button on a message.
    Modal { on_message: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    Fresh,
    /// A "thinking…" placeholder (type 5) is showing, with this visibility.
    Deferred { ephemeral: bool },
    /// Acknowledged without a visible change (type 6): the message the button is on stays.
    DeferredUpdate,
    /// The initial response is sent; anything more is a follow-up or an edit.
    Answered,
}

/// Answers one interaction: the first answer is the interaction response, later ones follow up.
pub struct Responder {
    http: Arc<Http>,
    id: InteractionId,
    token: String,
    kind: Kind,
    state: Mutex<State>,
    /// The original response's message, when an edit returned it.
    original: std::sync::Mutex<Option<serenity::Message>>,
}

tokio::task_local! {
    static CURRENT: Arc<Responder>;
}

impl Responder {
    /// A responder for the interaction `id` with `token`.
    pub fn new(http: Arc<Http>, id: InteractionId, token: &str, kind: Kind) -> Arc<Responder> {
        Arc::new(Responder {
            http,
            id,
            token: token.to_string(),
            kind,
            state: Mutex::new(State::Fresh),
            original: std::sync::Mutex::new(None),
        })
    }

    /// Whether the interaction has been acknowledged (answered or deferred).
    pub async fn acknowledged(&self) -> bool {
        *self.state.lock().await != State::Fresh
    }

    /// Acknowledges the interaction now, unless it already is: a deferred message for commands
    /// and forms not on a message, a deferred update for buttons and forms on a message.
    pub async fn defer(&self) -> Result<()> {
        let mut state = self.state.lock().await;
        if *state != State::Fresh {
            return Ok(());
        }
        let (response, next) = match self.kind {
            Kind::Component | Kind::Modal { on_message: true } => {
                (CreateInteractionResponse::Acknowledge, State::DeferredUpdate)
            }
            Kind::Command { private } => (
                CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(private)),
                State::Deferred { ephemeral: private },
            ),
            // Forms opened by a command (`/task update status:blocked`, `/checkin`) confirm
            // privately.
            Kind::Modal { on_message: false } => (
                CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true)),
                State::Deferred { ephemeral: true },
            ),
        };
        response
            .execute(self.http.as_ref(), (self.id, &self.token))
            .instrument(phase::http())
            .await?;
        *state = next;
        Ok(())
    }

    /// Answers with a new message (a command's reply, a button's private note): the interaction
    /// response if nothing was sent yet, the deferred placeholder's replacement, or a follow-up.
    pub async fn send(&self, msg: &Message) -> Result<()> {
        store::held::release();
        let mut state = self.state.lock().await;
        match *state {
            State::Fresh => {
                let response =
                    phase::render(|| CreateInteractionResponse::Message(convert::interaction_message(msg)));
                response
                    .execute(self.http.as_ref(), (self.id, &self.token))
                    .instrument(phase::http())
                    .await?;
            }
            State::Deferred { ephemeral } if ephemeral == convert::private(msg) => {
                self.edit_original(msg).await?;
            }
            State::Deferred { .. } => {
                // The placeholder has the wrong visibility (e.g. an error after a public
                // deferral): remove it, then answer with the right one.
                let deleted = self
                    .http
                    .delete_original_interaction_response(&self.token)
                    .instrument(phase::http())
                    .await;
                if let Err(e) = deleted {
                    tracing::debug!(error = %e, "could not remove the deferred placeholder");
                }
                self.followup(msg).await?;
            }
            State::DeferredUpdate | State::Answered => {
                self.followup(msg).await?;
            }
        }
        *state = State::Answered;
        Ok(())
    }

    /// Replaces the message a button or form is on with `msg` (a task card after a click). For a
    /// slash command or a form opened by one, answers with a new message instead.
    pub async fn update(&self, msg: &Message) -> Result<()> {
        store::held::release();
        let on_message = matches!(self.kind, Kind::Component | Kind::Modal { on_message: true });
        // A message meant for fewer than everyone never replaces one everyone can see.
        if !on_message || (msg.audience.is_private() && !msg.ephemeral) {
            return self.send(msg).await;
        }
        let mut state = self.state.lock().await;
        match *state {
            State::Fresh => {
                let response = phase::render(|| {
                    CreateInteractionResponse::UpdateMessage(convert::interaction_message(msg))
                });
                response
                    .execute(self.http.as_ref(), (self.id, &self.token))
                    .instrument(phase::http())
                    .await?;
            }
            State::DeferredUpdate | State::Answered | State::Deferred { .. } => {
                self.edit_original(msg).await?;
            }
        }
        *state = State::Answered;
        Ok(())
    }

    /// Opens a form. A form can only be the first answer; if the interaction was already
    /// deferred, `late` is sent instead (privately) and says what to do.
    pub async fn modal(&self, modal: CreateModal, late: &str) -> Result<()> {
        store::held::release();
        {
            let mut state = self.state.lock().await;
            if *state == State::Fresh {
                CreateInteractionResponse::Modal(modal)
                    .execute(self.http.as_ref(), (self.id, &self.token))
                    .instrument(phase::http())
                    .await?;
                *state = State::Answered;
                return Ok(());
            }
        }
        self.send(&Message::text(late).ephemeral()).await
    }

    /// Answers with the error's message (always private).
    pub async fn fail(&self, e: &Error) {
        if let Err(send) = self.send(&error_message(e)).await {
            tracing::warn!(error = %send, "could not send the error reply");
        }
    }

    /// The message of the original response (to remember where a task card was posted).
    pub async fn original_message(&self) -> Result<serenity::Message> {
        if let Some(m) = self.original.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(m);
        }
        Ok(self
            .http
            .get_original_interaction_response(&self.token)
            .instrument(phase::http())
            .await?)
    }

    async fn edit_original(&self, msg: &Message) -> Result<()> {
        let edit = phase::render(|| convert::edit_response(msg));
        let m = edit
            .execute(self.http.as_ref(), &self.token)
            .instrument(phase::http())
            .await?;
        *self.original.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
        Ok(())
    }

    async fn followup(&self, msg: &Message) -> Result<()> {
        let followup = phase::render(|| convert::followup(msg));
        followup
            .execute(self.http.as_ref(), (None, &self.token))
            .instrument(phase::http())
            .await?;
        Ok(())
    }
}

/// Runs `work` as the handler of `responder`'s interaction: defers it after [`DEFER_AFTER`] if
/// `work` has not answered by then, while `work` goes on. Its statements share one database
/// connection until it answers ([`store::held`]).
pub async fn run<F: Future>(responder: Arc<Responder>, work: F) -> F::Output {
    let timer = responder.clone();
    let work = store::held::hold(work);
    CURRENT
        .scope(responder, async move {
            tokio::pin!(work);
            tokio::select! {
                out = &mut work => return out,
                _ = tokio::time::sleep(DEFER_AFTER) => {}
            }
            let defer = async {
                if let Err(e) = timer.defer().await {
                    tracing::warn!(error = %e, "could not defer the interaction");
                }
            };
            let ((), out) = tokio::join!(defer, work);
            out
        })
        .await
}

/// The responder of the interaction being handled.
pub fn current() -> Result<Arc<Responder>> {
    CURRENT
        .try_with(Arc::clone)
        .map_err(|_| Error::internal("no interaction is being answered here"))
}

type SlashAction =
    for<'a> fn(
        poise::ApplicationContext<'a, Data, Error>,
    ) -> poise::BoxFuture<'a, std::result::Result<(), poise::FrameworkError<'a, Data, Error>>>;

/// The command's own action, kept while [`answered`] stands in for it.
struct Original(SlashAction);

/// Makes `cmd` and its subcommands answer through a [`Responder`].
pub fn wrap(cmd: &mut Command) {
    for sub in &mut cmd.subcommands {
        wrap(sub);
    }
    if let Some(action) = cmd.slash_action.take() {
        cmd.custom_data = Box::new(Original(action));
        cmd.slash_action = Some(answered);
    }
}

fn answered<'a>(
    ctx: poise::ApplicationContext<'a, Data, Error>,
) -> poise::BoxFuture<'a, std::result::Result<(), poise::FrameworkError<'a, Data, Error>>> {
    let span = phase::command(&ctx.command().qualified_name, ctx.interaction.id.get());
    Box::pin(
        async move {
            let interaction = ctx.interaction;
            let responder = Responder::new(
                ctx.serenity_context().http.clone(),
                interaction.id,
                &interaction.token,
                Kind::Command {
                    private: ctx.command().ephemeral,
                },
            );
            let Some(Original(action)) = ctx.command().custom_data.downcast_ref::<Original>() else {
                // Only `wrap` installs this action, always with the original beside it.
                responder
                    .fail(&Error::internal("a command lost its action"))
                    .await;
                return Ok(());
            };
            let result = run(responder.clone(), action(ctx)).await;
            let result = match result {
                Err(poise::FrameworkError::Command { error, .. }) => {
                    super::service::command_finished(poise::Context::Application(ctx), Some(&error)).await;
                    responder.fail(&error).await;
                    Ok(())
                }
                other => other,
            };
            // Anything poise sends after us (argument errors) must follow up, not answer again.
            if responder.acknowledged().await {
                ctx.has_sent_initial_response
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
            result
        }
        .instrument(span),
    )
}
