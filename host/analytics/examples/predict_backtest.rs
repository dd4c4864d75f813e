//! The predictive signals' backtest on the real accounts-receivable
//! history: learn from the invoices issued in 2012, score the decisions
//! about those issued in 2013, against the naive baseline.
//!
//! ```sh
//! cargo run --release -p nudge-analytics --example predict_backtest [FILE.csv] [--json]
//! ```

use std::path::PathBuf;

use nudge_analytics::predict::{PastInvoice, backtest};
use nudge_core::{TenantId, time};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let path = args.iter().find(|a| !a.starts_with("--")).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/accounts-receivable.csv")
    });
    let history = read(&path)?;
    let split = "2013-01-01".parse()?;
    let end = history.iter().filter_map(|i| i.paid_on).max().ok_or("no payment in the history")?;
    let result = backtest(&history, split, end).ok_or("no decision to score after the split")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("{} invoices from {}", history.len(), path.display());
        print!("{result}");
    }
    Ok(())
}

/// The accounts-receivable CSV as a payment history.
fn read(path: &std::path::Path) -> Result<Vec<PastInvoice>, Box<dyn std::error::Error>> {
    let tenant = TenantId::new("backtest")?;
    let data = nudge_ingest::ar::read(std::fs::File::open(path)?, &tenant)?;
    let zones: std::collections::HashMap<_, _> =
        data.customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
    data.invoices
        .into_iter()
        .map(|h| {
            let zone = zones.get(&h.invoice.customer).ok_or("invoice of an unknown customer")?;
            Ok(PastInvoice {
                id: h.invoice.id,
                customer: h.invoice.customer,
                time_zone: time::zone(zone)?,
                issued_on: h.invoice.issued_on,
                due_on: h.invoice.due_on,
                amount_minor: h.invoice.total.amount_minor,
                paid_on: Some(h.settled_on),
            })
        })
        .collect()
}
