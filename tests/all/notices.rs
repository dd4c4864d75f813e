//! A tenant's hand on notices, on a virtual clock: manual sends go through
//! the normal send path and count towards the frequency caps, cancelled
//! notices never go out, engagement reports are recorded once and feed the
//! report, a bounced contact is not used again, and failed deliveries are
//! counted by channel.

use jiff::{Timestamp, civil::Date};
use nudge_core::{Channel, EngagementKind, EventKind, NoticeId, NoticeState, Tenant, TenantId, TenantSettings, Tone};
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Engagement, Error, ManualSend, Scheduler, SchedulerConfig};
use nudge_store::Store;

use crate::{harness, outbox_check::read_outbox};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Tenant `acme` (built-in default policy: overdue-1 at 10:00 London on
/// 2 March), a London customer with email and phone, an invoice due 1 March.
fn setup() -> (tempfile::TempDir, Scheduler, TenantId) {
    setup_with(None)
}

/// [`setup`], with `plugin` deciding instead of the default policy.
fn setup_with(plugin: Option<&[u8]>) -> (tempfile::TempDir, Scheduler, TenantId) {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let created = at("2024-01-01T00:00:00Z");
    if let Some(plugin) = plugin {
        scheduler.install_plugin(&tenant, plugin, created).unwrap();
    }
    let mut customer = harness::customer(&tenant, "c1", "Europe/London");
    customer.phone = Some("+447700900123".into());
    scheduler.upsert_customer(&customer, created).unwrap();
    let due: Date = "2024-03-01".parse().unwrap();
    scheduler.upsert_invoice(&harness::invoice(&tenant, "inv-1", "c1", due, 5_000), created).unwrap();
    (dir, scheduler, tenant)
}

fn notice(scheduler: &Scheduler, tenant: &TenantId, step: &str) -> nudge_core::Notice {
    let invoice = nudge_core::InvoiceId::new("inv-1").unwrap();
    scheduler.store().notice(tenant, &invoice, step).unwrap().unwrap_or_else(|| panic!("no {step} notice"))
}

#[test]
fn a_manual_send_goes_out_now_and_counts_towards_the_daily_cap() {
    let (dir, scheduler, tenant) = setup();
    let invoice = nudge_core::InvoiceId::new("inv-1").unwrap();
    assert_eq!(notice(&scheduler, &tenant, "overdue-1").send_at, at("2024-03-02T10:00:00Z"));

    // 09:00 in London on 2 March: inside the send window.
    let sent = scheduler.send_now(&tenant, &invoice, &ManualSend::default(), at("2024-03-02T09:00:00Z")).unwrap();
    assert_eq!(sent.step, "manual-1");
    assert_eq!(sent.state, NoticeState::Sent { at: at("2024-03-02T09:00:00Z"), channel: Channel::Email });
    assert_eq!((sent.segment.as_str(), sent.tone), ("manual", Tone::Friendly));
    let outbox = read_outbox(&dir.path().join("outbox"));
    assert_eq!(outbox.iter().map(|d| d.step.as_str()).collect::<Vec<_>>(), ["manual-1"]);

    // The policy's overdue-1, due an hour later, is held by the 1-a-day cap.
    scheduler.advance_to(at("2024-03-02T12:00:00Z")).unwrap();
    let held = notice(&scheduler, &tenant, "overdue-1");
    assert_eq!((held.state, held.send_at), (NoticeState::Scheduled, at("2024-03-03T09:00:01Z")));
    let events = scheduler.store().events(&tenant).unwrap();
    assert!(
        events.iter().any(|e| matches!(&e.kind,
            EventKind::NoticeHeld { step, reason, .. } if step == "overdue-1" && reason == "1 notice per day")),
        "a notice-held event names the cap"
    );
    assert_eq!(read_outbox(&dir.path().join("outbox")).len(), 1, "nothing more went out that day");
    scheduler.advance_to(at("2024-03-03T12:00:00Z")).unwrap();
    assert!(matches!(notice(&scheduler, &tenant, "overdue-1").state, NoticeState::Sent { .. }));

    // The next manual send takes the next free step; a step in use is refused.
    let again = ManualSend { step: Some("overdue-1".into()), ..ManualSend::default() };
    let err = scheduler.send_now(&tenant, &invoice, &again, at("2024-03-04T12:00:00Z")).unwrap_err();
    assert!(matches!(err, Error::StepTaken { .. }), "{err}");
    let bad = ManualSend { step: Some("no spaces/here".into()), ..ManualSend::default() };
    let err = scheduler.send_now(&tenant, &invoice, &bad, at("2024-03-04T12:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("step:"), "{err}");
}

#[test]
fn a_manual_send_obeys_quiet_hours_opt_outs_and_payment() {
    let (_dir, scheduler, tenant) = setup();
    let invoice = nudge_core::InvoiceId::new("inv-1").unwrap();
    // 03:00 in London: moved to 08:00, not sent.
    let night = scheduler.send_now(&tenant, &invoice, &ManualSend::default(), at("2024-03-02T03:00:00Z")).unwrap();
    assert_eq!((night.state, night.send_at), (NoticeState::Scheduled, at("2024-03-02T08:00:00Z")));

    // Opted out of SMS: a manual send asked on SMS is suppressed, not sent.
    let customer = nudge_core::CustomerId::new("c1").unwrap();
    scheduler.opt_out(&tenant, &customer, Some(Channel::Sms), at("2024-03-02T11:00:00Z")).unwrap();
    let sms = ManualSend { channel: Some(Channel::Sms), ..ManualSend::default() };
    let refused = scheduler.send_now(&tenant, &invoice, &sms, at("2024-03-02T12:00:00Z")).unwrap();
    assert!(
        matches!(&refused.state, NoticeState::Suppressed { reason, .. } if reason.contains("no reachable channel"))
    );

    // A paid invoice takes no manual send at all.
    let payment = nudge_core::Payment {
        tenant: tenant.clone(),
        id: nudge_core::PaymentId::new("p1").unwrap(),
        invoice: invoice.clone(),
        amount_minor: 5_000,
        received_at: at("2024-03-02T13:00:00Z"),
    };
    scheduler.record_payment(&payment).unwrap();
    let err = scheduler.send_now(&tenant, &invoice, &ManualSend::default(), at("2024-03-02T14:00:00Z")).unwrap_err();
    assert!(matches!(&err, Error::InvoiceNotOpen { reason, .. } if reason == "paid"), "{err}");
}

#[test]
fn a_cancelled_notice_is_never_sent_and_the_sequence_moves_on() {
    let (dir, scheduler, tenant) = setup();
    let id = notice(&scheduler, &tenant, "overdue-1").id;
    let cancelled = scheduler.cancel_notice(&tenant, &id, at("2024-03-01T12:00:00Z")).unwrap();
    assert!(matches!(&cancelled.state, NoticeState::Suppressed { reason, .. } if reason == "cancelled by tenant"));
    // The policy was asked again: overdue-7 is next.
    assert_eq!(notice(&scheduler, &tenant, "overdue-7").state, NoticeState::Scheduled);
    scheduler.advance_to(at("2024-03-09T00:00:00Z")).unwrap();
    let steps: Vec<String> = read_outbox(&dir.path().join("outbox")).into_iter().map(|d| d.step).collect();
    assert_eq!(steps, ["overdue-7"], "the cancelled step never went out");
    let events = scheduler.store().events(&tenant).unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::NoticeSuppressed { notice: Some(n), reason, .. } if *n == id && reason == "cancelled by tenant")));

    // Settled notices cannot be cancelled; unknown ones do not exist.
    let err = scheduler.cancel_notice(&tenant, &id, at("2024-03-09T00:00:00Z")).unwrap_err();
    assert!(matches!(err, Error::NotCancellable { state: "suppressed", .. }), "{err}");
    let sent = notice(&scheduler, &tenant, "overdue-7").id;
    let err = scheduler.cancel_notice(&tenant, &sent, at("2024-03-09T00:00:00Z")).unwrap_err();
    assert!(matches!(err, Error::NotCancellable { state: "sent", .. }), "{err}");
    let other = TenantId::new("other").unwrap();
    let err = scheduler.cancel_notice(&other, &sent, at("2024-03-09T00:00:00Z")).unwrap_err();
    assert!(matches!(err, Error::NoSuchNotice(_)), "{err}");
}

