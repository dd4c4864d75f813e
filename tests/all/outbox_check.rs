//! Reads the outbox back and checks the guardrails against the source CSV,
//! independently of the host's own bookkeeping.

use std::{collections::HashMap, fs, path::Path};

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use nudge_core::{SendWindow, TenantId, time};
use nudge_ingest::ar;

/// One delivered notice, as read from its file.
#[derive(Debug)]
pub struct Delivered {
    pub invoice: String,
    pub step: String,
    pub sent_at: Timestamp,
}

/// Every notice file under `outbox`.
pub fn read_outbox(outbox: &Path) -> Vec<Delivered> {
    let mut out = Vec::new();
    if !outbox.exists() {
        return out;
    }
    for tenant in fs::read_dir(outbox).unwrap() {
        for file in fs::read_dir(tenant.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with('.') {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let header = |name: &str| {
                text.lines()
                    .take_while(|l| !l.is_empty())
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_else(|| panic!("{} lacks {name}", path.display()))
                    .to_string()
            };
            let date = header("Date");
            let sent_at = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S %z", &date).unwrap().to_timestamp().unwrap();
            out.push(Delivered { invoice: header("X-Nudge-Invoice"), step: header("X-Nudge-Step"), sent_at });
        }
    }
    out
}

/// Invoice → (settlement date, customer time zone), straight from the CSV.
pub fn settlements(csv: &[u8]) -> HashMap<String, (Date, TimeZone)> {
    let data = ar::read(csv, &TenantId::new("check").unwrap()).unwrap();
    let zones: HashMap<_, _> = data.customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
    data.invoices
        .iter()
        .map(|h| (h.invoice.id.to_string(), (h.settled_on, time::zone(&zones[&h.invoice.customer]).unwrap())))
        .collect()
}

/// Violations of the three guardrails under the default send window.
pub fn violations(delivered: &[Delivered], settlements: &HashMap<String, (Date, TimeZone)>) -> Vec<String> {
    violations_in(delivered, settlements, SendWindow::default())
}

/// Violations of the three guardrails, as readable lines.
pub fn violations_in(
    delivered: &[Delivered],
    settlements: &HashMap<String, (Date, TimeZone)>,
    window: SendWindow,
) -> Vec<String> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for d in delivered {
        let (settled, tz) = &settlements[&d.invoice];
        let local = d.sent_at.to_zoned(tz.clone());
        if local.date() >= *settled {
            out.push(format!("invoice {} step {} sent {local} on/after settlement {settled}", d.invoice, d.step));
        }
        if !window.allows(d.sent_at, tz) {
            out.push(format!("invoice {} step {} sent in quiet hours at {local}", d.invoice, d.step));
        }
        if let Some(first) = seen.insert((d.invoice.clone(), d.step.clone()), d.sent_at) {
            out.push(format!("invoice {} step {} sent twice ({first} and {})", d.invoice, d.step, d.sent_at));
        }
    }
    out
}
