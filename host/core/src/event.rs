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
        /// True when the built-in default policy decided instead of the plugin.
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
}
