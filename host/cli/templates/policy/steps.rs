//! The reminder sequence.

use nudge_sdk::Tone;

/// One reminder of the sequence.
pub struct Step {
    /// The step name the host records on the notice; each is sent once per invoice.
    pub name: &'static str,
    /// Its day, counted from the due date (negative: before it).
    pub day: i64,
    /// The tone of its notice.
    pub tone: Tone,
}

/// The reminders, in order.
pub const STEPS: [Step; 2] = [
    Step { name: "overdue-1", day: 1, tone: Tone::Friendly },
    Step { name: "overdue-7", day: 7, tone: Tone::Firm },
];

/// Days after the due date at which an unpaid invoice goes to support.
pub const ESCALATE_AFTER_DAYS: i64 = 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_in_order_before_the_escalation_day() {
        assert!(STEPS.windows(2).all(|pair| pair[0].day < pair[1].day));
        assert!(STEPS.iter().all(|step| step.day < ESCALATE_AFTER_DAYS));
    }
}
