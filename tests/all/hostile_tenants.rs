//! Hostile plugins inside a whole scheduler: refused uploads leave nothing
//! behind, and a tenant whose plugin fails in production costs its
//! neighbours nothing.

use jiff::Timestamp;
use nudge_bundle::{STANDARD_POLICY, test_guests};
use nudge_cli::demo;
use nudge_core::{IncidentKind, Tenant, TenantId, TenantSettings};
use nudge_ingest::ar;
use nudge_runtime::{Limits, LoadError, Runtime};
use nudge_scheduler::{Error, Scheduler, SchedulerConfig, replay};
use nudge_store::Store;

use crate::{encode, harness::first_rows};

/// Invoices replayed per tenant.
const ROWS: usize = 60;

fn start() -> Timestamp {
    "2012-01-01T00:00:00Z".parse().unwrap()
}

fn scheduler(dir: &tempfile::TempDir) -> Scheduler {
    let store = Store::open(dir.path().join("store")).unwrap();
    let runtime = Runtime::new(Limits::default()).unwrap();
    Scheduler::new(store, runtime, SchedulerConfig::new(dir.path().join("outbox")))
}

fn put_tenant(scheduler: &Scheduler, id: &str, plugin_config: &str) -> TenantId {
    let settings = TenantSettings { plugin_config: plugin_config.into(), ..TenantSettings::default() };
    let tenant = Tenant { id: TenantId::new(id).unwrap(), name: format!("{id} Ltd"), settings, created_at: start() };
    scheduler.put_tenant(&tenant).unwrap();
    tenant.id
}

#[test]
fn a_trapping_tenant_costs_its_neighbour_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scheduler = scheduler(&dir);
    let hostile = put_tenant(&scheduler, "hostile", r#"{"misbehave": "trap"}"#);
    let neighbour = put_tenant(&scheduler, "neighbour", "{}");
    // The sleeper passes its upload's dry runs (configuration `{}`), then
    // traps on every real decision under its tenant's configuration.
    scheduler.install_plugin(&hostile, &std::fs::read(test_guests::SLEEPER).unwrap(), start()).unwrap();
    scheduler.install_plugin(&neighbour, STANDARD_POLICY, start()).unwrap();

    // Both tenants bill the same customers on the same days, so their
    // decisions interleave on the scheduler's clock.
    let csv = first_rows(ROWS);
    let mut feed = Vec::new();
    for tenant in [&hostile, &neighbour] {
        let data = ar::read(csv.as_slice(), tenant).unwrap();
        for customer in &data.customers {
            scheduler.upsert_customer(customer, start()).unwrap();
        }
        feed.extend(demo::feed(&data).unwrap());
    }
    replay::run(&scheduler, feed, "2014-01-31T23:59:59Z".parse().unwrap()).unwrap();

    let store = scheduler.store();
    let calm = scheduler.summary(&neighbour).unwrap();
    assert_eq!(calm.invoices, ROWS);
    assert_eq!(calm.incidents, 0, "{calm:?}");
    assert!(store.incidents(&neighbour).unwrap().is_empty());
    assert!(calm.notices_sent > 0, "the neighbour's notices went out: {calm:?}");
    let outbox = dir.path().join("outbox").join(neighbour.as_str());
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), calm.messages_sent, "one outbox file per message sent");
    assert_eq!(store.active_plugin_version(&neighbour).unwrap(), Some(1));

    let failing = scheduler.summary(&hostile).unwrap();
    assert_eq!(failing.invoices, ROWS);
    assert!(failing.incidents > 0, "{failing:?}");
    let incidents = store.incidents(&hostile).unwrap();
    assert_eq!(incidents.len(), failing.incidents);
    for incident in &incidents {
        assert_eq!(incident.kind, IncidentKind::Trap, "{incident:?}");
        assert!(incident.message.contains("unreachable"), "{}", incident.message);
        assert_eq!(incident.fallback, "default-policy");
    }
    // The hostile tenant's invoices were still looked after by the default policy.
    assert!(failing.notices_sent > 0, "{failing:?}");
    assert_eq!((failing.sent_after_payment, failing.duplicate_step_notices), (0, 0));
}

#[test]
fn a_plugin_returning_out_of_range_decisions_is_an_incident_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let scheduler = scheduler(&dir);
    let tenant = put_tenant(&scheduler, "pastdue", r#"{"misbehave": "send-in-past", "count": 864000}"#);
    scheduler.install_plugin(&tenant, &std::fs::read(test_guests::HOSTILE).unwrap(), start()).unwrap();
    let data = ar::read(first_rows(10).as_slice(), &tenant).unwrap();
    for customer in &data.customers {
        scheduler.upsert_customer(customer, start()).unwrap();
    }
    replay::run(&scheduler, demo::feed(&data).unwrap(), "2014-01-31T23:59:59Z".parse().unwrap()).unwrap();
    let incidents = scheduler.store().incidents(&tenant).unwrap();
    assert!(!incidents.is_empty());
    for incident in &incidents {
        assert_eq!(incident.kind, IncidentKind::InvalidDecision, "{incident:?}");
        assert!(incident.message.contains("is more than a day before now"), "{}", incident.message);
    }
}

