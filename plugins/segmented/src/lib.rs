//! The segmented reference policy for nudge.
//!
//! Customers are put in one of four segments from their tier and payment
//! record (high-value, habitual-late, first-time-late, occasional-late), and
//! each segment has its own sequence of notices, tones, channels and
//! escalation day. See `README.md` for the rules and the configuration keys.

mod plan;
mod segment;
mod settings;
#[cfg(test)]
mod tests;

use nudge_sdk::{
    Context, Decision, Level, NextStep, Notify, Policy, PolicyError, PolicyInfo, blocked_reason, date_at, days_between,
    days_overdue, log, next_step, time_after_due,
};

use crate::settings::Settings;

/// The segmented policy.
pub struct Segmented;

impl Policy for Segmented {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("segmented", "1.0.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let settings = Settings::from_context(ctx)?;
        let segment = segment::classify(ctx, &settings);
        if let Some(reason) = blocked_reason(ctx) {
            return Ok(Decision::stop(segment, format!("invoice is {reason}")));
        }
        let plan = plan::for_segment(&segment);
        let overdue = days_overdue(ctx);
        if overdue >= plan.escalate_after_days {
            return Ok(Decision::escalate(
                &segment,
                format!("{overdue} days overdue; {segment} invoices go to support after {}", plan.escalate_after_days),
            ));
        }
        let steps: Vec<_> = plan.steps.iter().copied().filter(|step| step.day < plan.escalate_after_days).collect();
        let hour = settings.hour(ctx);
        let (step, send_at) = match next_step(ctx, &steps, hour) {
            NextStep::Send { step, send_at, superseded } => {
                if !superseded.is_empty() {
                    log(Level::Debug, &format!("skipping superseded steps: {}", superseded.join(", ")));
                }
                (step, send_at)
            }
            NextStep::Done => {
                let at = time_after_due(ctx, plan.escalate_after_days, hour);
                return Ok(Decision::wait(segment, at));
            }
        };
        let Some((channel, fallbacks)) = plan::channels(ctx, &segment, step.tone) else {
            return Ok(Decision::escalate(segment, "no reachable channel"));
        };
        // Days overdue on the day the notice goes out, as the customer will read it.
        let send_day = date_at(send_at, ctx.customer.utc_offset_minutes);
        let mut notice = Notify::new(step.name, channel, step.tone, send_at);
        notice.fallbacks = fallbacks;
        notice.fields = vec![
            ("days_overdue".to_owned(), days_between(ctx.invoice.due_on, send_day).to_string()),
            ("segment".to_owned(), segment.to_string()),
        ];
        Ok(Decision::notify(segment, notice))
    }
}

nudge_sdk::export_policy!(Segmented);
