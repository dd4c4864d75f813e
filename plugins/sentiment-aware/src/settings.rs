//! The tenant's configuration of the sentiment-aware policy.

use nudge_sdk::{Config, Context, PolicyError};

use crate::locale;

/// The configuration keys the sentiment-aware policy understands.
const KEYS: [&str; 5] = ["send_hour", "escalate_after_days", "escalate_after_feedback", "locales", "default_locale"];

/// The sentiment-aware policy's settings, with defaults for unset keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Local hour (0-23) at which notices go out. Default 10.
    pub send_hour: u8,
    /// Days overdue at which the invoice goes to support. Default 30.
    pub escalate_after_days: i64,
    /// Negative feedback on record at which a person takes over. Default 3.
    pub escalate_after_feedback: u32,
    /// The locales the tenant has templates for; `None` (the default) passes
    /// the customer's own language through.
    pub locales: Option<Vec<String>>,
    /// The locale for a customer whose language matches none of `locales`
    /// (or is not a language tag at all). Default `en`.
    pub default_locale: String,
}

impl Settings {
    /// Reads the settings from `ctx.config`, rejecting unknown keys,
    /// out-of-range values and malformed locales with a `bad-config` error.
    pub fn from_context(ctx: &Context) -> Result<Self, PolicyError> {
        let config = Config::from_context(ctx)?;
        config.check_keys(&KEYS)?;
        let locales = match config.value("locales") {
            None => None,
            Some(_) => Some(config.strings("locales", &[])?),
        };
        let default_locale = config.string("default_locale", "en")?;
        for tag in locales.iter().flatten().chain(std::iter::once(&default_locale)) {
            if locale::normalise(tag).is_none() {
                return Err(PolicyError::bad_config(format!(
                    "{tag:?} is not a language tag such as \"en\" or \"de-CH\" (in `locales` or `default_locale`)"
                )));
            }
        }
        if locales.as_ref().is_some_and(Vec::is_empty) {
            return Err(PolicyError::bad_config("`locales` must list at least one locale, e.g. [\"en\"]"));
        }
        Ok(Self {
            send_hour: config.int_in("send_hour", 10, 0..=23)?,
            escalate_after_days: config.int_in("escalate_after_days", 30, 1..=365)?,
            escalate_after_feedback: config.int_in("escalate_after_feedback", 3, 1..=1_000)?,
            locales,
            default_locale,
        })
    }
}
