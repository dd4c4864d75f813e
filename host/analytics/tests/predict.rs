//! The predictive signals on the real accounts-receivable history: trained
//! on the invoices of 2012, tested on those of 2013.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nudge_analytics::predict::{PastInvoice, backtest};
use nudge_core::{TenantId, time};

fn history() -> Vec<PastInvoice> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data/accounts-receivable.csv");
    let tenant = TenantId::new("backtest").unwrap();
    let data = nudge_ingest::ar::read(std::fs::File::open(path).unwrap(), &tenant).unwrap();
    let zones: std::collections::HashMap<_, _> =
        data.customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
    data.invoices
        .into_iter()
        .map(|h| PastInvoice {
            time_zone: time::zone(&zones[&h.invoice.customer]).unwrap(),
            id: h.invoice.id,
            customer: h.invoice.customer,
            issued_on: h.invoice.issued_on,
            due_on: h.invoice.due_on,
            amount_minor: h.invoice.total.amount_minor,
            paid_on: Some(h.settled_on),
        })
        .collect()
}

#[test]
fn the_model_beats_the_late_ratio_baseline_on_2013() {
    let history = history();
    assert_eq!(history.len(), 2466);
    let end = history.iter().filter_map(|i| i.paid_on).max().unwrap();
    let result = backtest(&history, "2013-01-01".parse().unwrap(), end).unwrap();
    // Learned from 2012 only, scored on many 2013 decisions with both labels.
    assert!(result.trained_examples > 1000, "{}", result.trained_examples);
    assert!(result.model.count > 1000, "{}", result.model.count);
    assert!(result.model.base_rate > 0.1 && result.model.base_rate < 0.9, "{}", result.model.base_rate);
    assert_eq!(result.model.count, result.baseline.count);
    // Discrimination: at least as good as the baseline, and better than chance.
    assert!(
        result.model.auc >= result.baseline.auc,
        "model AUC {:.3} below the baseline's {:.3}",
        result.model.auc,
        result.baseline.auc
    );
    assert!(result.model.auc > 0.6, "{}", result.model.auc);
    // Calibration: a lower Brier score and calibration error than the baseline's.
    assert!(result.model.brier < result.baseline.brier, "{} vs {}", result.model.brier, result.baseline.brier);
    assert!(result.model.ece < 0.1, "{}", result.model.ece);
}
