//! How a server is set up: its limits and the operator's token.

use std::time::Duration;

/// Settings of one server.
#[derive(Clone)]
pub struct ServerConfig {
    /// The operator token for `/v1/admin/...`; `None` switches admin routes off.
    pub operator_token: Option<String>,
    /// Largest JSON request body, in bytes (plugin uploads are capped by the
    /// tenant's `max_component_bytes` instead).
    pub body_limit_bytes: usize,
    /// Requests each tenant may make per second, on average.
    pub rate_limit_per_second: u32,
    /// Requests a tenant may make in a burst above the average.
    pub rate_limit_burst: u32,
    /// How often the scheduler runs what is due, at most this far apart.
    pub tick: Duration,
    /// How long shutdown waits for requests in flight before dropping them.
    pub shutdown_grace: Duration,
    /// The base URL customers reach this server at (scheme and host, e.g.
    /// `https://nudge.example.com`); tracking links start with it. `None`:
    /// `http://` and the address the listener is bound to.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ServerConfig")
            .field("operator_token", &self.operator_token.as_ref().map(|_| "[set]"))
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("tick", &self.tick)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// 1 MiB: the default cap on JSON request bodies.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 1 << 20;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            operator_token: None,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            tick: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            public_url: None,
        }
    }
}
