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
    /// What the host's model predicts for this customer and invoice, if
    /// the host computed it (plugins built against WIT 0.2 see it; 0.1
    /// plugins do not).
    pub signals: Option<Signals>,
}

/// Predictive signals for one decision, learned from the tenant's own
/// history (see `nudge_analytics::predict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals {
    /// Probability that the invoice is fully paid within 7 days of this
    /// decision without a further notice, in per-mille (0 to 1000).
    pub pay_within_7d_permille: u16,
    /// Examples the tenant's model has learned from (its sample size).
    pub model_examples: u32,
    /// The customer's settled invoices behind the customer's features.
    pub customer_invoices: u32,
    /// The local hour (0 to 23, customer's zone) at which the customer, else
    /// the tenant's customers, most often open, click or pay; `None` when too
    /// few events are known.
    pub best_send_hour: Option<u8>,
    /// Events behind `best_send_hour`.
    pub send_hour_samples: u32,
    /// True when `best_send_hour` comes from the customer's own events,
    /// false when from all of the tenant's customers.
    pub send_hour_own: bool,
}
