//! Which segment a customer falls in.

use nudge_sdk::Context;

/// The customer's segment: `high-value`, `habitual-late`, `new` or `regular`,
/// the first that applies.
pub fn classify(ctx: &Context, high_value: bool) -> &'static str {
    let history = &ctx.history;
    let on_time = history.invoices_paid_on_time;
    let late = history.invoices_paid_late;
    if high_value {
        "high-value"
    } else if late >= 2 && late > on_time {
        "habitual-late"
    } else if on_time == 0 && late == 0 {
        "new"
    } else {
        "regular"
    }
}
