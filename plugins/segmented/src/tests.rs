//! The segmented policy's rules, through `decide`.

#![allow(clippy::unwrap_used)]

use nudge_sdk::testing::ContextBuilder;
use nudge_sdk::{
    Action, Channel, Date, Decision, InvoiceStatus, NoticeOutcome, Notify, Policy, Segment, Tone, add_days,
    local_timestamp,
};

use crate::Segmented;
use crate::segment::OCCASIONAL_LATE;

const DUE: Date = Date::new(2024, 6, 10);
/// New York in summer.
const NEW_YORK: i32 = -240;

/// An invoice due on `DUE` for a customer in New York reachable by email and SMS.
fn invoice() -> ContextBuilder {
    ContextBuilder::new().time_zone("America/New_York", NEW_YORK).due_on(DUE).reachable(&[Channel::Email, Channel::Sms])
}

fn habitual() -> ContextBuilder {
    invoice().paid_on_time(1).paid_late(4, 60)
}

fn high_value() -> ContextBuilder {
    invoice().tier("gold")
}

/// `hour:00` New York time, `day` days after the due date.
fn new_york(day: i64, hour: u8) -> i64 {
    local_timestamp(add_days(DUE, day), hour, 0, NEW_YORK)
}

fn decide(builder: ContextBuilder) -> Decision {
    Segmented::decide(&builder.build()).unwrap()
}

fn notice(builder: ContextBuilder) -> Notify {
    match decide(builder).action {
        Action::Notify(notice) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}

#[test]
fn describes_itself() {
    let info = Segmented::describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("segmented", "1.0.0"));
    assert!(info.experiments.is_empty());
}

#[test]
fn segments_follow_tier_lifetime_value_and_payment_record() {
    let segment = |builder: ContextBuilder| decide(builder).segment;
    assert_eq!(segment(invoice()), Segment::FIRST_TIME_LATE, "a new customer has never been late");
    assert_eq!(segment(invoice().paid_on_time(9)), Segment::FIRST_TIME_LATE);
    assert_eq!(segment(invoice().paid_on_time(9).paid_late(1, 3)), OCCASIONAL_LATE);
    assert_eq!(segment(invoice().paid_on_time(2).paid_late(2, 10)), OCCASIONAL_LATE, "as often on time as late");
    assert_eq!(segment(invoice().paid_late(1, 30)), OCCASIONAL_LATE, "one late payment is not a habit");
    assert_eq!(segment(habitual()), Segment::HABITUAL_LATE);
    assert_eq!(segment(habitual().tier("Gold")), Segment::HIGH_VALUE, "tiers match without case");
    assert_eq!(segment(habitual().lifetime_value(200_000)), Segment::HIGH_VALUE);
    assert_eq!(segment(habitual().lifetime_value(199_999)), Segment::HABITUAL_LATE);
}

#[test]
fn segment_thresholds_are_configurable() {
    let segment = |builder: ContextBuilder| decide(builder).segment;
    let config = r#"{"high_value_tiers": ["vip"], "high_value_lifetime_minor": 1000, "habitual_min_late": 5}"#;
    assert_eq!(segment(invoice().tier("gold").config(config)), Segment::FIRST_TIME_LATE);
    assert_eq!(segment(invoice().tier("vip").config(config)), Segment::HIGH_VALUE);
    assert_eq!(segment(invoice().lifetime_value(1_000).config(config)), Segment::HIGH_VALUE);
    assert_eq!(segment(habitual().config(config)), OCCASIONAL_LATE, "4 late payments, fewer than 5");
}

