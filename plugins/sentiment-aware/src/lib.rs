//! The sentiment-aware reference policy for nudge.
//!
//! The standard sequence of reminders, adjusted to the customer: one tone
//! softer after negative feedback (and a person takes over after repeated
//! complaints), one tone firmer for habitual late payers, always in the
//! customer's preferred channel when the host can deliver on it, and with a
//! `locale` template field from the customer's language. See `README.md`.

mod locale;
mod segment;
mod settings;
#[cfg(test)]
mod tests;

use nudge_sdk::{
    Context, Decision, NextStep, Notify, Policy, PolicyError, PolicyInfo, Step, Tone, blocked_reason, date_at,
    days_between, days_overdue, next_step, reachable_channels, time_after_due,
};

use crate::settings::Settings;

/// The reminder sequence before adjusting the tone.
const STEPS: [Step; 4] = [
    Step::new("pre-due", -1, Tone::Gentle),
    Step::new("overdue-1", 1, Tone::Friendly),
    Step::new("overdue-7", 7, Tone::Firm),
    Step::new("overdue-14", 14, Tone::Urgent),
];

/// The sentiment-aware policy.
pub struct SentimentAware;

impl Policy for SentimentAware {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("sentiment-aware", "1.0.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let settings = Settings::from_context(ctx)?;
        let segment = segment::classify(ctx);
        if let Some(reason) = blocked_reason(ctx) {
            return Ok(Decision::stop(segment, format!("invoice is {reason}")));
        }
        let complaints = ctx.history.negative_feedback;
        if complaints >= settings.escalate_after_feedback {
            return Ok(Decision::escalate(
                segment,
                format!("{complaints} negative replies on record; a person should talk to this customer"),
            ));
        }
        let overdue = days_overdue(ctx);
        if overdue >= settings.escalate_after_days {
            return Ok(Decision::escalate(
                segment,
                format!("{overdue} days overdue; escalating after {} days", settings.escalate_after_days),
            ));
        }
        let steps: Vec<Step> = STEPS.into_iter().filter(|step| step.day < settings.escalate_after_days).collect();
        let (step, send_at) = match next_step(ctx, &steps, settings.send_hour) {
            NextStep::Send { step, send_at, .. } => (step, send_at),
            NextStep::Done => {
                let at = time_after_due(ctx, settings.escalate_after_days, settings.send_hour);
                return Ok(Decision::wait(segment, at));
            }
        };
        // The preferred channel first when the host can deliver on it, then
        // every other reachable channel.
        let mut channels = reachable_channels(ctx);
        if channels.is_empty() {
            return Ok(Decision::escalate(segment, "no reachable channel"));
        }
        let channel = channels.remove(0);
        let locale = locale::choose(&ctx.customer.language, settings.locales.as_deref(), &settings.default_locale);
        let send_day = date_at(send_at, ctx.customer.utc_offset_minutes);

        let mut notice = Notify::new(step.name, channel, segment::adjust(step.tone, &segment), send_at);
        notice.fallbacks = channels;
        notice.fields = vec![
            ("days_overdue".to_owned(), days_between(ctx.invoice.due_on, send_day).to_string()),
            ("segment".to_owned(), segment.to_string()),
            ("locale".to_owned(), locale),
        ];
        Ok(Decision::notify(segment, notice))
    }
}

nudge_sdk::export_policy!(SentimentAware);
