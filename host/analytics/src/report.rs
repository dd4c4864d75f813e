//! Figures read off a [`Ledger`]: KPIs overall and by slice, experiment
//! verdicts, payment curves and incidents. Definitions are in the crate docs.

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap, HashSet},
};

use jiff::{SignedDuration, Timestamp, ToSpan, civil::Date};
use serde::Serialize;

use crate::{
    Ledger,
    ledger::{InvoiceFact, NoticeFact},
    stats::{Ratio, two_proportion_test},
};

/// How long after its first notice an invoice counts as "paid within 7 days".
pub const PAID_WITHIN: SignedDuration = SignedDuration::from_hours(7 * 24);
/// How long after a customer's last notice they must get a new invoice not to count as churned.
pub const CHURN_AFTER_DAYS: i64 = 90;
/// Days since due covered by the payment curves: from `CURVE_FIRST_DAY` to `CURVE_LAST_DAY`.
pub const CURVE_FIRST_DAY: i32 = -30;
/// The last day of the payment curves.
pub const CURVE_LAST_DAY: i32 = 90;
/// Fewest invoices with a notice an arm needs before the report draws a conclusion.
pub const MIN_INVOICES_PER_ARM: u64 = 30;
/// Fewest paid, and fewest unpaid, invoices an arm needs (the normal
/// approximation behind the test is poor below this).
pub const MIN_OUTCOMES_PER_ARM: u64 = 5;
/// Significance level of the experiment verdicts, before the Bonferroni
/// correction for several arms against one control.
pub const ALPHA: f64 = 0.05;

/// The KPIs of one slice. Rates are [`Ratio`]s, so the counts behind each
/// share are in the report too; a rate with no denominator has no value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    /// Notices handed to a channel.
    pub notices_sent: u64,
    /// Sent and not bounced, of notices attempted (sent, or failed on every channel).
    pub delivery_rate: Ratio,
    /// Opened (or clicked), of notices sent.
    pub open_rate: Ratio,
    /// Invoices paid within 7 days after the click, of notices whose payment link was clicked.
    pub click_to_pay_rate: Ratio,
    /// Invoices paid within 7 days of their first notice, of invoices with a notice.
    pub paid_within_7d_of_first_notice: Ratio,
    /// Notices with negative feedback or a complaint, of notices sent.
    pub negative_feedback_rate: Ratio,
    /// Notices followed by the customer's opt-out within 7 days, of notices sent.
    pub opt_out_rate: Ratio,
    /// Customers with no new invoice within 90 days of their last notice, of
    /// customers whose last notice is at least 90 days old.
    pub churn_after_notice: Ratio,
    /// Invoices fully paid.
    pub invoices_paid: u64,
    /// Notices sent for paid invoices, per paid invoice.
    pub notices_per_paid_invoice: Option<f64>,
    /// Days sales outstanding: days from issue to full payment, weighted by amount, over paid invoices.
    pub dso_days: Option<f64>,
    /// Mean days paid after the due date (0 for on time), over paid invoices.
    pub avg_days_late: Option<f64>,
}

/// What the report compares within one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentReport {
    /// The experiment's name.
    pub name: String,
    /// The arm the others are compared with.
    pub control: String,
    /// Every arm, the control first.
    pub arms: Vec<ArmReport>,
    /// True when the sample is large enough for the verdict to mean something.
    pub conclusive: bool,
    /// The verdict in plain words.
    pub verdict: String,
}

/// One arm of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmReport {
    /// The arm's name.
    pub arm: String,
    /// Customers who got at least one notice in this arm.
    pub customers: u64,
    /// The arm's KPIs (invoices attributed by their first notice).
    pub kpis: Kpis,
    /// 95% Wilson interval of `paid_within_7d_of_first_notice`.
    pub ci95: Option<(f64, f64)>,
    /// Against the control, for the other arms.
    pub vs_control: Option<Comparison>,
}