#[test]
fn first_time_late_payers_get_no_pre_due_notice_and_friendly_email() {
    let first = notice(invoice().now_local(add_days(DUE, -20), 9, 0));
    assert_eq!((first.step.as_str(), first.tone, first.send_at), ("overdue-1", Tone::Friendly, new_york(1, 10)));
    assert_eq!((first.channel, first.fallbacks), (Channel::Email, vec![Channel::Sms]));
    let second = notice(invoice().now_local(add_days(DUE, 2), 9, 0).notice("overdue-1", NoticeOutcome::Sent));
    assert_eq!((second.step.as_str(), second.tone), ("overdue-7", Tone::Friendly));
    let third = notice(invoice().now_local(add_days(DUE, 8), 9, 0).notice("overdue-7", NoticeOutcome::Sent));
    assert_eq!((third.step.as_str(), third.tone), ("overdue-14", Tone::Firm));
    assert_eq!(third.channel, Channel::Email);
}

#[test]
fn occasional_late_payers_get_the_standard_sequence() {
    let early = notice(invoice().paid_late(1, 2).now_local(add_days(DUE, -20), 9, 0));
    assert_eq!((early.step.as_str(), early.tone, early.send_at), ("pre-due", Tone::Gentle, new_york(-1, 10)));
    let urgent = notice(invoice().paid_late(1, 2).now_local(add_days(DUE, 14), 8, 0));
    assert_eq!((urgent.step.as_str(), urgent.tone), ("overdue-14", Tone::Urgent));
    assert_eq!((urgent.channel, urgent.fallbacks), (Channel::Sms, vec![Channel::Email]));
}

#[test]
fn habitual_late_payers_hear_earlier_firmer_and_by_text_message() {
    let early = notice(habitual().now_local(add_days(DUE, -20), 9, 0));
    assert_eq!((early.step.as_str(), early.tone, early.send_at), ("pre-due", Tone::Friendly, new_york(-3, 10)));
    assert_eq!(early.channel, Channel::Email);
    let overdue = notice(habitual().now_local(add_days(DUE, 1), 12, 0).notice("pre-due", NoticeOutcome::Sent));
    assert_eq!((overdue.step.as_str(), overdue.tone, overdue.send_at), ("overdue-1", Tone::Firm, new_york(1, 12)));
    assert_eq!((overdue.channel, overdue.fallbacks), (Channel::Sms, vec![Channel::Email]));
    let next = notice(habitual().now_local(add_days(DUE, 2), 12, 0).notice("overdue-1", NoticeOutcome::Sent));
    assert_eq!((next.step.as_str(), next.send_at), ("overdue-5", new_york(5, 10)));
}

#[test]
fn habitual_late_payers_go_to_support_after_three_weeks() {
    let after_last = decide(habitual().now_local(add_days(DUE, 11), 9, 0).notice("overdue-10", NoticeOutcome::Sent));
    assert_eq!(after_last.action, Action::Wait(new_york(21, 10)));
    let day_21 = decide(habitual().now_local(add_days(DUE, 21), 0, 5));
    assert!(matches!(day_21.action, Action::Escalate(ref reason) if reason.contains("after 21")), "{day_21:?}");
}

#[test]
fn high_value_customers_hear_gently_in_their_channel_and_a_person_follows_up() {
    let early = notice(high_value().preferred(Channel::Sms).now_local(add_days(DUE, -20), 9, 0));
    assert_eq!((early.step.as_str(), early.tone), ("pre-due", Tone::Gentle));
    assert_eq!((early.channel, early.fallbacks), (Channel::Sms, vec![Channel::Email]));
    let no_preference = notice(high_value().now_local(add_days(DUE, 4), 9, 0).notice("pre-due", NoticeOutcome::Sent));
    assert_eq!((no_preference.step.as_str(), no_preference.tone), ("overdue-3", Tone::Friendly));
    assert_eq!((no_preference.channel, no_preference.fallbacks), (Channel::Email, vec![Channel::Sms]));
    let day_14 = decide(high_value().now_local(add_days(DUE, 14), 9, 0));
    assert!(matches!(day_14.action, Action::Escalate(_)), "{day_14:?}");
}

