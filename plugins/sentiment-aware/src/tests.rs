//! The sentiment-aware policy's rules, through `decide`.

#![allow(clippy::unwrap_used)]

use nudge_sdk::testing::ContextBuilder;
use nudge_sdk::{
    Action, Channel, Date, Decision, InvoiceStatus, NoticeOutcome, Notify, Policy, Segment, Tone, add_days,
    local_timestamp,
};

use crate::SentimentAware;
use crate::segment::NEGATIVE_FEEDBACK;

const DUE: Date = Date::new(2024, 6, 10);
/// Zurich in summer.
const ZURICH: i32 = 120;

/// An invoice due on `DUE` for a German-speaking customer in Zurich
/// reachable by email and SMS, with a regular payment record.
fn invoice() -> ContextBuilder {
    ContextBuilder::new()
        .time_zone("Europe/Zurich", ZURICH)
        .due_on(DUE)
        .language("de-CH")
        .reachable(&[Channel::Email, Channel::Sms])
        .paid_on_time(5)
}

fn decide(builder: ContextBuilder) -> Decision {
    SentimentAware::decide(&builder.build()).unwrap()
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

/// The tone of the notice for the step due `day` days after the due date.
fn tone_on(builder: ContextBuilder, day: i64) -> Tone {
    notice(builder.now_local(add_days(DUE, day), 9, 0)).tone
}

#[test]
fn describes_itself() {
    let info = SentimentAware::describe();
    assert_eq!((info.name.as_str(), info.version.as_str()), ("sentiment-aware", "1.0.0"));
}

#[test]
fn regular_customers_get_the_standard_tones() {
    let tones: Vec<Tone> = [-1, 1, 7, 14].into_iter().map(|day| tone_on(invoice(), day)).collect();
    assert_eq!(tones, [Tone::Gentle, Tone::Friendly, Tone::Firm, Tone::Urgent]);
    let first = notice(invoice().now_local(add_days(DUE, -10), 9, 0));
    assert_eq!((first.step.as_str(), first.send_at), ("pre-due", local_timestamp(add_days(DUE, -1), 10, 0, ZURICH)));
}

#[test]
fn after_negative_feedback_every_tone_is_one_softer() {
    let unhappy = || invoice().negative_feedback(1);
    assert_eq!(decide(unhappy()).segment, NEGATIVE_FEEDBACK);
    let tones: Vec<Tone> = [-1, 1, 7, 14].into_iter().map(|day| tone_on(unhappy(), day)).collect();
    assert_eq!(tones, [Tone::Gentle, Tone::Gentle, Tone::Friendly, Tone::Firm]);
}

#[test]
fn habitual_late_payers_get_every_tone_one_firmer() {
    let habitual = || invoice().paid_on_time(1).paid_late(4, 50);
    assert_eq!(decide(habitual()).segment, Segment::HABITUAL_LATE);
    let tones: Vec<Tone> = [-1, 1, 7, 14].into_iter().map(|day| tone_on(habitual(), day)).collect();
    assert_eq!(tones, [Tone::Friendly, Tone::Firm, Tone::Urgent, Tone::Urgent]);
}

#[test]
fn negative_feedback_wins_over_a_late_payment_record() {
    let both = invoice().paid_on_time(0).paid_late(6, 90).negative_feedback(2);
    assert_eq!(decide(both.clone()).segment, NEGATIVE_FEEDBACK);
    assert_eq!(tone_on(both, 7), Tone::Friendly);
}

#[test]
fn repeated_complaints_go_to_a_person() {
    let decision = decide(invoice().negative_feedback(3).days_overdue(1));
    assert!(matches!(decision.action, Action::Escalate(ref reason) if reason.contains("3 negative replies")));
    let configured = invoice().negative_feedback(3).days_overdue(1).config(r#"{"escalate_after_feedback": 5}"#);
    assert!(matches!(decide(configured).action, Action::Notify(_)));
}

#[test]
fn the_preferred_channel_comes_first_when_reachable() {
    let plain = notice(invoice().days_overdue(1));
    assert_eq!((plain.channel, plain.fallbacks), (Channel::Email, vec![Channel::Sms]));
    let sms = notice(invoice().preferred(Channel::Sms).days_overdue(1));
    assert_eq!((sms.channel, sms.fallbacks), (Channel::Sms, vec![Channel::Email]));
    let opted_out = notice(invoice().preferred(Channel::Sms).opted_out(&[Channel::Sms]).days_overdue(1));
    assert_eq!((opted_out.channel, opted_out.fallbacks), (Channel::Email, vec![]));
    let unreachable = notice(invoice().preferred(Channel::Push).days_overdue(1));
    assert_eq!(unreachable.channel, Channel::Email);
    let nobody = decide(invoice().reachable(&[]).days_overdue(1));
    assert_eq!(nobody.action, Action::Escalate("no reachable channel".to_owned()));
}

#[test]
fn the_locale_field_follows_the_customer_language() {
    assert_eq!(field(&notice(invoice()), "locale"), "de-CH");
    assert_eq!(field(&notice(invoice().language("pt_br")), "locale"), "pt-BR");
    assert_eq!(field(&notice(invoice().language("")), "locale"), "en");
    let tenant = r#"{"locales": ["en", "de", "fr"], "default_locale": "fr"}"#;
    assert_eq!(field(&notice(invoice().config(tenant)), "locale"), "de");
    assert_eq!(field(&notice(invoice().language("ja").config(tenant)), "locale"), "fr");
}

#[test]
fn stops_escalates_and_waits_like_the_standard_policy() {
    let cases = [
        (invoice().status(InvoiceStatus::Paid), "invoice is paid"),
        (invoice().status(InvoiceStatus::Void), "invoice is void"),
        (invoice().status(InvoiceStatus::Uncollectible), "invoice is uncollectible"),
        (invoice().amount_remaining(0), "invoice is paid"),
        (invoice().disputed(true), "invoice is disputed"),
        (invoice().negative_feedback(9).status(InvoiceStatus::Paid), "invoice is paid"),
    ];
    for (builder, reason) in cases {
        assert_eq!(decide(builder).action, Action::Stop(reason.to_owned()));
    }
    let after_last = decide(invoice().now_local(add_days(DUE, 15), 9, 0).notice("overdue-14", NoticeOutcome::Sent));
    assert_eq!(after_last.action, Action::Wait(local_timestamp(add_days(DUE, 30), 10, 0, ZURICH)));
    assert!(matches!(decide(invoice().days_overdue(30)).action, Action::Escalate(_)));
}

#[test]
fn bad_configuration_is_declined_with_a_reason() {
    for (config, needle) in [
        (r#"{"locales": "de"}"#, "array of strings"),
        (r#"{"locales": []}"#, "at least one locale"),
        (r#"{"locales": ["de", "not a tag"]}"#, "not a language tag"),
        (r#"{"default_locale": 7}"#, "must be a string"),
        (r#"{"escalate_after_feedback": 0}"#, "escalate_after_feedback"),
        (r#"{"tone": "soft"}"#, "unknown configuration key"),
    ] {
        let error = SentimentAware::decide(&invoice().config(config).build()).unwrap_err();
        assert_eq!(error.code, "bad-config", "{config}: {error:?}");
        assert!(error.message.contains(needle), "{config}: {}", error.message);
    }
}