/// One arm against the control, on paid within 7 days of the first notice.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// This arm's share minus the control's.
    pub difference: f64,
    /// The pooled two-proportion z statistic.
    pub z: f64,
    /// Its two-sided p-value (uncorrected).
    pub p_value: f64,
}

/// The share of invoices paid by each day since their due date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// The cohort (`YYYY-MM` of issue) or `experiment=arm`.
    pub label: String,
    /// Invoices in it.
    pub invoices: u64,
    /// The day since due of `paid[0]`.
    pub first_day: i32,
    /// `paid[i]`: share paid by the end of day `first_day + i` after the due date.
    pub paid: Vec<f64>,
}

/// Everything the analytics report says about one tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The time of the latest event folded in.
    pub as_of: Option<Timestamp>,
    /// Events folded in.
    pub events: u64,
    /// Invoices known.
    pub invoices: u64,
    /// KPIs over everything.
    pub totals: Kpis,
    /// KPIs by dimension (`segment`, `tone`, `channel`, `step`, `arm`,
    /// `cohort`), then by value.
    pub slices: BTreeMap<String, BTreeMap<String, Kpis>>,
    /// Per experiment, per arm, with a verdict.
    pub experiments: Vec<ExperimentReport>,
    /// Payment curves by invoice cohort.
    pub cohort_curves: Vec<Curve>,
    /// Payment curves by experiment arm.
    pub arm_curves: Vec<Curve>,
    /// Plugin incidents by kind.
    pub incidents_by_kind: BTreeMap<String, u64>,
    /// Plugin incidents by month.
    pub incidents_by_month: BTreeMap<String, u64>,
}

/// The dimensions a report slices by, in display order.
pub const DIMENSIONS: [&str; 6] = ["segment", "tone", "channel", "step", "arm", "cohort"];

/// Running sums behind one [`Kpis`].
#[derive(Debug, Clone, Default)]
struct Acc {
    kpis: Kpis,
    notices_on_paid: u64,
    dso_weighted: f64,
    dso_weight: f64,
    late_days: i64,
}

impl Acc {
    fn notice(&mut self, n: &NoticeFact, invoice: Option<&InvoiceFact>) {
        if !(n.sent || n.failed) {
            return;
        }
        let k = &mut self.kpis;
        k.delivery_rate.add(n.sent && !n.bounced);
        if !n.sent {
            return;
        }
        k.notices_sent += 1;
        k.open_rate.add(n.opened);
        k.negative_feedback_rate.add(n.negative);
        k.opt_out_rate.add(n.opted_out);
        if let Some(clicked) = n.clicked_at {
            let paid = invoice
                .and_then(|i| i.paid_at)
                .is_some_and(|p| p >= clicked && p.duration_since(clicked) <= PAID_WITHIN);
            k.click_to_pay_rate.add(paid);
        }
    }

    fn invoice(&mut self, i: &InvoiceFact, first_notice: Option<&NoticeFact>) {
        if let Some(first) = first_notice {
            let paid = i.paid_at.is_some_and(|p| p.duration_since(first.at) <= PAID_WITHIN);
            self.kpis.paid_within_7d_of_first_notice.add(paid);
        }
        if let Some(paid_on) = i.paid_on() {
            self.kpis.invoices_paid += 1;
            self.notices_on_paid += u64::from(i.sent);
            let outstanding = days(i.issued_on, paid_on).max(0) as f64;
            let weight = (i.amount_minor.max(0) as f64).max(1.0);
            self.dso_weighted += outstanding * weight;
            self.dso_weight += weight;
            self.late_days += days(i.due_on, paid_on).max(0);
        }
    }

    fn customer(&mut self, churned: Option<bool>) {
        if let Some(churned) = churned {
            self.kpis.churn_after_notice.add(churned);
        }
    }

