//! {{name}}: a nudge policy plugin.
//!
//! For each open invoice the host asks [`Reminders::decide`] what to do
//! next. This policy sends the reminders of [`steps::STEPS`] (a friendly one
//! the day after the due date, a firm one a week after it) at `send_hour`
//! local time, by email when the customer has an address and by text
//! message otherwise, and hands the invoice to support
//! [`steps::ESCALATE_AFTER_DAYS`] days after the due date. The host stops
//! everything once the invoice is paid.
//!
//! Configuration (the tenant's plugin config, a JSON object):
//! `send_hour`, the local hour (0-23) reminders go out at; default 10.

mod steps;

use nudge_sdk::{
    Channel, Config, Context, Decision, InvoiceStatus, Notify, Policy, PolicyError, PolicyInfo, add_days,
    days_overdue, is_reachable, local_timestamp,
};

use crate::steps::{ESCALATE_AFTER_DAYS, STEPS};

/// The configuration keys this policy reads; any other key is a typo.
const CONFIG_KEYS: [&str; 1] = ["send_hour"];

/// The policy.
pub struct Reminders;

impl Policy for Reminders {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("{{name}}", env!("CARGO_PKG_VERSION"))
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let config = Config::from_context(ctx)?;
        config.check_keys(&CONFIG_KEYS)?;
        let send_hour = config.int_in("send_hour", 10u8, 0..=23)?;
        let segment = segment(ctx);

        let invoice = &ctx.invoice;
        if invoice.status != InvoiceStatus::Open || invoice.amount_remaining.amount_minor <= 0 {
            return Ok(Decision::stop(segment, "nothing left to collect"));
        }
        if invoice.disputed {
            return Ok(Decision::stop(segment, "the customer disputes the invoice"));
        }
        let today = days_overdue(ctx);
        let at_send_hour = |day: i64| {
            let date = add_days(invoice.due_on, day);
            local_timestamp(date, send_hour, 0, ctx.customer.utc_offset_minutes).max(ctx.now)
        };
        if today >= ESCALATE_AFTER_DAYS {
            return Ok(Decision::escalate(segment, format!("still unpaid {today} days after the due date")));
        }

        // The steps after the last one already in the history. Of those whose
        // day has come, only the latest is sent; else the next one waits for its day.
        let done = STEPS.iter().rposition(|step| ctx.history.notices.iter().any(|n| n.step == step.name));
        let remaining = &STEPS[done.map_or(0, |i| i + 1)..];
        let next = remaining.iter().rev().find(|step| step.day <= today).or_else(|| remaining.first());
        let Some(step) = next else {
            return Ok(Decision::wait(segment, at_send_hour(ESCALATE_AFTER_DAYS)));
        };

        let channel = if is_reachable(ctx, Channel::Email) {
            Channel::Email
        } else if is_reachable(ctx, Channel::Sms) {
            Channel::Sms
        } else {
            return Ok(Decision::escalate(segment, "no reachable channel"));
        };
        let mut notice = Notify::new(step.name, channel, step.tone, at_send_hour(step.day));
        notice.fields.push(("days_overdue".to_owned(), step.day.to_string()));
        Ok(Decision::notify(segment, notice))
    }
}

nudge_sdk::export_policy!(Reminders);

/// `late-payer` when the customer paid more invoices late than on time.
fn segment(ctx: &Context) -> &'static str {
    let history = &ctx.history;
    if history.invoices_paid_late > history.invoices_paid_on_time { "late-payer" } else { "regular" }
}

#[cfg(test)]
mod tests {
    use nudge_sdk::testing::ContextBuilder;
    use nudge_sdk::{Action, Channel, Date, InvoiceStatus, NoticeOutcome, Policy, Tone, local_timestamp};

    use super::Reminders;

    fn notice(ctx: &nudge_sdk::Context) -> nudge_sdk::Notify {
        match Reminders::decide(ctx).expect("a decision").action {
            Action::Notify(notice) => notice,
            other => panic!("expected a notice, got {other:?}"),
        }
    }

