//! Storage errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// sled failed (I/O, corruption).
    #[error("storage engine error: {0}")]
    Sled(#[from] sled::Error),
    /// A record could not be encoded or decoded.
    #[error("{kind} record is malformed: {source}")]
    Codec {
        /// The record kind ("invoice", ...).
        kind: &'static str,
        /// The serde error.
        source: serde_json::Error,
    },
    /// A record was written by a newer (or unknown) format version.
    #[error("{kind} record has format version {found}, this build reads version {supported}; upgrade nudge")]
    UnsupportedVersion {
        /// The record kind.
        kind: &'static str,
        /// The version found on disk.
        found: u8,
        /// The version this build writes and reads.
        supported: u8,
    },
    /// The data directory was written by another schema.
    #[error("data directory {path} has schema {found:?}, expected {expected:?}")]
    Schema {
        /// The directory.
        path: String,
        /// Found schema tag.
        found: String,
        /// Expected schema tag.
        expected: String,
    },
    /// Something the caller referred to does not exist.
    #[error("{kind} {id:?} not found")]
    NotFound {
        /// The kind ("tenant", ...).
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A write that would break an invariant.
    #[error("{0}")]
    Conflict(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(err: sled::transaction::TransactionError<Error>) -> Self {
        match err {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => Error::Sled(e),
        }
    }
}
