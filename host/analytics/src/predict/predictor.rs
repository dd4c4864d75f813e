//! The per-tenant predictor: folds the event log in one event at a time and
//! answers [`Signals`] for a decision without retraining.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::{Timestamp, ToSpan, civil::Date, tz::TimeZone};
use nudge_core::{CustomerId, EngagementKind, Event, EventKind, InvoiceId, Signals, time};

use super::{
    features::{CustomerRecord, Decision},
    hours::{Hours, best_send_hour},
    model::Logistic,
};
use crate::{InvoiceInfo, applied::Applied};

/// How far behind the highest sequence number seen the predictor still
/// accepts events it has not applied (see [`crate::REORDER_WINDOW`]). It is
/// read before every decision, so it is kept to what concurrent
/// transactions of one host can overlap by; the analytics ledger, read
/// once per report, affords a wider one.
pub const REORDER_WINDOW: u64 = 64;

/// Days from the due date at which the model learns whether an unpaid
/// invoice was paid within the next 7 days: the usual steps of a reminder
/// sequence, from a pre-due reminder to a month overdue.
pub const DECISION_DAYS: [i32; 6] = [-3, 0, 1, 7, 14, 30];

/// The record of a customer the predictor knows nothing about.
static NOBODY: CustomerRecord = CustomerRecord::EMPTY;

/// Days after a decision within which payment counts as paid in time.
pub const WINDOW_DAYS: i32 = 7;

/// What the predictor needs that the event log does not say.
pub trait PredictFacts {
    /// The invoice's customer, dates, amount and the customer's zone.
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo>;
    /// The customer's time zone.
    fn zone(&self, customer: &CustomerId) -> Option<TimeZone>;
}

/// An invoice the predictor has seen and not finished learning from.
#[derive(Debug, Clone)]
struct Tracked {
    info: InvoiceInfo,
    /// Index into [`DECISION_DAYS`] of the next point to learn.
    next_point: usize,
    /// Local dates notices for it were sent.
    notices: Vec<Date>,
    /// False when the predictor was told not to learn from it.
    learn: bool,
}

/// Per-tenant predictive state: the model, each customer's dated record and
/// engagement hours, and the open invoices whose outcomes are still to come.
#[derive(Debug, Clone, Default)]
pub struct Predictor {
    model: Logistic,
    customers: HashMap<CustomerId, CustomerRecord>,
    hours: HashMap<CustomerId, Hours>,
    tenant_hours: Hours,
    invoices: HashMap<InvoiceId, Tracked>,
    /// Invoices fully learned from (paid, or past the last point).
    finished: HashSet<InvoiceId>,
    /// Open invoices by when their next decision point's window closes.
    closing: BTreeSet<(Timestamp, InvoiceId)>,
    /// Learn only from invoices issued before this date (a time-based split).
    learn_before: Option<Date>,
    /// Sequence numbers applied, within [`REORDER_WINDOW`] of the highest.
    applied: Applied<REORDER_WINDOW>,
}

impl Predictor {
    /// An empty predictor: the model at its prior, nobody known.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns only from invoices issued before `date` (for a backtest that
    /// trains on one period and tests on the next); the customers' records
    /// and hours still follow every event.
    pub fn learn_only_before(&mut self, date: Date) {
        self.learn_before = Some(date);
    }

    /// Examples the model has learned from.
    pub fn examples(&self) -> u64 {
        self.model.examples()
    }

    /// The model.
    pub fn model(&self) -> &Logistic {
        &self.model
    }

    /// The first sequence number to read from the log to bring the
    /// predictor up to date (as [`crate::Ledger::resume_from`]).
    pub fn resume_from(&self) -> u64 {
        self.applied.resume_from()
    }