    #[test]
    fn an_invoice_three_days_overdue_gets_the_friendly_reminder_now() {
        let ctx = ContextBuilder::new().days_overdue(3).build();
        let n = notice(&ctx);
        assert_eq!((n.step.as_str(), n.tone, n.channel), ("overdue-1", Tone::Friendly, Channel::Email));
        assert_eq!(n.send_at, ctx.now, "its day has passed, so it goes out now");
    }

    #[test]
    fn after_the_friendly_reminder_the_firm_one_waits_for_day_7_at_send_hour_local() {
        let due = Date::new(2024, 6, 1);
        let ctx = ContextBuilder::new()
            .time_zone("Asia/Tokyo", 540)
            .due_on(due)
            .now_local(Date::new(2024, 6, 3), 9, 0)
            .notice("overdue-1", NoticeOutcome::Delivered)
            .build();
        let n = notice(&ctx);
        assert_eq!((n.step.as_str(), n.tone), ("overdue-7", Tone::Firm));
        assert_eq!(n.send_at, local_timestamp(Date::new(2024, 6, 8), 10, 0, 540));

        let early = ContextBuilder::new()
            .time_zone("Asia/Tokyo", 540)
            .due_on(due)
            .now_local(Date::new(2024, 6, 3), 9, 0)
            .notice("overdue-1", NoticeOutcome::Delivered)
            .config(r#"{"send_hour": 8}"#)
            .build();
        assert_eq!(notice(&early).send_at, local_timestamp(Date::new(2024, 6, 8), 8, 0, 540));
    }

    #[test]
    fn a_misspelt_or_out_of_range_setting_is_a_bad_config_error() {
        for config in [r#"{"sendHour": 8}"#, r#"{"send_hour": 24}"#, "[]"] {
            let ctx = ContextBuilder::new().config(config).build();
            assert_eq!(Reminders::decide(&ctx).unwrap_err().code, "bad-config", "{config}");
        }
    }

    #[test]
    fn paid_and_disputed_invoices_get_nothing() {
        let paid = ContextBuilder::new().days_overdue(3).status(InvoiceStatus::Paid).build();
        assert!(matches!(Reminders::decide(&paid).unwrap().action, Action::Stop(_)));
        let disputed = ContextBuilder::new().days_overdue(3).disputed(true).build();
        assert!(matches!(Reminders::decide(&disputed).unwrap().action, Action::Stop(_)));
    }

    #[test]
    fn after_the_last_reminder_it_waits_then_escalates() {
        let mut all_sent = ContextBuilder::new().days_overdue(8);
        for step in super::STEPS {
            all_sent = all_sent.notice(step.name, NoticeOutcome::Delivered);
        }
        let ctx = all_sent.clone().build();
        let escalation_day = nudge_sdk::add_days(ctx.invoice.due_on, super::ESCALATE_AFTER_DAYS);
        assert_eq!(Reminders::decide(&ctx).unwrap().action, Action::Wait(local_timestamp(escalation_day, 10, 0, 0)));
        let later = all_sent.days_overdue(super::ESCALATE_AFTER_DAYS).build();
        assert!(matches!(Reminders::decide(&later).unwrap().action, Action::Escalate(_)));
    }

    #[test]
    fn without_email_it_texts_and_without_any_channel_it_escalates() {
        let sms = ContextBuilder::new().days_overdue(1).reachable(&[Channel::Sms]).build();
        assert_eq!(notice(&sms).channel, Channel::Sms);
        let none = ContextBuilder::new().days_overdue(1).reachable(&[]).build();
        assert!(matches!(Reminders::decide(&none).unwrap().action, Action::Escalate(_)));
    }

    #[test]
    fn late_payers_get_their_own_segment() {
        let ctx = ContextBuilder::new().days_overdue(1).paid_on_time(1).paid_late(3, 20).build();
        assert_eq!(Reminders::decide(&ctx).unwrap().segment, "late-payer");
        assert_eq!(Reminders::decide(&ContextBuilder::new().build()).unwrap().segment, "regular");
    }
}
