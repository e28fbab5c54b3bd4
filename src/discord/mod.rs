//! The Discord edge: builds the poise framework and serenity client, turns interactions into
//! actions and outcomes into replies. The only module that imports poise or serenity.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{ClientBuilder, FullEvent, GatewayIntents, Interaction};
use tokio::sync::{Notify, watch};
use tracing::Instrument;

use crate::actions::Actor;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::message::Message;
use crate::domain::*;
use crate::error::{Error, Result};
use crate::scheduler;
use crate::store::Store;

pub mod autocomplete;
pub mod choices;
pub mod commands;
pub mod components;
pub mod convert;
pub mod cooldown;
pub mod detached;
pub mod doctor;
pub mod endpoint;
pub mod interaction;
pub mod notifier;
pub mod paging;
pub mod respond;
pub mod rest;
pub mod service;

/// What every command handler can reach.
pub struct Data {
    pub store: Store,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    /// Wakes the scheduler's sender at once (after a command queued a delivery).
    pub wake: Arc<Notify>,
    inflight: Arc<InFlight>,
    /// Gateway and backup state for /healthz.
    pub health: Arc<crate::ops::health::Health>,
    /// The bot's Prometheus metrics.
    pub metrics: Arc<crate::ops::metrics::Metrics>,
    /// The in-memory rate limit of anonymous feedback (never written down).
    pub feedback_limiter: Arc<crate::actions::feedback::AnonLimiter>,
    /// Per-user cooldowns of the heavy commands (`/digest preview`, `/report`).
    pub cooldowns: Arc<cooldown::Cooldowns>,
}

impl Data {
    /// The current time, from the bot's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// The poise context of Backbone's commands.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// A poise command of Backbone.
pub type Command = poise::Command<Data, Error>;

impl From<serenity::Error> for Error {
    fn from(e: serenity::Error) -> Self {
        Error::internal(format!("discord: {}", describe(&e)))
    }
}

/// What went wrong with a request to Discord, for the log: the method, the URL and the status of
/// an unsuccessful answer, or the HTTP client's error with its causes — every token redacted
/// ([`crate::telemetry::redact`]), as interaction routes carry one.
pub fn describe(e: &serenity::Error) -> String {
    let text = match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            format!("{} {} → {}: {e}", r.method, r.url, r.status_code)
        }
        serenity::Error::Http(serenity::HttpError::Request(inner)) => causes(inner),
        other => causes(other),
    };
    crate::telemetry::redact(&text).into_owned()
}

/// An error and its sources, joined by `: ` (reqwest's error names the URL, its source says why).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Counts commands and interactions in flight so shutdown can wait for them.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while a command runs; dropping it marks the command finished.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// Waits (at most `limit`) until no command is in flight. The wake-up can't be missed: the
    /// waiter registers (`enable`) before it reads the count, so a guard dropped in between still
    /// wakes it.
    async fn wait_idle(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.until_idle(|| {})).await;
    }

    /// Returns once no command is in flight. `after_check` runs each time the count was read as
    /// busy, just before waiting: whatever happens there (the last guard dropping) still wakes us.
    async fn until_idle(&self, mut after_check: impl FnMut()) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            after_check();
            notified.await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// The start of every command: who is acting, and a guard that keeps shutdown waiting for us.
pub fn begin(ctx: Context<'_>) -> Result<(Actor, InFlightGuard)> {
    let guard = ctx.data().inflight.enter();
    let Context::Application(app) = ctx else {
        return Err(Error::user("Backbone only answers slash commands."));
    };
    let interaction = app.interaction;
    let actor = actor_from(
        interaction.guild_id,
        interaction.member.as_deref(),
        &interaction.user,
        interaction.channel_id,
    )?;
    Ok((actor, guard))
}

/// Builds the acting user from interaction data (no cache: members come with the interaction).
pub fn actor_from(
    guild: Option<serenity::GuildId>,
    member: Option<&serenity::Member>,
    user: &serenity::User,
    channel: serenity::ChannelId,
) -> Result<Actor> {
    let guild = guild.ok_or_else(|| {
        Error::user("Backbone works inside a server — run this command in your coalition's server.")
    })?;
    let manage_server = member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator());
    let name = member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone());
    Ok(Actor {
        user: UserId(user.id.get() as i64),
        guild: GuildId(guild.get() as i64),
        manage_server,
        name,
        channel: Some(ChannelId(channel.get() as i64)),
    })
}

