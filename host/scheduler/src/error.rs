//! Scheduler errors: host failures, not plugin failures (those are incidents).

use nudge_core::{InvoiceId, NoticeId, TenantId};

/// What stopped the host from doing its part.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] nudge_store::Error),
    /// A plugin could not be loaded.
    #[error(transparent)]
    Plugin(#[from] nudge_runtime::LoadError),
    /// A domain value was invalid.
    #[error(transparent)]
    Domain(#[from] nudge_core::Error),
    /// A tenant that does not exist.
    #[error("tenant {0} does not exist; create it first")]
    UnknownTenant(TenantId),
    /// An invoice whose customer does not exist.
    #[error("invoice {invoice} refers to customer {customer}, who does not exist; import the customer first")]
    UnknownCustomer {
        /// The invoice.
        invoice: InvoiceId,
        /// The missing customer id.
        customer: String,
    },
    /// A rollback with nothing to roll back to.
    #[error("cannot roll back: {0}")]
    Rollback(String),
    /// A Stripe object nudge cannot map.
    #[error(transparent)]
    Stripe(#[from] nudge_ingest::stripe::MapError),
    /// A customer that does not exist.
    #[error("customer {0} does not exist")]
    NoSuchCustomer(nudge_core::CustomerId),
    /// The outbox could not be read or rewritten.
    #[error(transparent)]
    Delivery(#[from] nudge_delivery::Error),
    /// An import that does not hold together (a record of another tenant,
    /// a payment for an invoice it does not have).
    #[error("the import cannot be applied: {0}")]
    Import(String),
    /// A payment for an invoice that does not exist.
    #[error("invoice {0} does not exist")]
    UnknownInvoice(InvoiceId),
    /// A notice that does not exist (for this tenant).
    #[error("notice {0} does not exist")]
    NoSuchNotice(NoticeId),
    /// A notice that cannot be cancelled any more.
    #[error("notice {notice} is {state}, so it cannot be cancelled; only a scheduled notice can")]
    NotCancellable {
        /// The notice.
        notice: NoticeId,
        /// Its state ("sent", "sending", ...).
        state: &'static str,
    },
    /// Engagement reported for a notice that never went out.
    #[error("notice {notice} is {state}, not sent; engagement can only be reported for a sent notice")]
    NoticeNotSent {
        /// The notice.
        notice: NoticeId,
        /// Its state.
        state: &'static str,
    },
    /// A manual send for an invoice that takes no reminders.
    #[error("invoice {invoice} is {reason}; no reminder may be sent for it")]
    InvoiceNotOpen {
        /// The invoice.
        invoice: InvoiceId,
        /// paid, void, uncollectible, disputed, or closed by the policy.
        reason: String,
    },
    /// A manual send for a step the invoice already has a notice for.
    #[error("invoice {invoice} already has a notice for step {step:?}; choose another step, or leave it out")]
    StepTaken {
        /// The invoice.
        invoice: InvoiceId,
        /// The step.
        step: String,
    },
    /// A manual send past the most notices one invoice may get.
    #[error("invoice {0} has the most notices one invoice may get ({max})", max = crate::MAX_NOTICES_PER_INVOICE)]
    NoticeLimit(InvoiceId),
    /// A value of a manual send or an engagement report that cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// Tracking links cannot be made with the given base URL.
    #[error(transparent)]
    Tracking(#[from] nudge_delivery::tracking::BaseUrlError),
    /// An uploaded template with problems, each saying where.
    #[error("the template is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    TemplateInvalid(Vec<nudge_delivery::Issue>),
    /// A template request that cannot be served: a bad key, too many templates.
    #[error("{0}")]
    TemplateRequest(String),
    /// A template the tenant does not have.
    #[error("template {0} does not exist for this tenant")]
    NoSuchTemplate(String),
    /// Something changed under an operation every time it was tried.
    #[error("{0}; try again")]
    Contended(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
