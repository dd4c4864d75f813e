//! Frequency caps across a customer's invoices, combined notices, and the
//! tenant's rule for sends missed while the host was down.

use jiff::{Timestamp, civil::Date};
use nudge_core::{
    EventKind, FrequencyCaps, MissedSendPolicy, MissedSends, NoticeState, Tenant, TenantId, TenantSettings,
};
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig};
use nudge_store::Store;

use crate::{harness, outbox_check::read_outbox};

struct Setup {
    dir: tempfile::TempDir,
    scheduler: Scheduler,
    tenant: TenantId,
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Tenant `acme` (built-in default policy: overdue days 1, 7 and 14 at
/// 10:00 local) with one London customer and an invoice per due date.
fn setup(settings: TenantSettings, due_dates: &[&str]) -> Setup {
    let (dir, scheduler, tenant) = harness::empty_tenant(settings);
    let created_at = at("2024-01-01T00:00:00Z");
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), created_at).unwrap();
    for (i, due) in due_dates.iter().enumerate() {
        let due_on: Date = due.parse().unwrap();
        let invoice = harness::invoice(&tenant, &format!("inv-{i}"), "c1", due_on, 10_000 * (i as i64 + 1));
        scheduler.upsert_invoice(&invoice, created_at).unwrap();
    }
    Setup { dir, scheduler, tenant }
}

