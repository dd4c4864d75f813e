//! Experiment arms end to end: the host assigns them deterministically and
//! evenly, passes them to the plugin, records them on notices, and the
//! summary splits by them. The plugin is `plugins/ab-timing`.

use std::collections::{BTreeMap, HashMap};

use nudge_core::{CustomerId, TenantId, TenantSettings};
use nudge_ingest::ar;
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::experiments;

use crate::harness::{CSV, replay};

const EXPERIMENT: &str = "first-reminder-timing";

/// What ab-timing declares, read from the component itself.
fn declared() -> Vec<(String, Vec<String>)> {
    let plugin = Runtime::new(Limits::default()).unwrap().load(nudge_bundle::AB_TIMING_POLICY).unwrap();
    plugin.info().experiments.clone()
}

/// The customers of the real accounts-receivable data.
fn real_customers(tenant: &TenantId) -> Vec<CustomerId> {
    ar::read(CSV, tenant).unwrap().customers.into_iter().map(|c| c.id).collect()
}

#[test]
fn arms_of_the_real_customers_are_deterministic_and_balanced() {
    let declared = declared();
    assert_eq!(declared, [(EXPERIMENT.to_string(), vec!["control".to_string(), "early".to_string()])]);
    for tenant in ["acme", "scenario", "another-tenant"] {
        let tenant = TenantId::new(tenant).unwrap();
        let customers = real_customers(&tenant);
        assert_eq!(customers.len(), 100);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for customer in &customers {
            let assigned = experiments::assign(&tenant, customer, &declared);
            assert_eq!(assigned, experiments::assign(&tenant, customer, &declared), "same inputs, same arm");
            assert_eq!(assigned.len(), 1);
            *counts.entry(assigned[0].1.clone()).or_default() += 1;
        }
        // 100 customers over two arms: the binomial sd is 5, so 35..=65 is
        // three sd either way.
        for arm in ["control", "early"] {
            let n = counts.get(arm).copied().unwrap_or(0);
            assert!((35..=65).contains(&n), "{tenant}: {counts:?}");
        }
    }
}

#[test]
fn a_replay_passes_arms_to_the_plugin_records_them_and_reports_by_arm() {
    let run = replay(600, TenantSettings::default(), nudge_bundle::AB_TIMING_POLICY);
    let store = run.scheduler.store();
    let declared = declared();
    let notices = store.notices(&run.tenant).unwrap();
    assert!(notices.len() > 50, "{} notices", notices.len());
    let mut first_steps: HashMap<&str, usize> = HashMap::new();
    for notice in &notices {
        let expected = experiments::assign(&run.tenant, &notice.customer, &declared);
        assert_eq!(notice.experiment_arms, expected, "notice {} of {}", notice.id, notice.customer);
        let arm = notice.experiment_arms[0].1.as_str();
        // The plugin saw its arm: it echoes it into the template fields.
        let echoed = notice.fields.iter().find(|(name, _)| name == "experiment_arm").map(|(_, v)| v.as_str());
        assert_eq!(echoed, Some(arm), "{notice:?}");
        if notice.step == "pre-due" {
            assert_eq!(arm, "early", "only the early arm reminds before the due date: {notice:?}");
        }
        if notice.step == "overdue-1" || notice.step == "pre-due" {
            *first_steps.entry(arm).or_default() += 1;
        }
    }
    assert!(first_steps.get("early").copied().unwrap_or(0) > 0 && first_steps.get("control").copied().unwrap_or(0) > 0);

    let by_arm = &run.summary.by_arm;
    let keys: Vec<&str> = by_arm.keys().map(String::as_str).collect();
    assert_eq!(keys, [format!("{EXPERIMENT}=control"), format!("{EXPERIMENT}=early")]);
    let sent: usize = by_arm.values().map(|figures| figures.notices_sent).sum();
    assert_eq!(sent, run.summary.notices_sent, "every sent notice is in exactly one arm");
    for figures in by_arm.values() {
        assert!(figures.customers > 0 && figures.notices_sent >= figures.customers, "{by_arm:?}");
        assert!((0.0..=1.0).contains(&figures.paid_within_7d_of_notice_rate));
    }
    assert_eq!(run.summary.incidents, 0, "{:?}", run.summary.incidents_by_kind);
}

#[test]
fn a_policy_without_experiments_reports_no_arms() {
    let run = replay(60, TenantSettings::default(), nudge_bundle::STANDARD_POLICY);
    assert!(run.summary.notices_sent > 0);
    assert!(run.summary.by_arm.is_empty());
    let json = serde_json::to_value(&run.summary).unwrap();
    assert!(json.get("by_arm").is_none(), "no empty by_arm in the JSON: {json}");
}
