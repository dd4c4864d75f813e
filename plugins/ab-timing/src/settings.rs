//! The tenant's configuration of the ab-timing policy.

use nudge_sdk::{Config, Context, PolicyError};

/// The configuration keys the ab-timing policy understands.
const KEYS: [&str; 3] = ["send_hour", "early_days", "escalate_after_days"];

/// The ab-timing policy's settings, with defaults for unset keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Local hour (0-23) at which notices go out. Default 10.
    pub send_hour: u8,
    /// How many days before the due date the `early` arm's first reminder
    /// goes out. Default 3.
    pub early_days: i64,
    /// Days overdue at which the invoice goes to support. Default 30.
    pub escalate_after_days: i64,
}

impl Settings {
    /// Reads the settings from `ctx.config`, rejecting unknown keys and
    /// out-of-range values with a `bad-config` error.
    pub fn from_context(ctx: &Context) -> Result<Self, PolicyError> {
        let config = Config::from_context(ctx)?;
        config.check_keys(&KEYS)?;
        Ok(Self {
            send_hour: config.int_in("send_hour", 10, 0..=23)?,
            early_days: config.int_in("early_days", 3, 1..=14)?,
            escalate_after_days: config.int_in("escalate_after_days", 30, 1..=365)?,
        })
    }
}
