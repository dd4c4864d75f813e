//! Predictive signals: per customer, the probability of paying within 7
//! days without a further notice, and the best local hour to send, learned
//! from the tenant's own history and updated incrementally.
//!
//! # The label
//!
//! A **decision point** is the start of a local day `d` days from the due
//! date, for `d` in [`DECISION_DAYS`] (−3, 0, 1, 7, 14, 30), at which the
//! invoice is still not fully paid (its payment date, in the customer's
//! zone, is after that day). Its label is **true** when the invoice was
//! fully paid within [`WINDOW_DAYS`] (7) days after that day (payment date
//! ≤ day + 7) and no further notice was sent between the decision point and
//! the payment; **false** when it was not paid by then. An invoice paid in
//! time but after a further notice is not an example at all: it says
//! nothing about paying *without* one. On a history without notices (the
//! accounts-receivable CSV) the label is just "paid within 7 days".
//!
//! # The model
//!
//! A logistic regression per tenant over [`features::NAMES`]: the
//! customer's past on-time ratio (Laplace-smoothed), average days late,
//! the amount (log), days overdue at the decision, the number of past
//! invoices (log), the customer's own 7-day payment rate at the same point
//! of past invoices (smoothed towards ½) and how many there were (log), and
//! opens and clicks per notice. Features use only what was known on the
//! decision's day. It is fitted online: each example is one stochastic
//! gradient step (step size [`model::ETA0`] / √(1 + t / 100)) with a small
//! L2 pull towards the prior, and predictions use the average of the
//! weights over all steps. **Cold start**: a tenant's model starts at the
//! prior (every prediction [`model::PRIOR_RATE`], 30%); a new customer's
//! features are the smoothed values of a customer with no history, so the
//! tenant's model says what new customers usually do. Examples are learned
//! as their outcomes become known: at payment, every point the invoice was
//! still unpaid at; at the close of a point's window, a negative.
//!
//! # Best send hour
//!
//! Opens and clicks (engagement events), and payments stamped with a time
//! of day (not at exactly local midnight, which is how date-only imports
//! arrive), are counted by their local hour in the customer's zone. The best
//! hour is the peak of the histogram smoothed with its neighbours (1, 2, 1):
//! the customer's own when they have at least [`hours::MIN_OWN_SAMPLES`]
//! events, else the tenant's when it has [`hours::MIN_TENANT_SAMPLES`],
//! else none.

pub mod backtest;
pub mod features;
pub mod hours;
pub mod metrics;
pub mod model;
mod predictor;

pub use backtest::{Backtest, PastInvoice, backtest};
pub use metrics::{Bin, Scores};
pub use predictor::{DECISION_DAYS, PredictFacts, Predictor, REORDER_WINDOW, WINDOW_DAYS};
