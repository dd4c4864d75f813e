//! Each segment's sequence of notices, escalation day and channels.

use nudge_sdk::{Channel, Context, Segment, Step, Tone, channel_with_fallbacks, reachable_channels};

use crate::segment::OCCASIONAL_LATE;

/// How one segment is reminded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The notices, by day from the due date.
    pub steps: &'static [Step],
    /// Days overdue at which the invoice goes to support.
    pub escalate_after_days: i64,
}

/// Never late before: no pre-due nudge, two friendly reminders, then a firm one.
const FIRST_TIME_LATE: Plan = Plan {
    steps: &[
        Step::new("overdue-1", 1, Tone::Friendly),
        Step::new("overdue-7", 7, Tone::Friendly),
        Step::new("overdue-14", 14, Tone::Firm),
    ],
    escalate_after_days: 30,
};

/// Late now and then: the standard sequence.
const OCCASIONAL: Plan = Plan {
    steps: &[
        Step::new("pre-due", -1, Tone::Gentle),
        Step::new("overdue-1", 1, Tone::Friendly),
        Step::new("overdue-7", 7, Tone::Firm),
        Step::new("overdue-14", 14, Tone::Urgent),
    ],
    escalate_after_days: 30,
};

/// Late more often than not: an early nudge, firm from the first overdue
/// day, closer together, and support after three weeks.
const HABITUAL_LATE: Plan = Plan {
    steps: &[
        Step::new("pre-due", -3, Tone::Friendly),
        Step::new("overdue-1", 1, Tone::Firm),
        Step::new("overdue-5", 5, Tone::Firm),
        Step::new("overdue-10", 10, Tone::Urgent),
    ],
    escalate_after_days: 21,
};

/// Valuable customers: gentle and friendly only, then a person takes over.
const HIGH_VALUE: Plan = Plan {
    steps: &[
        Step::new("pre-due", -3, Tone::Gentle),
        Step::new("overdue-3", 3, Tone::Friendly),
        Step::new("overdue-10", 10, Tone::Friendly),
    ],
    escalate_after_days: 14,
};

/// The plan for `segment`; the standard sequence for a segment it does not know.
pub fn for_segment(segment: &Segment) -> Plan {
    if *segment == Segment::HIGH_VALUE {
        HIGH_VALUE
    } else if *segment == Segment::HABITUAL_LATE {
        HABITUAL_LATE
    } else if *segment == Segment::FIRST_TIME_LATE {
        FIRST_TIME_LATE
    } else {
        debug_assert_eq!(*segment, OCCASIONAL_LATE);
        OCCASIONAL
    }
}

/// The channel and fallbacks for a notice in `tone` to a customer in `segment`.
///
/// - high-value: the customer's preferred channel if reachable, then every
///   other reachable channel (email before text message);
/// - habitual-late: text message first once the invoice is overdue (firm and
///   urgent notices), email first before that;
/// - everyone else: email first, text message for urgent notices.
pub fn channels(ctx: &Context, segment: &Segment, tone: Tone) -> Option<(Channel, Vec<Channel>)> {
    if *segment == Segment::HIGH_VALUE {
        let mut reachable = reachable_channels(ctx);
        if reachable.is_empty() {
            return None;
        }
        let primary = reachable.remove(0);
        return Some((primary, reachable));
    }
    let sms_first = tone == Tone::Urgent || (*segment == Segment::HABITUAL_LATE && tone >= Tone::Firm);
    let order = if sms_first { [Channel::Sms, Channel::Email] } else { [Channel::Email, Channel::Sms] };
    channel_with_fallbacks(ctx, &order)
}
