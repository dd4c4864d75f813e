//! A tenant's channel settings: which transport serves each channel.
//!
//! ```
//! use nudge_core::Channel;
//! use nudge_delivery::{ChannelsConfig, Outbox};
//!
//! let config: ChannelsConfig = serde_json::from_str(r#"{
//!     "email": {"transport": "smtp", "host": "smtp.example.com", "from": "billing@acme.example",
//!               "username": "acme", "password": "s3cret"},
//!     "sms": {"transport": "twilio", "account_sid": "AC123", "auth_token": "tok", "from": "+15550001111"},
//!     "push": {"transport": "webhook", "url": "https://acme.example/push", "secret": "whsec"},
//!     "retry": {"max_attempts": 4}
//! }"#).unwrap();
//! assert!(!format!("{config:?}").contains("s3cret"));
//! let channels = config.build(&Outbox::new("/tmp/outbox")).unwrap();
//! assert_eq!(channels.get(Channel::Email).unwrap().name(), "smtp");
//! assert_eq!(channels.get(Channel::Webhook).unwrap().name(), "outbox");
//! ```

use std::collections::BTreeMap;

use nudge_core::Channel;
use serde::{Deserialize, Serialize};

use crate::{
    Outbox, RetryPolicy, Transport,
    transport::{Fcm, FcmConfig, NullSink, Smtp, SmtpConfig, Twilio, TwilioConfig, Webhook, WebhookConfig},
};

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A field's value is unusable.
    #[error("channel setting {field}: {reason}")]
    Invalid {
        /// The field, as a dotted path ("smtp.from", "sms.transport").
        field: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// The transport of one channel, tagged by `"transport"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transport", rename_all = "lowercase")]
pub enum TransportConfig {
    /// SMTP (email only).
    Smtp(SmtpConfig),
    /// Twilio-compatible SMS API (sms only).
    Twilio(TwilioConfig),
    /// FCM-HTTP-v1-compatible push API (push only).
    Fcm(FcmConfig),
    /// The signed JSON webhook (any channel: the tenant delivers it).
    Webhook(WebhookConfig),
    /// The host's local outbox (any channel; the default).
    Outbox,
    /// Discard and count (benchmarks).
    Null,
}

impl TransportConfig {
    /// The transport's name in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            TransportConfig::Smtp(_) => "smtp",
            TransportConfig::Twilio(_) => "twilio",
            TransportConfig::Fcm(_) => "fcm",
            TransportConfig::Webhook(_) => "webhook",
            TransportConfig::Outbox => "outbox",
            TransportConfig::Null => "null",
        }
    }

    /// The one channel this transport is limited to, if any.
    fn only_for(&self) -> Option<Channel> {
        match self {
            TransportConfig::Smtp(_) => Some(Channel::Email),
            TransportConfig::Twilio(_) => Some(Channel::Sms),
            TransportConfig::Fcm(_) => Some(Channel::Push),
            _ => None,
        }
    }
}

/// A tenant's channel settings. A channel left out is delivered to the
/// local outbox. Secrets are [`crate::Secret`]s: formatting the config never
/// shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsConfig {
    /// How email goes out.
    #[serde(default)]
    pub email: Option<TransportConfig>,
    /// How text messages go out.
    #[serde(default)]
    pub sms: Option<TransportConfig>,
    /// How push notifications go out.
    #[serde(default)]
    pub push: Option<TransportConfig>,
    /// How webhook notices go out.
    #[serde(default)]
    pub webhook: Option<TransportConfig>,
    /// When failed sends are retried.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Where escalations open tickets, if anywhere.
    #[serde(default)]
    pub escalation: Option<WebhookConfig>,
}

