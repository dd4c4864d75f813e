//! Notices: one message on one channel for one step of one invoice.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Channel, CustomerId, InvoiceId, NoticeId, TenantId, Tone};

/// Where a notice stands. Moves forward only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum NoticeState {
    /// Waiting for its send time.
    Scheduled,
    /// Delivery started; after a crash it is retried under the same id.
    Sending,
    /// Handed to the channel.
    Sent {
        /// When it was sent.
        at: Timestamp,
        /// The channel actually used (a fallback, possibly).
        channel: Channel,
    },
    /// A guardrail stopped it before sending.
    Suppressed {
        /// When it was stopped.
        at: Timestamp,
        /// Why: "paid", "void", "disputed", "opted-out", ...
        reason: String,
    },
    /// Delivery failed on every channel.
    Failed {
        /// When delivery gave up.
        at: Timestamp,
        /// The last error.
        reason: String,
    },
}

impl NoticeState {
    /// The state's name in the API and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeState::Scheduled => "scheduled",
            NoticeState::Sending => "sending",
            NoticeState::Sent { .. } => "sent",
            NoticeState::Suppressed { .. } => "suppressed",
            NoticeState::Failed { .. } => "failed",
        }
    }

    /// True when nothing more will happen to the notice.
    pub fn is_final(&self) -> bool {
        matches!(self, NoticeState::Sent { .. } | NoticeState::Suppressed { .. } | NoticeState::Failed { .. })
    }
}

/// A reminder scheduled for, or sent to, a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Derived from tenant, invoice and step; the idempotency key of the send.
    pub id: NoticeId,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The invoice it is about.
    pub invoice: InvoiceId,
    /// The customer it goes to.
    pub customer: CustomerId,
    /// The step of the sequence ("pre-due", "overdue-7", ...).
    pub step: String,
    /// The segment the policy put the customer in.
    pub segment: String,
    /// The first channel to try.
    pub channel: Channel,
    /// Channels to try next, in order.
    pub fallbacks: Vec<Channel>,
    /// The tone.
    pub tone: Tone,
    /// Template id; empty for the tenant's default for the tone.
    pub template: String,
    /// Extra template fields from the policy.
    pub fields: Vec<(String, String)>,
    /// The send time the policy asked for.
    pub requested_at: Timestamp,
    /// The send time after guardrails (quiet hours) moved it.
    pub send_at: Timestamp,
    /// Where it stands.
    pub state: NoticeState,
    /// Plugin version that decided it; `None` for the built-in default policy.
    pub plugin_version: Option<u32>,
    /// The experiment arms the customer was in when it was decided.
    pub experiment_arms: Vec<(String, String)>,
    /// When it was decided.
    pub created_at: Timestamp,
    /// The message it goes out in, named by that message's (first) notice:
    /// set durably when delivery starts, so that after a crash a notice
    /// carried in another invoice's message is known to be delivered
    /// whenever that message is.
    #[serde(default)]
    pub message: Option<NoticeId>,
}
