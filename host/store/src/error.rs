//! Storage errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// sled failed (I/O, corruption).
    #[error("storage engine error: {0}")]
    Sled(String),
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
    /// Another process has the data directory open.
    #[error("{0} is in use by another nudge process; wait for it to finish or use another --data-dir")]
    Locked(String),
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
    /// The operating system gave no random bytes for a new secret.
    #[error("no randomness for a new secret: {0}")]
    Random(String),
}

impl From<sled::Error> for Error {
    fn from(err: sled::Error) -> Self {
        let text = err.to_string();
        match err {
            // sled reports a data directory held by another process this way.
            sled::Error::Io(ref io)
                if io.kind() == std::io::ErrorKind::WouldBlock || text.contains("could not acquire lock") =>
            {
                let path = text.split('"').nth(1).unwrap_or("the data directory").trim_end_matches("/db").to_string();
                Error::Locked(path)
            }
            _ => Error::Sled(text),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(err: sled::transaction::TransactionError<Error>) -> Self {
        match err {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}