/// Replies with a neutral message: the interaction's answer, or the message that replaces its
/// deferred placeholder (see [`respond`]).
pub async fn reply(ctx: Context<'_>, msg: Message) -> Result<()> {
    match respond::current() {
        Ok(r) => r.send(&msg).await,
        Err(_) => {
            ctx.send(convert::reply(&msg)).await?;
            Ok(())
        }
    }
}

/// Acknowledges the interaction at once, for commands known to be slow (digest, export).
pub async fn defer(ctx: Context<'_>) -> Result<()> {
    match respond::current() {
        Ok(r) => r.defer().await,
        Err(_) => Ok(ctx.defer_ephemeral().await?),
    }
}

/// Runs CPU-heavy work (rasterising a chart, rendering a report) on tokio's blocking threads, so
/// the async workers keep answering other interactions and the gateway meanwhile. The memory the
/// work used and freed goes back to the system afterwards.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(move || {
        let out = work();
        crate::ops::memory::give_back();
        out
    })
    .await
    .map_err(|e| Error::internal(format!("rendering stopped: {e}")))
}

/// This copy's name in the scheduler lease: its host, process id and start time, so copies on
/// one host, or a restarted copy with the same process id, never share a name.
fn holder_name(started: chrono::DateTime<chrono::Utc>) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "backbone".to_string());
    let host: String = host.chars().take(100).collect();
    format!("{host}:{}:{}", std::process::id(), started.timestamp_millis())
}

/// A user id as serenity wants it.
pub fn user_id(u: UserId) -> serenity::UserId {
    serenity::UserId::new(u.0.max(1) as u64)
}

/// A short reference for an internal error, to quote to admins.
pub fn reference() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    format!("{:06x}", h.finish() & 0xFF_FFFF)
}

/// What a user sees for an error: their own fix, or a reference to an internal problem.
pub fn error_message(e: &Error) -> Message {
    match e {
        Error::User(m) => Message::text(format!("⚠️ {m}")).ephemeral(),
        Error::Internal(m) => {
            let r = reference();
            tracing::error!(reference = %r, error = %m, "internal error");
            Message::text(format!(
                "Something went wrong on Backbone's side (reference `{r}`). Check whether your change went through, try again if not, and if it keeps happening give the reference to your server admins."
            ))
            .ephemeral()
        }
    }
}

async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            service::command_finished(ctx, Some(&error)).await;
            if let Err(e) = ctx.send(convert::reply(&error_message(&error))).await {
                tracing::warn!(error = %e, "could not send the error reply");
            }
        }
        poise::FrameworkError::ArgumentParse {
            error, input, ctx, ..
        } => {
            let msg = match input {
                Some(input) => {
                    format!("`{input}` isn't valid there: {error}. Check the option and try again.")
                }
                None => format!("An option isn't valid: {error}. Check the options and try again."),
            };
            let _ = ctx.send(convert::reply(&Message::text(msg).ephemeral())).await;
        }
        poise::FrameworkError::CommandStructureMismatch { ctx, description, .. } => {
            tracing::warn!(command = %ctx.command().qualified_name, description = %description, "command structure mismatch");
            let msg = Message::text(
                "This command changed since Discord last loaded it — wait a minute and try again.",
            )
            .ephemeral();
            let _ = poise::Context::Application(ctx).send(convert::reply(&msg)).await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "error while handling an error");
            }
        }
    }
}

