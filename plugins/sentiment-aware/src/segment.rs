//! Which segment a customer falls in, and how it changes the tone.

use nudge_sdk::{Context, Segment, Tone};

/// Customers who complained or replied angrily.
pub const NEGATIVE_FEEDBACK: Segment = Segment::from_static("negative-feedback");

/// The customer's segment, the first that applies: `negative-feedback` (any
/// on record), `habitual-late` (at least two invoices paid late, and more
/// late than on time), `new` (nothing paid yet), `regular`.
pub fn classify(ctx: &Context) -> Segment {
    let history = &ctx.history;
    let late = history.invoices_paid_late;
    let on_time = history.invoices_paid_on_time;
    if history.negative_feedback > 0 {
        NEGATIVE_FEEDBACK
    } else if late >= 2 && late > on_time {
        Segment::HABITUAL_LATE
    } else if late == 0 && on_time == 0 {
        Segment::NEW
    } else {
        Segment::REGULAR
    }
}

/// The step's tone adjusted for the segment: one softer after negative
/// feedback, one firmer for habitual late payers. Negative feedback wins:
/// a customer who complained is never pushed harder, however late they pay.
pub fn adjust(tone: Tone, segment: &Segment) -> Tone {
    if *segment == NEGATIVE_FEEDBACK {
        tone.softer()
    } else if *segment == Segment::HABITUAL_LATE {
        tone.firmer()
    } else {
        tone
    }
}
