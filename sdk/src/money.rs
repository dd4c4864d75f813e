//! Amounts of money: minor units with their ISO 4217 currency.

use std::cmp::Ordering;
use std::fmt;

use crate::{Context, InvoiceStatus, Money};

impl Money {
    /// `amount_minor` minor units of `currency`, e.g. `Money::new(1234, "USD")`
    /// for 12.34 USD. The host always sends upper-case ISO 4217 codes.
    pub fn new(amount_minor: i64, currency: impl Into<String>) -> Self {
        Self { amount_minor, currency: currency.into() }
    }

    /// Digits after the decimal point in `currency` (its ISO 4217 exponent):
    /// 0 for JPY or KRW, 3 for KWD or BHD, 2 for the rest. The host formats
    /// amounts with the same table.
    pub fn exponent(&self) -> u32 {
        match self.currency.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
            | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// The amount in major units (12.34 for 1234 USD cents), for ratios and
    /// thresholds; keep `amount_minor` for anything that must be exact.
    pub fn major(&self) -> f64 {
        self.amount_minor as f64 / 10f64.powi(self.exponent() as i32)
    }

    /// True when nothing is owed: the amount is zero or negative (a credit).
    pub fn is_zero_or_less(&self) -> bool {
        self.amount_minor <= 0
    }

    /// Compares two amounts of the same currency; `None` when the currencies
    /// differ, since no exchange rate is known inside a plugin.
    pub fn checked_cmp(&self, other: &Money) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.amount_minor.cmp(&other.amount_minor))
    }
}

impl fmt::Display for Money {
    /// Formats as the host does: `USD 1,234.50`, the code first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.exponent();
        let scale = 10u64.pow(exponent);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let magnitude = self.amount_minor.unsigned_abs();
        let digits = (magnitude / scale).to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if exponent == 0 {
            write!(f, "{} {sign}{grouped}", self.currency)
        } else {
            let fraction = magnitude % scale;
            write!(f, "{} {sign}{grouped}.{fraction:0width$}", self.currency, width = exponent as usize)
        }
    }
}

/// What is still owed on the invoice.
pub fn amount_due(ctx: &Context) -> &Money {
    &ctx.invoice.amount_remaining
}

/// Why no reminder may go out for this invoice, if none may: `"paid"` (also
/// when nothing remains), `"void"`, `"uncollectible"` or `"disputed"`.
///
/// The host applies the same rule as a guardrail, with the same words; a
/// policy that stops on these keeps its decisions and the host's in step.
pub fn blocked_reason(ctx: &Context) -> Option<&'static str> {
    let invoice = &ctx.invoice;
    match invoice.status {
        InvoiceStatus::Paid => Some("paid"),
        InvoiceStatus::Void => Some("void"),
        InvoiceStatus::Uncollectible => Some("uncollectible"),
        InvoiceStatus::Open if invoice.amount_remaining.is_zero_or_less() => Some("paid"),
        InvoiceStatus::Open if invoice.disputed => Some("disputed"),
        InvoiceStatus::Open => None,
    }
}

/// True when a reminder may go out: see [`blocked_reason`].
pub fn is_collectible(ctx: &Context) -> bool {
    blocked_reason(ctx).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ContextBuilder;

    #[test]
    fn formats_like_the_host() {
        assert_eq!(Money::new(123_450, "USD").to_string(), "USD 1,234.50");
        assert_eq!(Money::new(526, "USD").to_string(), "USD 5.26");
        assert_eq!(Money::new(5_000, "JPY").to_string(), "JPY 5,000");
        assert_eq!(Money::new(-1_005, "KWD").to_string(), "KWD -1.005");
        assert_eq!(Money::new(i64::MIN, "EUR").to_string(), "EUR -92,233,720,368,547,758.08");
    }

    #[test]
    fn major_units_follow_the_exponent() {
        assert_eq!(Money::new(1_234, "USD").major(), 12.34);
        assert_eq!(Money::new(1_234, "JPY").major(), 1_234.0);
        assert_eq!(Money::new(1_234, "BHD").major(), 1.234);
    }

    #[test]
    fn amounts_of_different_currencies_do_not_compare() {
        let usd = Money::new(100, "USD");
        assert_eq!(usd.checked_cmp(&Money::new(99, "USD")), Some(Ordering::Greater));
        assert_eq!(usd.checked_cmp(&Money::new(100, "USD")), Some(Ordering::Equal));
        assert_eq!(usd.checked_cmp(&Money::new(1, "EUR")), None);
    }

    #[test]
    fn only_open_undisputed_invoices_with_something_remaining_are_collectible() {
        assert!(is_collectible(&ContextBuilder::new().build()));
        assert_eq!(amount_due(&ContextBuilder::new().amount_remaining(1_250).build()), &Money::new(1_250, "USD"));
        let cases = [
            (ContextBuilder::new().amount_remaining(0), "paid"),
            (ContextBuilder::new().amount_remaining(-5), "paid"),
            (ContextBuilder::new().status(InvoiceStatus::Paid), "paid"),
            (ContextBuilder::new().status(InvoiceStatus::Void), "void"),
            (ContextBuilder::new().status(InvoiceStatus::Uncollectible), "uncollectible"),
            (ContextBuilder::new().disputed(true), "disputed"),
            // Settled wins over disputed, as in the host.
            (ContextBuilder::new().disputed(true).status(InvoiceStatus::Void), "void"),
        ];
        for (builder, reason) in cases {
            let ctx = builder.build();
            assert_eq!(blocked_reason(&ctx), Some(reason), "{:?}", ctx.invoice);
            assert!(!is_collectible(&ctx));
        }
    }
}