fn report(notice: &NoticeId, kind: EngagementKind, at: Timestamp) -> Engagement {
    Engagement { notice: notice.clone(), kind, channel: None, negative: false, detail: None, at }
}

#[test]
fn engagement_is_recorded_once_feeds_the_report_and_a_bounce_moves_later_notices_to_sms() {
    // The standard policy: pre-due and overdue steps by email, SMS as the fallback.
    let (dir, scheduler, tenant) = setup_with(Some(nudge_bundle::STANDARD_POLICY));
    scheduler.advance_to(at("2024-03-02T10:00:00Z")).unwrap();
    let first = notice(&scheduler, &tenant, "overdue-1");
    assert_eq!(first.state, NoticeState::Sent { at: at("2024-03-02T10:00:00Z"), channel: Channel::Email });
    let scheduled = notice(&scheduler, &tenant, "overdue-7").id;

    let opened = report(&first.id, EngagementKind::Opened, at("2024-03-02T11:00:00Z"));
    assert!(scheduler.record_engagement(&tenant, &opened).unwrap().new);
    // A repeat (a second pixel load, a provider's retry) changes nothing.
    assert!(!scheduler.record_engagement(&tenant, &opened).unwrap().new);
    let clicked = report(&first.id, EngagementKind::Clicked, at("2024-03-02T11:05:00Z"));
    assert!(scheduler.record_engagement(&tenant, &clicked).unwrap().new);
    let unfair =
        Engagement { negative: true, ..report(&first.id, EngagementKind::Feedback, at("2024-03-02T11:10:00Z")) };
    assert!(scheduler.record_engagement(&tenant, &unfair).unwrap().new);
    let bounced = report(&first.id, EngagementKind::Bounced, at("2024-03-02T11:15:00Z"));
    let recorded = scheduler.record_engagement(&tenant, &bounced).unwrap();
    assert_eq!((recorded.channel, recorded.unverified), (Some(Channel::Email), vec![Channel::Email]));

    // Engagement about a notice not sent, or another tenant's, is refused.
    let err =
        scheduler.record_engagement(&tenant, &report(&scheduled, EngagementKind::Opened, at("2024-03-02T12:00:00Z")));
    assert!(matches!(err, Err(Error::NoticeNotSent { state: "scheduled", .. })), "{err:?}");
    let other = TenantId::new("other").unwrap();
    let err = scheduler.record_engagement(&other, &opened).unwrap_err();
    assert!(matches!(err, Error::NoSuchNotice(_)), "{err}");

    let customer = scheduler.store().customer(&tenant, &first.customer).unwrap().unwrap();
    assert_eq!((customer.stats.opens, customer.stats.clicks), (1, 1));
    assert_eq!((customer.stats.bounces, customer.stats.negative_feedback), (1, 1));
    assert_eq!(customer.reachable_channels(), [Channel::Sms]);
    let events = scheduler.store().events(&tenant).unwrap();
    let engagements = events.iter().filter(|e| matches!(e.kind, EventKind::Engagement { .. })).count();
    assert_eq!(engagements, 4, "one event per distinct report");
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::ContactUnverified { channel: Channel::Email, reason: EngagementKind::Bounced, .. }
    )));

    // The report counts what was recorded.
    let totals = scheduler.analytics(&tenant).unwrap().totals;
    // Sent: pre-due and overdue-1; overdue-1 opened, clicked, answered "not fair", bounced.
    assert_eq!(totals.notices_sent, 2);
    assert_eq!((totals.open_rate.numerator, totals.open_rate.denominator), (1, 2));
    assert_eq!(totals.negative_feedback_rate.numerator, 1);
    assert_eq!((totals.delivery_rate.numerator, totals.delivery_rate.denominator), (1, 2), "one bounced");

    // overdue-7 goes out by SMS, the email address being unverified; a new
    // address from the tenant is tried again.
    scheduler.advance_to(at("2024-03-08T12:00:00Z")).unwrap();
    let seventh = notice(&scheduler, &tenant, "overdue-7");
    assert!(matches!(seventh.state, NoticeState::Sent { channel: Channel::Sms, .. }), "{:?}", seventh.state);
    assert!(dir.path().join("outbox/acme").join(format!("{}.sms", seventh.id)).exists());
    let mut renewed = customer.clone();
    renewed.email = Some("c1-new@example.invalid".into());
    scheduler.upsert_customer(&renewed, at("2024-03-09T00:00:00Z")).unwrap();
    let stored = scheduler.store().customer(&tenant, &first.customer).unwrap().unwrap();
    assert!(stored.unverified.is_empty() && stored.can_reach(Channel::Email));

    // An opt-out report takes the opt-out path: that channel, or every one.
    let out = Engagement {
        channel: Some(Channel::Sms),
        ..report(&first.id, EngagementKind::OptOut, at("2024-03-09T01:00:00Z"))
    };
    assert_eq!(scheduler.record_engagement(&tenant, &out).unwrap().opted_out, [Channel::Sms]);
    let all = report(&first.id, EngagementKind::OptOut, at("2024-03-09T02:00:00Z"));
    assert_eq!(scheduler.record_engagement(&tenant, &all).unwrap().opted_out, Channel::ALL.to_vec());
    assert_eq!(scheduler.analytics(&tenant).unwrap().totals.opt_out_rate.numerator, 1);
}

