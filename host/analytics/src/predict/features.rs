//! What the model knows about a customer, and the features it reads off it
//! at a decision.

use jiff::{Timestamp, civil::Date};

/// How many features the model uses, bias included.
pub const FEATURES: usize = 9;

/// The features' names, in order (for the benchmark's printout).
pub const NAMES: [&str; FEATURES] = [
    "bias",
    "on-time ratio",
    "average days late / 30",
    "ln(1 + amount) / 10",
    "days overdue / 30",
    "ln(1 + past invoices) / 4",
    "7-day payment rate at this point",
    "ln(1 + past invoices at this point) / 4",
    "opens and clicks per notice",
];

/// One example's features (index 0 is the constant 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features(pub [f64; FEATURES]);

/// The facts of one decision: which invoice, at which local date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The invoice's due date (customer's zone).
    pub due_on: Date,
    /// The invoice total, in minor units.
    pub amount_minor: i64,
    /// The local date of the decision (customer's zone).
    pub on: Date,
}

impl Decision {
    /// Days from the due date to the decision (negative before the due date).
    pub fn days_overdue(&self) -> i32 {
        (self.on - self.due_on).get_days()
    }
}

/// A customer's record, with dates, so that features can be read as of any
/// past date (an example is learned after its outcome is known, with the
/// features it had when the decision was made).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// Settled invoices: (local date of full payment, days from due date to
    /// payment, negative when early), in order of payment date.
    settled: Vec<(Date, i32)>,
    /// Notices sent to the customer, in time order.
    notices: Vec<Timestamp>,
    /// Opens and clicks of the customer's notices, in time order.
    engaged: Vec<Timestamp>,
}

impl CustomerRecord {
    /// A customer with no history.
    pub const EMPTY: CustomerRecord = CustomerRecord { settled: Vec::new(), notices: Vec::new(), engaged: Vec::new() };

    /// Records a settled invoice.
    pub fn settle(&mut self, paid_on: Date, days_late: i32) {
        let at = self.settled.partition_point(|(d, _)| *d <= paid_on);
        self.settled.insert(at, (paid_on, days_late));
    }

    /// Records a notice sent at `at`.
    pub fn notice(&mut self, at: Timestamp) {
        insert_sorted(&mut self.notices, at);
    }

    /// Records an open or a click at `at`.
    pub fn engage(&mut self, at: Timestamp) {
        insert_sorted(&mut self.engaged, at);
    }

    /// Invoices settled before `date`.
    pub fn settled_before(&self, date: Date) -> u32 {
        self.settled.partition_point(|(d, _)| *d < date) as u32
    }

    /// The features of `decision`, from what was known before its date
    /// (payments settled before that day, notices and engagement before
    /// `as_of`).
    pub fn features(&self, decision: &Decision, as_of: Timestamp) -> Features {
        let past = &self.settled[..self.settled.partition_point(|(d, _)| *d < decision.on)];
        let n = past.len() as f64;
        let on_time = past.iter().filter(|(_, late)| *late <= 0).count() as f64;
        let late: Vec<i32> = past.iter().map(|(_, l)| *l).filter(|l| *l > 0).collect();
        let avg_late = if late.is_empty() { 0.0 } else { late.iter().sum::<i32>() as f64 / late.len() as f64 };
        let d = decision.days_overdue();
        // Of the past invoices still unpaid at the same point, the share
        // paid within the next 7 days: the customer's own 7-day rate here.
        let at_point = past.iter().filter(|(_, l)| *l > d).count() as f64;
        let paid_next = past.iter().filter(|(_, l)| *l > d && *l <= d + 7).count() as f64;
        let notices = self.notices.partition_point(|t| *t < as_of) as f64;
        let engaged = self.engaged.partition_point(|t| *t < as_of) as f64;
        let amount = (decision.amount_minor.max(0) as f64) / 100.0;
        Features([
            1.0,
            (on_time + 1.0) / (n + 2.0),
            (avg_late / 30.0).min(3.0),
            (1.0 + amount).ln() / 10.0,
            (f64::from(d) / 30.0).clamp(-1.0, 3.0),
            (1.0 + n).ln() / 4.0,
            (paid_next + 0.5) / (at_point + 1.0),
            (1.0 + at_point).ln() / 4.0,
            (engaged / (notices + 2.0)).min(1.0),
        ])
    }

    /// The naive baseline: one minus the customer's past late ratio (0.5
    /// with no settled invoice before the decision).
    pub fn baseline(&self, decision: &Decision) -> f64 {
        let past = &self.settled[..self.settled.partition_point(|(d, _)| *d < decision.on)];
        if past.is_empty() {
            return 0.5;
        }
        let late = past.iter().filter(|(_, l)| *l > 0).count() as f64;
        1.0 - late / past.len() as f64
    }
}

fn insert_sorted(list: &mut Vec<Timestamp>, at: Timestamp) {
    let i = list.partition_point(|t| *t <= at);
    list.insert(i, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn features_read_only_the_past() {
        let mut record = CustomerRecord::default();
        record.settle(date("2024-01-10"), 0);
        record.settle(date("2024-02-20"), 10);
        record.settle(date("2024-03-30"), 20);
        let decision = Decision { due_on: date("2024-03-01"), amount_minor: 10_000, on: date("2024-03-02") };
        let x = record.features(&decision, "2024-03-02T09:00:00Z".parse().unwrap());
        // Two invoices settled before 2 March: one on time, one 10 days late.
        assert_eq!(x.0[1], 2.0 / 4.0);
        assert_eq!(x.0[2], 10.0 / 30.0);
        assert_eq!(x.0[4], 1.0 / 30.0);
        // At day 1 only the 10-days-late one was still unpaid, and it was
        // not paid by day 8.
        assert_eq!(x.0[6], 0.5 / 2.0);
        assert_eq!(x.0[7], 2f64.ln() / 4.0);
        assert_eq!(record.settled_before(decision.on), 2);
        assert_eq!(record.baseline(&decision), 0.5);
    }

    #[test]
    fn a_new_customer_gets_smoothed_features() {
        let record = CustomerRecord::default();
        let decision = Decision { due_on: date("2024-03-01"), amount_minor: 0, on: date("2024-02-26") };
        let x = record.features(&decision, "2024-02-26T09:00:00Z".parse().unwrap());
        assert_eq!(x.0, [1.0, 0.5, 0.0, 0.0, -4.0 / 30.0, 0.0, 0.5, 0.0, 0.0]);
        assert_eq!(record.baseline(&decision), 0.5);
    }

    #[test]
    fn engagement_counts_before_the_decision() {
        let mut record = CustomerRecord::default();
        record.notice("2024-01-01T09:00:00Z".parse().unwrap());
        record.notice("2024-01-08T09:00:00Z".parse().unwrap());
        record.engage("2024-01-01T10:00:00Z".parse().unwrap());
        record.engage("2024-01-09T10:00:00Z".parse().unwrap());
        let decision = Decision { due_on: date("2024-01-01"), amount_minor: 100, on: date("2024-01-05") };
        let x = record.features(&decision, "2024-01-05T09:00:00Z".parse().unwrap());
        assert_eq!(x.0[8], 1.0 / 3.0);
    }
}
