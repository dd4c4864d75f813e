//! A reminder sequence: steps on days around the due date, and which one is next.

use crate::date::{add_days, local_timestamp};
use crate::{Context, Timestamp, Tone, days_overdue};

/// One step of a reminder sequence, e.g. `overdue-7` on day 7 in a firm tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The step name the host records on the notice (one notice per step).
    pub name: &'static str,
    /// Its day, counted from the due date: -1 the day before, 7 a week after.
    pub day: i64,
    /// The tone of its notice.
    pub tone: Tone,
}

impl Step {
    /// A step called `name` on `day` (from the due date) in `tone`.
    pub const fn new(name: &'static str, day: i64, tone: Tone) -> Self {
        Self { name, day, tone }
    }
}

/// What a sequence calls for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Send `step` no earlier than `send_at`.
    Send {
        /// The step to send.
        step: Step,
        /// When: the send hour on the step's day, or now if that has passed.
        send_at: Timestamp,
        /// Earlier steps whose day has also come, skipped in its favour.
        superseded: Vec<&'static str>,
    },
    /// Every step has been sent (or skipped).
    Done,
}

/// The next step of `steps` for the invoice in `ctx`.
///
/// Progress is the latest day of a notice already on the invoice, whatever
/// its outcome (bounced and suppressed notices count). A notice's day is its
/// step's day in `steps`; steps named as the domain words go (`pre-due`,
/// `due`, `overdue-N`) count as day -1, 0 and N even when `steps` does not
/// list them, so a customer whose segment (and so sequence) changes midway
/// never goes back to an earlier day.
///
/// Of the steps after that day, those whose day has come (in the customer's
/// zone) are due: the latest is sent, now or at `send_hour` on its day, and
/// the others are superseded. If none has come, the next one is sent at
/// `send_hour` local time on its day.
///
/// ```
/// use nudge_sdk::testing::ContextBuilder;
/// use nudge_sdk::{NextStep, NoticeOutcome, Step, Tone, next_step};
///
/// const STEPS: [Step; 3] = [
///     Step::new("pre-due", -1, Tone::Gentle),
///     Step::new("overdue-1", 1, Tone::Friendly),
///     Step::new("overdue-7", 7, Tone::Firm),
/// ];
/// let ctx = ContextBuilder::new().days_overdue(8).notice("pre-due", NoticeOutcome::Sent).build();
/// let NextStep::Send { step, superseded, .. } = next_step(&ctx, &STEPS, 10) else { panic!() };
/// assert_eq!((step.name, superseded), ("overdue-7", vec!["overdue-1"]));
/// ```
pub fn next_step(ctx: &Context, steps: &[Step], send_hour: u8) -> NextStep {
    let done_day = progress(ctx, steps);
    let today = days_overdue(ctx);
    let mut candidates: Vec<Step> =
        steps.iter().copied().filter(|step| done_day.is_none_or(|d| step.day > d)).collect();
    candidates.sort_by_key(|step| step.day);
    let arrived = candidates.iter().take_while(|step| step.day <= today).count();
    if arrived > 0 {
        let step = candidates[arrived - 1];
        let superseded = candidates[..arrived - 1].iter().map(|step| step.name).collect();
        let send_at = time_after_due(ctx, step.day, send_hour).max(ctx.now);
        return NextStep::Send { step, send_at, superseded };
    }
    match candidates.first() {
        Some(&step) => NextStep::Send { step, send_at: time_after_due(ctx, step.day, send_hour), superseded: vec![] },
        None => NextStep::Done,
    }
}

/// `hour:00` local time in the customer's zone, `days` days after the due
/// date (before it, if negative).
pub fn time_after_due(ctx: &Context, days: i64, hour: u8) -> Timestamp {
    local_timestamp(add_days(ctx.invoice.due_on, days), hour, 0, ctx.customer.utc_offset_minutes)
}

