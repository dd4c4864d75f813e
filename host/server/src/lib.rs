//! `nudge serve`: the HTTP service for tenants and operators.
//!
//! [`run`] serves the API on a listener until a shutdown future completes,
//! and runs the [`Scheduler`](nudge_scheduler::Scheduler)'s due work every
//! tick. Operators authenticate with a token (`/v1/admin/...`); tenants
//! with API keys, stored hashed and scoped to their tenant (`/v1/...`).
//! Errors are always `{"error":{"code":"...","message":"..."}}`.
//!
//! ```no_run
//! # async fn serve(scheduler: std::sync::Arc<nudge_scheduler::Scheduler>) -> nudge_server::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = nudge_server::ServerConfig { operator_token: Some("s3cret".into()), ..Default::default() };
//! nudge_server::run(listener, scheduler, config, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod admin;
mod app;
mod auth;
mod config;
mod error;
mod events;
mod idempotency;
mod notices;
mod ops;
mod page;
mod plugins;
mod privacy;
mod ratelimit;
mod reply;
mod server;
mod stripe;
mod telemetry;
mod templates;
mod tenant;
mod tracking;

pub use config::{DEFAULT_BODY_LIMIT_BYTES, ServerConfig};
pub use error::ApiError;
pub use server::run;

/// What stopped the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listener failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store could not be flushed at shutdown.
    #[error(transparent)]
    Store(#[from] nudge_store::Error),
    /// A background task failed.
    #[error("a server task failed: {0}")]
    Task(String),
    /// Tracking links could not be set up (a bad public URL, a store failure).
    #[error("tracking links: {0}")]
    Tracking(#[from] nudge_scheduler::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
