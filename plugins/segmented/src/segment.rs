//! Which segment a customer falls in, from the tier and the payment record.

use nudge_sdk::{Context, Segment};

use crate::settings::Settings;

/// Paid late before, but not habitually.
pub const OCCASIONAL_LATE: Segment = Segment::from_static("occasional-late");

/// The customer's segment, the first that applies:
///
/// 1. `high-value`: a tier listed in `high_value_tiers`, or a lifetime value
///    of at least `high_value_lifetime_minor`;
/// 2. `habitual-late`: at least `habitual_min_late` invoices paid late, and
///    more paid late than on time;
/// 3. `first-time-late`: no invoice paid late yet (new customers too);
/// 4. `occasional-late`: everyone else.
pub fn classify(ctx: &Context, settings: &Settings) -> Segment {
    let customer = &ctx.customer;
    let history = &ctx.history;
    let late = history.invoices_paid_late;
    if settings.high_value_tiers.iter().any(|tier| tier.eq_ignore_ascii_case(&customer.tier))
        || customer.lifetime_value.amount_minor >= settings.high_value_lifetime_minor
    {
        Segment::HIGH_VALUE
    } else if late >= settings.habitual_min_late && late > history.invoices_paid_on_time {
        Segment::HABITUAL_LATE
    } else if late == 0 {
        Segment::FIRST_TIME_LATE
    } else {
        OCCASIONAL_LATE
    }
}
