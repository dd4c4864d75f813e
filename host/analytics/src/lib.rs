//! Analytics for nudge: KPIs, experiment verdicts and payment curves, read
//! from a tenant's event log and maintained incrementally.
//!
//! A [`Ledger`] folds events in one at a time ([`Ledger::apply`]), keeping
//! one small record per notice, invoice and customer; the invoice and
//! notice records it needs besides the log come from a [`Facts`] source (the
//! store). [`Ledger::report`] reads the figures off it without touching the
//! log again, so a report costs time in proportion to the notices and
//! invoices held, however long the log is, and bringing a ledger up to date
//! costs only the events appended since.
//!
//! ```
//! use nudge_analytics::{Facts, InvoiceInfo, Ledger, NoticeInfo};
//! use nudge_core::{Channel, CustomerId, Event, EventKind, InvoiceId, NoticeId, TenantId, Tone};
//!
//! struct One;
//! impl Facts for One {
//!     fn invoice(&self, _: &InvoiceId) -> Option<InvoiceInfo> {
//!         Some(InvoiceInfo {
//!             customer: CustomerId::new("c1").unwrap(),
//!             issued_on: "2024-01-01".parse().unwrap(),
//!             due_on: "2024-01-31".parse().unwrap(),
//!             amount_minor: 10_000,
//!             time_zone: jiff::tz::TimeZone::UTC,
//!         })
//!     }
//!     fn notice(&self, _: &InvoiceId, _: &str) -> Option<NoticeInfo> {
//!         Some(NoticeInfo { customer: CustomerId::new("c1").unwrap(), segment: "new".into(), tone: Tone::Friendly, arms: vec![] })
//!     }
//! }
//!
//! let tenant = TenantId::new("acme").unwrap();
//! let invoice = InvoiceId::new("inv-1").unwrap();
//! let notice = NoticeId::derive(&tenant, &invoice, "overdue-1");
//! let events = [
//!     ("2024-01-01T09:00:00Z", EventKind::InvoiceUpserted { invoice: invoice.clone() }),
//!     ("2024-02-01T09:00:00Z", EventKind::NoticeSent {
//!         notice, invoice: invoice.clone(), step: "overdue-1".into(), channel: Channel::Email }),
//!     ("2024-02-03T10:00:00Z", EventKind::PaymentRecorded { invoice, amount_minor: 10_000, settled: true }),
//! ];
//! let mut ledger = Ledger::new();
//! for (seq, (at, kind)) in events.into_iter().enumerate() {
//!     ledger.apply(&Event { seq: seq as u64, tenant: tenant.clone(), at: at.parse().unwrap(), kind }, &One);
//! }
//! let report = ledger.report(&[]);
//! assert_eq!(report.totals.paid_within_7d_of_first_notice.value(), Some(1.0));
//! assert_eq!(report.totals.avg_days_late, Some(3.0)); // due 31 January, paid 3 February
//! ```
//!
//! # Definitions
//!
//! Every rate is a count of successes over a count of trials, both in the
//! report (`numerator`, `denominator`, `value`).
//!
//! | KPI | numerator | denominator |
//! | --- | --- | --- |
//! | delivery rate | notices sent and not reported bounced | notices attempted: sent, or failed on every channel |
//! | open rate | notices opened or clicked | notices sent |
//! | click-to-pay rate | of those clicked, invoices fully paid within 7 days after the first click | notices whose payment link was clicked |
//! | paid within 7 days of the first notice | invoices fully paid within 7 × 24 h of their first notice | invoices with at least one notice sent |
//! | negative feedback rate | notices answered "not fair", or complained about | notices sent |
//! | opt-out rate | notices followed by the customer opting out (of one channel or all) within 7 days | notices sent |
//! | churn after notice | customers with no new invoice issued in the 90 days after their last notice | customers with a notice whose last notice is at least 90 days before the report's `as_of` |
//! | notices per paid invoice | notices sent for invoices now paid | invoices paid |
//! | days sales outstanding (DSO) | Σ amount × days from issue to full payment | Σ amount, over paid invoices |
//! | average days late | Σ days from due date to payment (0 when on time) | invoices paid |
//!
//! Dates of payment are read in the customer's time zone, as due dates are.
//! Engagement without a notice id (an opt-out through the API, a complaint)
//! is put down to the customer's latest notice if it went out within the
//! last 7 days, else to none.
//!
//! **Slices.** Notice-level rates are sliced by the notice's segment, tone,
//! channel actually used, step and experiment arms, and by the issue month
//! (cohort) of its invoice. Invoice-level figures (paid within 7 days,
//! notices per paid invoice, DSO, days late) follow the invoice's *first*
//! notice into its segment, tone, channel and step, the arms of any of its
//! notices (an experiment may apply to a later step), and its own issue
//! month into its cohort; invoices without a notice appear only in the
//! totals and their cohort. Churn follows the customer's first notice.
//!
//! **Experiments.** Per arm: customers reached, the KPIs, and a 95% Wilson
//! interval on "paid within 7 days of the first notice". Each arm is
//! compared with the control (the arm named `control`, else the first arm
//! the tenant or plugin declared) by a pooled two-proportion z-test, at
//! 5% divided by the number of comparisons (Bonferroni). Below 30 invoices
//! with a notice in an arm, or fewer than 5 paid or 5 unpaid, the report
//! says the sample is too small to conclude and names the arms.
//!
//! **Payment curves.** For each cohort and each arm: the share of its
//! invoices fully paid by the end of each day from 30 days before to 90
//! days after the due date.

mod applied;
mod ledger;
pub mod predict;
pub mod render;
mod report;
pub mod stats;

pub use ledger::{ATTRIBUTION_WINDOW, Facts, InvoiceInfo, Ledger, NoticeInfo, REORDER_WINDOW};
pub use report::{
    ALPHA, ArmOrder, ArmReport, CHURN_AFTER_DAYS, CURVE_FIRST_DAY, CURVE_LAST_DAY, Comparison, Curve, DIMENSIONS,
    ExperimentReport, Kpis, MIN_INVOICES_PER_ARM, MIN_OUTCOMES_PER_ARM, PAID_WITHIN, Report,
};
pub use stats::Ratio;
