//! serenity's per-event [`serenity::Context`] for interactions that arrive over HTTP, with no
//! gateway connection.
//!
//! poise runs a command with a `serenity::Context`, and serenity 0.12 builds the messenger inside
//! one (`ShardMessenger`) only from a shard runner, whose shard opens a websocket when it is made.
//! So an idle shard connects to a loopback socket that this module accepts itself and never
//! speaks on: the shard never identifies, receives no event and sends nothing to Discord, and
//! the runner is never started. The handlers use the context's `http` (to answer through the
//! interaction callback and webhook endpoints) and nothing of the shard.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use serenity::{GatewayIntents, Http, Shard, ShardId, ShardInfo, ShardManager, ShardRunner};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, RwLock};

use crate::error::{Error, Result};

/// A context for handlers, and what it borrows from: the shard manager poise's framework context
/// names, and the runner whose messenger the context holds (kept, never run).
pub struct Detached {
    pub context: serenity::Context,
    pub manager: Arc<ShardManager>,
    _runner: ShardRunner,
}

/// Builds the context over `http` (its token is the bot's; nothing is sent with it here).
pub async fn context(http: Arc<Http>, token: &str) -> Result<Detached> {
    let setup =
        |e: &dyn std::fmt::Display| Error::internal(format!("cannot set up interaction handling: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| setup(&e))?;
    let addr = listener.local_addr().map_err(|e| setup(&e))?;
    let accept = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        // The handshake only; the socket is then dropped and the shard never reads it.
        tokio_tungstenite::accept_async(stream)
            .await
            .map(drop)
            .map_err(std::io::Error::other)
    });
    let ws_url = Arc::new(Mutex::new(format!("ws://{addr}")));
    let data = Arc::new(RwLock::new(serenity::prelude::TypeMap::new()));
    let shard = Shard::new(
        ws_url.clone(),
        token,
        ShardInfo {
            id: ShardId(0),
            total: 1,
        },
        GatewayIntents::empty(),
        None,
    )
    .await
    .map_err(|e| setup(&e))?;
    accept.await.map_err(|e| setup(&e))?.map_err(|e| setup(&e))?;
    let (manager, _) = ShardManager::new(serenity::ShardManagerOptions {
        data: data.clone(),
        event_handlers: Vec::new(),
        raw_event_handlers: Vec::new(),
        framework: Arc::new(std::sync::OnceLock::new()),
        shard_index: 0,
        shard_init: 0,
        shard_total: 1,
        ws_url,
        http: http.clone(),
        intents: GatewayIntents::empty(),
        presence: None,
    });
    let runner = ShardRunner::new(serenity::ShardRunnerOptions {
        data: data.clone(),
        event_handlers: Vec::new(),
        raw_event_handlers: Vec::new(),
        framework: None,
        manager: manager.clone(),
        shard,
        http: http.clone(),
    });
    let context = serenity::Context {
        data,
        shard: serenity::ShardMessenger::new(&runner),
        shard_id: ShardId(0),
        http,
    };
    Ok(Detached {
        context,
        manager,
        _runner: runner,
    })
}
