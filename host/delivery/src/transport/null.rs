//! A transport that discards every message and counts them (benchmarks).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{IdempotencyKey, Outgoing, Receipt, SendError, Transport};

/// Discards messages, counting them.
#[derive(Debug, Default)]
pub struct NullSink {
    sent: AtomicU64,
}

impl NullSink {
    /// A sink that has taken nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many messages it has taken.
    pub fn count(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

impl Transport for NullSink {
    fn name(&self) -> &'static str {
        "null"
    }

    fn send(&self, _message: &Outgoing, _key: &IdempotencyKey) -> Result<Receipt, SendError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(Receipt { transport: "null", provider_id: None, duplicate: false })
    }
}
