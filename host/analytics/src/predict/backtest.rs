//! A time-based backtest of the predictor on a payment history: learn from
//! the invoices issued before a split date, score the decisions about the
//! invoices issued from it on, against the naive baseline.

use std::{collections::HashMap, fmt};

use jiff::{Timestamp, ToSpan, civil::Date, tz::TimeZone};
use nudge_core::{CustomerId, Event, EventKind, InvoiceId, TenantId, time};

use super::{
    DECISION_DAYS, PredictFacts, Predictor, WINDOW_DAYS,
    features::{Decision, NAMES},
    metrics::Scores,
};
use crate::InvoiceInfo;

/// One invoice of a payment history.
#[derive(Debug, Clone)]
pub struct PastInvoice {
    /// Its id.
    pub id: InvoiceId,
    /// Its customer.
    pub customer: CustomerId,
    /// The customer's zone, to read dates in.
    pub time_zone: TimeZone,
    /// Issue date.
    pub issued_on: Date,
    /// Due date.
    pub due_on: Date,
    /// Total, in minor units.
    pub amount_minor: i64,
    /// The local date it was fully paid, if it was.
    pub paid_on: Option<Date>,
}

/// What the backtest measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Backtest {
    /// Invoices issued before this date were learned from; the rest scored.
    pub split: Date,
    /// Examples the model learned from.
    pub trained_examples: u64,
    /// The model's averaged weights, by feature name.
    pub weights: Vec<(String, f64)>,
    /// The model's scores on the test decisions.
    pub model: Scores,
    /// The naive baseline's (one minus the customer's past late ratio).
    pub baseline: Scores,
}

struct Facts<'a>(&'a HashMap<InvoiceId, &'a PastInvoice>, &'a HashMap<CustomerId, TimeZone>);

impl PredictFacts for Facts<'_> {
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo> {
        self.0.get(id).map(|i| InvoiceInfo {
            customer: i.customer.clone(),
            issued_on: i.issued_on,
            due_on: i.due_on,
            amount_minor: i.amount_minor,
            time_zone: i.time_zone.clone(),
        })
    }

    fn zone(&self, customer: &CustomerId) -> Option<TimeZone> {
        self.1.get(customer).cloned()
    }
}

/// Replays `history` in time order — each invoice issued at 09:00 local on
/// its issue date, paid at 00:00 local on its payment date — learning only
/// from invoices issued before `split`. Every invoice issued on or after
/// `split` is scored at 09:00 local on each of [`DECISION_DAYS`] at which
/// it is still unpaid, and only up to `data_end` (its outcome must be
/// known); the label is true when it was paid within [`WINDOW_DAYS`] days
/// after that day. `None` when no decision was scored.
pub fn backtest(history: &[PastInvoice], split: Date, data_end: Date) -> Option<Backtest> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Step {
        Pay,
        Issue,
        Score,
    }
    let mut timeline: Vec<(Timestamp, Step, usize, i32)> = Vec::new();
    for (i, inv) in history.iter().enumerate() {
        timeline.push((time::local_instant(inv.issued_on, 9, &inv.time_zone), Step::Issue, i, 0));
        if let Some(paid_on) = inv.paid_on {
            timeline.push((time::local_instant(paid_on, 0, &inv.time_zone), Step::Pay, i, 0));
        }
        if inv.issued_on < split {
            continue;
        }
        for point in DECISION_DAYS {
            let on = inv.due_on.checked_add(point.days()).ok()?;
            let unpaid = inv.paid_on.is_none_or(|p| p > on);
            let known = on.checked_add(WINDOW_DAYS.days()).ok()? <= data_end;
            if unpaid && known && on >= inv.issued_on {
                timeline.push((time::local_instant(on, 9, &inv.time_zone), Step::Score, i, point));
            }
        }
    }
    timeline.sort_by(|a, b| (a.0, &a.1, a.2, a.3).cmp(&(b.0, &b.1, b.2, b.3)));

    let by_id: HashMap<InvoiceId, &PastInvoice> = history.iter().map(|i| (i.id.clone(), i)).collect();
    let zones: HashMap<CustomerId, TimeZone> =
        history.iter().map(|i| (i.customer.clone(), i.time_zone.clone())).collect();
    let facts = Facts(&by_id, &zones);
    let tenant = TenantId::new("backtest").ok()?;
    let mut predictor = Predictor::new();
    predictor.learn_only_before(split);
    let (mut model, mut baseline) = (Vec::new(), Vec::new());
    for (seq, (at, step, i, point)) in timeline.into_iter().enumerate() {
        let inv = &history[i];
        let kind = match step {
            Step::Issue => EventKind::InvoiceUpserted { invoice: inv.id.clone() },
            Step::Pay => {
                EventKind::PaymentRecorded { invoice: inv.id.clone(), amount_minor: inv.amount_minor, settled: true }
            }
            Step::Score => {
                predictor.advance(at);
                let on = time::local_date(at, &inv.time_zone);
                let decision = Decision { due_on: inv.due_on, amount_minor: inv.amount_minor, on };
                let label = inv.paid_on.is_some_and(|p| p <= on.checked_add(WINDOW_DAYS.days()).unwrap_or(on));
                let (p, base) = predictor.score(&inv.customer, &decision, at);
                debug_assert_eq!(decision.days_overdue(), point);
                model.push((p, label));
                baseline.push((base, label));
                continue;
            }
        };
        predictor.apply(&Event { seq: seq as u64, tenant: tenant.clone(), at, kind }, &facts);
    }
    Some(Backtest {
        split,
        trained_examples: predictor.examples(),
        weights: NAMES.iter().zip(predictor.model().weights()).map(|(n, w)| (n.to_string(), w)).collect(),
        model: Scores::of(&model)?,
        baseline: Scores::of(&baseline)?,
    })
}

impl fmt::Display for Backtest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "train: invoices issued before {}; {} examples learned", self.split, self.trained_examples)?;
        writeln!(
            f,
            "test: {} decisions about invoices issued from {} on; {:.1}% paid within {WINDOW_DAYS} days",
            self.model.count,
            self.split,
            self.model.base_rate * 100.0
        )?;
        writeln!(f)?;
        writeln!(f, "| | AUC | Brier | ECE |")?;
        writeln!(f, "| --- | --- | --- | --- |")?;
        for (name, s) in
            [("model (logistic regression)", &self.model), ("baseline (1 − past late ratio)", &self.baseline)]
        {
            writeln!(f, "| {name} | {:.3} | {:.3} | {:.3} |", s.auc, s.brier, s.ece)?;
        }
        writeln!(f)?;
        writeln!(f, "Reliability by decile of prediction (mean predicted / observed, n):")?;
        writeln!(f)?;
        writeln!(f, "| decile | model | baseline |")?;
        writeln!(f, "| --- | --- | --- |")?;
        for (i, (m, b)) in self.model.deciles.iter().zip(&self.baseline.deciles).enumerate() {
            writeln!(
                f,
                "| {} | {:.3} / {:.3} ({}) | {:.3} / {:.3} ({}) |",
                i + 1,
                m.predicted,
                m.observed,
                m.count,
                b.predicted,
                b.observed,
                b.count
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Weights (averaged):")?;
        writeln!(f)?;
        for (name, w) in &self.weights {
            writeln!(f, "- {name}: {w:+.3}")?;
        }
        Ok(())
    }
}
