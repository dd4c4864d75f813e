//! Delivery errors.

/// What went wrong rendering or delivering a notice.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template names a field the notice does not have.
    #[error("template {template:?} uses {{{{{field}}}}}, which this notice does not provide")]
    MissingField {
        /// Template id.
        template: String,
        /// The missing field.
        field: String,
    },
    /// A template with an unclosed or empty placeholder.
    #[error("template {template:?} is malformed at byte {at}: {reason}")]
    Malformed {
        /// Template id.
        template: String,
        /// Byte offset.
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The customer has no contact for the channel.
    #[error("no {0} contact for this customer")]
    NoContact(&'static str),
    /// Writing to the outbox failed.
    #[error("outbox write to {path} failed: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
