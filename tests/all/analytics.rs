//! Analytics on the real accounts-receivable history: figures checked
//! against the CSV itself and against the store, tenant experiments with
//! weights and steps, and a ledger kept up to date incrementally that
//! agrees with one folded from scratch.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use nudge_core::{Arm, Experiment, NoticeState, Tenant, TenantId, TenantSettings};
use nudge_ingest::ar;
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig, experiments, replay};
use nudge_store::Store;

use crate::harness::{CSV, replay as replay_rows};

/// Column `name` of every row of the real CSV.
fn column(name: &str) -> Vec<String> {
    let text = std::str::from_utf8(CSV).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    lines.filter(|l| !l.is_empty()).map(|l| l.split(',').nth(i).unwrap().to_string()).collect()
}

#[test]
fn the_real_history_gives_the_csvs_own_lateness_and_the_stores_counts() {
    let run = replay_rows(2466, TenantSettings::default(), nudge_bundle::STANDARD_POLICY);
    let report = run.scheduler.analytics(&run.tenant).unwrap();
    let t = &report.totals;
    assert_eq!(report.invoices, 2466);
    assert_eq!(t.invoices_paid, 2466, "every invoice of the history was settled");
    assert_eq!(t.notices_sent as usize, run.summary.notices_sent);

    // Average days late and DSO, from the CSV's own DaysLate and DaysToSettle columns.
    let late: Vec<f64> = column("DaysLate").iter().map(|d| d.parse().unwrap()).collect();
    let expected_late = late.iter().sum::<f64>() / late.len() as f64;
    assert!((t.avg_days_late.unwrap() - expected_late).abs() < 1e-9, "{:?} vs {expected_late}", t.avg_days_late);
    let amounts: Vec<f64> = column("InvoiceAmount").iter().map(|a| a.parse().unwrap()).collect();
    let settle: Vec<f64> = column("DaysToSettle").iter().map(|d| d.parse().unwrap()).collect();
    let dso = amounts.iter().zip(&settle).map(|(a, d)| a * d).sum::<f64>() / amounts.iter().sum::<f64>();
    assert!((t.dso_days.unwrap() - dso).abs() < 1e-3, "{:?} vs {dso}", t.dso_days);

    // Paid within 7 days of the first notice, from the notice and invoice records.
    let store = run.scheduler.store();
    let mut first_sent: HashMap<String, Timestamp> = HashMap::new();
    for n in store.notices(&run.tenant).unwrap() {
        if let NoticeState::Sent { at, .. } = n.state {
            let e = first_sent.entry(n.invoice.to_string()).or_insert(at);
            *e = (*e).min(at);
        }
    }
    let invoices = store.invoices(&run.tenant).unwrap();
    let paid_within = invoices
        .iter()
        .filter(|i| {
            first_sent.get(i.id.as_str()).is_some_and(|sent| {
                i.paid_at.is_some_and(|p| p.duration_since(*sent) <= SignedDuration::from_hours(7 * 24))
            })
        })
        .count();
    let r = t.paid_within_7d_of_first_notice;
    assert_eq!((r.numerator as usize, r.denominator as usize), (paid_within, first_sent.len()));
    assert!(r.denominator > 100, "{r:?}");

    // Slices add up: every sent notice is in exactly one tone and one channel.
    for dim in ["tone", "channel", "step", "segment"] {
        let sum: u64 = report.slices[dim].values().map(|k| k.notices_sent).sum();
        assert_eq!(sum, t.notices_sent, "{dim}");
    }
    // Every invoice is in exactly one cohort; the history spans 2012-01 to 2013-12.
    let cohorts = &report.slices["cohort"];
    assert_eq!(cohorts.values().map(|k| k.invoices_paid).sum::<u64>(), 2466);
    assert_eq!(cohorts.keys().next().map(String::as_str), Some("2012-01"));
    assert_eq!(report.cohort_curves.len(), cohorts.len());
    // Payment curves end where the data does: every invoice is paid by day 90 after due?
    let max_late = late.iter().cloned().fold(0.0, f64::max);
    for curve in &report.cohort_curves {
        let last = *curve.paid.last().unwrap();
        assert!(last <= 1.0 && curve.paid.windows(2).all(|w| w[0] <= w[1]), "{}: not cumulative", curve.label);
        if max_late <= 90.0 {
            assert!((last - 1.0).abs() < 1e-12, "{}: {last}", curve.label);
        }
    }

    // The HTML page draws one trend point per cohort and nothing external.
    let html = nudge_analytics_html(&report);
    assert!(
        html.contains(&format!(
            "id=\"trend-paid\" class=\"chart\" data-series=\"1\" data-points=\"{}\"",
            cohorts.len()
        )),
        "trend points"
    );
    assert!(!html.contains("src=") && !html.contains("href="), "the page fetches nothing");
}

fn nudge_analytics_html(report: &nudge_analytics::Report) -> String {
    nudge_analytics::render::html(report, "scenario")
}

