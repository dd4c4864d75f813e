//! Money in minor units with its ISO 4217 currency.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{Error, Result};

/// An amount in minor units of a currency (cents for USD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units: 1234 is 12.34 in a two-decimal currency.
    pub amount_minor: i64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
}

impl Money {
    /// Builds an amount, checking the currency code's shape.
    pub fn new(amount_minor: i64, currency: &str) -> Result<Self> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::Currency(currency.to_string()));
        }
        Ok(Self { amount_minor, currency: currency.to_string() })
    }

    /// Digits after the decimal point for this currency (ISO 4217 exponent).
    pub fn exponent(&self) -> u32 {
        match self.currency.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
            | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Money {
    /// Formats as `USD 1,234.50`: code first, so no symbol is ambiguous.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.exponent();
        let scale = 10i64.pow(exp);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let major = abs / scale.unsigned_abs();
        let minor = abs % scale.unsigned_abs();
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if exp == 0 {
            write!(f, "{} {sign}{grouped}", self.currency)
        } else {
            write!(f, "{} {sign}{grouped}.{minor:0width$}", self.currency, width = exp as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_code_grouping_and_exponent() {
        assert_eq!(Money::new(123450, "USD").unwrap().to_string(), "USD 1,234.50");
        assert_eq!(Money::new(526, "USD").unwrap().to_string(), "USD 5.26");
        assert_eq!(Money::new(5000, "JPY").unwrap().to_string(), "JPY 5,000");
        assert_eq!(Money::new(-1005, "KWD").unwrap().to_string(), "KWD -1.005");
        assert!(Money::new(1, "usd").is_err());
    }
}
