//! The baseline of `benches/commands.rs`: a bare bot — the smallest poise + serenity bot, with one
//! `/ping` command that answers "pong". It is built from the same crates with the same features as
//! Backbone (`Cargo.toml`), talks to Discord the way Backbone does behind `DISCORD_API_BASE` (the
//! same reqwest client setup, serenity's ratelimiter off), connects with the same intents and
//! sharding, and runs on the same tokio runtime as the bench. It has no database, no scheduler
//! and no responder: what is left of a command's time here is serenity and poise themselves, the
//! gateway, and the HTTP round trip of the answer.
//!
//! Like Backbone's commands it runs in a `command` span and answers in an `http` span
//! (`backbone::telemetry::phase`), so the bench's breakdown measures both alike.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use backbone::telemetry::phase;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, (), Error>;

/// Responds with "pong".
#[poise::command(slash_command)]
async fn ping(ctx: Context<'_>) -> Result<(), Error> {
    let interaction = match ctx {
        poise::Context::Application(app) => app.interaction.id.get(),
        poise::Context::Prefix(_) => 0,
    };
    async {
        ctx.say("pong").instrument(phase::http()).await?;
        Ok(())
    }
    .instrument(phase::command("ping", interaction))
    .await
}

/// A running bare bot; [`BareBot::stop`] shuts it down.
pub struct BareBot {
    shutdown: watch::Sender<bool>,
    handle: JoinHandle<Result<(), serenity::Error>>,
}

impl BareBot {
    /// Connects to the Discord at `api_base` (the fake) with `token` and registers `/ping` in
    /// `guild` once READY.
    pub fn spawn(api_base: String, token: &str, guild: u64) -> BareBot {
        // As `backbone::discord::rest::http` builds it when DISCORD_API_BASE is set.
        let client = reqwest::Client::builder()
            .use_native_tls()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        let http = ::serenity::http::HttpBuilder::new(token)
            .client(client)
            .proxy(api_base)
            .ratelimiter_disabled(true)
            .build();
        let framework = poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands: vec![ping()],
                ..Default::default()
            })
            .setup(move |ctx, _ready, framework| {
                Box::pin(async move {
                    let guild = serenity::GuildId::new(guild);
                    poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                    Ok(())
                })
            })
            .build();
        let (shutdown, mut stopped) = watch::channel(false);
        let handle = tokio::spawn(async move {
            let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
                .framework(framework)
                .await?;
            let shards = client.shard_manager.clone();
            tokio::spawn(async move {
                while !*stopped.borrow() {
                    if stopped.changed().await.is_err() {
                        break;
                    }
                }
                shards.shutdown_all().await;
            });
            client.start_autosharded().await
        });
        BareBot { shutdown, handle }
    }

    /// Shuts the gateway down and waits for the client to return.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        match tokio::time::timeout(Duration::from_secs(30), self.handle).await {
            Ok(Ok(Ok(()))) => {}
            other => panic!("the bare bot did not stop cleanly: {other:?}"),
        }
    }
}
