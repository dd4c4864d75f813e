//! Plugin versions in production: a failing version falls back to the
//! previous one (not the default policy), a rollback makes that version
//! active again, the circuit breaker hands the tenant back to the previous
//! version (saying why), and a failure that is the host's (no free instance
//! slot) is recorded but never switches a plugin off.

use jiff::{Timestamp, civil::Date};
use nudge_core::{IncidentKind, NoticeState, TenantSettings};
use nudge_store::{DryRunReport, PluginRecord};

use crate::harness;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Stores `bytes` as the tenant's next version as if it had passed its dry
/// runs: a plugin that behaves at upload and fails in production (the trap
/// guest fails every dry run, so `upload_plugin` would refuse it).
fn store_as_passed(scheduler: &nudge_scheduler::Scheduler, tenant: &nudge_core::TenantId, bytes: &[u8]) -> u32 {
    let draft = PluginRecord {
        tenant: tenant.clone(),
        version: 0,
        sha256: "0".repeat(64),
        size: bytes.len() as u64,
        name: "trap".into(),
        declared_version: "0.1.0".into(),
        uploaded_at: at("2024-01-01T00:00:00Z"),
        disabled_reason: None,
        dry_run: DryRunReport::default(),
    };
    scheduler.store().transact(|tx| tx.add_plugin(draft.clone(), bytes)).unwrap().version
}

/// Adds, at `now`, `count` invoices of one London customer, due on
/// consecutive days from 2024-03-01; the policy decides on each at once.
fn invoices(
    scheduler: &nudge_scheduler::Scheduler,
    tenant: &nudge_core::TenantId,
    prefix: &str,
    count: usize,
    now: Timestamp,
) {
    let created = at("2024-01-01T00:00:00Z");
    let customer = format!("{prefix}-customer");
    scheduler.upsert_customer(&harness::customer(tenant, &customer, "Europe/London"), created).unwrap();
    let first: Date = "2024-03-01".parse().unwrap();
    for i in 0..count {
        let due = first.checked_add(jiff::ToSpan::days(i as i64)).unwrap();
        let invoice = harness::invoice(tenant, &format!("{prefix}-{i}"), &customer, due, 5_000);
        scheduler.upsert_invoice(&invoice, now).unwrap();
    }
}

#[test]
fn a_failing_version_falls_back_to_the_previous_one_and_a_rollback_restores_it() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let standard = nudge_bundle::STANDARD_POLICY.to_vec();
    let created = at("2024-01-01T00:00:00Z");
    let v1 = scheduler.install_plugin(&tenant, &standard, created).unwrap().version;
    let v2 = store_as_passed(&scheduler, &tenant, &std::fs::read(nudge_bundle::test_guests::TRAP).unwrap());
    scheduler.activate_plugin(&tenant, v2, created).unwrap();
    assert_eq!((v1, v2), (1, 2));

    // Fewer failures than the breaker's threshold: version 2 stays active.
    let now = at("2024-03-05T12:00:00Z");
    invoices(&scheduler, &tenant, "a", 3, now);
    let store = scheduler.store();
    let incidents = store.incidents(&tenant).unwrap();
    assert_eq!(incidents.len(), 3, "one incident per invoice decided");
    for incident in &incidents {
        assert_eq!(incident.plugin_version, 2);
        assert_eq!(incident.kind, IncidentKind::Trap);
        assert_eq!(incident.fallback, "version 1", "the previous version decides, not the default policy");
        assert!(incident.message.contains("deliberate trap"), "{}", incident.message);
        assert!(incident.fuel_used > 0 && incident.wall_us > 0);
    }
    let notices = store.notices(&tenant).unwrap();
    assert_eq!(notices.len(), 3, "version 1 notified on each overdue invoice");
    assert!(
        notices.iter().all(|n| n.plugin_version == Some(1)),
        "every notice was decided by version 1: {:?}",
        notices.iter().map(|n| n.plugin_version).collect::<Vec<_>>()
    );
    assert_eq!(store.active_plugin_version(&tenant).unwrap(), Some(2));

    // The tenant rolls back: version 1 decides again, with no new incident.
    assert_eq!(scheduler.rollback_plugin(&tenant, now).unwrap(), 1);
    assert_eq!(store.active_plugin_version(&tenant).unwrap(), Some(1));
    let before = store.incidents(&tenant).unwrap().len();
    invoices(&scheduler, &tenant, "b", 3, now);
    scheduler.advance_to(at("2024-03-20T00:00:00Z")).unwrap();
    assert_eq!(store.incidents(&tenant).unwrap().len(), before, "version 1 does not fail");
    let later: Vec<_> =
        store.notices(&tenant).unwrap().into_iter().filter(|n| n.invoice.as_str().starts_with("b-")).collect();
    assert!(!later.is_empty());
    assert!(later.iter().all(|n| n.plugin_version == Some(1) && !matches!(n.state, NoticeState::Failed { .. })));
    // Nothing earlier to roll back to now.
    assert!(scheduler.rollback_plugin(&tenant, at("2024-03-20T00:00:00Z")).is_err());
    drop(dir);
}

