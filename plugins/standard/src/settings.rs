//! The tenant's configuration of the standard policy.

use nudge_sdk::{Config, Context, PolicyError};

/// The configuration keys the standard policy understands.
const KEYS: [&str; 3] = ["send_hour", "escalate_after_days", "high_value_minor"];

/// The standard policy's settings, with defaults for unset keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Local hour (0-23) at which reminders go out. Default 10.
    pub send_hour: u8,
    /// Days overdue at which the invoice goes to support. Default 30.
    pub escalate_after_days: i64,
    /// Invoice total, in minor units, from which an invoice counts as high
    /// value. Default 10000 (100.00 in a two-decimal currency).
    pub high_value_minor: i64,
}

impl Settings {
    /// Reads the settings from `ctx.config`, rejecting unknown keys and
    /// out-of-range values with a `bad-config` error.
    pub fn from_context(ctx: &Context) -> Result<Self, PolicyError> {
        let config = Config::from_context(ctx)?;
        config.check_keys(&KEYS)?;
        Ok(Self {
            send_hour: config.int_in("send_hour", 10, 0..=23)?,
            escalate_after_days: config.int_in("escalate_after_days", 30, 1..=365)?,
            high_value_minor: config.int_in("high_value_minor", 10_000, 0..=i64::MAX)?,
        })
    }
}
