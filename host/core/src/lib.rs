//! The domain model of nudge, shared by every part of the host.
//!
//! Tenants bill customers with invoices; a policy plugin decides, per invoice,
//! the next [`Notice`] (one message on one [`Channel`] for one step of the
//! sequence). This crate holds those records and the time rules every part of
//! the host must agree on, such as the tenant's send window in the customer's
//! time zone.
//!
//! ```
//! use nudge_core::{SendWindow, time};
//! use jiff::Timestamp;
//!
//! let tz = time::zone("America/New_York").unwrap();
//! // 03:00 in New York is inside the default quiet hours (20:00-08:00)...
//! let at: Timestamp = "2024-03-05T08:00:00Z".parse().unwrap();
//! let moved = SendWindow::default().next_allowed(at, &tz);
//! // ...so the send moves to 08:00 local, 13:00 UTC.
//! assert_eq!(moved.to_string(), "2024-03-05T13:00:00Z");
//! ```

mod channel;
mod context;
pub mod crypto;
mod customer;
mod decision;
mod error;
mod event;
mod hash;
mod ids;
mod incident;
mod invoice;
mod limits;
pub mod locale;
mod money;
mod notice;
mod tenant;
pub mod time;

pub use channel::{Channel, Tone};
pub use context::{DecisionContext, Signals};
pub use customer::{Customer, CustomerStats};
pub use decision::{Action, Decision, Notify};
pub use error::{Error, Result};
pub use event::{EngagementKind, Event, EventKind};
pub use hash::stable_hash;
pub use ids::{CustomerId, InvoiceId, NoticeId, PaymentId, TenantId};
pub use incident::{Incident, IncidentKind};
pub use invoice::{Invoice, InvoiceStatus, Payment};
pub use limits::PluginLimits;
pub use money::Money;
pub use notice::{Notice, NoticeState};
pub use tenant::{Arm, Experiment, FrequencyCaps, MissedSendPolicy, MissedSends, SendWindow, Tenant, TenantSettings};