    /// Folds in one event; false, changing nothing, when it was applied before.
    pub fn apply(&mut self, event: &Event, facts: &impl PredictFacts) -> bool {
        if !self.applied.claim(event.seq) {
            return false;
        }
        self.advance(event.at);
        match &event.kind {
            EventKind::InvoiceUpserted { invoice } => self.track(invoice, facts),
            EventKind::PaymentRecorded { invoice, settled: true, .. } => {
                self.track(invoice, facts);
                self.settle(invoice, event.at);
            }
            EventKind::NoticeSent { invoice, .. } => {
                self.track(invoice, facts);
                if let Some(tracked) = self.invoices.get_mut(invoice) {
                    tracked.notices.push(time::local_date(event.at, &tracked.info.time_zone));
                    let customer = tracked.info.customer.clone();
                    self.customers.entry(customer).or_default().notice(event.at);
                }
            }
            EventKind::Engagement { customer, kind: EngagementKind::Opened | EngagementKind::Clicked, .. } => {
                self.customers.entry(customer.clone()).or_default().engage(event.at);
                if let Some(zone) = facts.zone(customer) {
                    self.hour(customer, event.at, &zone);
                }
            }
            _ => {}
        }
        true
    }

    /// Learns the negative examples whose 7-day window closed by `now`
    /// with the invoice still unpaid.
    pub fn advance(&mut self, now: Timestamp) {
        while let Some((closes, id)) = self.closing.first().cloned() {
            if closes > now {
                break;
            }
            self.closing.pop_first();
            let Some(mut tracked) = self.invoices.remove(&id) else { continue };
            let point = DECISION_DAYS[tracked.next_point];
            self.learn(&tracked, point, false);
            tracked.next_point += 1;
            self.requeue(id, tracked);
        }
    }

    /// The signals for deciding about an invoice (due on `due_on`, of
    /// `amount_minor`) of `customer` at `now`, in the customer's zone `tz`.
    pub fn signals(
        &self,
        customer: &CustomerId,
        due_on: Date,
        amount_minor: i64,
        tz: &TimeZone,
        now: Timestamp,
    ) -> Signals {
        let decision = Decision { due_on, amount_minor, on: time::local_date(now, tz) };
        let record = self.customers.get(customer).unwrap_or(&NOBODY);
        let p = self.model.predict(&record.features(&decision, now));
        let (best_send_hour, send_hour_samples, send_hour_own) =
            best_send_hour(self.hours.get(customer), &self.tenant_hours);
        Signals {
            pay_within_7d_permille: (p * 1000.0).round().clamp(0.0, 1000.0) as u16,
            model_examples: u32::try_from(self.model.examples()).unwrap_or(u32::MAX),
            customer_invoices: record.settled_before(decision.on),
            best_send_hour,
            send_hour_samples,
            send_hour_own,
        }
    }

    /// The model's probability and the naive baseline's for a decision,
    /// from what is known now (for the backtest).
    pub fn score(&self, customer: &CustomerId, decision: &Decision, now: Timestamp) -> (f64, f64) {
        let record = self.customers.get(customer).unwrap_or(&NOBODY);
        (self.model.predict(&record.features(decision, now)), record.baseline(decision))
    }

    fn track(&mut self, id: &InvoiceId, facts: &impl PredictFacts) {
        if self.invoices.contains_key(id) || self.finished.contains(id) {
            return;
        }
        let Some(info) = facts.invoice(id) else { return };
        let learn = self.learn_before.is_none_or(|d| info.issued_on < d);
        let tracked = Tracked { info, next_point: 0, notices: Vec::new(), learn };
        self.requeue(id.clone(), tracked);
    }

    /// Puts an invoice back in the queue at its next point's window close,
    /// or forgets it when every point is learned.
    fn requeue(&mut self, id: InvoiceId, tracked: Tracked) {
        let Some(&point) = DECISION_DAYS.get(tracked.next_point) else {
            self.finished.insert(id);
            return;
        };
        // Unpaid through the last day of the window: known at the start of the next.
        let closes = day(&tracked.info, point + WINDOW_DAYS + 1);
        self.closing.insert((closes, id.clone()));
        self.invoices.insert(id, tracked);
    }

