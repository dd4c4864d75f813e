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
//!     Channel, Config, Context, Decision, Notify, Policy, PolicyError, PolicyInfo, Segment, Tone, add_days,
//!     blocked_reason, channel_with_fallbacks, days_overdue, local_timestamp, on_time_ratio,
//! };
//!
//! /// One friendly reminder at `send_hour` local time the day after the due
//! /// date, by email or else text message.
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
//!         let segment = match on_time_ratio(&ctx.history) {
//!             None => Segment::NEW,
//!             Some(ratio) if ratio < 0.5 => Segment::HABITUAL_LATE,
//!             Some(_) => Segment::REGULAR,
//!         };
//!         if let Some(reason) = blocked_reason(ctx) {
//!             return Ok(Decision::stop(segment, format!("invoice is {reason}")));
//!         }
//!         if ctx.history.notices.iter().any(|notice| notice.step == "overdue-1") {
//!             return Ok(Decision::stop(segment, "reminded once already"));
//!         }
//!         let Some((channel, fallbacks)) = channel_with_fallbacks(ctx, &[Channel::Email, Channel::Sms]) else {
//!             return Ok(Decision::escalate(segment, "no email address or phone number"));
//!         };
//!         let day = add_days(ctx.invoice.due_on, 1);
//!         let offset = ctx.customer.utc_offset_minutes;
//!         let send_at = local_timestamp(day, send_hour, 0, offset).max(ctx.now);
//!         let mut notice = Notify::new("overdue-1", channel, Tone::Friendly, send_at);
//!         notice.fallbacks = fallbacks;
//!         notice.fields.push(("days_overdue".into(), days_overdue(ctx).max(1).to_string()));
//!         Ok(Decision::notify(segment, notice))
//!     }
//! }
//!
//! nudge_sdk::export_policy!(OneReminder);
//!
//! // Unit tests run natively with plain `cargo test`:
//! use nudge_sdk::testing::ContextBuilder;
//! use nudge_sdk::{Action, Date, InvoiceStatus};
//!
//! let ctx = ContextBuilder::new()
//!     .due_on(Date::new(2024, 6, 3))
//!     .now_local(Date::new(2024, 6, 1), 15, 0)
//!     .reachable(&[Channel::Email, Channel::Sms])
//!     .opted_out(&[Channel::Email])
//!     .paid_on_time(1)
//!     .paid_late(3, 40)
//!     .config(r#"{"send_hour": 10}"#)
//!     .build();
//! let decision = OneReminder::decide(&ctx)?;
//! assert_eq!(decision.segment, Segment::HABITUAL_LATE);
//! let Action::Notify(notice) = decision.action else {
//!     panic!("expected a notice");
//! };
//! assert_eq!(notice.send_at, local_timestamp(Date::new(2024, 6, 4), 10, 0, 0));
//! assert_eq!((notice.channel, notice.fallbacks), (Channel::Sms, vec![]));
//!
//! let paid = ContextBuilder::new().status(InvoiceStatus::Paid).build();
//! assert_eq!(OneReminder::decide(&paid)?.action, Action::Stop("invoice is paid".into()));
//!
//! let typo = ContextBuilder::new().config(r#"{"sendHour": 10}"#).build();
//! assert_eq!(OneReminder::decide(&typo).unwrap_err().code, "bad-config");
//! # Ok::<(), PolicyError>(())
//! ```
//!
//! The types ([`Context`], [`Decision`], ...) are generated from
//! `wit/policy.wit` and re-exported here, with idiomatic additions:
//! [`Money`] formats and compares by currency, [`Tone`] and [`Channel`] have
//! names and an order, and [`Segment`] holds the labels the host accepts.
//!
//! The helpers read a [`Context`]: dates and hours in the customer's time
//! zone ([`today_local`], [`days_overdue`], [`local_hour`]), computed from
//! `customer.utc-offset-minutes` since plugins have no clock and no time-zone
//! database; the payment record ([`on_time_ratio`], [`average_days_late`]);
//! channels the host can deliver on ([`preferred_reachable_channel`],
//! [`channel_with_fallbacks`]); whether anything may be sent at all
//! ([`blocked_reason`]); which [`Step`] of a reminder sequence comes next
//! ([`next_step`]); the host's predictive signals (WIT 0.2: [`pay_within_7d`],
//! [`best_send_hour`], [`next_at_local_hour`]). [`testing::ContextBuilder`]
//! builds contexts for unit tests.

#![deny(missing_docs)]

mod arena;
pub mod bindings;
mod channel;
mod config;
mod context;
mod date;
mod decision;
mod history;
mod log;
mod money;
mod policy;
mod segment;
mod sequence;
mod signals;
pub mod testing;

pub use arena::Arena;
pub use bindings::nudge::policy::host::Level;
pub use bindings::nudge::policy::types::{
    Action, Channel, Context, Customer, Date, Decision, Experiment, ExperimentArm, History, Invoice, InvoiceStatus,
    Money, NoticeOutcome, Notify, PastNotice, PolicyError, PolicyInfo, Signals, Timestamp, Tone,
};
pub use channel::{channel_with_fallbacks, preferred_channel, preferred_reachable_channel, reachable_channels};
pub use config::Config;
pub use context::{days_overdue, is_reachable, local_hour, today_local};
pub use date::{add_days, date_at, days_between, local_timestamp};
pub use history::{average_days_late, on_time_ratio};
pub use log::log;
pub use money::{amount_due, blocked_reason, is_collectible};
pub use policy::Policy;
pub use segment::{MAX_SEGMENT_LEN, Segment};
pub use sequence::{NextStep, Step, next_step, time_after_due};
/// The JSON library [`Config`] is built on, for reading nested settings.
pub use serde_json;
pub use signals::{MIN_MODEL_EXAMPLES, best_send_hour, next_at_local_hour, pay_within_7d};