async fn event_handler(ctx: &serenity::Context, event: &FullEvent, data: &Data) -> Result<()> {
    service::on_gateway_event(ctx, event, data);
    match event {
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(c),
        } => {
            let _guard = data.inflight.enter();
            let started = std::time::Instant::now();
            let outcome = components::handle_component(ctx, data, c)
                .instrument(crate::telemetry::phase::command("button", c.id.get()))
                .await;
            data.metrics
                .command("button", outcome, started.elapsed().as_secs_f64());
        }
        FullEvent::InteractionCreate {
            interaction: Interaction::Modal(m),
        } => {
            let _guard = data.inflight.enter();
            let started = std::time::Instant::now();
            let outcome = components::handle_modal(ctx, data, m)
                .instrument(crate::telemetry::phase::command("form", m.id.get()))
                .await;
            data.metrics
                .command("form", outcome, started.elapsed().as_secs_f64());
        }
        // Someone left the server, was kicked or banned (with the GUILD_MEMBERS intent): they
        // leave its coalitions, and every right and private message with them.
        FullEvent::GuildMemberRemoval { guild_id, user, .. } => {
            let guild = GuildId(guild_id.get() as i64);
            let who = UserId(user.id.get() as i64);
            let left = crate::actions::members::left_server(&data.store, guild, who, data.now()).await;
            if let Err(e) = left {
                tracing::error!(error = %e, "could not end the memberships of someone who left");
            }
        }
        FullEvent::GuildCreate { guild, .. } => {
            tracing::debug!(guild = %guild.id, name = %guild.name, "guild available");
        }
        _ => {}
    }
    Ok(())
}

/// `backbone run`: serve Discord with the real clock until SIGINT/SIGTERM.
pub async fn run(config: Config) -> Result<()> {
    run_on(config, Transport::Gateway).await
}

/// `backbone serve --listen ADDR`: answer interactions at `POST /interactions` on `listen`, with
/// no gateway connection, until SIGINT/SIGTERM.
pub async fn run_http(config: Config, listen: std::net::SocketAddr) -> Result<()> {
    let listener = endpoint_listener(listen).await?;
    run_on(config, Transport::Http(listener)).await
}

/// Binds the interactions endpoint's address now, so a taken port fails the start clearly.
pub async fn endpoint_listener(listen: std::net::SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Error::user(format!(
            "cannot listen on `{listen}` for interactions: {e} — pick a free address, e.g. `--listen 127.0.0.1:8080`."
        ))
    })
}

async fn run_on(config: Config, transport: Transport) -> Result<()> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing in-flight commands");
        let _ = tx.send(true);
    });
    serve_on(config, Arc::new(SystemClock), rx, transport).await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// How interactions reach this copy. Both lead to the same dispatcher (poise's, with the same
/// framework options), the same handlers and the same responder.
pub enum Transport {
    /// The gateway, as many shards as Discord recommends (`backbone run`).
    Gateway,
    /// Discord's Interactions Endpoint URL on this listener (`backbone serve`), no gateway.
    Http(tokio::net::TcpListener),
}

/// Connects to Discord and serves until `shutdown` turns true. Tests call this with a manual clock
/// and `DISCORD_API_BASE` pointing at a fake Discord.
pub async fn serve(config: Config, clock: Arc<dyn Clock>, shutdown: watch::Receiver<bool>) -> Result<()> {
    serve_on(config, clock, shutdown, Transport::Gateway).await
}

/// The framework options of both transports: the commands, the hooks and the error handling.
fn framework_options() -> poise::FrameworkOptions<Data, Error> {
    poise::FrameworkOptions {
        commands: commands::all(),
        on_error: |e| Box::pin(on_error(e)),
        pre_command: |ctx| {
            Box::pin(async move {
                let command = &ctx.command().qualified_name;
                // Feedback may be anonymous: its log line must not say who sent it.
                if command == "feedback send" {
                    tracing::info!(command = %command, "command");
                } else {
                    tracing::info!(command = %command, user = %ctx.author().id, "command");
                }
                service::command_started(ctx).await;
            })
        },
        post_command: |ctx| Box::pin(service::command_finished(ctx, None)),
        event_handler: |fctx, event| Box::pin(event_handler(fctx.serenity_context, event, fctx.user_data)),
        allowed_mentions: Some(
            serenity::CreateAllowedMentions::new()
                .everyone(false)
                .all_roles(false)
                .all_users(false),
        ),
        ..Default::default()
    }
}

