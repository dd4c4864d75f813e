//! Invoices and payments.

use jiff::{Timestamp, civil::Date};
use serde::{Deserialize, Serialize};

use crate::{CustomerId, InvoiceId, Money, PaymentId, TenantId};

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    /// Issued and not fully paid.
    Open,
    /// Fully paid.
    Paid,
    /// Cancelled; nothing is owed.
    Void,
    /// Written off.
    Uncollectible,
}

impl InvoiceStatus {
    /// The status's name in the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }
}

/// An invoice a tenant sent to one of its customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The tenant's id for the invoice.
    pub id: InvoiceId,
    /// The customer who owes it.
    pub customer: CustomerId,
    /// The number printed on the invoice.
    pub number: String,
    /// The total.
    pub total: Money,
    /// What is still owed, in minor units of `total.currency`.
    pub amount_remaining_minor: i64,
    /// Calendar date of issue.
    pub issued_on: Date,
    /// Calendar date payment is due, read in the customer's time zone.
    pub due_on: Date,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// True while the customer disputes it.
    pub disputed: bool,
    /// Where the customer can pay.
    pub payment_link: Option<String>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// When the last payment that settled it arrived.
    pub paid_at: Option<Timestamp>,
    /// When the next evaluation is scheduled, if one is.
    pub next_evaluation: Option<Timestamp>,
    /// Set once the policy stopped or escalated; no more evaluations follow.
    pub closed_reason: Option<String>,
}

impl Invoice {
    /// True while reminders may still go out: open, something owed, not disputed.
    pub fn is_collectible(&self) -> bool {
        self.status == InvoiceStatus::Open && self.amount_remaining_minor > 0 && !self.disputed
    }

    /// Why no reminder may go out, if none may.
    pub fn blocked_reason(&self) -> Option<&'static str> {
        if self.status == InvoiceStatus::Paid
            || (self.status == InvoiceStatus::Open && self.amount_remaining_minor <= 0)
        {
            Some("paid")
        } else if self.status == InvoiceStatus::Void {
            Some("void")
        } else if self.status == InvoiceStatus::Uncollectible {
            Some("uncollectible")
        } else if self.disputed {
            Some("disputed")
        } else {
            None
        }
    }
}

/// A payment against one invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The tenant's id for the payment.
    pub id: PaymentId,
    /// The invoice it pays.
    pub invoice: InvoiceId,
    /// Amount paid, in minor units of the invoice's currency.
    pub amount_minor: i64,
    /// When the money arrived.
    pub received_at: Timestamp,
}
