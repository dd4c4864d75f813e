//! How long a report takes over a long event log, and how fast the ledger
//! folds events in.
//!
//! `cargo bench --workspace --bench report` builds a synthetic log of about
//! 1,000,000 events for one tenant (invoices issued over two years, one to
//! three notices each, engagement, payments, incidents, a two-arm
//! experiment), folds it into a ledger, then times:
//!
//! - `fold`: applying every event (what a restarted host does once);
//! - `report`: `Ledger::report` on the full ledger (what every report request does);
//! - `incremental`: folding 10,000 new events, then a report (a report request after new traffic).
//!
//! `NUDGE_BENCH_EVENTS` sets the log's size (default 1,000,000).

// A benchmark: a failed unwrap is a broken setup, reported by the panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, hint::black_box, time::Instant};

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use nudge_analytics::{Facts, InvoiceInfo, Ledger, NoticeInfo};
use nudge_core::{
    Channel, CustomerId, EngagementKind, Event, EventKind, IncidentKind, InvoiceId, NoticeId, TenantId, Tone,
};

struct Book {
    invoices: HashMap<InvoiceId, InvoiceInfo>,
    notices: HashMap<(InvoiceId, String), NoticeInfo>,
}

impl Facts for Book {
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo> {
        self.invoices.get(id).cloned()
    }
    fn notice(&self, invoice: &InvoiceId, step: &str) -> Option<NoticeInfo> {
        self.notices.get(&(invoice.clone(), step.to_string())).cloned()
    }
}

/// A small deterministic generator (SplitMix64), so every run folds the same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn build(target_events: usize) -> (Book, Vec<Event>) {
    let tenant = TenantId::new("bench").unwrap();
    let zones =
        ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney"].map(|z| TimeZone::get(z).unwrap());
    let segments = ["new", "habitual", "high-value", "on-time"];
    let steps = ["overdue-1", "overdue-7", "overdue-14"];
    let tones = [Tone::Friendly, Tone::Firm, Tone::Urgent];
    let channels = [Channel::Email, Channel::Sms, Channel::Push];
    let start: Date = "2022-01-01".parse().unwrap();
    let mut rng = Rng(7);
    let mut book = Book { invoices: HashMap::new(), notices: HashMap::new() };
    let mut timed: Vec<(Timestamp, EventKind)> = Vec::with_capacity(target_events + 16);
    let mut i = 0u64;
    while timed.len() < target_events {
        let invoice = InvoiceId::new(format!("inv-{i:07}")).unwrap();
        let customer = CustomerId::new(format!("cus-{:05}", rng.below(20_000))).unwrap();
        let issued = start.checked_add(SignedDuration::from_hours(24 * rng.below(730) as i64)).unwrap();
        let due = issued.checked_add(SignedDuration::from_hours(24 * 30)).unwrap();
        let tz = zones[rng.below(4) as usize].clone();
        let at = |date: Date, hour: i64| {
            date.to_zoned(TimeZone::UTC).unwrap().timestamp() + SignedDuration::from_hours(hour)
        };
        book.invoices.insert(
            invoice.clone(),
            InvoiceInfo {
                customer: customer.clone(),
                issued_on: issued,
                due_on: due,
                amount_minor: 1_000 + rng.below(500_000) as i64,
                time_zone: tz,
            },
        );
        timed.push((at(issued, 9), EventKind::InvoiceUpserted { invoice: invoice.clone() }));
        let late_days = rng.below(60) as i64 - 10;
        let paid_at = (rng.below(10) < 9).then(|| at(due, 24 * late_days + 12));
        let arm = if rng.below(2) == 0 { "control" } else { "early" };
        let segment = segments[rng.below(4) as usize];
        for (n, step) in steps.iter().enumerate() {
            let sent_at = at(due, 24 * (1 + 7 * n as i64) + 14);
            if paid_at.is_some_and(|p| p < sent_at) {
                break;
            }
            let notice = NoticeId::derive(&tenant, &invoice, step);
            book.notices.insert(
                (invoice.clone(), step.to_string()),
                NoticeInfo {
                    customer: customer.clone(),
                    segment: segment.into(),
                    tone: tones[n],
                    arms: vec![("first-reminder-timing".into(), arm.into())],
                },
            );
            timed.push((
                sent_at - SignedDuration::from_hours(24),
                EventKind::NoticeScheduled {
                    notice: notice.clone(),
                    invoice: invoice.clone(),
                    step: step.to_string(),
                    send_at: sent_at,
                    moved_from: None,
                },
            ));
            let channel = channels[rng.below(3) as usize];
            timed.push((
                sent_at,
                EventKind::NoticeSent {
                    notice: notice.clone(),
                    invoice: invoice.clone(),
                    step: step.to_string(),
                    channel,
                },
            ));
            for (p, kind) in [
                (70, EngagementKind::Delivered),
                (40, EngagementKind::Opened),
                (15, EngagementKind::Clicked),
                (3, EngagementKind::Feedback),
            ] {
                if rng.below(100) < p {
                    timed.push((
                        sent_at + SignedDuration::from_mins(30),
                        EventKind::Engagement {
                            customer: customer.clone(),
                            notice: Some(notice.clone()),
                            kind,
                            channel: Some(channel),
                            negative: kind == EngagementKind::Feedback,
                            detail: None,
                        },
                    ));
                }
            }
        }
        if let Some(paid) = paid_at {
            timed.push((paid, EventKind::PaymentRecorded { invoice: invoice.clone(), amount_minor: 1, settled: true }));
        }
        if rng.below(200) == 0 {
            timed.push((
                at(due, 1),
                EventKind::Incident { invoice: invoice.clone(), plugin_version: 1, kind: IncidentKind::Deadline },
            ));
        }
        i += 1;
    }
    timed.sort_by_key(|(at, _)| *at);
    let events = timed
        .into_iter()
        .enumerate()
        .map(|(seq, (at, kind))| Event { seq: seq as u64, tenant: tenant.clone(), at, kind })
        .collect();
    (book, events)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let target: usize = std::env::var("NUDGE_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let (book, events) = build(target);
    let (head, tail) = events.split_at(events.len() - 10_000);
    println!("log: {} events, {} invoices, {} notices", events.len(), book.invoices.len(), book.notices.len());

    let started = Instant::now();
    let mut ledger = Ledger::new();
    for e in head {
        ledger.apply(e, &book);
    }
    let fold = started.elapsed().as_secs_f64();
    println!("fold: {} events in {:.3} s, {:.0} events/s", head.len(), fold, head.len() as f64 / fold);

    let reports: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            black_box(ledger.report(&[]));
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "report over {} events: median {:.1} ms (of 5: {:?})",
        head.len(),
        median(reports.clone()) * 1e3,
        reports.iter().map(|s| (s * 1e4).round() / 10.0).collect::<Vec<_>>()
    );

    let t = Instant::now();
    for e in tail {
        ledger.apply(e, &book);
    }
    let report = ledger.report(&[]);
    let incremental = t.elapsed().as_secs_f64();
    println!("incremental: {} new events folded and a report in {:.1} ms", tail.len(), incremental * 1e3);
    println!(
        "report: {} events, {} notices sent, paid within 7 days of first notice {:.1}%, {} experiments: {}",
        report.events,
        report.totals.notices_sent,
        report.totals.paid_within_7d_of_first_notice.value().unwrap_or(0.0) * 100.0,
        report.experiments.len(),
        report.experiments.first().map_or("", |e| e.verdict.as_str())
    );
}
