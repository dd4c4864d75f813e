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

    /// The currency's symbol when one is unambiguous and widely read
    /// (`$` for USD, `€`, `£`, `¥` for JPY); `None` for the rest, which are
    /// written with their code.
    pub fn symbol(&self) -> Option<&'static str> {
        SYMBOLS.iter().find(|(code, _)| *code == self.currency).map(|(_, symbol)| *symbol)
    }

    /// The amount as a customer reads it: the symbol and the currency's
    /// minor units (`$1,234.50`, `€9.99`, `¥5,000`, `-£3.00`), or the code
    /// for a currency without a symbol in the table (`KWD 1.005`, `XYZ 12.34`).
    pub fn to_customer_string(&self) -> String {
        let number = self.number();
        match self.symbol() {
            Some(symbol) => match number.strip_prefix('-') {
                Some(abs) => format!("-{symbol}{abs}"),
                None => format!("{symbol}{number}"),
            },
            None => format!("{} {number}", self.currency),
        }
    }

    /// The amount without its currency: `1,234.50`, `-1.005`, `5,000`.
    fn number(&self) -> String {
        let exp = self.exponent();
        let scale = 10u64.pow(exp);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let (major, minor) = (abs / scale, abs % scale);
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if exp == 0 {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}.{minor:0width$}", width = exp as usize)
        }
    }
}

/// Currencies written with a symbol in notices. A symbol shared by several
/// currencies keeps a prefix that tells them apart (`CA$`, `A$`).
const SYMBOLS: [(&str, &str); 14] = [
    ("USD", "$"),
    ("EUR", "€"),
    ("GBP", "£"),
    ("JPY", "¥"),
    ("CAD", "CA$"),
    ("AUD", "A$"),
    ("NZD", "NZ$"),
    ("HKD", "HK$"),
    ("SGD", "S$"),
    ("MXN", "MX$"),
    ("BRL", "R$"),
    ("INR", "₹"),
    ("KRW", "₩"),
    ("CNY", "CN¥"),
];

impl fmt::Display for Money {
    /// Formats as `USD 1,234.50`: code first, so no symbol is ambiguous.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.number())
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

    #[test]
    fn customers_read_symbols_and_minor_units() {
        let text = |minor, code| Money::new(minor, code).unwrap().to_customer_string();
        assert_eq!(text(123450, "USD"), "$1,234.50");
        assert_eq!(text(999, "EUR"), "€9.99");
        assert_eq!(text(100_000_000, "GBP"), "£1,000,000.00");
        assert_eq!(text(5000, "JPY"), "¥5,000", "JPY has no minor units");
        assert_eq!(text(1005, "KWD"), "KWD 1.005", "KWD has three decimals and no symbol in the table");
        assert_eq!(text(1234, "XYZ"), "XYZ 12.34", "an unknown code: the code and two decimals");
        assert_eq!(text(-300, "GBP"), "-£3.00");
        assert_eq!(text(5, "USD"), "$0.05");
        assert_eq!(text(150, "CAD"), "CA$1.50");
    }
}
