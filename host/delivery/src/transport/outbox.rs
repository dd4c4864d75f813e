//! The local outbox behind [`Transport`].

use crate::{Delivery, Error, IdempotencyKey, Outbox, Outgoing, Receipt, SendError, Transport};

impl Transport for Outbox {
    fn name(&self) -> &'static str {
        "outbox"
    }

    /// Writes the message's file. The outbox is idempotent by notice id on
    /// its own, so the key adds nothing; a file already there is a duplicate.
    /// A failed write is transient (a full disk may have room later).
    fn send(&self, message: &Outgoing, _key: &IdempotencyKey) -> Result<Receipt, SendError> {
        match self.deliver(&message.message) {
            Ok(Delivery::Written(path)) => {
                Ok(Receipt { transport: "outbox", provider_id: Some(path.display().to_string()), duplicate: false })
            }
            Ok(Delivery::AlreadyDelivered(path)) => {
                Ok(Receipt { transport: "outbox", provider_id: Some(path.display().to_string()), duplicate: true })
            }
            Err(error @ Error::Io { .. }) => Err(SendError::transient(error.to_string())),
            Err(error) => Err(SendError::permanent(error.to_string())),
        }
    }
}