/// Registers the commands in the test guild, or globally.
async fn register(
    http: &serenity::Http,
    commands: &[Command],
    guild: Option<u64>,
) -> std::result::Result<(), serenity::Error> {
    match guild {
        Some(g) => poise::builtins::register_in_guild(http, commands, serenity::GuildId::new(g)).await,
        None => poise::builtins::register_globally(http, commands).await,
    }
}

/// Start-up is over: its garbage (migrations, the command list) goes back to the system, and so
/// do the mappings of code only start-up ran.
fn started() {
    crate::ops::memory::give_back();
    let code = crate::ops::memory::drop_startup_code();
    tracing::debug!(bytes = code, "start-up code mappings dropped");
}

/// What receives interactions once everything is set up.
enum Receiver {
    Gateway(serenity::Client),
    Http(tokio::net::TcpListener, Arc<endpoint::Endpoint>),
}

/// [`serve`] over either transport.
pub async fn serve_on(
    config: Config,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
    transport: Transport,
) -> Result<()> {
    let token = config.discord.token.clone().ok_or_else(|| {
        Error::user(
            "DISCORD_TOKEN is not set. Create a bot in the Discord developer portal (Applications → your app → Bot → Reset Token), then put DISCORD_TOKEN=<token> in a .env file (see config/example.env) or the environment.",
        )
    })?;
    let verifier = match &transport {
        Transport::Http(_) => Some(endpoint::verifier(config.discord.public_key.as_deref())?),
        Transport::Gateway => None,
    };
    let lock = service::lock(&config)?;
    let store = Store::connect(&config.database_url).await?;
    let service = service::Service::start(&config, &store, clock.clone(), lock).await?;

    let mut settings = scheduler::SchedulerSettings::from_config(&config);
    settings.holder = holder_name(clock.now());
    let (http, client) = rest::http(&config, &token, Some(service.metrics.clone()))?;
    let base = config
        .discord
        .api_base
        .clone()
        .unwrap_or_else(|| "https://discord.com".into());
    let me = http.get_current_user().await.map_err(|e| match &e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 401 => {
            Error::user("Discord refused DISCORD_TOKEN (401 Unauthorized) — copy a fresh token from the developer portal (Bot → Reset Token).")
        }
        _ => Error::user(format!(
            "Cannot reach Discord at {base}: {}. Check your network, or DISCORD_API_BASE if you set it.",
            describe(&e).trim_end_matches('.')
        )),
    })?;
    tracing::info!(bot = %me.name, "token accepted");

    let wake = Arc::new(Notify::new());
    let inflight = Arc::new(InFlight::default());
    let data = Data {
        store: store.clone(),
        config: config.clone(),
        clock: clock.clone(),
        wake: wake.clone(),
        inflight: inflight.clone(),
        health: service.health.clone(),
        metrics: service.metrics.clone(),
        feedback_limiter: Arc::default(),
        cooldowns: Arc::default(),
    };
    let guild = config.discord.guild_id;
    let options = framework_options();
    let (http, receiver) = match (transport, verifier) {
        (Transport::Http(listener), Some(verifier)) => {
            // No READY tells serenity the application's id (its follow-up and webhook routes
            // need it): ask for it.
            let app = http.get_current_application_info().await.map_err(|e| {
                Error::user(format!(
                    "Cannot read the application from Discord: {}.",
                    describe(&e)
                ))
            })?;
            http.set_application_id(app.id);
            let key = config.discord.public_key.as_deref().unwrap_or_default();
            if !app.verify_key.is_empty() && !app.verify_key.eq_ignore_ascii_case(key) {
                tracing::warn!(
                    "DISCORD_PUBLIC_KEY is not this application's public key: every request Discord signs will be refused (401) — copy the Public Key (General Information) of the application whose token this is"
                );
            }
            register(&http, &options.commands, guild).await?;
            let http = Arc::new(http);
            let detached = detached::context(http.clone(), &token).await?;
            data.health.without_gateway();
            tracing::info!(bot = %me.name, commands = options.commands.len(), "READY (interactions over HTTP)");
            let endpoint = endpoint::Endpoint::new(verifier, clock.clone(), detached, me.id, options, data);
            started();
            (http, Receiver::Http(listener, Arc::new(endpoint)))
        }
        _ => {
            let framework = poise::Framework::builder()
                .options(options)
                .setup(move |ctx, ready, framework| {
                    Box::pin(async move {
                        register(&ctx.http, &framework.options().commands, guild).await?;
                        tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), commands = framework.options().commands.len(), "READY");
                        data.health.shard(ctx.shard_id.0, ready.shard.map_or(1, |s| s.total), true);
                        started();
                        Ok(data)
                    })
                })
                .build();
            let intents = if config.guild_members_intent {
                GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS
            } else {
                GatewayIntents::GUILDS
            };
            let client = ClientBuilder::new_with_http(http, intents)
                .framework(framework)
                .await
                .map_err(|e| Error::internal(format!("cannot build the Discord client: {e}")))?;
            (client.http.clone(), Receiver::Gateway(client))
        }
    };

    let notifier = Arc::new(notifier::DiscordNotifier::new(http, client));
    let notifier = Arc::new(scheduler::counting::Counting::new(
        notifier,
        service.metrics.clone(),
    ));
    let mut settings = settings;
    settings.metrics = Some(service.metrics.clone());
    let (stop_scheduler, scheduler_stopped) = watch::channel(false);
    let sched = tokio::spawn(scheduler::run(
        store.clone(),
        notifier,
        settings,
        clock,
        scheduler_stopped,
        wake,
    ));

    let result = match receiver {
        Receiver::Gateway(mut client) => {
            let shards = client.shard_manager.clone();
            let stopper = {
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    while !*shutdown.borrow() {
                        if shutdown.changed().await.is_err() {
                            break;
                        }
                    }
                    shards.shutdown_all().await;
                })
            };
            // One process serves any number of guilds: as many shards as Discord recommends, all
            // stopped together by `shutdown_all` above.
            let result = client.start_autosharded().await;
            stopper.abort();
            if !*shutdown.borrow_and_update() {
                tracing::warn!("gateway connection ended; stopping");
            }
            result.map_err(|e| Error::user(format!("Discord connection failed: {e}")))
        }
        Receiver::Http(listener, endpoint) => {
            endpoint::listen(listener, endpoint, shutdown.clone()).await;
            Ok(())
        }
    };
    // However the transport ended, stop everything else too: commands finish, the scheduler
    // hands back what it claimed, then the database closes.
    inflight.wait_idle(Duration::from_secs(20)).await;
    let _ = stop_scheduler.send(true);
    if tokio::time::timeout(Duration::from_secs(20), sched)
        .await
        .is_err()
    {
        tracing::warn!("scheduler did not stop in time");
    }
    service.stop().await;
    store.close().await;
    tracing::info!("stopped");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last guard dropped right after `wait_idle` read the count as busy and before it began
    /// waiting: the wake-up must not be lost (it used to wait out the whole limit).
    #[tokio::test]
    async fn wait_idle_wakes_when_the_last_guard_drops_right_after_the_check() {
        let inflight = Arc::new(InFlight::default());
        let mut guard = Some(inflight.enter());
        let waited =
            tokio::time::timeout(Duration::from_secs(5), inflight.until_idle(|| drop(guard.take()))).await;
        assert!(waited.is_ok(), "the wake-up was missed");
        assert_eq!(inflight.count.load(Ordering::SeqCst), 0);
    }

    /// The same race left to the threads, many times over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wait_idle_never_misses_the_last_guard() {
        for round in 0..2_000u32 {
            let inflight = Arc::new(InFlight::default());
            let guard = inflight.enter();
            let spin = round % 50;
            let dropper = std::thread::spawn(move || {
                for _ in 0..spin {
                    std::hint::spin_loop();
                }
                drop(guard);
            });
            let started = std::time::Instant::now();
            inflight.wait_idle(Duration::from_secs(5)).await;
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "round {round}: wait_idle missed its wake-up"
            );
            assert_eq!(inflight.count.load(Ordering::SeqCst), 0);
            dropper.join().expect("dropper thread");
        }
    }
}