    /// The invoice was fully paid at `at`: learns every point it was still
    /// unpaid at, and records the payment in the customer's record.
    fn settle(&mut self, id: &InvoiceId, at: Timestamp) {
        let Some(tracked) = self.invoices.remove(id) else { return };
        self.finished.insert(id.clone());
        if let Some(point) = DECISION_DAYS.get(tracked.next_point) {
            self.closing.remove(&(day(&tracked.info, point + WINDOW_DAYS + 1), id.clone()));
        }
        let paid_on = time::local_date(at, &tracked.info.time_zone);
        let due = tracked.info.due_on;
        for &point in &DECISION_DAYS[tracked.next_point..] {
            let on = offset(due, point);
            if paid_on <= on {
                break;
            }
            let in_time = paid_on <= offset(on, WINDOW_DAYS);
            // Paid in time, but after a further notice: that notice may be
            // why, so the example says nothing about "without a notice".
            let noticed = tracked.notices.iter().any(|d| *d > on && *d <= paid_on);
            if !(in_time && noticed) {
                self.learn(&tracked, point, in_time);
            }
        }
        let customer = tracked.info.customer.clone();
        self.customers.entry(customer.clone()).or_default().settle(paid_on, (paid_on - due).get_days());
        // A payment stamped at local midnight carries a date, not an hour.
        let local = at.to_zoned(tracked.info.time_zone.clone());
        if local.time() != jiff::civil::Time::midnight() {
            self.hour(&customer, at, &tracked.info.time_zone);
        }
    }

    fn learn(&mut self, tracked: &Tracked, point: i32, label: bool) {
        if !tracked.learn {
            return;
        }
        let on = offset(tracked.info.due_on, point);
        let decision = Decision { due_on: tracked.info.due_on, amount_minor: tracked.info.amount_minor, on };
        let as_of = time::local_instant(on, 0, &tracked.info.time_zone);
        let record = self.customers.get(&tracked.info.customer).unwrap_or(&NOBODY);
        self.model.learn(&record.features(&decision, as_of), label);
    }

    fn hour(&mut self, customer: &CustomerId, at: Timestamp, zone: &TimeZone) {
        let hour = at.to_zoned(zone.clone()).hour() as u8;
        self.hours.entry(customer.clone()).or_default().add(hour);
        self.tenant_hours.add(hour);
    }
}

fn offset(date: Date, days: i32) -> Date {
    date.checked_add(days.days()).unwrap_or(date)
}

/// The start of the local day `days` after the invoice's due date.
fn day(info: &InvoiceInfo, days: i32) -> Timestamp {
    time::local_instant(offset(info.due_on, days), 0, &info.time_zone)
}

#[cfg(test)]
mod tests {
    use nudge_core::{NoticeId, TenantId};

    use super::*;

    struct One;

    impl PredictFacts for One {
        fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo> {
            let n: i32 = id.as_str().trim_start_matches("inv-").parse().ok()?;
            Some(InvoiceInfo {
                customer: CustomerId::new("c1").ok()?,
                issued_on: Date::new(2024, 1, 1).ok()?.checked_add((n * 30).days()).ok()?,
                due_on: Date::new(2024, 1, 31).ok()?.checked_add((n * 30).days()).ok()?,
                amount_minor: 10_000,
                time_zone: TimeZone::UTC,
            })
        }

        fn zone(&self, _: &CustomerId) -> Option<TimeZone> {
            Some(TimeZone::UTC)
        }
    }

    fn event(seq: u64, at: &str, kind: EventKind) -> Event {
        Event { seq, tenant: TenantId::new("t").unwrap(), at: at.parse().unwrap(), kind }
    }

    fn inv(n: u32) -> InvoiceId {
        InvoiceId::new(format!("inv-{n}")).unwrap()
    }