/// The latest day reached by a notice already on the invoice, if any.
fn progress(ctx: &Context, steps: &[Step]) -> Option<i64> {
    ctx.history
        .notices
        .iter()
        .filter_map(|notice| {
            steps
                .iter()
                .find(|step| step.name == notice.step)
                .map(|step| step.day)
                .or_else(|| conventional_day(&notice.step))
        })
        .max()
}

/// The day of a step named as the domain words go: `pre-due` (-1), `due`
/// (0), `overdue-N` (N).
fn conventional_day(name: &str) -> Option<i64> {
    match name {
        "pre-due" => Some(-1),
        "due" => Some(0),
        _ => name.strip_prefix("overdue-")?.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ContextBuilder;
    use crate::{Date, NoticeOutcome};

    const STEPS: [Step; 4] = [
        Step::new("pre-due", -3, Tone::Gentle),
        Step::new("overdue-1", 1, Tone::Friendly),
        Step::new("overdue-7", 7, Tone::Firm),
        Step::new("overdue-14", 14, Tone::Urgent),
    ];
    const DUE: Date = Date::new(2024, 6, 10);

    fn due() -> ContextBuilder {
        ContextBuilder::new().time_zone("Asia/Kolkata", 330).due_on(DUE)
    }

    fn send(ctx: &Context) -> (&'static str, Timestamp, Vec<&'static str>) {
        match next_step(ctx, &STEPS, 10) {
            NextStep::Send { step, send_at, superseded } => (step.name, send_at, superseded),
            NextStep::Done => panic!("expected a step"),
        }
    }

    #[test]
    fn the_first_step_waits_for_its_day_and_hour() {
        let ctx = due().now_local(add_days(DUE, -10), 9, 0).build();
        assert_eq!(send(&ctx), ("pre-due", local_timestamp(add_days(DUE, -3), 10, 0, 330), vec![]));
    }

    #[test]
    fn a_step_whose_hour_has_passed_goes_out_now() {
        let ctx = due().now_local(add_days(DUE, 1), 15, 30).notice("pre-due", NoticeOutcome::Sent).build();
        assert_eq!(send(&ctx), ("overdue-1", ctx.now, vec![]));
    }

    #[test]
    fn late_comers_get_the_latest_due_step_only() {
        let ctx = due().now_local(add_days(DUE, 8), 9, 0).build();
        let (name, send_at, superseded) = send(&ctx);
        assert_eq!((name, superseded), ("overdue-7", vec!["pre-due", "overdue-1"]));
        assert_eq!(send_at, local_timestamp(add_days(DUE, 8), 9, 0, 330));
    }

    #[test]
    fn any_outcome_counts_and_unknown_steps_are_ignored() {
        let ctx = due()
            .now_local(add_days(DUE, 2), 9, 0)
            .notice("overdue-1", NoticeOutcome::Bounced)
            .notice("thank-you", NoticeOutcome::Sent)
            .build();
        assert_eq!(send(&ctx).0, "overdue-7");
    }

    #[test]
    fn steps_of_another_sequence_count_by_their_day() {
        // A customer moved to a sequence without `overdue-5` after it was sent:
        // the next step is the first after day 5, not overdue-1 again.
        let ctx = due().now_local(add_days(DUE, 6), 9, 0).notice("overdue-5", NoticeOutcome::Sent).build();
        assert_eq!(send(&ctx).0, "overdue-7");
        assert_eq!(conventional_day("due"), Some(0));
        assert_eq!(conventional_day("overdue-x"), None);
    }

    #[test]
    fn after_the_last_step_the_sequence_is_done() {
        let ctx = due().now_local(add_days(DUE, 20), 9, 0).notice("overdue-14", NoticeOutcome::Sent).build();
        assert_eq!(next_step(&ctx, &STEPS, 10), NextStep::Done);
        assert_eq!(next_step(&due().build(), &[], 10), NextStep::Done);
    }
}