#[test]
fn the_breaker_switches_a_failing_version_off_and_the_previous_version_decides_from_then_on() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let created = at("2024-01-01T00:00:00Z");
    let v1 = scheduler.install_plugin(&tenant, nudge_bundle::STANDARD_POLICY, created).unwrap().version;
    let v2 = store_as_passed(&scheduler, &tenant, &std::fs::read(nudge_bundle::test_guests::TRAP).unwrap());
    scheduler.activate_plugin(&tenant, v2, created).unwrap();

    // The breaker trips at 10 failures in its window of 20 calls; 15 invoices.
    let now = at("2024-03-20T12:00:00Z");
    invoices(&scheduler, &tenant, "c", 15, now);
    let store = scheduler.store();
    let kinds: Vec<_> =
        store.incidents(&tenant).unwrap().iter().map(|i| (i.plugin_version, i.kind, i.message.clone())).collect();
    assert_eq!(
        store.active_plugin_version(&tenant).unwrap(),
        Some(v1),
        "the previous version is active again: {kinds:?}"
    );
    let record = store.plugin(&tenant, v2).unwrap().unwrap();
    let reason = record.disabled_reason.expect("version 2 is switched off, with the reason");
    assert!(reason.contains("circuit breaker") && reason.contains("version 1 is active again"), "{reason}");
    assert_eq!(store.incidents(&tenant).unwrap().len(), 10, "no call reaches version 2 once it is off");
    let notices = store.notices(&tenant).unwrap();
    assert_eq!(notices.len(), 15);
    assert!(notices.iter().all(|n| n.plugin_version == Some(v1)), "version 1 decided every invoice, never the default");
    // The tenant's event log says what happened, in order.
    let events: Vec<_> = store
        .events(&tenant)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            nudge_core::EventKind::PluginDisabled { version, .. } => Some(format!("disabled {version}")),
            nudge_core::EventKind::PluginActivated { version } => Some(format!("activated {version}")),
            _ => None,
        })
        .collect();
    assert_eq!(events[events.len() - 2..], ["disabled 2".to_string(), "activated 1".to_string()]);
    drop(dir);
}

#[test]
fn a_full_instance_pool_is_recorded_but_never_trips_the_breaker() {
    // One pooled slot, held by the test while the scheduler decides: every
    // call fails to instantiate. That is the host's capacity, not the
    // plugin's fault, so the version must stay active however often it
    // happens (the breaker trips at 10 failures in 20 calls).
    let dir = tempfile::tempdir().unwrap();
    let store = nudge_store::Store::open(dir.path().join("store")).unwrap();
    let runtime =
        nudge_runtime::Runtime::new(nudge_runtime::Limits { max_instances: 1, ..Default::default() }).unwrap();
    let scheduler = nudge_scheduler::Scheduler::new(
        store,
        runtime.clone(),
        nudge_scheduler::SchedulerConfig::new(dir.path().join("outbox")),
    );
    let tenant = nudge_core::TenantId::new("acme").unwrap();
    let created = at("2024-01-01T00:00:00Z");
    scheduler
        .put_tenant(&nudge_core::Tenant {
            id: tenant.clone(),
            name: "Acme Ltd".into(),
            settings: TenantSettings::default(),
            created_at: created,
        })
        .unwrap();
    let standard = nudge_bundle::STANDARD_POLICY.to_vec();
    scheduler.install_plugin(&tenant, &standard, created).unwrap();

    let held = runtime.load(&standard).unwrap();
    let slot = held.instance(&TenantSettings::default().limits, created).unwrap();
    invoices(&scheduler, &tenant, "a", 15, at("2024-03-05T12:00:00Z"));
    drop(slot);

    let store = scheduler.store();
    let incidents = store.incidents(&tenant).unwrap();
    assert!(incidents.len() >= 15, "each evaluation failed to instantiate: {}", incidents.len());
    assert!(incidents.iter().all(|i| i.kind == IncidentKind::Instantiation && i.fallback == "default-policy"));
    assert_eq!(store.active_plugin_version(&tenant).unwrap(), Some(1), "the breaker must not switch version 1 off");
    assert_eq!(store.plugin(&tenant, 1).unwrap().unwrap().disabled_reason, None);
}