    fn finish(mut self) -> Kpis {
        let paid = self.kpis.invoices_paid;
        if paid > 0 {
            self.kpis.notices_per_paid_invoice = Some(self.notices_on_paid as f64 / paid as f64);
            self.kpis.avg_days_late = Some(self.late_days as f64 / paid as f64);
        }
        if self.dso_weight > 0.0 {
            self.kpis.dso_days = Some(self.dso_weighted / self.dso_weight);
        }
        self.kpis
    }
}

fn days(from: Date, to: Date) -> i64 {
    i64::from((to - from).get_days())
}

/// A slice key: the dimension and its value, borrowed from the facts where
/// it can be, so a report allocates per slice, not per notice.
type Key<'a> = (&'static str, Cow<'a, str>);

/// A notice's segment, tone, channel and step.
fn plain_keys(n: &NoticeFact) -> [Key<'_>; 4] {
    [
        ("segment", Cow::Borrowed(n.segment.as_str())),
        ("tone", Cow::Borrowed(n.tone.as_str())),
        ("channel", Cow::Borrowed(n.channel.as_str())),
        ("step", Cow::Borrowed(n.step.as_str())),
    ]
}

/// The experiment arms, as `experiment=arm`.
fn arm_keys(arms: &[(String, String)]) -> impl Iterator<Item = Key<'_>> {
    arms.iter().map(|(e, a)| ("arm", Cow::Owned(format!("{e}={a}"))))
}

/// An invoice cohort (issue month) as a number pair, named at the end.
type Month = (i16, i8);

fn month_of(date: Date) -> Month {
    (date.year(), date.month())
}

fn month_name((year, month): Month) -> String {
    format!("{year:04}-{month:02}")
}

/// The declared order of an experiment's arms, where the tenant or the
/// plugin gave one: (experiment, arms). The first arm is the control
/// unless an arm is named `control`.
pub type ArmOrder = [(String, Vec<String>)];

impl Ledger {
    /// The report on everything folded in so far. `arm_order` names the
    /// control of each experiment (see [`ArmOrder`]); experiments missing
    /// from it take `control` if such an arm exists, else the first arm by name.
    pub fn report(&self, arm_order: &ArmOrder) -> Report {
        let mut totals = Acc::default();
        let mut slices: HashMap<Key<'_>, Acc> = HashMap::new();
        let mut cohorts: HashMap<Month, Acc> = HashMap::new();

        for n in self.notices.values() {
            let invoice = self.invoices.get(&n.invoice);
            totals.notice(n, invoice);
            for key in plain_keys(n).into_iter().chain(arm_keys(&n.arms)) {
                slices.entry(key).or_default().notice(n, invoice);
            }
            if let Some(i) = invoice {
                cohorts.entry(month_of(i.issued_on)).or_default().notice(n, invoice);
            }
        }
        for i in self.invoices.values() {
            let first = i.first_notice.as_ref().and_then(|id| self.notices.get(id));
            totals.invoice(i, first);
            // Invoices belong to the slices of their first notice, to the
            // arms of any of their notices, and to their cohort.
            for key in first.map(plain_keys).into_iter().flatten().chain(arm_keys(&i.arms)) {
                slices.entry(key).or_default().invoice(i, first);
            }
            cohorts.entry(month_of(i.issued_on)).or_default().invoice(i, first);
        }
        let as_of = self.as_of;
        for c in self.customers.values() {
            let Some((last_id, last_at)) = &c.last_notice else { continue };
            let churned = as_of.and_then(|now| {
                let last_day = last_at.to_zoned(jiff::tz::TimeZone::UTC).date();
                let horizon = last_day.checked_add(CHURN_AFTER_DAYS.days()).ok()?;
                let now_day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
                (now_day >= horizon).then(|| !c.issued.iter().any(|d| *d > last_day && *d <= horizon))
            });
            totals.customer(churned);
            let first = c.first_notice.as_ref().and_then(|id| self.notices.get(id));
            if let Some(first) = first.or_else(|| self.notices.get(last_id)) {
                for key in plain_keys(first).into_iter().chain(arm_keys(&first.arms)) {
                    slices.entry(key).or_default().customer(churned);
                }
                let utc = first.at.to_zoned(jiff::tz::TimeZone::UTC).date();
                cohorts.entry(month_of(utc)).or_default().customer(churned);
            }
        }

        let mut sliced: BTreeMap<String, BTreeMap<String, Kpis>> = BTreeMap::new();
        for ((dimension, value), acc) in slices {
            sliced.entry(dimension.to_string()).or_default().insert(value.into_owned(), acc.finish());
        }
        for (cohort, acc) in cohorts {
            sliced.entry("cohort".to_string()).or_default().insert(month_name(cohort), acc.finish());
        }
        let experiments = self.experiments(sliced.get("arm"), arm_order);
        Report {
            as_of,
            events: self.events,
            invoices: self.invoices.len() as u64,
            totals: totals.finish(),
            slices: sliced,
            experiments,
            cohort_curves: self.cohort_curves(),
            arm_curves: self.arm_curves(),
            incidents_by_kind: self.incidents.clone(),
            incidents_by_month: self.incidents_by_month.clone(),
        }
    }