#[test]
fn a_failed_delivery_is_counted_by_channel() {
    let dir = tempfile::tempdir().unwrap();
    let scheduler = Scheduler::new(
        Store::open(dir.path().join("store")).unwrap(),
        Runtime::new(Limits::default()).unwrap(),
        SchedulerConfig::new(dir.path().join("outbox")),
    );
    let tenant = TenantId::new("acme").unwrap();
    // A directory where the outbox writes the message first: delivery fails.
    let id = NoticeId::derive(&tenant, &nudge_core::InvoiceId::new("inv-1").unwrap(), "overdue-1");
    std::fs::create_dir_all(dir.path().join("outbox/acme").join(format!(".{id}.tmp"))).unwrap();
    let created = at("2024-01-01T00:00:00Z");
    scheduler
        .put_tenant(&Tenant {
            id: tenant.clone(),
            name: "Acme".into(),
            settings: TenantSettings::default(),
            created_at: created,
        })
        .unwrap();
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), created).unwrap();
    let due: Date = "2024-03-01".parse().unwrap();
    scheduler.upsert_invoice(&harness::invoice(&tenant, "inv-1", "c1", due, 12_000), created).unwrap();
    assert!(scheduler.delivery_errors().iter().all(|(_, n)| *n == 0));
    scheduler.advance_to(at("2024-03-02T10:00:00Z")).unwrap();
    assert!(matches!(notice(&scheduler, &tenant, "overdue-1").state, NoticeState::Failed { .. }));
    let errors = scheduler.delivery_errors();
    assert_eq!(errors.len(), Channel::ALL.len());
    assert!(errors.contains(&(Channel::Email, 1)) && errors.contains(&(Channel::Sms, 0)), "{errors:?}");
}
