//! Each KPI on small, hand-checked event logs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use nudge_analytics::{Facts, InvoiceInfo, Ledger, NoticeInfo, Ratio, Report, render};
use nudge_core::{
    Channel, CustomerId, EngagementKind, Event, EventKind, IncidentKind, InvoiceId, NoticeId, TenantId, Tone,
};

/// Invoices and notices held in memory, as the store would hold them.
#[derive(Default)]
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

/// Builds an event log and the records behind it.
struct Log {
    tenant: TenantId,
    book: Book,
    events: Vec<Event>,
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

impl Log {
    fn new() -> Self {
        Self { tenant: TenantId::new("acme").unwrap(), book: Book::default(), events: Vec::new() }
    }

    fn push(&mut self, at: &str, kind: EventKind) {
        let seq = self.events.len() as u64 + 1;
        self.events.push(Event { seq, tenant: self.tenant.clone(), at: ts(at), kind });
    }

    fn invoice(&mut self, id: &str, customer: &str, issued: &str, due: &str, amount: i64) -> InvoiceId {
        let id = InvoiceId::new(id).unwrap();
        let info = InvoiceInfo {
            customer: CustomerId::new(customer).unwrap(),
            issued_on: date(issued),
            due_on: date(due),
            amount_minor: amount,
            time_zone: TimeZone::get("America/New_York").unwrap(),
        };
        self.book.invoices.insert(id.clone(), info);
        self.push(&format!("{issued}T14:00:00Z"), EventKind::InvoiceUpserted { invoice: id.clone() });
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn sent(
        &mut self,
        at: &str,
        invoice: &InvoiceId,
        step: &str,
        segment: &str,
        tone: Tone,
        channel: Channel,
        arms: &[(&str, &str)],
    ) -> NoticeId {
        let customer = self.book.invoices[invoice].customer.clone();
        let notice = NoticeId::derive(&self.tenant, invoice, step);
        let arms = arms.iter().map(|(e, a)| (e.to_string(), a.to_string())).collect();
        self.book
            .notices
            .insert((invoice.clone(), step.into()), NoticeInfo { customer, segment: segment.into(), tone, arms });
        self.push(
            at,
            EventKind::NoticeScheduled {
                notice: notice.clone(),
                invoice: invoice.clone(),
                step: step.into(),
                send_at: ts(at),
                moved_from: None,
            },
        );
        self.push(
            at,
            EventKind::NoticeSent { notice: notice.clone(), invoice: invoice.clone(), step: step.into(), channel },
        );
        notice
    }

    fn paid(&mut self, at: &str, invoice: &InvoiceId) {
        self.push(at, EventKind::PaymentRecorded { invoice: invoice.clone(), amount_minor: 1, settled: true });
    }

    fn engage(&mut self, at: &str, customer: &str, notice: Option<&NoticeId>, kind: EngagementKind, negative: bool) {
        let customer = CustomerId::new(customer).unwrap();
        self.push(
            at,
            EventKind::Engagement { customer, notice: notice.cloned(), kind, channel: None, negative, detail: None },
        );
    }

    fn report(&self) -> Report {
        let mut ledger = Ledger::new();
        for e in &self.events {
            assert!(ledger.apply(e, &self.book));
        }
        ledger.report(&[])
    }
}

fn r(n: u64, d: u64) -> Ratio {
    Ratio::new(n, d)
}

#[test]
fn each_kpi_counts_what_its_definition_says() {
    let mut log = Log::new();
    // a: due 31 Jan, notice 1 Feb, opened, clicked 2 Feb, paid 3 Feb (New York dates).
    let a = log.invoice("a", "c1", "2024-01-01", "2024-01-31", 10_000);
    let na = log.sent("2024-02-01T15:00:00Z", &a, "overdue-1", "habitual", Tone::Firm, Channel::Email, &[]);
    log.engage("2024-02-01T16:00:00Z", "c1", Some(&na), EngagementKind::Delivered, false);
    log.engage("2024-02-01T17:00:00Z", "c1", Some(&na), EngagementKind::Opened, false);
    log.engage("2024-02-02T17:00:00Z", "c1", Some(&na), EngagementKind::Clicked, false);
    log.paid("2024-02-03T15:00:00Z", &a);
    // b: due 10 Feb, notices 11 Feb (sms) and 20 Feb (email, bounced), paid 1 Mar: 20 days late.
    let b = log.invoice("b", "c2", "2024-01-11", "2024-02-10", 30_000);
    log.sent("2024-02-11T15:00:00Z", &b, "overdue-1", "new", Tone::Friendly, Channel::Sms, &[]);
    let nb2 = log.sent("2024-02-20T15:00:00Z", &b, "overdue-7", "new", Tone::Firm, Channel::Email, &[]);
    log.engage("2024-02-20T15:05:00Z", "c2", Some(&nb2), EngagementKind::Bounced, false);
    // Negative feedback and an opt-out without a notice id: put down to the latest notice.
    log.engage("2024-02-21T15:00:00Z", "c2", None, EngagementKind::Feedback, true);
    log.push(
        "2024-02-22T15:00:00Z",
        EventKind::OptedOut { customer: CustomerId::new("c2").unwrap(), channel: Some(Channel::Email) },
    );
    log.paid("2024-03-01T15:00:00Z", &b);
    // c: paid on time, never noticed.
    let c = log.invoice("c", "c3", "2024-01-05", "2024-02-04", 50_00);
    log.paid("2024-02-01T15:00:00Z", &c);
    // d: noticed, never paid; its customer gets a new invoice 30 days later (not churned).
    let d = log.invoice("d", "c1", "2024-01-20", "2024-02-19", 10_00);
    log.sent("2024-02-20T15:00:00Z", &d, "overdue-1", "habitual", Tone::Firm, Channel::Email, &[]);
    log.invoice("e", "c1", "2024-03-21", "2024-04-20", 10_00);
    log.push(
        "2024-03-01T00:00:00Z",
        EventKind::Incident { invoice: d.clone(), plugin_version: 1, kind: IncidentKind::OutOfFuel },
    );
    // Later events move `as_of` past the churn horizon of everyone.
    log.push("2024-07-01T00:00:00Z", EventKind::PluginActivated { version: 2 });

    let report = log.report();
    let t = &report.totals;
    assert_eq!(t.notices_sent, 4);
    assert_eq!(t.delivery_rate, r(3, 4), "one bounce among four sent");
    assert_eq!(t.open_rate, r(1, 4));
    assert_eq!(t.click_to_pay_rate, r(1, 1), "clicked 2 Feb, paid 3 Feb");
    // a paid 2 days after its first notice; b 19 days after; d never.
    assert_eq!(t.paid_within_7d_of_first_notice, r(1, 3));
    assert_eq!(t.negative_feedback_rate, r(1, 4));
    assert_eq!(t.opt_out_rate, r(1, 4));
    assert_eq!(t.invoices_paid, 3);
    // Notices on paid invoices: a 1, b 2, c 0 => 3 / 3.
    assert_eq!(t.notices_per_paid_invoice, Some(1.0));
    // Days late: a 3 (31 Jan -> 3 Feb), b 20 (10 Feb -> 1 Mar), c 0 => 23 / 3.
    assert!((t.avg_days_late.unwrap() - 23.0 / 3.0).abs() < 1e-9, "{:?}", t.avg_days_late);
    // DSO: a 33 days × 100, b 50 days × 300, c 27 days × 50 => (3300 + 15000 + 1350) / 450.
    assert!((t.dso_days.unwrap() - 19_650.0 / 450.0).abs() < 1e-9, "{:?}", t.dso_days);
    // Churn: c1's last notice 20 Feb, new invoice 21 Mar => stayed; c2's last
    // notice 20 Feb, no new invoice => churned.
    assert_eq!(t.churn_after_notice, r(1, 2));
    assert_eq!(report.incidents_by_kind.get("out-of-fuel"), Some(&1));

    // Slices: notices by their own attributes, invoices by their first notice.
    let tone = &report.slices["tone"];
    assert_eq!(tone["firm"].notices_sent, 3);
    assert_eq!(tone["friendly"].notices_sent, 1);
    assert_eq!(tone["friendly"].paid_within_7d_of_first_notice, r(0, 1), "b's first notice was friendly");
    assert_eq!(tone["firm"].paid_within_7d_of_first_notice, r(1, 2), "a and d");
    assert_eq!(report.slices["channel"]["sms"].notices_sent, 1);
    assert_eq!(report.slices["segment"]["new"].opt_out_rate, r(1, 2));
    assert_eq!(report.slices["step"]["overdue-7"].delivery_rate, r(0, 1));
    // Cohorts: every invoice by issue month, noticed or not.
    let jan = &report.slices["cohort"]["2024-01"];
    assert_eq!(jan.invoices_paid, 3);
    assert_eq!(report.slices["cohort"]["2024-03"].invoices_paid, 0);

    // The payment curve of January: c paid 3 days before due, a 3 days after, b 20 after; d never.
    let curve = report.cohort_curves.iter().find(|c| c.label == "2024-01").unwrap();
    assert_eq!(curve.invoices, 4);
    let at = |day: i32| curve.paid[(day - curve.first_day) as usize];
    assert_eq!(at(-4), 0.0);
    assert_eq!(at(-3), 0.25);
    assert_eq!(at(3), 0.5);
    assert_eq!(at(19), 0.5);
    assert_eq!(at(20), 0.75);
    assert_eq!(at(90), 0.75);
}

#[test]
fn replaying_the_same_events_changes_nothing() {
    let mut log = Log::new();
    let a = log.invoice("a", "c1", "2024-01-01", "2024-01-31", 100);
    log.sent("2024-02-01T15:00:00Z", &a, "overdue-1", "s", Tone::Firm, Channel::Email, &[]);
    log.paid("2024-02-02T15:00:00Z", &a);
    let mut ledger = Ledger::new();
    for e in &log.events {
        assert!(ledger.apply(e, &log.book));
    }
    let once = ledger.report(&[]);
    for e in &log.events {
        assert!(!ledger.apply(e, &log.book), "seq {} applied twice", e.seq);
    }
    assert_eq!(ledger.report(&[]), once);
    assert_eq!(ledger.resume_from(), 0);
}

#[test]
fn an_event_that_commits_late_is_still_counted_once() {
    let mut log = Log::new();
    let a = log.invoice("a", "c1", "2024-01-01", "2024-01-31", 100);
    log.sent("2024-02-01T15:00:00Z", &a, "overdue-1", "s", Tone::Firm, Channel::Email, &[]);
    log.paid("2024-02-02T15:00:00Z", &a);
    // The payment (highest seq) is read first; the notice events commit later.
    let mut events = log.events.clone();
    let payment = events.pop().unwrap();
    let mut ledger = Ledger::new();
    ledger.apply(&events[0], &log.book);
    ledger.apply(&payment, &log.book);
    // Bringing the ledger up to date re-reads from `resume_from`: everything here.
    let from = ledger.resume_from();
    for e in log.events.iter().filter(|e| e.seq >= from) {
        ledger.apply(e, &log.book);
    }
    let report = ledger.report(&[]);
    assert_eq!(report.events, log.events.len() as u64);
    assert_eq!(report.totals.notices_sent, 1);
}

/// A log where arm `b` pays within 7 days far more often than `a`.
fn experiment_log(per_arm: usize, paid_a: usize, paid_b: usize) -> Log {
    let mut log = Log::new();
    for (arm, paid) in [("a", paid_a), ("b", paid_b)] {
        for i in 0..per_arm {
            let customer = format!("{arm}-{i}");
            let inv = log.invoice(&format!("inv-{arm}-{i}"), &customer, "2024-01-01", "2024-01-31", 100);
            log.sent("2024-02-01T15:00:00Z", &inv, "overdue-1", "s", Tone::Firm, Channel::Email, &[("timing", arm)]);
            if i < paid {
                log.paid("2024-02-03T15:00:00Z", &inv);
            }
        }
    }
    log
}

#[test]
fn a_clear_difference_is_called_significant() {
    let report = experiment_log(200, 60, 110).report();
    let e = &report.experiments[0];
    assert_eq!((e.name.as_str(), e.control.as_str()), ("timing", "a"));
    assert!(e.conclusive, "{}", e.verdict);
    assert_eq!(e.arms[1].kpis.paid_within_7d_of_first_notice, r(110, 200));
    let vs = e.arms[1].vs_control.unwrap();
    assert!(vs.p_value < 0.001 && vs.difference > 0.2, "{vs:?}");
    assert!(e.verdict.contains("`b` is paid within 7 days more often than `a`"), "{}", e.verdict);
    let (lo, hi) = e.arms[1].ci95.unwrap();
    assert!(lo < 0.55 && 0.55 < hi);
    assert_eq!(e.arms[0].customers, 200);
}

#[test]
fn no_difference_is_said_plainly() {
    let report = experiment_log(200, 100, 104).report();
    let e = &report.experiments[0];
    assert!(e.conclusive);
    assert!(e.verdict.starts_with("no significant difference between `b` and `a`"), "{}", e.verdict);
}

#[test]
fn a_small_sample_is_too_small_to_conclude() {
    let report = experiment_log(12, 2, 10).report();
    let e = &report.experiments[0];
    assert!(!e.conclusive);
    assert!(e.verdict.starts_with("too small to conclude"), "{}", e.verdict);
    assert!(e.verdict.contains("`a` (12 invoices, 2 paid within 7 days)"), "{}", e.verdict);
    // The declared order decides the control when no arm is called `control`.
    let mut ledger = Ledger::new();
    let log = experiment_log(12, 2, 10);
    for e in &log.events {
        ledger.apply(e, &log.book);
    }
    let report = ledger.report(&[("timing".into(), vec!["b".into(), "a".into()])]);
    assert_eq!(report.experiments[0].control, "b");
    assert_eq!(report.experiments[0].arms[0].arm, "b");
}

#[test]
fn renderings_carry_the_same_numbers_and_escape_what_plugins_wrote() {
    let mut log = Log::new();
    let a = log.invoice("a", "c1", "2024-01-01", "2024-01-31", 100);
    log.sent(
        "2024-02-01T15:00:00Z",
        &a,
        "overdue-1",
        "<script>alert(1)</script>",
        Tone::Firm,
        Channel::Email,
        &[("t", "x,y")],
    );
    log.paid("2024-02-02T15:00:00Z", &a);
    let report = log.report();
    let html = render::html(&report, "acme");
    assert!(!html.contains("<script>"), "unescaped segment in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not fetch anything");
    assert!(html.contains("id=\"trend-paid\"") && html.contains("id=\"curves-cohort\""));
    let csv = render::csv(&report);
    assert!(csv.starts_with("dimension,value,kpi,numerator,denominator,result\n"));
    assert!(csv.contains("all,all,paid_within_7d_of_first_notice,1,1,1.000000\n"), "{csv}");
    assert!(csv.contains("arm,\"t=x,y\",notices_sent,,,1\n"), "{csv}");
    let text = render::text(&report, "acme");
    assert!(text.contains("report for tenant acme"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("all") && l.contains("100.0%")), "{text}");
}
