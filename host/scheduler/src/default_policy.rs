//! The built-in default policy, used when a tenant has no plugin or its
//! plugin fails. Deliberately plain: email (or the one reachable channel)
//! on days 1, 7 and 14 overdue, then escalate after day 30.

use jiff::{Timestamp, ToSpan};
use nudge_core::{Action, Channel, Decision, DecisionContext, Notify, Tone, time};

const STEPS: [(&str, i32, Tone); 3] =
    [("overdue-1", 1, Tone::Friendly), ("overdue-7", 7, Tone::Firm), ("overdue-14", 14, Tone::Urgent)];
const ESCALATE_AFTER_DAYS: i32 = 30;
const SEND_HOUR: i8 = 10;

/// What the built-in default policy decides for `ctx`.
pub fn default_decision(ctx: &DecisionContext) -> Decision {
    let segment = "default".to_string();
    let action = action(ctx);
    Decision { segment, action }
}

fn action(ctx: &DecisionContext) -> Action {
    if let Some(reason) = ctx.invoice.blocked_reason() {
        return Action::Stop { reason: format!("invoice is {reason}") };
    }
    let Ok(tz) = time::zone(&ctx.customer.time_zone) else {
        return Action::Escalate { reason: format!("unknown time zone {:?}", ctx.customer.time_zone) };
    };
    let due = ctx.invoice.due_on;
    let today = time::local_date(ctx.now, &tz);
    let overdue = (today - due).get_days();
    if overdue >= ESCALATE_AFTER_DAYS {
        return Action::Escalate { reason: format!("{overdue} days overdue") };
    }
    let reachable = ctx.customer.reachable_channels();
    let channel = if reachable.contains(&Channel::Email) { Some(Channel::Email) } else { reachable.first().copied() };
    let Some(channel) = channel else {
        return Action::Escalate { reason: "no reachable channel".into() };
    };
    let at = |days: i32| time::local_instant(due.checked_add(days.days()).unwrap_or(due), SEND_HOUR, &tz);
    // Steps after the most advanced one already on record.
    let done = STEPS.iter().rposition(|(step, ..)| ctx.notices.iter().any(|n| n.step == *step));
    let remaining = &STEPS[done.map_or(0, |i| i + 1)..];
    // Of those already due, only the most advanced; otherwise the next one.
    let pick = remaining.iter().rev().find(|(_, days, _)| at(*days) <= ctx.now).or_else(|| remaining.first());
    match pick {
        Some((step, days, tone)) => Action::Notify(Notify {
            send_at: at(*days).max(ctx.now),
            channel,
            fallbacks: Vec::new(),
            tone: *tone,
            template: String::new(),
            step: (*step).to_string(),
            fields: Vec::new(),
        }),
        None => {
            let until: Timestamp = at(ESCALATE_AFTER_DAYS);
            if until > ctx.now {
                Action::Wait { until }
            } else {
                Action::Escalate { reason: format!("{overdue} days overdue") }
            }
        }
    }
}
