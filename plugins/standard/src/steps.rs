//! The sequence of reminders and which one comes next.

use nudge_sdk::{Context, Level, Timestamp, Tone, add_days, days_overdue, local_timestamp, log};

use crate::settings::Settings;

/// One stage of the reminder sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The step name the host records on the notice, e.g. "overdue-7".
    pub name: &'static str,
    /// The step's day, counted from the due date.
    pub day: i64,
    /// The tone of its notice.
    pub tone: Tone,
}

/// The reminder sequence, in order.
pub const STEPS: [Step; 4] = [
    Step { name: "pre-due", day: -1, tone: Tone::Gentle },
    Step { name: "overdue-1", day: 1, tone: Tone::Friendly },
    Step { name: "overdue-7", day: 7, tone: Tone::Firm },
    Step { name: "overdue-14", day: 14, tone: Tone::Urgent },
];

/// What the sequence calls for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Send `step`'s notice no earlier than `send_at`.
    Notify {
        /// The step to send.
        step: Step,
        /// When to send it.
        send_at: Timestamp,
    },
    /// Every step is done; ask again at this time (the escalation day).
    Wait(Timestamp),
}

/// The next step to send, given the notices already on the invoice.
///
/// Only steps after the most advanced one already in the history (whatever
/// its outcome) are candidates, and only those before the escalation day.
/// Of the candidates whose day has come, the most advanced is sent now (or at
/// the send hour today) and the others are skipped as superseded; if none has
/// come, the next one is sent at the send hour of its day.
pub fn next(ctx: &Context, settings: &Settings) -> Next {
    let due_on = ctx.invoice.due_on;
    let offset = ctx.customer.utc_offset_minutes;
    let at_send_hour = |day: i64| local_timestamp(add_days(due_on, day), settings.send_hour, 0, offset);

    let done = STEPS.iter().rposition(|step| ctx.history.notices.iter().any(|notice| notice.step == step.name));
    let first_candidate = done.map_or(0, |index| index + 1);
    let today = days_overdue(ctx);
    let (arrived, upcoming): (Vec<Step>, Vec<Step>) = STEPS[first_candidate..]
        .iter()
        .filter(|step| step.day < settings.escalate_after_days)
        .partition(|step| step.day <= today);

    if let Some((&step, superseded)) = arrived.split_last() {
        if !superseded.is_empty() {
            let names: Vec<&str> = superseded.iter().map(|step| step.name).collect();
            log(Level::Debug, &format!("skipping superseded steps: {}", names.join(", ")));
        }
        let send_at = at_send_hour(step.day).max(ctx.now);
        return Next::Notify { step, send_at };
    }
    match upcoming.first() {
        Some(&step) => Next::Notify { step, send_at: at_send_hour(step.day) },
        None => Next::Wait(at_send_hour(settings.escalate_after_days)),
    }
}
