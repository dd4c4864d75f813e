//! Reads the outbox back and checks the guardrails against the source CSV,
//! independently of the host's own bookkeeping.

use std::{collections::HashMap, fs, path::Path};

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use nudge_core::{FrequencyCaps, SendWindow, TenantId, time};
use nudge_ingest::ar;

/// One delivered message, as read from its file.
#[derive(Debug)]
pub struct Delivered {
    pub invoice: String,
    pub step: String,
    pub sent_at: Timestamp,
    /// Other (invoice, step) notices the message carried (a combined notice).
    pub also: Vec<(String, String)>,
}

/// The (invoice, step) pairs of an `Also-Covers` header value
/// (`invoice@step, invoice@step`): the notices a combined message carries.
pub fn also_covers(value: &str) -> Vec<(String, String)> {
    value
        .split(", ")
        .map(|pair| {
            let (invoice, step) = pair.split_once('@').unwrap();
            (invoice.to_string(), step.to_string())
        })
        .collect()
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
            let also = text
                .lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("X-Nudge-Also-Covers: "))
                .map(also_covers)
                .unwrap_or_default();
            out.push(Delivered { invoice: header("X-Nudge-Invoice"), step: header("X-Nudge-Step"), sent_at, also });
        }
    }
    out
}

/// Invoice → (settlement date, customer time zone, customer), straight from the CSV.
pub fn settlements(csv: &[u8]) -> HashMap<String, (Date, TimeZone, String)> {
    let data = ar::read(csv, &TenantId::new("check").unwrap()).unwrap();
    let zones: HashMap<_, _> = data.customers.iter().map(|c| (c.id.clone(), c.time_zone.clone())).collect();
    data.invoices
        .iter()
        .map(|h| {
            let tz = time::zone(&zones[&h.invoice.customer]).unwrap();
            (h.invoice.id.to_string(), (h.settled_on, tz, h.invoice.customer.to_string()))
        })
        .collect()
}

/// Violations of the four guardrails under the default send window and caps.
pub fn violations(delivered: &[Delivered], settlements: &HashMap<String, (Date, TimeZone, String)>) -> Vec<String> {
    violations_in(delivered, settlements, SendWindow::default())
}

/// Violations of the guardrails, as readable lines: no notice on or after
/// its invoice's settlement, none in quiet hours, none twice, and no
/// customer over the default frequency caps (1 message a day, 3 a week).
pub fn violations_in(
    delivered: &[Delivered],
    settlements: &HashMap<String, (Date, TimeZone, String)>,
    window: SendWindow,
) -> Vec<String> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    let mut messages: HashMap<&str, Vec<Timestamp>> = HashMap::new();
    for d in delivered {
        let primary = (d.invoice.clone(), d.step.clone());
        messages.entry(settlements[&d.invoice].2.as_str()).or_default().push(d.sent_at);
        for (invoice, step) in std::iter::once(&primary).chain(&d.also) {
            let (settled, tz, _) = &settlements[invoice];
            let local = d.sent_at.to_zoned(tz.clone());
            if local.date() >= *settled {
                out.push(format!("invoice {invoice} step {step} sent {local} on/after settlement {settled}"));
            }
            if !window.allows(d.sent_at, tz) {
                out.push(format!("invoice {invoice} step {step} sent in quiet hours at {local}"));
            }
            if let Some(first) = seen.insert((invoice.clone(), step.clone()), d.sent_at) {
                out.push(format!("invoice {invoice} step {step} sent twice ({first} and {})", d.sent_at));
            }
        }
    }
    let caps = FrequencyCaps::default();
    for (customer, times) in &mut messages {
        times.sort();
        for (span_hours, cap) in [(24, caps.per_day), (24 * 7, caps.per_week)] {
            for (i, t) in times.iter().enumerate() {
                let span = jiff::SignedDuration::from_hours(span_hours);
                let before = times[..i].iter().filter(|s| **s > *t - span).count();
                if before >= cap as usize {
                    out.push(format!(
                        "customer {customer} got a message at {t} after {before} in the {span_hours} h before"
                    ));
                }
            }
        }
    }
    out
}
