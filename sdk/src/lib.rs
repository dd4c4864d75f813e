//! Write nudge policy plugins in Rust.
//!
//! A policy decides, for one overdue (or soon due) invoice, the customer's
//! segment and what to do next: notify, wait, stop or escalate. The host does
//! everything else. A plugin is one [`Policy`] impl and one
//! [`export_policy!`] line, built with
//! `cargo build --release --target wasm32-wasip2`:
//!
//! ```
//! use nudge_sdk::{
//!     Channel, Config, Context, Decision, Notify, Policy, PolicyError, PolicyInfo, Tone,
//!     add_days, days_overdue, is_reachable, local_timestamp,
//! };
//!
//! /// One friendly email at `send_hour` local time the day after the due date.
//! struct OneReminder;
//!
//! impl Policy for OneReminder {
//!     fn describe() -> PolicyInfo {
//!         PolicyInfo::new("one-reminder", "1.0.0")
//!     }
//!
//!     fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
//!         let config = Config::from_context(ctx)?;
//!         config.check_keys(&["send_hour"])?;
//!         let send_hour = config.int_in("send_hour", 9u8, 0..=23)?;
//!         if ctx.history.notices.iter().any(|notice| notice.step == "overdue-1") {
//!             return Ok(Decision::stop("regular", "reminded once already"));
//!         }
//!         if !is_reachable(ctx, Channel::Email) {
//!             return Ok(Decision::escalate("regular", "no email address"));
//!         }
//!         let day = add_days(ctx.invoice.due_on, 1);
//!         let offset = ctx.customer.utc_offset_minutes;
//!         let send_at = local_timestamp(day, send_hour, 0, offset).max(ctx.now);
//!         let mut notice = Notify::new("overdue-1", Channel::Email, Tone::Friendly, send_at);
//!         notice.fields.push(("days_overdue".into(), days_overdue(ctx).to_string()));
//!         Ok(Decision::notify("regular", notice))
//!     }
//! }
//!
//! nudge_sdk::export_policy!(OneReminder);
//!
//! // Unit tests run natively with plain `cargo test`:
//! use nudge_sdk::testing::ContextBuilder;
//! use nudge_sdk::{Action, Date};
//!
//! let ctx = ContextBuilder::new()
//!     .due_on(Date::new(2024, 6, 3))
//!     .now_local(Date::new(2024, 6, 1), 15, 0)
//!     .config(r#"{"send_hour": 10}"#)
//!     .build();
//! let Action::Notify(notice) = OneReminder::decide(&ctx)?.action else {
//!     panic!("expected a notice");
//! };
//! assert_eq!(notice.send_at, local_timestamp(Date::new(2024, 6, 4), 10, 0, 0));
//!
//! let typo = ContextBuilder::new().config(r#"{"sendHour": 10}"#).build();
//! assert_eq!(OneReminder::decide(&typo).unwrap_err().code, "bad-config");
//! # Ok::<(), PolicyError>(())
//! ```
//!
//! The types ([`Context`], [`Decision`], ...) are generated from
//! `wit/policy.wit` and re-exported here; the helpers work in the customer's
//! time zone using `customer.utc-offset-minutes`, since plugins have no clock
//! and no time-zone database.

#![deny(missing_docs)]

mod arena;
pub mod bindings;
mod config;
mod context;
mod date;
mod decision;
mod history;
mod log;
mod policy;
pub mod testing;

pub use arena::Arena;
pub use bindings::nudge::policy::host::Level;
pub use bindings::nudge::policy::types::{
    Action, Channel, Context, Customer, Date, Decision, Experiment, ExperimentArm, History, Invoice, InvoiceStatus,
    Money, NoticeOutcome, Notify, PastNotice, PolicyError, PolicyInfo, Timestamp, Tone,
};
pub use config::Config;
pub use context::{days_overdue, is_reachable, today_local};
pub use date::{add_days, date_at, days_between, local_timestamp};
pub use history::{average_days_late, on_time_ratio};
pub use log::log;
pub use policy::Policy;
/// The JSON library [`Config`] is built on, for reading nested settings.
pub use serde_json;
