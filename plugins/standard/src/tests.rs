//! The standard policy's rules, one test per rule, through `decide`.

#![allow(clippy::unwrap_used)]

use nudge_sdk::testing::ContextBuilder;
use nudge_sdk::{
    Action, Channel, Date, Decision, InvoiceStatus, NoticeOutcome, Notify, Policy, Tone, add_days, local_timestamp,
};

use crate::Standard;

const DUE: Date = Date::new(2024, 6, 10);
/// Berlin in summer: the customer's day starts two hours before UTC's.
const BERLIN: i32 = 120;

/// An invoice due on `DUE` for a customer in Berlin reachable by email.
fn invoice() -> ContextBuilder {
    ContextBuilder::new().time_zone("Europe/Berlin", BERLIN).due_on(DUE)
}

/// `hour:minute` Berlin time, `day` days after the due date.
fn berlin(day: i64, hour: u8, minute: u8) -> i64 {
    local_timestamp(add_days(DUE, day), hour, minute, BERLIN)
}

fn decide(builder: ContextBuilder) -> Decision {
    Standard::decide(&builder.build()).unwrap()
}

fn notice(builder: ContextBuilder) -> Notify {
    match decide(builder).action {
        Action::Notify(notice) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}

fn field<'a>(notice: &'a Notify, name: &str) -> &'a str {
    let (_, value) = notice.fields.iter().find(|(key, _)| key == name).unwrap();
    value
}

#[test]
fn describes_itself() {
    let info = Standard::describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("standard", "1.0.0"));
    assert!(info.experiments.is_empty());
}

#[test]
fn pre_due_reminder_is_scheduled_for_ten_local_the_day_before() {
    let notice = notice(invoice().now_local(add_days(DUE, -5), 15, 0));
    assert_eq!(notice.step, "pre-due");
    assert_eq!(notice.tone, Tone::Gentle);
    assert_eq!(notice.send_at, berlin(-1, 10, 0));
    assert_eq!((notice.channel, notice.fallbacks.as_slice()), (Channel::Email, &[][..]));
    assert_eq!(notice.template, "");
    assert_eq!(field(&notice, "days_overdue"), "-1");
    assert_eq!(field(&notice, "segment"), "new");
}

#[test]
fn a_step_whose_day_has_come_goes_out_at_ten_or_now_if_later() {
    let early = notice(invoice().now_local(add_days(DUE, -1), 8, 0));
    assert_eq!((early.step.as_str(), early.send_at), ("pre-due", berlin(-1, 10, 0)));
    let late = notice(invoice().now_local(add_days(DUE, -1), 14, 30));
    assert_eq!((late.step.as_str(), late.send_at), ("pre-due", berlin(-1, 14, 30)));
}

#[test]
fn days_are_counted_in_the_customer_zone() {
    // At 23:30 Berlin time on the due date it is still the due date there;
    // at 00:30 the next day Berlin is a day overdue though UTC (22:30Z)
    // still says the due date.
    let due_day = invoice().now_local(DUE, 23, 30).notice("pre-due", NoticeOutcome::Sent);
    assert_eq!(notice(due_day).send_at, berlin(1, 10, 0));
    let next_day = invoice().now_local(add_days(DUE, 1), 0, 30).notice("pre-due", NoticeOutcome::Sent);
    let next_day = notice(next_day);
    assert_eq!(next_day.step, "overdue-1");
    assert_eq!(next_day.send_at, berlin(1, 10, 0));
}

#[test]
fn steps_follow_the_most_advanced_one_in_the_history() {
    let after_pre_due =
        notice(invoice().now_local(add_days(DUE, -1), 14, 0).notice("pre-due", NoticeOutcome::Delivered));
    assert_eq!(after_pre_due.step, "overdue-1");
    assert_eq!(after_pre_due.tone, Tone::Friendly);
    assert_eq!(after_pre_due.send_at, berlin(1, 10, 0));

    // Any outcome counts, even a bounce; unknown steps are ignored.
    let after_bounce = notice(
        invoice()
            .now_local(add_days(DUE, 8), 9, 0)
            .notice("overdue-7", NoticeOutcome::Bounced)
            .notice("custom-step", NoticeOutcome::Sent),
    );
    assert_eq!(after_bounce.step, "overdue-14");
    assert_eq!(after_bounce.tone, Tone::Urgent);
    assert_eq!(after_bounce.send_at, berlin(14, 10, 0));
    assert_eq!(field(&after_bounce, "days_overdue"), "14");
}

#[test]
fn superseded_steps_are_skipped() {
    // Nothing sent yet and already 9 days overdue: overdue-7, not pre-due.
    let notice = notice(invoice().now_local(add_days(DUE, 9), 11, 0));
    assert_eq!(notice.step, "overdue-7");
    assert_eq!(notice.tone, Tone::Firm);
    assert_eq!(notice.send_at, berlin(9, 11, 0));
    assert_eq!(field(&notice, "days_overdue"), "9");
}

#[test]
fn after_the_last_step_it_waits_for_the_escalation_day() {
    let decision = decide(invoice().now_local(add_days(DUE, 15), 9, 0).notice("overdue-14", NoticeOutcome::Sent));
    assert_eq!(decision.action, Action::Wait(berlin(30, 10, 0)));
}

