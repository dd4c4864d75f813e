//! The tenant's configuration of the segmented policy.

use nudge_sdk::{Config, Context, PolicyError, best_send_hour};

/// The configuration keys the segmented policy understands.
const KEYS: [&str; 5] =
    ["send_hour", "learned_send_hour", "high_value_tiers", "high_value_lifetime_minor", "habitual_min_late"];

/// Events (opens, clicks, timed payments) the host's best send hour must
/// rest on before the policy trusts it.
pub const MIN_HOUR_SAMPLES: u32 = 5;

/// The segmented policy's settings, with defaults for unset keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Local hour (0-23) at which notices go out. Default 10.
    pub send_hour: u8,
    /// Send at the host's learned best hour instead of `send_hour` when it
    /// rests on at least [`MIN_HOUR_SAMPLES`] events. Default true.
    pub learned_send_hour: bool,
    /// Customer tiers that are always high value. Default gold, platinum, enterprise.
    pub high_value_tiers: Vec<String>,
    /// Lifetime value, in minor units of the tenant's currency, from which a
    /// customer is high value. Default 200000 (2,000.00).
    pub high_value_lifetime_minor: i64,
    /// Late payments on record from which a customer who pays late more
    /// often than on time is a habitual late payer. Default 2.
    pub habitual_min_late: u32,
}

impl Settings {
    /// Reads the settings from `ctx.config`, rejecting unknown keys and
    /// out-of-range values with a `bad-config` error.
    pub fn from_context(ctx: &Context) -> Result<Self, PolicyError> {
        let config = Config::from_context(ctx)?;
        config.check_keys(&KEYS)?;
        Ok(Self {
            send_hour: config.int_in("send_hour", 10, 0..=23)?,
            learned_send_hour: config.bool("learned_send_hour", true)?,
            high_value_tiers: config.strings("high_value_tiers", &["gold", "platinum", "enterprise"])?,
            high_value_lifetime_minor: config.int_in("high_value_lifetime_minor", 200_000, 0..=i64::MAX)?,
            habitual_min_late: config.int_in("habitual_min_late", 2, 1..=1_000)?,
        })
    }

    /// The local hour to send at: the host's best send hour for this
    /// customer when learned from enough events and allowed, else `send_hour`.
    pub fn hour(&self, ctx: &Context) -> u8 {
        let learned = if self.learned_send_hour { best_send_hour(ctx, MIN_HOUR_SAMPLES) } else { None };
        learned.unwrap_or(self.send_hour)
    }
}
