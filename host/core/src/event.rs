//! The append-only event log: every change of state, in order.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Channel, CustomerId, IncidentKind, InvoiceId, NoticeId, TenantId};

/// One entry of a tenant's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the log, increasing.
    pub seq: u64,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// When it happened (virtual time during a replay).
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    /// A customer was created or updated.
    CustomerUpserted {
        /// The customer.
        customer: CustomerId,
    },
    /// An invoice was created or updated.
    InvoiceUpserted {
        /// The invoice.
        invoice: InvoiceId,
    },
    /// A payment was recorded.
    PaymentRecorded {
        /// The invoice paid.
        invoice: InvoiceId,
        /// Amount in minor units.
        amount_minor: i64,
        /// True when it settled the invoice.
        settled: bool,
    },
    /// The policy decided; `fallback` says when it was not the tenant's plugin.
    Decided {
        /// The invoice.
        invoice: InvoiceId,
        /// The segment.
        segment: String,
        /// notify, wait, stop or escalate.
        action: String,
        /// Plugin version, `None` for the built-in default policy.
        plugin_version: Option<u32>,
        /// True when something other than the active version decided: the
        /// previous version (`plugin_version`) or the built-in default policy.
        fallback: bool,
    },
    /// A notice was scheduled.
    NoticeScheduled {
        /// The notice.
        notice: NoticeId,
        /// The invoice.
        invoice: InvoiceId,
        /// Step name.
        step: String,
        /// Send time after guardrails.
        send_at: Timestamp,
        /// The policy's requested time when quiet hours moved it.
        moved_from: Option<Timestamp>,
    },
    /// A customer's frequency cap held a due notice back until it allows one.
    NoticeHeld {
        /// The notice.
        notice: NoticeId,
        /// The invoice.
        invoice: InvoiceId,
        /// Step name.
        step: String,
        /// When the cap next allows a notice to this customer.
        until: Timestamp,
        /// Which cap, e.g. "1 notice per day".
        reason: String,
    },
    /// One message carried the notices of several of a customer's invoices
    /// that were due together; each of them also has its `NoticeSent`.
    NoticesCombined {
        /// The notice whose message carried the others.
        primary: NoticeId,
        /// The notices it carried.
        combined: Vec<NoticeId>,
    },
    /// A notice was handed to its channel.
    NoticeSent {
        /// The notice.
        notice: NoticeId,
        /// The invoice.
        invoice: InvoiceId,
        /// Step name.
        step: String,
        /// Channel used.
        channel: Channel,
    },
    /// A guardrail stopped a notice or a decision.
    NoticeSuppressed {
        /// The notice, when one existed.
        notice: Option<NoticeId>,
        /// The invoice.
        invoice: InvoiceId,
        /// Step name.
        step: String,
        /// Why.
        reason: String,
    },
    /// Delivery failed on every channel.
    NoticeFailed {
        /// The notice.
        notice: NoticeId,
        /// The invoice.
        invoice: InvoiceId,
        /// The last error.
        reason: String,
    },
    /// The policy stopped the sequence.
    Stopped {
        /// The invoice.
        invoice: InvoiceId,
        /// Why.
        reason: String,
    },
    /// The invoice was handed to support.
    Escalated {
        /// The invoice.
        invoice: InvoiceId,
        /// Why.
        reason: String,
    },
    /// A plugin call failed; the host fell back.
    Incident {
        /// The invoice.
        invoice: InvoiceId,
        /// Plugin version.
        plugin_version: u32,
        /// What kind of failure.
        kind: IncidentKind,
    },
    /// A customer opted out of one channel, or of every channel.
    OptedOut {
        /// The customer.
        customer: CustomerId,
        /// The channel; `None` for every channel.
        channel: Option<Channel>,
    },
    /// A customer's personal data was erased; only anonymous counts remain.
    CustomerErased {
        /// The customer (an opaque id, kept so counts still add up).
        customer: CustomerId,
    },
    /// A plugin version was uploaded.
    PluginUploaded {
        /// The new version number.
        version: u32,
        /// sha256 of its bytes, hex.
        sha256: String,
    },
    /// A plugin version was activated.
    PluginActivated {
        /// The version.
        version: u32,
    },
    /// The circuit breaker switched a plugin version off.
    PluginDisabled {
        /// The version.
        version: u32,
        /// Why, for the tenant.
        reason: String,
    },
    /// A customer's contact on one channel bounced or drew a complaint: the
    /// host stops using it (fallback channels take over) until the tenant
    /// gives a new one.
    ContactUnverified {
        /// The customer.
        customer: CustomerId,
        /// The channel whose contact is no longer used.
        channel: Channel,
        /// The notice whose bounce or complaint said so.
        notice: NoticeId,
        /// What was reported: bounced or complained.
        reason: EngagementKind,
    },
    /// What happened to a notice after it left (delivered, opened, clicked,
    /// bounced, complained, feedback) or a customer's opt-out, as reported
    /// by the tenant, its delivery provider or a tracking link.
    Engagement {
        /// The customer it concerns.
        customer: CustomerId,
        /// The notice it concerns, if known.
        notice: Option<NoticeId>,
        /// What happened.
        kind: EngagementKind,
        /// The channel, for an opt-out or a channel-specific outcome.
        channel: Option<Channel>,
        /// True for negative feedback ("was this reminder fair?" answered no)
        /// and for complaints.
        #[serde(default)]
        negative: bool,
        /// Free text (feedback, bounce reason), bounded by whoever records it.
        detail: Option<String>,
    },
}

/// What a provider, the tenant or a tracking link reported about a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngagementKind {
    /// The provider accepted delivery to the customer's inbox or phone.
    Delivered,
    /// The customer opened it (tracking pixel or provider report).
    Opened,
    /// The customer followed the payment link.
    Clicked,
    /// It bounced: the address or number does not take messages.
    Bounced,
    /// The customer marked it as spam or complained.
    Complained,
    /// The customer answered "was this reminder fair?".
    Feedback,
    /// The customer opted out.
    OptOut,
}

impl EngagementKind {
    /// Every kind, in a stable order.
    pub const ALL: [EngagementKind; 7] = [
        EngagementKind::Delivered,
        EngagementKind::Opened,
        EngagementKind::Clicked,
        EngagementKind::Bounced,
        EngagementKind::Complained,
        EngagementKind::Feedback,
        EngagementKind::OptOut,
    ];

    /// The kind's name in the API and the event log.
    pub fn as_str(self) -> &'static str {
        match self {
            EngagementKind::Delivered => "delivered",
            EngagementKind::Opened => "opened",
            EngagementKind::Clicked => "clicked",
            EngagementKind::Bounced => "bounced",
            EngagementKind::Complained => "complained",
            EngagementKind::Feedback => "feedback",
            EngagementKind::OptOut => "opt-out",
        }
    }
}

impl std::fmt::Display for EngagementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EngagementKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown engagement kind {s:?}; expected one of {}", names.join(", "))
        })
    }
}