    fn experiments(&self, by_arm: Option<&BTreeMap<String, Kpis>>, arm_order: &ArmOrder) -> Vec<ExperimentReport> {
        let Some(by_arm) = by_arm else { return Vec::new() };
        // Customers per arm.
        let mut customers: HashMap<&str, HashSet<&str>> = HashMap::new();
        for n in self.notices.values().filter(|n| n.sent) {
            for (e, a) in &n.arms {
                let key = by_arm.get_key_value(&format!("{e}={a}")).map(|(k, _)| k.as_str());
                if let Some(key) = key {
                    customers.entry(key).or_default().insert(n.customer.as_str());
                }
            }
        }
        let mut experiments: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for key in by_arm.keys() {
            if let Some((e, a)) = key.split_once('=') {
                experiments.entry(e).or_default().push(a);
            }
        }
        experiments
            .into_iter()
            .map(|(name, mut arms)| {
                let declared = arm_order.iter().find(|(e, _)| e == name).map(|(_, arms)| arms);
                let control = if arms.contains(&"control") {
                    "control".to_string()
                } else if let Some(first) = declared.and_then(|d| d.iter().find(|a| arms.contains(&a.as_str()))) {
                    first.clone()
                } else {
                    arms[0].to_string()
                };
                arms.sort_by_key(|a| (*a != control, declared.and_then(|d| d.iter().position(|x| x == a)), *a));
                let kpis = |arm: &str| by_arm.get(&format!("{name}={arm}")).cloned().unwrap_or_default();
                let control_kpis = kpis(&control);
                let reports: Vec<ArmReport> = arms
                    .iter()
                    .map(|arm| {
                        let k = kpis(arm);
                        let outcome = k.paid_within_7d_of_first_notice;
                        let vs_control = (*arm != control)
                            .then(|| two_proportion_test(outcome, control_kpis.paid_within_7d_of_first_notice))
                            .flatten()
                            .map(|(z, p_value)| Comparison {
                                difference: outcome.value().unwrap_or(0.0)
                                    - control_kpis.paid_within_7d_of_first_notice.value().unwrap_or(0.0),
                                z,
                                p_value,
                            });
                        ArmReport {
                            arm: arm.to_string(),
                            customers: customers.get(format!("{name}={arm}").as_str()).map_or(0, |c| c.len() as u64),
                            ci95: outcome.wilson95(),
                            kpis: k,
                            vs_control,
                        }
                    })
                    .collect();
                let (conclusive, verdict) = verdict(&reports);
                ExperimentReport { name: name.to_string(), control, arms: reports, conclusive, verdict }
            })
            .collect()
    }

