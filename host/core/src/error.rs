//! Errors raised when domain values are malformed.

/// A domain value that does not hold together, with what was wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// An identifier is empty, too long or has characters we do not accept.
    #[error("invalid {kind} id {value:?}: {reason}")]
    InvalidId {
        /// Which kind of id ("tenant", "customer", ...).
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A name that should be one of a fixed set is not.
    #[error("unknown {kind} {value:?}; expected one of: {expected}")]
    Unknown {
        /// Which kind of name ("channel", "tone", ...).
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// The accepted values, comma separated.
        expected: &'static str,
    },
    /// A time zone name that the bundled IANA database does not know.
    #[error("unknown IANA time zone {0:?} (expected a name such as \"Europe/London\")")]
    TimeZone(String),
    /// A send window whose hours are out of range or empty.
    #[error("invalid send window {start}:00-{end}:00: {reason}")]
    SendWindow {
        /// First allowed local hour.
        start: u8,
        /// First local hour no longer allowed.
        end: u8,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A currency code that is not three upper-case letters.
    #[error("invalid ISO 4217 currency code {0:?} (expected three upper-case letters such as \"USD\")")]
    Currency(String),
    /// A setting that does not hold together, with what was wrong.
    #[error("{0}")]
    Invalid(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