#[test]
fn refused_uploads_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let scheduler = scheduler(&dir);
    let tenant = put_tenant(&scheduler, "uploader", "{}");
    let core_module = encode::policy_module(encode::canned_stop(), encode::canned_describe(), Vec::new()).encode();
    let uploads: [(&str, Vec<u8>, &str); 4] = [
        ("filesystem", std::fs::read(test_guests::FS_READER).unwrap(), "wasi:filesystem/"),
        ("core module", core_module, "core WebAssembly module"),
        ("trap at decide", std::fs::read(test_guests::TRAP).unwrap(), "dry run on fixture"),
        ("endless decide", std::fs::read(test_guests::SPIN).unwrap(), "out-of-fuel"),
    ];
    for (what, bytes, needle) in uploads {
        let error = scheduler.upload_plugin(&tenant, &bytes, start()).unwrap_err();
        assert!(matches!(error, Error::Plugin(_)), "{what}: {error:?}");
        let text = error.to_string();
        assert!(text.contains(needle), "{what}: expected {needle:?} in {text}");
    }
    assert!(scheduler.store().plugins(&tenant).unwrap().is_empty());
    assert_eq!(scheduler.store().active_plugin_version(&tenant).unwrap(), None);
    // The host still takes a good plugin afterwards.
    let record = scheduler.upload_plugin(&tenant, STANDARD_POLICY, start()).unwrap();
    assert_eq!(record.version, 1);
    let Err(Error::Plugin(LoadError::DryRun { fixture, .. })) =
        scheduler.upload_plugin(&tenant, &std::fs::read(test_guests::TRAP).unwrap(), start())
    else {
        panic!("the trap guest passed its dry runs")
    };
    assert_eq!(fixture, "due-in-3-days");
}

#[test]
fn each_hostile_decision_in_production_is_an_incident_naming_its_reason_beside_a_calm_neighbour() {
    // The hostile guest passes its upload's dry runs, then, under its
    // tenant's configuration, does one hostile thing on every decision.
    // Each mode gets a tenant of its own in one scheduler, beside a calm
    // neighbour whose invoices are decided between theirs.
    let cases: &[(&str, IncidentKind, &str)] = &[
        (r#"{"misbehave": "panic"}"#, IncidentKind::Trap, "unreachable"),
        (r#"{"misbehave": "recurse"}"#, IncidentKind::Trap, "stack"),
        (r#"{"misbehave": "grow-memory"}"#, IncidentKind::ResourceLimit, "linear memory"),
        (r#"{"misbehave": "burn", "count": 1000000000}"#, IncidentKind::OutOfFuel, "fuel"),
        (r#"{"misbehave": "long-segment", "count": 1000}"#, IncidentKind::InvalidDecision, "segment"),
        (r#"{"misbehave": "long-segment", "count": 100000}"#, IncidentKind::InvalidDecision, "over the cap"),
        (r#"{"misbehave": "long-step", "count": 1000}"#, IncidentKind::InvalidDecision, "step"),
        (r#"{"misbehave": "long-field-value", "count": 5000}"#, IncidentKind::InvalidDecision, "field"),
        (r#"{"misbehave": "many-fields", "count": 200}"#, IncidentKind::InvalidDecision, "field"),
        (r#"{"misbehave": "bad-label"}"#, IncidentKind::InvalidDecision, "segment"),
        (r#"{"misbehave": "send-in-past"}"#, IncidentKind::InvalidDecision, "before now"),
        (r#"{"misbehave": "send-ahead"}"#, IncidentKind::InvalidDecision, "after now"),
        (r#"{"misbehave": "wait-ahead"}"#, IncidentKind::InvalidDecision, "after now"),
        (r#"{"misbehave": "channel", "channel": "push"}"#, IncidentKind::InvalidDecision, "push"),
        (r#"{"misbehave": "error-flood", "count": 2000}"#, IncidentKind::PolicyError, "[truncated]"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let scheduler = scheduler(&dir);
    let neighbour = put_tenant(&scheduler, "neighbour", "{}");
    scheduler.install_plugin(&neighbour, STANDARD_POLICY, start()).unwrap();
    let hostile_guest = std::fs::read(test_guests::HOSTILE).unwrap();
    let now: Timestamp = "2024-03-05T12:00:00Z".parse().unwrap();
    let due: jiff::civil::Date = "2024-03-01".parse().unwrap();
    for (i, (config, kind, needle)) in cases.iter().enumerate() {
        let tenant = put_tenant(&scheduler, &format!("hostile-{i}"), config);
        scheduler.install_plugin(&tenant, &hostile_guest, start()).unwrap();
        for t in [&tenant, &neighbour] {
            let customer = format!("c{i}");
            scheduler.upsert_customer(&crate::harness::customer(t, &customer, "Europe/London"), start()).unwrap();
            let invoice = crate::harness::invoice(t, &format!("inv-{i}"), &customer, due, 5_000);
            scheduler.upsert_invoice(&invoice, now).unwrap();
        }
        let incidents = scheduler.store().incidents(&tenant).unwrap();
        assert_eq!(incidents.len(), 1, "{config}: {incidents:?}");
        let incident = &incidents[0];
        assert_eq!(incident.kind, *kind, "{config}: {}", incident.message);
        assert!(incident.message.contains(needle), "{config}: expected {needle:?} in {}", incident.message);
        assert!(incident.message.len() <= 4096, "{config}: the message is bounded ({} bytes)", incident.message.len());
        assert_eq!(incident.fallback, "default-policy");
        assert!(incident.wall_us > 0, "{config}: the failed call is metered");
        // The invoice is still looked after (the default policy decided).
        let notices = scheduler.store().notices(&tenant).unwrap();
        assert_eq!(notices.len(), 1, "{config}: the default policy notified");
        assert_eq!(notices[0].plugin_version, None);
        // The neighbour's decision on the same moment succeeded.
        assert!(scheduler.store().incidents(&neighbour).unwrap().is_empty(), "{config}");
        let calm = scheduler.store().notices(&neighbour).unwrap();
        assert_eq!(calm.len(), i + 1, "{config}: the neighbour's plugin decided");
        assert!(calm.iter().all(|n| n.plugin_version == Some(1)));
    }
}
