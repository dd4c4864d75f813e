//! The standard reference policy for nudge.
//!
//! One gentle reminder the day before the due date, then friendly, firm and
//! urgent ones 1, 7 and 14 days after it, each at 10:00 in the customer's
//! time zone; escalation to support once the invoice is 30 days overdue.
//! Text messages are used for urgent reminders and high-value invoices.
//! See `README.md` for the rules and the configuration keys.

mod channel;
mod segment;
mod settings;
mod steps;
#[cfg(test)]
mod tests;

use nudge_sdk::{
    Context, Decision, InvoiceStatus, Notify, Policy, PolicyError, PolicyInfo, date_at, days_between, days_overdue,
};

use crate::settings::Settings;
use crate::steps::Next;

/// The standard policy; the host bundles it as the default for every tenant.
pub struct Standard;

impl Policy for Standard {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("standard", "1.0.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let settings = Settings::from_context(ctx)?;
        let high_value = ctx.invoice.total.amount_minor >= settings.high_value_minor;
        let segment = segment::classify(ctx, high_value);

        if let Some(reason) = stop_reason(ctx) {
            return Ok(Decision::stop(segment, reason));
        }
        let overdue = days_overdue(ctx);
        if overdue >= settings.escalate_after_days {
            return Ok(Decision::escalate(
                segment,
                format!("{overdue} days overdue; escalating after {} days", settings.escalate_after_days),
            ));
        }

        let (step, send_at) = match steps::next(ctx, &settings) {
            Next::Notify { step, send_at } => (step, send_at),
            Next::Wait(until) => return Ok(Decision::wait(segment, until)),
        };
        let Some((channel, fallbacks)) = channel::choose(ctx, step.tone, high_value) else {
            return Ok(Decision::escalate(segment, "no reachable channel"));
        };
        // Days overdue on the day the notice goes out, as the customer will read it.
        let send_day = date_at(send_at, ctx.customer.utc_offset_minutes);
        let days_overdue_then = days_between(ctx.invoice.due_on, send_day);

        let mut notice = Notify::new(step.name, channel, step.tone, send_at);
        notice.fallbacks = fallbacks;
        notice.fields = vec![
            ("days_overdue".to_owned(), days_overdue_then.to_string()),
            ("segment".to_owned(), segment.to_owned()),
        ];
        Ok(Decision::notify(segment, notice))
    }
}

nudge_sdk::export_policy!(Standard);

/// Why no reminder may go out for this invoice any more, if so.
fn stop_reason(ctx: &Context) -> Option<String> {
    let invoice = &ctx.invoice;
    let status = match invoice.status {
        InvoiceStatus::Open => None,
        InvoiceStatus::Paid => Some("paid"),
        InvoiceStatus::Void => Some("void"),
        InvoiceStatus::Uncollectible => Some("uncollectible"),
    };
    if let Some(status) = status {
        return Some(format!("invoice is {status}"));
    }
    if invoice.amount_remaining.amount_minor <= 0 {
        return Some("invoice is paid (nothing remaining)".to_owned());
    }
    if invoice.disputed {
        return Some("invoice is disputed".to_owned());
    }
    None
}
