//! Delivery errors.

/// What went wrong rendering or delivering a notice.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template failed to render: out of fuel, output too large, a bad
    /// operation on a value.
    #[error("template {template} ({part}) failed to render: {reason}")]
    Render {
        /// Template id (`name/channel/locale` or `builtin/...`).
        template: String,
        /// The part: `subject`, `body` or `html`.
        part: &'static str,
        /// What happened.
        reason: String,
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
