//! The loop of nudge: evaluate an invoice, apply guardrails, schedule a
//! notice, and send it when it comes due.
//!
//! A [`Scheduler`] ties the store, the plugin runtime and delivery
//! together. Time is always passed in (`now`), so the same code serves the
//! live service and a replay of past data on a virtual clock ([`replay`]).
//!
//! Every state change is one store transaction, and every send is keyed by
//! its notice id: a crash at any point loses nothing, and a retried send
//! finds its message already delivered.

mod analytics;
pub mod breakdown;
mod breaker;
pub mod changes;
mod default_policy;
pub mod engagement;
mod error;
mod evaluate;
pub mod experiments;
mod import;
pub mod notices;
mod plugins;
mod policy;
pub mod privacy;
mod records;
pub mod replay;
pub mod report;
mod scheduler;
mod send;
mod signals;
pub mod simulate;
pub mod stripe;
pub mod templates;

pub use breakdown::Breakdown;
pub use changes::Changes;
pub use default_policy::default_decision;
pub use engagement::{Engagement, Recorded};
pub use error::{Error, Result};
pub use evaluate::MAX_NOTICES_PER_INVOICE;
pub use import::Imported;
pub use notices::ManualSend;
pub use privacy::Erasure;
pub use report::{ArmFigures, Summary};
pub use scheduler::{Scheduler, SchedulerConfig};
pub use stripe::Applied;
pub use templates::{Chosen, Preview, PreviewOf};