#[test]
fn a_tenant_experiment_with_weights_and_a_step_is_assigned_recorded_and_reported() {
    let settings = TenantSettings {
        experiments: vec![
            // Redefines ab-timing's experiment with 3:1 weights.
            Experiment {
                name: "first-reminder-timing".into(),
                arms: vec![Arm { name: "control".into(), weight: 3 }, Arm { name: "early".into(), weight: 1 }],
                step: None,
                start: None,
                stop: None,
            },
            // An experiment the plugin does not know, on one step only.
            Experiment {
                name: "subject-line".into(),
                arms: vec![Arm { name: "plain".into(), weight: 1 }, Arm { name: "bold".into(), weight: 1 }],
                step: Some("overdue-7".into()),
                start: None,
                stop: None,
            },
        ],
        ..TenantSettings::default()
    };
    for e in &settings.experiments {
        e.validate().unwrap();
    }
    let run = replay_rows(800, settings.clone(), nudge_bundle::AB_TIMING_POLICY);
    let store = run.scheduler.store();
    let notices = store.notices(&run.tenant).unwrap();
    assert!(notices.len() > 100, "{}", notices.len());
    let running = experiments::running(&settings.experiments, &[], Timestamp::now());
    let mut customers_by_arm: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for n in &notices {
        let assigned = experiments::assign_running(&run.tenant, &n.customer, &running);
        let timing = assigned.iter().find(|(e, _)| e == "first-reminder-timing").unwrap();
        assert!(n.experiment_arms.contains(timing), "{n:?}");
        let subject = n.experiment_arms.iter().find(|(e, _)| e == "subject-line");
        if n.step == "overdue-7" {
            assert_eq!(subject, assigned.iter().find(|(e, _)| e == "subject-line"), "{n:?}");
        } else {
            assert_eq!(subject, None, "subject-line applies to overdue-7 only: {n:?}");
        }
        // The report counts customers reached: those with a notice sent.
        if matches!(n.state, NoticeState::Sent { .. }) {
            customers_by_arm.entry(timing.1.clone()).or_default().insert(n.customer.to_string());
        }
    }
    // 3:1 over the customers reached.
    let control = customers_by_arm["control"].len() as f64;
    let early = customers_by_arm.get("early").map_or(0, |c| c.len()) as f64;
    assert!(control / (control + early) > 0.6 && early > 0.0, "{control} control, {early} early");

    let report = run.scheduler.analytics(&run.tenant).unwrap();
    let timing = report.experiments.iter().find(|e| e.name == "first-reminder-timing").unwrap();
    assert_eq!(timing.control, "control");
    assert_eq!(timing.arms.iter().map(|a| a.arm.as_str()).collect::<Vec<_>>(), ["control", "early"]);
    assert_eq!(timing.arms[0].customers as f64, control);
    assert!(timing.conclusive || timing.verdict.starts_with("too small to conclude"), "{}", timing.verdict);
    assert!(timing.arms[1].vs_control.is_some() || !timing.conclusive);
    let subject = report.experiments.iter().find(|e| e.name == "subject-line").unwrap();
    assert_eq!(subject.control, "plain", "the first listed arm is the control");

    // Payment curves per arm: one per experiment=arm, over the invoices that
    // got a notice in that arm, rising from 0 towards the share paid.
    for arm in ["control", "early"] {
        let label = format!("first-reminder-timing={arm}");
        let curve = report.arm_curves.iter().find(|c| c.label == label).unwrap_or_else(|| panic!("no curve {label}"));
        let invoices: std::collections::BTreeSet<_> = notices
            .iter()
            .filter(|n| matches!(n.state, NoticeState::Sent { .. }))
            .filter(|n| n.experiment_arms.contains(&("first-reminder-timing".to_string(), arm.to_string())))
            .map(|n| n.invoice.clone())
            .collect();
        assert_eq!(curve.invoices, invoices.len() as u64, "{label}");
        assert!(curve.paid.windows(2).all(|w| w[0] <= w[1]), "{label} never falls: {:?}", curve.paid);
        let last = *curve.paid.last().unwrap();
        assert!(curve.paid[0] < last && last <= 1.0, "{label} rises: {:?}", curve.paid);
    }
}

fn scheduler_at(dir: &std::path::Path) -> Scheduler {
    let store = Store::open(dir.join("store")).unwrap();
    Scheduler::new(store, Runtime::new(Limits::default()).unwrap(), SchedulerConfig::new(dir.join("outbox")))
}

#[test]
fn a_ledger_kept_up_to_date_agrees_with_one_folded_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let from: Timestamp = "2012-01-01T00:00:00Z".parse().unwrap();
    let mid: Timestamp = "2012-10-01T00:00:00Z".parse().unwrap();
    let until: Timestamp = "2014-01-31T23:59:59Z".parse().unwrap();
    let tenant = Tenant {
        id: TenantId::new("acme").unwrap(),
        name: "Acme".into(),
        settings: TenantSettings::default(),
        created_at: from,
    };
    let incremental = {
        let scheduler = scheduler_at(dir.path());
        scheduler.put_tenant(&tenant).unwrap();
        scheduler.install_plugin(&tenant.id, nudge_bundle::STANDARD_POLICY, from).unwrap();
        let csv = crate::harness::first_rows(900);
        let data = ar::read(csv.as_slice(), &tenant.id).unwrap();
        for customer in &data.customers {
            scheduler.upsert_customer(customer, from).unwrap();
        }
        let feed = nudge_cli::demo::feed(&data).unwrap();
        let (before, after): (Vec<_>, Vec<_>) = feed.into_iter().partition(|(at, _)| *at <= mid);
        replay::run(&scheduler, before, mid).unwrap();
        let early = scheduler.analytics(&tenant.id).unwrap();
        assert!(early.totals.notices_sent > 0);
        replay::run(&scheduler, after, until).unwrap();
        let late = scheduler.analytics(&tenant.id).unwrap();
        assert!(late.events > early.events && late.totals.notices_sent > early.totals.notices_sent);
        late
    };
    // A new scheduler on the same store folds the whole log at once.
    let fresh = scheduler_at(dir.path()).analytics(&tenant.id).unwrap();
    assert_eq!(fresh, incremental);
}
