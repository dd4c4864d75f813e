//! Transports: one per kind of provider, all behind [`Transport`].
//!
//! A transport hands one [`Outgoing`] message to its provider and says what
//! happened: a [`Receipt`], or a [`SendError`] that is either
//! [`Transient`](SendError::Transient) (worth retrying: timeouts, refused or
//! reset connections, HTTP 429 and 5xx, SMTP 4xx replies) or
//! [`Permanent`](SendError::Permanent) (retrying cannot help: an invalid
//! address, any other 4xx, SMTP 5xx replies). Whether and when to retry is
//! [`crate::retry`]'s business, not the transport's: a transport makes one
//! attempt.
//!
//! Every attempt carries the send's [`IdempotencyKey`], the same on every
//! retry, and every network call has connect and read timeouts. Error
//! reasons never contain a secret: they are built from status codes and
//! provider error texts, and scrubbed of the transport's secrets.

mod fcm;
mod http;
mod null;
mod outbox;
mod smtp;
mod twilio;
pub(crate) mod webhook;

use std::time::Duration;

pub use fcm::{Fcm, FcmConfig};
pub use http::HttpTimeouts;
pub use null::NullSink;
pub use smtp::{Smtp, SmtpConfig, SmtpSecurity};
pub use twilio::{StatusCallback, StatusCallbackError, Twilio, TwilioConfig, signature as twilio_signature};
pub use webhook::{SignatureError, Webhook, WebhookConfig, sign as sign_webhook, verify as verify_webhook};

use crate::{IdempotencyKey, Outgoing};

/// Sends messages through one provider.
pub trait Transport: Send + Sync {
    /// A short name for logs and metrics: "smtp", "twilio", "fcm", ...
    fn name(&self) -> &'static str;

    /// Makes one attempt to hand `message` to the provider, under `key`.
    fn send(&self, message: &Outgoing, key: &IdempotencyKey) -> Result<Receipt, SendError>;
}

/// What the provider said when it took a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The transport that took it.
    pub transport: &'static str,
    /// The provider's id for the message (Twilio's SID, FCM's name, the
    /// SMTP Message-ID, the outbox file), when it gave one.
    pub provider_id: Option<String>,
    /// True when the provider (or the outbox) already had this send: an
    /// earlier attempt went through and this one delivered nothing new.
    pub duplicate: bool,
}

/// Why a permanent failure happened: it decides whether the contact is to
/// blame (mark it unverified) or the sender's setup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The address, number or device token does not take messages.
    Contact,
    /// Anything else: the provider refused the request, the credentials, the
    /// content or the configuration. The contact may be fine.
    Sender,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later.
    #[error("transient delivery failure: {reason}")]
    Transient {
        /// What went wrong, without secrets.
        reason: String,
        /// How long the provider asked us to wait (HTTP `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help.
    #[error("permanent delivery failure: {reason}")]
    Permanent {
        /// What went wrong, without secrets.
        reason: String,
        /// Whether the contact is to blame.
        blame: Blame,
    },
}

impl SendError {
    /// A transient failure without a `Retry-After`.
    pub fn transient(reason: impl Into<String>) -> Self {
        SendError::Transient { reason: reason.into(), retry_after: None }
    }

    /// A permanent failure that says nothing about the contact.
    pub fn permanent(reason: impl Into<String>) -> Self {
        SendError::Permanent { reason: reason.into(), blame: Blame::Sender }
    }

    /// A permanent failure because the contact does not take messages.
    pub fn bad_contact(reason: impl Into<String>) -> Self {
        SendError::Permanent { reason: reason.into(), blame: Blame::Contact }
    }

    /// True for [`SendError::Transient`].
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    /// True when the contact is to blame: the scheduler marks it unverified.
    pub fn blames_contact(&self) -> bool {
        matches!(self, SendError::Permanent { blame: Blame::Contact, .. })
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        match self {
            SendError::Transient { reason, .. } | SendError::Permanent { reason, .. } => reason,
        }
    }

    /// The same error with `secrets` scrubbed from its reason.
    pub(crate) fn scrubbed(self, secrets: &[&crate::Secret]) -> Self {
        let scrub = |reason: String| secrets.iter().fold(reason, |r, s| s.scrub(&r));
        match self {
            SendError::Transient { reason, retry_after } => SendError::Transient { reason: scrub(reason), retry_after },
            SendError::Permanent { reason, blame } => SendError::Permanent { reason: scrub(reason), blame },
        }
    }
}
