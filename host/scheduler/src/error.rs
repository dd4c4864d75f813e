//! Scheduler errors: host failures, not plugin failures (those are incidents).

use nudge_core::{InvoiceId, TenantId};

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
    /// A payment for an invoice that does not exist.
    #[error("invoice {0} does not exist")]
    UnknownInvoice(InvoiceId),
    /// Something changed under an operation every time it was tried.
    #[error("{0}; try again")]
    Contended(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