    #[test]
    fn learns_positives_at_payment_and_negatives_when_the_window_closes() {
        let mut p = Predictor::new();
        // inv-0: due 31 January, paid 10 February: unpaid at -3, 0 and 1
        // (paid within 7 days of day 7 only: 10 Feb <= 7 Feb + 7).
        assert!(p.apply(&event(0, "2024-01-01T09:00:00Z", EventKind::InvoiceUpserted { invoice: inv(0) }), &One));
        assert!(!p.apply(&event(0, "2024-01-01T09:00:00Z", EventKind::InvoiceUpserted { invoice: inv(0) }), &One));
        // At the start of 5 February, point -3 (28 January) closed unpaid.
        p.advance("2024-02-05T00:00:00Z".parse().unwrap());
        assert_eq!(p.examples(), 1);
        let paid = EventKind::PaymentRecorded { invoice: inv(0), amount_minor: 10_000, settled: true };
        p.apply(&event(1, "2024-02-10T15:00:00Z", paid), &One);
        // Points 0, 1 (negatives, windows to 7 and 8 February) and 7 (positive).
        assert_eq!(p.examples(), 4);
        // The tenant updating the paid invoice teaches nothing more.
        p.apply(&event(2, "2024-02-11T09:00:00Z", EventKind::InvoiceUpserted { invoice: inv(0) }), &One);
        p.advance("2024-06-01T00:00:00Z".parse().unwrap());
        assert_eq!(p.examples(), 4);
        let c1 = CustomerId::new("c1").unwrap();
        let signals = p.signals(
            &c1,
            Date::new(2024, 3, 1).unwrap(),
            10_000,
            &TimeZone::UTC,
            "2024-03-02T09:00:00Z".parse().unwrap(),
        );
        assert_eq!(signals.model_examples, 4);
        assert_eq!(signals.customer_invoices, 1);
        assert!(signals.pay_within_7d_permille <= 1000);
        // One payment at 15:00 is not enough for an hour of the customer's own.
        assert_eq!((signals.best_send_hour, signals.send_hour_samples, signals.send_hour_own), (None, 1, true));
    }

    #[test]
    fn a_payment_after_a_further_notice_teaches_nothing_about_no_notice() {
        let mut p = Predictor::new();
        p.apply(&event(0, "2024-01-01T09:00:00Z", EventKind::InvoiceUpserted { invoice: inv(0) }), &One);
        // Due 31 January; a notice on 2 February, payment on 3 February:
        // points -3 and 0 were followed by a notice before payment.
        let notice = NoticeId::derive(&TenantId::new("t").unwrap(), &inv(0), "overdue-1");
        let sent = EventKind::NoticeSent {
            notice,
            invoice: inv(0),
            step: "overdue-1".into(),
            channel: nudge_core::Channel::Email,
        };
        p.apply(&event(1, "2024-02-02T10:00:00Z", sent), &One);
        let paid = EventKind::PaymentRecorded { invoice: inv(0), amount_minor: 10_000, settled: true };
        p.apply(&event(2, "2024-02-03T00:00:00Z", paid), &One);
        // Point -3 (28 Jan): window to 4 Feb, paid 3 Feb after the notice: censored.
        // Point 0 (31 Jan): likewise. Point 1 (1 Feb): notice on 2 Feb: censored.
        assert_eq!(p.examples(), 0);
    }

    #[test]
    fn best_send_hour_follows_opens_and_clicks() {
        let mut p = Predictor::new();
        let c1 = CustomerId::new("c1").unwrap();
        for (seq, at) in ["2024-01-02T18:10:00Z", "2024-01-03T18:40:00Z", "2024-01-04T19:05:00Z"].iter().enumerate() {
            let kind = EventKind::Engagement {
                customer: c1.clone(),
                notice: None,
                kind: EngagementKind::Opened,
                channel: None,
                negative: false,
                detail: None,
            };
            p.apply(&event(seq as u64, at, kind), &One);
        }
        let s = p.signals(
            &c1,
            Date::new(2024, 1, 31).unwrap(),
            100,
            &TimeZone::UTC,
            "2024-01-05T09:00:00Z".parse().unwrap(),
        );
        assert_eq!((s.best_send_hour, s.send_hour_samples, s.send_hour_own), (Some(18), 3, true));
        // A customer with no events of their own, and a tenant with too few.
        let other = CustomerId::new("c2").unwrap();
        let s = p.signals(
            &other,
            Date::new(2024, 1, 31).unwrap(),
            100,
            &TimeZone::UTC,
            "2024-01-05T09:00:00Z".parse().unwrap(),
        );
        assert_eq!((s.best_send_hour, s.customer_invoices, s.model_examples), (None, 0, 0));
        assert_eq!(s.pay_within_7d_permille, 300);
    }
}
