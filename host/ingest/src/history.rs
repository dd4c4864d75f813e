//! A tenant's past as nudge replays it: customers, invoices with the instant
//! each was issued, and payments with the instant each arrived.
//!
//! Every input format ([`crate::ar`], [`crate::json`]) reads into a
//! [`History`], so a replay, an import and a simulation see the same events
//! whatever file they came from.

use jiff::{Timestamp, ToSpan, civil::Date, tz::TimeZone};
use nudge_core::{Customer, Invoice, Payment};

/// An invoice and when it was issued.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedInvoice {
    /// The invoice as nudge stores it (open: the history is replayed).
    pub invoice: Invoice,
    /// When it was issued, i.e. when the policy is first asked about it.
    pub issued_at: Timestamp,
}

/// Customers, invoices and payments of one tenant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Customers, each once.
    pub customers: Vec<Customer>,
    /// Invoices, each once, every one of a listed customer.
    pub invoices: Vec<IssuedInvoice>,
    /// Payments, each against a listed invoice, never before it was issued.
    pub payments: Vec<Payment>,
}

impl History {
    /// The span a replay of this history covers, in UTC: from midnight of
    /// the day before the first invoice date to midnight 31 days after the
    /// last payment or due date, whichever is later. `None` without invoices.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let first_day = self.invoices.iter().map(|i| i.invoice.issued_on).min()?;
        let first_issue = self.invoices.iter().map(|i| i.issued_at).min()?;
        let last_due = self.invoices.iter().map(|i| i.invoice.due_on).max()?;
        let last_payment = self.payments.iter().map(|p| p.received_at.to_zoned(TimeZone::UTC).date()).max();
        let last_day = last_payment.map_or(last_due, |paid| paid.max(last_due));
        let midnight = |date: Date| date.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp());
        let from = midnight(first_day.yesterday().ok()?)?.min(first_issue);
        let until = midnight(last_day.checked_add(31.days()).ok()?)?;
        Some((from, until))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{CustomerId, InvoiceId, InvoiceStatus, Money, PaymentId, TenantId};

    fn invoice(id: &str, issued_on: Date, due_on: Date) -> IssuedInvoice {
        IssuedInvoice {
            invoice: Invoice {
                tenant: TenantId::new("t").unwrap(),
                id: InvoiceId::new(id).unwrap(),
                customer: CustomerId::new("c").unwrap(),
                number: id.into(),
                total: Money { amount_minor: 100, currency: "USD".into() },
                amount_remaining_minor: 100,
                issued_on,
                due_on,
                status: InvoiceStatus::Open,
                disputed: false,
                payment_link: None,
                tags: Vec::new(),
                paid_at: None,
                next_evaluation: None,
                closed_reason: None,
            },
            issued_at: issued_on.to_zoned(TimeZone::UTC).unwrap().timestamp() + 9.hours(),
        }
    }

    #[test]
    fn the_span_runs_from_the_day_before_the_first_invoice_to_a_month_after_the_last_event() {
        let d = |m, d| Date::new(2024, m, d).unwrap();
        let mut history = History {
            invoices: vec![invoice("1", d(3, 1), d(3, 31)), invoice("2", d(2, 10), d(3, 10))],
            ..History::default()
        };
        let (from, until) = history.span().unwrap();
        assert_eq!(from.to_string(), "2024-02-09T00:00:00Z");
        assert_eq!(until.to_string(), "2024-05-01T00:00:00Z", "31 days after the last due date");
        history.payments.push(Payment {
            tenant: TenantId::new("t").unwrap(),
            id: PaymentId::new("p").unwrap(),
            invoice: InvoiceId::new("1").unwrap(),
            amount_minor: 100,
            received_at: "2024-04-20T12:00:00Z".parse().unwrap(),
        });
        assert_eq!(history.span().unwrap().1.to_string(), "2024-05-21T00:00:00Z", "a later payment extends it");
        assert_eq!(History::default().span(), None);
    }
}