    fn curve(&self, label: String, invoices: &[&InvoiceFact]) -> Curve {
        let width = (CURVE_LAST_DAY - CURVE_FIRST_DAY + 1) as usize;
        let mut paid_on_day = vec![0u64; width];
        for i in invoices {
            if let Some(paid_on) = i.paid_on() {
                let day = days(i.due_on, paid_on).clamp(i64::from(CURVE_FIRST_DAY) - 1, i64::from(CURVE_LAST_DAY) + 1);
                if day <= i64::from(CURVE_LAST_DAY) {
                    let index = (day - i64::from(CURVE_FIRST_DAY)).max(0) as usize;
                    paid_on_day[index] += 1;
                }
            }
        }
        let n = invoices.len() as f64;
        let mut running = 0u64;
        let paid = paid_on_day
            .iter()
            .map(|count| {
                running += count;
                if n > 0.0 { running as f64 / n } else { 0.0 }
            })
            .collect();
        Curve { label, invoices: invoices.len() as u64, first_day: CURVE_FIRST_DAY, paid }
    }

    fn cohort_curves(&self) -> Vec<Curve> {
        let mut by_cohort: BTreeMap<Month, Vec<&InvoiceFact>> = BTreeMap::new();
        for i in self.invoices.values() {
            by_cohort.entry(month_of(i.issued_on)).or_default().push(i);
        }
        by_cohort.into_iter().map(|(cohort, invoices)| self.curve(month_name(cohort), &invoices)).collect()
    }

    fn arm_curves(&self) -> Vec<Curve> {
        let mut by_arm: BTreeMap<String, Vec<&InvoiceFact>> = BTreeMap::new();
        for i in self.invoices.values() {
            for (e, a) in &i.arms {
                by_arm.entry(format!("{e}={a}")).or_default().push(i);
            }
        }
        by_arm.into_iter().map(|(label, invoices)| self.curve(label, &invoices)).collect()
    }
}

/// The verdict on an experiment's arms (control first).
fn verdict(arms: &[ArmReport]) -> (bool, String) {
    let pct = |r: Ratio| r.value().map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    if arms.len() < 2 {
        return (false, "only one arm has notices so far: nothing to compare".into());
    }
    let small: Vec<String> = arms
        .iter()
        .filter(|a| {
            let r = a.kpis.paid_within_7d_of_first_notice;
            r.denominator < MIN_INVOICES_PER_ARM
                || r.numerator < MIN_OUTCOMES_PER_ARM
                || r.denominator - r.numerator < MIN_OUTCOMES_PER_ARM
        })
        .map(|a| {
            let r = a.kpis.paid_within_7d_of_first_notice;
            format!("`{}` ({} invoices, {} paid within 7 days)", a.arm, r.denominator, r.numerator)
        })
        .collect();
    if !small.is_empty() {
        return (
            false,
            format!(
                "too small to conclude: {} — each arm needs at least {MIN_INVOICES_PER_ARM} invoices with a notice, \
                 {MIN_OUTCOMES_PER_ARM} of them paid within 7 days and {MIN_OUTCOMES_PER_ARM} not",
                small.join(", ")
            ),
        );
    }
    let control = &arms[0];
    let threshold = ALPHA / (arms.len() - 1) as f64;
    let parts: Vec<String> = arms[1..]
        .iter()
        .map(|a| {
            let (mine, theirs) = (a.kpis.paid_within_7d_of_first_notice, control.kpis.paid_within_7d_of_first_notice);
            match a.vs_control {
                Some(c) if c.p_value < threshold => format!(
                    "`{}` is paid within 7 days {} often than `{}`: {} vs {} (p = {:.4})",
                    a.arm,
                    if c.difference > 0.0 { "more" } else { "less" },
                    control.arm,
                    pct(mine),
                    pct(theirs),
                    c.p_value
                ),
                Some(c) => format!(
                    "no significant difference between `{}` and `{}`: {} vs {} (p = {:.4})",
                    a.arm,
                    control.arm,
                    pct(mine),
                    pct(theirs),
                    c.p_value
                ),
                None => {
                    format!("`{}` and `{}` cannot be told apart: {} vs {}", a.arm, control.arm, pct(mine), pct(theirs))
                }
            }
        })
        .collect();
    (true, parts.join("; "))
}