impl ChannelsConfig {
    /// The configured transport of `channel`, if any.
    pub fn transport(&self, channel: Channel) -> Option<&TransportConfig> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Push => self.push.as_ref(),
            Channel::Webhook => self.webhook.as_ref(),
        }
    }

    /// Checks every setting without building anything that connects.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.retry.validate()?;
        for channel in Channel::ALL {
            let Some(transport) = self.transport(channel) else { continue };
            if let Some(only) = transport.only_for().filter(|only| *only != channel) {
                return Err(ConfigError::Invalid {
                    field: format!("{channel}.transport"),
                    reason: format!("{} delivers {only} only; use webhook, outbox or null here", transport.name()),
                });
            }
            let url = match transport {
                TransportConfig::Twilio(c) => Some(("base_url", &c.base_url)),
                TransportConfig::Fcm(c) => Some(("base_url", &c.base_url)),
                TransportConfig::Webhook(c) => Some(("url", &c.url)),
                _ => None,
            };
            if let Some((field, url)) = url {
                check_url(&format!("{channel}.{field}"), url)?;
            }
        }
        if let Some(escalation) = &self.escalation {
            check_url("escalation.url", &escalation.url)?;
        }
        Ok(())
    }

    /// The transports, one per channel; channels left out use `outbox`.
    pub fn build(&self, outbox: &Outbox) -> Result<Channels, ConfigError> {
        self.validate()?;
        let mut transports: BTreeMap<Channel, Box<dyn Transport>> = BTreeMap::new();
        for channel in Channel::ALL {
            let transport: Box<dyn Transport> = match self.transport(channel) {
                Some(TransportConfig::Smtp(c)) => Box::new(Smtp::new(c)?),
                Some(TransportConfig::Twilio(c)) => Box::new(Twilio::new(c)),
                Some(TransportConfig::Fcm(c)) => Box::new(Fcm::new(c)),
                Some(TransportConfig::Webhook(c)) => Box::new(Webhook::new(c)),
                Some(TransportConfig::Null) => Box::new(NullSink::new()),
                Some(TransportConfig::Outbox) | None => Box::new(outbox.clone()),
            };
            transports.insert(channel, transport);
        }
        Ok(Channels { transports })
    }
}

/// An http(s) URL, or a clear error naming `field`.
fn check_url(field: &str, url: &str) -> Result<(), ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(ConfigError::Invalid {
            field: field.to_string(),
            reason: format!("{url:?} is not an http:// or https:// URL with a host"),
        }),
    }
}

/// A tenant's transports, one per channel.
pub struct Channels {
    transports: BTreeMap<Channel, Box<dyn Transport>>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.transports.iter().map(|(c, t)| (c.as_str(), t.name()))).finish()
    }
}

impl Channels {
    /// The transport of `channel`.
    pub fn get(&self, channel: Channel) -> Option<&dyn Transport> {
        self.transports.get(&channel).map(|t| &**t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_are_checked_against_their_channel_and_urls() {
        let config: ChannelsConfig =
            serde_json::from_str(r#"{"sms": {"transport": "smtp", "host": "h", "from": "a@b.example"}}"#).unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("sms.transport") && err.contains("smtp delivers email only"), "{err}");
        let config: ChannelsConfig =
            serde_json::from_str(r#"{"webhook": {"transport": "webhook", "url": "ftp://x", "secret": "s"}}"#).unwrap();
        assert!(config.validate().unwrap_err().to_string().contains("webhook.url"));
        let unknown = serde_json::from_str::<ChannelsConfig>(r#"{"email": {"transport": "carrier-pigeon"}}"#);
        assert!(unknown.unwrap_err().to_string().contains("carrier-pigeon"));
        let typo = serde_json::from_str::<ChannelsConfig>(
            r#"{"push": {"transport": "fcm", "project_id": "p", "access_token": "t", "acess": 1}}"#,
        );
        assert!(typo.unwrap_err().to_string().contains("acess"));
    }

    #[test]
    fn left_out_channels_use_the_outbox() {
        let channels = ChannelsConfig::default().build(&Outbox::new("/nonexistent")).unwrap();
        for channel in Channel::ALL {
            assert_eq!(channels.get(channel).unwrap().name(), "outbox");
        }
        assert!(format!("{channels:?}").contains("\"sms\": \"outbox\""));
    }
}