#[test]
fn invoices_due_together_go_out_as_one_message_and_a_cap_holds_the_rest_back() {
    // One message a week at most: the caps bite on every step.
    let caps = FrequencyCaps { per_day: 1, per_week: 1 };
    let s = setup(
        TenantSettings { frequency_caps: caps, ..TenantSettings::default() },
        &["2024-03-01", "2024-03-01", "2024-03-02"],
    );
    s.scheduler.advance_to(at("2024-05-01T00:00:00Z")).unwrap();
    let summary = s.scheduler.summary(&s.tenant).unwrap();
    assert_eq!(summary.frequency_cap_violations, 0, "{summary:?}");
    assert!(summary.held_by_frequency_cap >= 2, "{summary:?}");
    assert!(summary.combined_notices >= 2, "{summary:?}");
    assert_eq!(summary.messages_sent + summary.combined_notices, summary.notices_sent, "{summary:?}");
    assert_eq!(summary.duplicate_step_notices, 0);

    // The first message carries both invoices due on 1 March, at 10:00 on the 2nd.
    let mut delivered = read_outbox(&s.dir.path().join("outbox"));
    delivered.sort_by_key(|d| d.sent_at);
    assert_eq!(delivered[0].sent_at, at("2024-03-02T10:00:00Z"));
    assert_eq!(delivered[0].also.len(), 1, "{:?}", delivered[0]);
    // No two messages within a week, read back from the outbox itself.
    for pair in delivered.windows(2) {
        let gap = pair[1].sent_at.duration_since(pair[0].sent_at);
        assert!(gap >= jiff::SignedDuration::from_hours(24 * 7), "{:?} then {:?}", pair[0], pair[1]);
    }
    // A held notice is recorded with its cap and when it may go.
    let events = s.scheduler.store().events(&s.tenant).unwrap();
    let held = events.iter().find_map(|e| match &e.kind {
        EventKind::NoticeHeld { invoice, step, until, reason, .. } => {
            Some((invoice.clone(), step.clone(), *until, reason.clone()))
        }
        _ => None,
    });
    let (invoice, step, until, reason) = held.expect("a NoticeHeld event");
    assert_eq!((invoice.as_str(), step.as_str(), reason.as_str()), ("inv-2", "overdue-1", "1 notice per week"));
    assert_eq!(until, at("2024-03-09T10:00:01Z"), "a week and a second after the first message");
    // The message text lists the other invoice it covers.
    let files: Vec<String> = std::fs::read_dir(s.dir.path().join("outbox").join("acme"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    assert!(
        files.iter().any(|t| t.contains("This reminder also covers:") && t.contains("invoice INV-1")),
        "a combined message names the other invoice"
    );
    assert!(
        events.iter().any(|e| matches!(&e.kind, EventKind::NoticesCombined { combined, .. } if !combined.is_empty()))
    );
}

#[test]
fn with_the_default_caps_a_customers_invoices_a_day_apart_get_a_day_between_messages() {
    // Due on consecutive days; overdue-1 of each would go 24 h apart at 10:00.
    let s = setup(TenantSettings::default(), &["2024-03-01", "2024-03-01", "2024-03-02", "2024-03-04"]);
    s.scheduler.advance_to(at("2024-05-01T00:00:00Z")).unwrap();
    let summary = s.scheduler.summary(&s.tenant).unwrap();
    assert_eq!(summary.frequency_cap_violations, 0, "{summary:?}");
    assert!(summary.held_by_frequency_cap > 0, "three messages in the first week fill the week: {summary:?}");
    let mut delivered = read_outbox(&s.dir.path().join("outbox"));
    delivered.sort_by_key(|d| d.sent_at);
    for (i, d) in delivered.iter().enumerate() {
        let within = |hours: i64| {
            delivered[..i].iter().filter(|e| e.sent_at > d.sent_at - jiff::SignedDuration::from_hours(hours)).count()
        };
        assert!(within(24) < 1 && within(24 * 7) < 3, "message {i} at {} breaks a cap: {delivered:#?}", d.sent_at);
    }
    // Every step of every invoice still went out, some of them combined.
    let sent = |state: &NoticeState| matches!(state, NoticeState::Sent { .. });
    let notices = s.scheduler.store().notices(&s.tenant).unwrap();
    assert_eq!(notices.iter().filter(|n| sent(&n.state)).count(), 12, "{notices:#?}");
}

#[test]
fn caps_that_allow_nothing_or_contradict_each_other_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let scheduler = Scheduler::new(
        Store::open(dir.path().join("store")).unwrap(),
        Runtime::new(Limits::default()).unwrap(),
        SchedulerConfig::new(dir.path().join("outbox")),
    );
    let tenant = |caps: FrequencyCaps, grace: u32| Tenant {
        id: TenantId::new("acme").unwrap(),
        name: "Acme".into(),
        settings: TenantSettings {
            frequency_caps: caps,
            missed_sends: MissedSends { policy: MissedSendPolicy::SendLate, grace_minutes: grace },
            ..TenantSettings::default()
        },
        created_at: at("2024-01-01T00:00:00Z"),
    };
    let cases = [
        (FrequencyCaps { per_day: 0, per_week: 3 }, 60, "frequency caps: per_day must be 1 to 24, is 0"),
        (FrequencyCaps { per_day: 2, per_week: 1 }, 60, "per_week must be from per_day (2) to 7 × per_day (14), is 1"),
        (FrequencyCaps::default(), 20_000, "grace_minutes must be at most 10080 (a week), is 20000"),
    ];
    for (caps, grace, message) in cases {
        let err = scheduler.put_tenant(&tenant(caps, grace)).unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
    }
    assert!(scheduler.store().tenant(&TenantId::new("acme").unwrap()).unwrap().is_none(), "nothing was stored");
}

/// Runs the host once, four days after the first step's time (it was down).
fn after_downtime(policy: MissedSendPolicy) -> (Setup, Vec<nudge_core::Notice>) {
    let missed_sends = MissedSends { policy, grace_minutes: 60 };
    let s = setup(TenantSettings { missed_sends, ..TenantSettings::default() }, &["2024-03-01"]);
    // overdue-1 was due 2024-03-02T10:00Z; the host comes back on the 6th at noon.
    let back = at("2024-03-06T12:00:00Z");
    s.scheduler.run_due(back).unwrap();
    s.scheduler.run_due(back).unwrap();
    let notices = s.scheduler.store().notices(&s.tenant).unwrap();
    (s, notices)
}

#[test]
fn after_downtime_a_missed_notice_is_sent_late_once_by_default() {
    let (s, notices) = after_downtime(MissedSendPolicy::SendLate);
    let first = notices.iter().find(|n| n.step == "overdue-1").unwrap();
    assert_eq!(first.state, NoticeState::Sent { at: at("2024-03-06T12:00:00Z"), channel: nudge_core::Channel::Email });
    assert_eq!(read_outbox(&s.dir.path().join("outbox")).len(), 1, "sent once, late");
    let next = notices.iter().find(|n| n.step == "overdue-7").unwrap();
    assert_eq!((next.state.clone(), next.send_at), (NoticeState::Scheduled, at("2024-03-08T10:00:00Z")));
}

#[test]
fn after_downtime_a_missed_notice_is_skipped_when_the_tenant_says_so_and_never_also_sent() {
    let (s, notices) = after_downtime(MissedSendPolicy::Skip);
    let first = notices.iter().find(|n| n.step == "overdue-1").unwrap();
    assert!(matches!(&first.state, NoticeState::Suppressed { reason, .. } if reason == "missed"), "{:?}", first.state);
    assert!(read_outbox(&s.dir.path().join("outbox")).is_empty(), "nothing went out");
    // The policy was asked again: the next step keeps its own time.
    let next = notices.iter().find(|n| n.step == "overdue-7").unwrap();
    assert_eq!((next.state.clone(), next.send_at), (NoticeState::Scheduled, at("2024-03-08T10:00:00Z")));
    // Running on time later sends it; the skipped step never comes back.
    s.scheduler.advance_to(at("2024-03-08T10:00:00Z")).unwrap();
    let delivered = read_outbox(&s.dir.path().join("outbox"));
    assert_eq!(delivered.iter().map(|d| d.step.as_str()).collect::<Vec<_>>(), ["overdue-7"]);
}
