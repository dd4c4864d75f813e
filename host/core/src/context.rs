//! What a policy sees when it decides: the host-side form of the WIT `context`.

use jiff::Timestamp;

use crate::{Customer, Invoice, Notice};

/// Everything a policy (plugin or built-in) may look at to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionContext {
    /// The current time (virtual during a replay).
    pub now: Timestamp,
    /// The invoice to decide about.
    pub invoice: Invoice,
    /// Its customer; `customer.stats` is the payment and engagement history.
    pub customer: Customer,
    /// The customer's UTC offset at `now`, in minutes.
    pub utc_offset_minutes: i32,
    /// Notices already scheduled or sent for this invoice, oldest first.
    pub notices: Vec<Notice>,
    /// Experiment arms assigned to the customer: (experiment, arm).
    pub experiments: Vec<(String, String)>,
    /// A seed derived from tenant, invoice and time; same inputs, same seed.
    pub seed: u64,
    /// The tenant's plugin configuration, JSON text.
    pub config: String,
    /// The tenant's currency for lifetime value.
    pub currency: String,
}