#[test]
fn escalates_at_thirty_days_overdue() {
    let day_29 = decide(invoice().now_local(add_days(DUE, 29), 23, 59).notice("overdue-14", NoticeOutcome::Sent));
    assert!(matches!(day_29.action, Action::Wait(_)), "{day_29:?}");
    let day_30 = decide(invoice().now_local(add_days(DUE, 30), 0, 0));
    assert!(matches!(day_30.action, Action::Escalate(_)), "{day_30:?}");
}

#[test]
fn escalation_day_and_send_hour_are_configurable() {
    let config = r#"{"escalate_after_days": 10, "send_hour": 8}"#;
    let day_10 = decide(invoice().now_local(add_days(DUE, 10), 0, 0).config(config));
    assert!(matches!(day_10.action, Action::Escalate(_)), "{day_10:?}");
    // overdue-14 falls after the escalation day, so it is never planned.
    let after_7 =
        decide(invoice().now_local(add_days(DUE, 8), 0, 0).config(config).notice("overdue-7", NoticeOutcome::Sent));
    assert_eq!(after_7.action, Action::Wait(berlin(10, 8, 0)));
    let pre_due = notice(invoice().now_local(add_days(DUE, -3), 0, 0).config(config));
    assert_eq!(pre_due.send_at, berlin(-1, 8, 0));
}

#[test]
fn stops_when_nothing_is_owed_or_the_invoice_is_disputed() {
    let cases = [
        (invoice().status(InvoiceStatus::Paid), "invoice is paid"),
        (invoice().status(InvoiceStatus::Void), "invoice is void"),
        (invoice().status(InvoiceStatus::Uncollectible), "invoice is uncollectible"),
        (invoice().amount_remaining(0), "invoice is paid (nothing remaining)"),
        (invoice().disputed(true), "invoice is disputed"),
        // Stopping wins over escalating.
        (invoice().days_overdue(45).status(InvoiceStatus::Paid), "invoice is paid"),
    ];
    for (builder, reason) in cases {
        assert_eq!(decide(builder).action, Action::Stop(reason.to_owned()));
    }
}

#[test]
fn urgent_notices_and_high_value_invoices_go_by_sms() {
    let both = [Channel::Email, Channel::Sms];
    let urgent = notice(invoice().days_overdue(14).reachable(&both));
    assert_eq!((urgent.channel, urgent.fallbacks), (Channel::Sms, vec![Channel::Email]));

    let friendly = notice(invoice().days_overdue(1).reachable(&both));
    assert_eq!((friendly.channel, friendly.fallbacks), (Channel::Email, vec![Channel::Sms]));

    let high_value = decide(invoice().days_overdue(1).amount(10_000).reachable(&both));
    assert_eq!(high_value.segment, "high-value");
    let Action::Notify(high_value) = high_value.action else { panic!("expected a notice") };
    assert_eq!(high_value.channel, Channel::Sms);

    let raised = invoice().days_overdue(1).amount(10_000).reachable(&both).config(r#"{"high_value_minor": 20000}"#);
    assert_eq!(notice(raised).channel, Channel::Email);
}

#[test]
fn without_sms_urgent_notices_go_by_email() {
    let urgent = notice(invoice().days_overdue(14).reachable(&[Channel::Email]));
    assert_eq!((urgent.channel, urgent.fallbacks), (Channel::Email, vec![]));
}

#[test]
fn without_email_the_preferred_then_first_reachable_channel_is_used() {
    let others = [Channel::Push, Channel::Webhook];
    let preferred = notice(invoice().reachable(&others).preferred(Channel::Webhook));
    assert_eq!((preferred.channel, preferred.fallbacks), (Channel::Webhook, vec![Channel::Push]));
    let first = notice(invoice().reachable(&others).preferred(Channel::Email));
    assert_eq!((first.channel, first.fallbacks), (Channel::Push, vec![Channel::Webhook]));
}

#[test]
fn escalates_when_no_channel_is_reachable() {
    let decision = decide(invoice().days_overdue(1).reachable(&[]));
    assert_eq!(decision.action, Action::Escalate("no reachable channel".to_owned()));
}

#[test]
fn segments_follow_the_payment_record() {
    let segment = |builder: ContextBuilder| decide(builder).segment;
    assert_eq!(segment(invoice()), "new");
    assert_eq!(segment(invoice().paid_on_time(1).paid_late(3, 30)), "habitual-late");
    assert_eq!(segment(invoice().paid_on_time(2).paid_late(2, 9)), "regular");
    assert_eq!(segment(invoice().paid_late(1, 4)), "regular");
    assert_eq!(segment(invoice().paid_late(2, 4).amount(50_000)), "high-value");
}

#[test]
fn bad_configuration_is_declined_with_a_reason() {
    for config in [r#"{"send_hour": 24}"#, r#"{"sendHour": 9}"#, "[]", "{"] {
        let error = Standard::decide(&invoice().config(config).build()).unwrap_err();
        assert_eq!(error.code, "bad-config", "{config}: {error:?}");
    }
}
