//! Storage for nudge on sled: typed trees, transactions, a time-ordered
//! schedule index, a per-customer send log and an append-only event log.
//!
//! Every key starts with the tenant id (the schedule index starts with the
//! due time, then the tenant), and every value starts with a one-byte format
//! version, so records can evolve and one tenant's data is one key range.
//! All writes that belong together happen in one [`Store::transact`] call.
//!
//! ```
//! use nudge_core::{Tenant, TenantId, TenantSettings};
//! use nudge_store::Store;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path()).unwrap();
//! let tenant = Tenant {
//!     id: TenantId::new("acme").unwrap(),
//!     name: "Acme".into(),
//!     settings: TenantSettings::default(),
//!     created_at: jiff::Timestamp::UNIX_EPOCH,
//! };
//! store.transact(|tx| tx.put_tenant(&tenant)).unwrap();
//! assert_eq!(store.tenant(&tenant.id).unwrap().unwrap().name, "Acme");
//! ```

mod access;
mod codec;
mod error;
mod marks;
mod plugins;
mod redact;
mod schedule;
mod sends;
mod store;
mod templates;
mod tx;

pub use access::{ApiKeyRecord, IdempotencyRecord, WebhookSecretsRecord};
pub use codec::Record;
pub use error::{Error, Result};
pub use plugins::{DryRunReport, PluginRecord};
pub use redact::{Redacted, redact_value};
pub use schedule::{ScheduleEntry, ScheduleKind};
pub use sends::SendRecord;
pub use store::Store;
pub use templates::TemplateRecord;
pub use tx::{Tx, TxResult};
