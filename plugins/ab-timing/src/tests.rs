//! The ab-timing policy's rules, through `decide`.

#![allow(clippy::unwrap_used)]

use nudge_sdk::testing::ContextBuilder;
use nudge_sdk::{
    Action, Channel, Date, Decision, InvoiceStatus, NoticeOutcome, Notify, Policy, Segment, Tone, add_days,
    local_timestamp,
};

use crate::AbTiming;
use crate::experiment::EXPERIMENT;

const DUE: Date = Date::new(2024, 6, 10);
/// Sydney in winter.
const SYDNEY: i32 = 600;

fn invoice() -> ContextBuilder {
    ContextBuilder::new().time_zone("Australia/Sydney", SYDNEY).due_on(DUE).now_local(add_days(DUE, -30), 9, 0)
}

fn sydney(day: i64, hour: u8) -> i64 {
    local_timestamp(add_days(DUE, day), hour, 0, SYDNEY)
}

fn decide(builder: ContextBuilder) -> Decision {
    AbTiming::decide(&builder.build()).unwrap()
}

fn notice(builder: ContextBuilder) -> Notify {
    match decide(builder).action {
        Action::Notify(notice) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}

fn field<'a>(notice: &'a Notify, name: &str) -> &'a str {
    notice.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).unwrap()
}

#[test]
fn declares_the_experiment_and_its_arms() {
    let info = AbTiming::describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("ab-timing", "1.0.0"));
    assert_eq!(info.experiments.len(), 1);
    assert_eq!(info.experiments[0].name, EXPERIMENT);
    assert_eq!(info.experiments[0].arms, ["control", "early"]);
}

#[test]
fn the_control_arm_reminds_the_day_after_the_due_date() {
    let first = notice(invoice().experiment(EXPERIMENT, "control"));
    assert_eq!((first.step.as_str(), first.tone, first.send_at), ("overdue-1", Tone::Friendly, sydney(1, 10)));
    assert_eq!(field(&first, "experiment_arm"), "control");
    assert_eq!(field(&first, "days_overdue"), "1");
}

#[test]
fn the_early_arm_reminds_gently_before_the_due_date() {
    let first = notice(invoice().experiment(EXPERIMENT, "early"));
    assert_eq!((first.step.as_str(), first.tone, first.send_at), ("pre-due", Tone::Gentle, sydney(-3, 10)));
    assert_eq!(field(&first, "experiment_arm"), "early");
    assert_eq!(field(&first, "days_overdue"), "-3");
    let configured = notice(invoice().experiment(EXPERIMENT, "early").config(r#"{"early_days": 5}"#));
    assert_eq!(configured.send_at, sydney(-5, 10));
}

#[test]
fn both_arms_continue_with_the_same_later_steps() {
    for (arm, first) in [("control", "overdue-1"), ("early", "pre-due")] {
        let second = notice(
            invoice().experiment(EXPERIMENT, arm).now_local(add_days(DUE, 2), 9, 0).notice(first, NoticeOutcome::Sent),
        );
        assert_eq!((second.step.as_str(), second.tone, second.send_at), ("overdue-7", Tone::Firm, sydney(7, 10)));
        let third = notice(
            invoice()
                .experiment(EXPERIMENT, arm)
                .now_local(add_days(DUE, 8), 9, 0)
                .reachable(&[Channel::Email, Channel::Sms])
                .notice("overdue-7", NoticeOutcome::Sent),
        );
        assert_eq!((third.step.as_str(), third.tone), ("overdue-14", Tone::Urgent));
        assert_eq!((third.channel, third.fallbacks), (Channel::Sms, vec![Channel::Email]));
    }
}

#[test]
fn without_an_arm_or_with_an_unknown_one_the_customer_gets_control() {
    let control = notice(invoice().experiment(EXPERIMENT, "control"));
    for builder in
        [invoice(), invoice().experiment(EXPERIMENT, "late"), invoice().experiment("another-experiment", "early")]
    {
        assert_eq!(notice(builder), control);
    }
}

#[test]
fn an_early_arm_invoice_first_seen_on_or_after_the_due_date_gets_the_control_reminder() {
    // A gentle "due soon" reminder two days after the due date would be
    // wrong: the first reminder is the control arm's, still labelled early.
    let late = notice(invoice().experiment(EXPERIMENT, "early").now_local(add_days(DUE, 2), 11, 0));
    assert_eq!((late.step.as_str(), late.tone, late.send_at), ("overdue-1", Tone::Friendly, sydney(2, 11)));
    assert_eq!(field(&late, "experiment_arm"), "early");
    // On the due date itself too.
    let due_day = notice(invoice().experiment(EXPERIMENT, "early").now_local(DUE, 8, 0));
    assert_eq!((due_day.step.as_str(), due_day.send_at), ("overdue-1", sydney(1, 10)));
    // But once the pre-due notice went out, overdue-1 never follows it.
    let after_pre_due = notice(
        invoice()
            .experiment(EXPERIMENT, "early")
            .now_local(add_days(DUE, 2), 11, 0)
            .notice("pre-due", NoticeOutcome::Sent),
    );
    assert_eq!(after_pre_due.step, "overdue-7");
}

#[test]
fn escalates_stops_and_waits_like_the_standard_policy() {
    let after_last = decide(invoice().now_local(add_days(DUE, 15), 9, 0).notice("overdue-14", NoticeOutcome::Sent));
    assert_eq!(after_last.action, Action::Wait(sydney(30, 10)));
    let day_30 = decide(invoice().now_local(add_days(DUE, 30), 9, 0));
    assert!(matches!(day_30.action, Action::Escalate(_)), "{day_30:?}");
    let paid = decide(invoice().status(InvoiceStatus::Paid).experiment(EXPERIMENT, "early"));
    assert_eq!(paid.action, Action::Stop("invoice is paid".to_owned()));
    let nobody = decide(invoice().reachable(&[]));
    assert_eq!(nobody.action, Action::Escalate("no reachable channel".to_owned()));
}

#[test]
fn segments_follow_the_payment_record() {
    assert_eq!(decide(invoice()).segment, Segment::NEW);
    assert_eq!(decide(invoice().paid_on_time(3)).segment, Segment::REGULAR);
    assert_eq!(decide(invoice().paid_on_time(1).paid_late(3, 20)).segment, Segment::HABITUAL_LATE);
}

#[test]
fn bad_configuration_is_declined_with_a_reason() {
    for config in [r#"{"early_days": 0}"#, r#"{"early_days": 15}"#, r#"{"arm": "early"}"#] {
        let error = AbTiming::decide(&invoice().config(config).build()).unwrap_err();
        assert_eq!(error.code, "bad-config", "{config}: {error:?}");
    }
}
