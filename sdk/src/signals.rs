//! The host's predictive signals (`context.signals`, new in WIT 0.2.0).
//!
//! The host learns, per tenant, how likely a customer is to pay an overdue
//! invoice within 7 days without a further notice, and at which local hour
//! the customer (else the tenant's customers) opens, clicks or pays. Both
//! come with their sample sizes so a policy can ignore them until they
//! rest on enough data; these helpers do that check.

use crate::date::local_timestamp;
use crate::{Context, Timestamp, add_days, local_hour, today_local};

/// Examples the tenant's model must have learned from before
/// [`pay_within_7d`] reports its probability: below this the figure is
/// mostly the model's prior (30%).
pub const MIN_MODEL_EXAMPLES: u32 = 200;

/// The probability (0.0 to 1.0) that the invoice is fully paid within 7
/// days of now without a further notice, when the host sent signals and
/// its model has learned from at least [`MIN_MODEL_EXAMPLES`] examples.
///
/// ```
/// use nudge_sdk::{pay_within_7d, testing::ContextBuilder};
///
/// let ctx = ContextBuilder::new().pay_within_7d(850, 1_200).build();
/// assert_eq!(pay_within_7d(&ctx), Some(0.85));
/// let young = ContextBuilder::new().pay_within_7d(850, 40).build();
/// assert_eq!(pay_within_7d(&young), None);
/// ```
pub fn pay_within_7d(ctx: &Context) -> Option<f64> {
    let signals = ctx.signals.as_ref()?;
    (signals.model_examples >= MIN_MODEL_EXAMPLES).then(|| f64::from(signals.pay_within_7d_permille.min(1000)) / 1000.0)
}

/// The best local hour (0 to 23, customer's zone) to send, when the host
/// knows one resting on at least `min_samples` events (opens, clicks and
/// payments with a time of day); the customer's own or, without enough of
/// those, the tenant's customers'.
///
/// ```
/// use nudge_sdk::{best_send_hour, testing::ContextBuilder};
///
/// let ctx = ContextBuilder::new().best_send_hour(18, 7, true).build();
/// assert_eq!(best_send_hour(&ctx, 5), Some(18));
/// assert_eq!(best_send_hour(&ctx, 10), None);
/// assert_eq!(best_send_hour(&ContextBuilder::new().build(), 0), None);
/// ```
pub fn best_send_hour(ctx: &Context, min_samples: u32) -> Option<u8> {
    let signals = ctx.signals.as_ref()?;
    let hour = signals.best_send_hour.filter(|h| *h < 24)?;
    (signals.send_hour_samples >= min_samples).then_some(hour)
}

/// The next time it is `hour`:00 in the customer's zone: today if that is
/// still ahead (or now), else tomorrow.
///
/// ```
/// use nudge_sdk::{Date, local_timestamp, next_at_local_hour, testing::ContextBuilder};
///
/// let day = Date::new(2024, 6, 3);
/// let ctx = ContextBuilder::new().now_local(day, 12, 30).build();
/// assert_eq!(next_at_local_hour(&ctx, 18), local_timestamp(day, 18, 0, 0));
/// assert_eq!(next_at_local_hour(&ctx, 9), local_timestamp(Date::new(2024, 6, 4), 9, 0, 0));
/// ```
pub fn next_at_local_hour(ctx: &Context, hour: u8) -> Timestamp {
    let offset = ctx.customer.utc_offset_minutes;
    let today = local_timestamp(today_local(ctx), hour, 0, offset);
    if today >= ctx.now || local_hour(ctx) == hour {
        today.max(ctx.now)
    } else {
        local_timestamp(add_days(today_local(ctx), 1), hour, 0, offset)
    }
}