#[test]
fn a_segment_change_midway_never_goes_back_to_an_earlier_day() {
    // overdue-7 went out while the customer was an occasional late payer;
    // another late payment since makes them habitual, whose sequence has no
    // overdue-7: the next step is overdue-10, not overdue-1 or overdue-5.
    let moved = notice(habitual().now_local(add_days(DUE, 8), 9, 0).notice("overdue-7", NoticeOutcome::Sent));
    assert_eq!((moved.step.as_str(), moved.send_at), ("overdue-10", new_york(10, 10)));
}

#[test]
fn opted_out_and_unreachable_channels_are_never_chosen() {
    let no_sms = notice(habitual().opted_out(&[Channel::Sms]).days_overdue(1));
    assert_eq!((no_sms.channel, no_sms.fallbacks), (Channel::Email, vec![]));
    let preferred_opted_out = notice(high_value().preferred(Channel::Sms).opted_out(&[Channel::Sms]).days_overdue(3));
    assert_eq!((preferred_opted_out.channel, preferred_opted_out.fallbacks), (Channel::Email, vec![]));
    let nobody = decide(invoice().reachable(&[]).days_overdue(1));
    assert_eq!(nobody.action, Action::Escalate("no reachable channel".to_owned()));
}

#[test]
fn stops_when_nothing_may_be_sent() {
    let cases = [
        (invoice().status(InvoiceStatus::Paid), "invoice is paid"),
        (invoice().status(InvoiceStatus::Void), "invoice is void"),
        (invoice().status(InvoiceStatus::Uncollectible), "invoice is uncollectible"),
        (invoice().amount_remaining(0), "invoice is paid"),
        (invoice().disputed(true), "invoice is disputed"),
        (habitual().days_overdue(40).status(InvoiceStatus::Paid), "invoice is paid"),
    ];
    for (builder, reason) in cases {
        assert_eq!(decide(builder).action, Action::Stop(reason.to_owned()));
    }
}

#[test]
fn notices_carry_segment_and_days_overdue_on_their_send_day() {
    let early = notice(invoice().paid_late(1, 2).now_local(add_days(DUE, -20), 9, 0));
    let field = |name: &str| early.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    assert_eq!(field("days_overdue"), Some("-1"));
    assert_eq!(field("segment"), Some("occasional-late"));
}

#[test]
fn bad_configuration_is_declined_with_a_reason() {
    for config in [
        r#"{"send_hour": -1}"#,
        r#"{"high_value_tiers": "gold"}"#,
        r#"{"habitual_min_late": 0}"#,
        r#"{"segments": {}}"#,
    ] {
        let error = Segmented::decide(&invoice().config(config).build()).unwrap_err();
        assert_eq!(error.code, "bad-config", "{config}: {error:?}");
    }
}

#[test]
fn notices_go_out_at_the_learned_hour_when_it_rests_on_enough_events() {
    // The customer opens and pays around 18:00, from 7 events of their own.
    let learned = notice(invoice().now_local(add_days(DUE, -20), 9, 0).best_send_hour(18, 7, true));
    assert_eq!((learned.step.as_str(), learned.send_at), ("overdue-1", new_york(1, 18)));
    // Four events are too few: the configured hour.
    let few = notice(invoice().now_local(add_days(DUE, -20), 9, 0).best_send_hour(18, 4, true));
    assert_eq!(few.send_at, new_york(1, 10));
    // The tenant can switch it off.
    let off = notice(
        invoice()
            .now_local(add_days(DUE, -20), 9, 0)
            .best_send_hour(18, 7, true)
            .config(r#"{"learned_send_hour": false}"#),
    );
    assert_eq!(off.send_at, new_york(1, 10));
    // A probability alone changes nothing.
    let odds = notice(invoice().now_local(add_days(DUE, -20), 9, 0).pay_within_7d(900, 5_000));
    assert_eq!(odds.send_at, new_york(1, 10));
}
