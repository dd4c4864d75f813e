//! The ab-timing reference policy for nudge: an experiment on when the
//! first reminder goes out.
//!
//! `describe()` declares the experiment `first-reminder-timing` with arms
//! `control` (first reminder the day after the due date) and `early` (a
//! gentle one a few days before it); the host assigns each customer an arm
//! and records it on every notice, so reports can compare the arms. The
//! later reminders are the same in both arms. See `README.md`.

mod experiment;
mod settings;
#[cfg(test)]
mod tests;

use nudge_sdk::{
    Channel, Context, Decision, NextStep, Notify, Policy, PolicyError, PolicyInfo, Segment, Tone, blocked_reason,
    channel_with_fallbacks, date_at, days_between, days_overdue, next_step, on_time_ratio, time_after_due,
};

use crate::experiment::Arm;
use crate::settings::Settings;

/// The ab-timing policy.
pub struct AbTiming;

impl Policy for AbTiming {
    fn describe() -> PolicyInfo {
        let mut info = PolicyInfo::new("ab-timing", "1.0.0");
        info.experiments.push(experiment::declaration());
        info
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let settings = Settings::from_context(ctx)?;
        let segment = segment(ctx);
        if let Some(reason) = blocked_reason(ctx) {
            return Ok(Decision::stop(segment, format!("invoice is {reason}")));
        }
        let overdue = days_overdue(ctx);
        if overdue >= settings.escalate_after_days {
            return Ok(Decision::escalate(
                segment,
                format!("{overdue} days overdue; escalating after {} days", settings.escalate_after_days),
            ));
        }
        let arm = Arm::assigned(ctx);
        let mut steps = arm.steps(ctx, settings.early_days);
        steps.retain(|step| step.day < settings.escalate_after_days);
        let (step, send_at) = match next_step(ctx, &steps, settings.send_hour) {
            NextStep::Send { step, send_at, .. } => (step, send_at),
            NextStep::Done => {
                let at = time_after_due(ctx, settings.escalate_after_days, settings.send_hour);
                return Ok(Decision::wait(segment, at));
            }
        };
        let order =
            if step.tone == Tone::Urgent { [Channel::Sms, Channel::Email] } else { [Channel::Email, Channel::Sms] };
        let Some((channel, fallbacks)) = channel_with_fallbacks(ctx, &order) else {
            return Ok(Decision::escalate(segment, "no reachable channel"));
        };
        let send_day = date_at(send_at, ctx.customer.utc_offset_minutes);
        let mut notice = Notify::new(step.name, channel, step.tone, send_at);
        notice.fallbacks = fallbacks;
        notice.fields = vec![
            ("days_overdue".to_owned(), days_between(ctx.invoice.due_on, send_day).to_string()),
            ("segment".to_owned(), segment.to_string()),
            ("experiment_arm".to_owned(), arm.name().to_owned()),
        ];
        Ok(Decision::notify(segment, notice))
    }
}

nudge_sdk::export_policy!(AbTiming);

/// `new` (nothing paid yet), `habitual-late` (at least two invoices paid
/// late, and more late than on time) or `regular`.
fn segment(ctx: &Context) -> Segment {
    let history = &ctx.history;
    match on_time_ratio(history) {
        None => Segment::NEW,
        Some(ratio) if ratio < 0.5 && history.invoices_paid_late >= 2 => Segment::HABITUAL_LATE,
        Some(_) => Segment::REGULAR,
    }
}
