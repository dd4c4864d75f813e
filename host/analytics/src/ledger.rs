//! The ledger: what the event log says about each notice, invoice and
//! customer of one tenant, folded in one event at a time.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};
use nudge_core::{Channel, CustomerId, EngagementKind, Event, EventKind, InvoiceId, NoticeId, Tone, time};

use crate::applied::Applied;

/// How long after a notice an opt-out, a complaint or feedback without a
/// notice id is still put down to that notice.
pub const ATTRIBUTION_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// How far behind the highest sequence number seen the ledger still accepts
/// events it has not applied. Sequence numbers are handed out when a
/// transaction starts, so a transaction can commit after one with a higher
/// number; [`Ledger::resume_from`] re-reads this far back, and applied
/// numbers are remembered so nothing is counted twice.
pub const REORDER_WINDOW: u64 = 4096;

/// What the ledger needs to know that the event log does not say: the
/// invoice and notice records, read from the store.
pub trait Facts {
    /// The invoice's customer, dates and amount.
    fn invoice(&self, id: &InvoiceId) -> Option<InvoiceInfo>;
    /// The notice for `step` of `invoice`: segment, tone, experiment arms.
    fn notice(&self, invoice: &InvoiceId, step: &str) -> Option<NoticeInfo>;
}

/// An invoice, as the ledger needs it.
#[derive(Debug, Clone)]
pub struct InvoiceInfo {
    /// Who owes it.
    pub customer: CustomerId,
    /// Calendar date of issue.
    pub issued_on: Date,
    /// Calendar date payment is due, in the customer's zone.
    pub due_on: Date,
    /// The total, in minor units.
    pub amount_minor: i64,
    /// The customer's time zone, to read payment dates in.
    pub time_zone: TimeZone,
}

/// A notice, as the ledger needs it.
#[derive(Debug, Clone)]
pub struct NoticeInfo {
    /// Who it went to.
    pub customer: CustomerId,
    /// The segment the policy put the customer in.
    pub segment: String,
    /// The tone.
    pub tone: Tone,
    /// The experiment arms the customer was in: (experiment, arm).
    pub arms: Vec<(String, String)>,
}

/// One notice that was sent or failed on every channel.
#[derive(Debug, Clone)]
pub(crate) struct NoticeFact {
    pub invoice: InvoiceId,
    pub customer: CustomerId,
    pub step: String,
    pub segment: String,
    pub tone: Tone,
    pub channel: Channel,
    pub arms: Vec<(String, String)>,
    pub at: Timestamp,
    pub sent: bool,
    pub failed: bool,
    pub delivered: bool,
    pub opened: bool,
    pub clicked_at: Option<Timestamp>,
    pub bounced: bool,
    pub negative: bool,
    pub opted_out: bool,
}

/// One invoice.
#[derive(Debug, Clone)]
pub(crate) struct InvoiceFact {
    pub issued_on: Date,
    pub due_on: Date,
    pub amount_minor: i64,
    pub time_zone: TimeZone,
    /// When the payment that settled it arrived.
    pub paid_at: Option<Timestamp>,
    /// The first notice sent for it.
    pub first_notice: Option<NoticeId>,
    /// Notices sent for it.
    pub sent: u32,
    /// The experiment arms of its sent notices.
    pub arms: Vec<(String, String)>,
}

impl InvoiceFact {
    /// The calendar date of payment in the customer's zone.
    pub fn paid_on(&self) -> Option<Date> {
        self.paid_at.map(|at| time::local_date(at, &self.time_zone))
    }
}

/// One customer.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomerFact {
    /// Issue dates of the customer's invoices, sorted.
    pub issued: Vec<Date>,
    /// The customer's first notice.
    pub first_notice: Option<NoticeId>,
    /// The customer's latest notice and when it went out.
    pub last_notice: Option<(NoticeId, Timestamp)>,
}

/// Everything folded from one tenant's event log so far. Apply events in
/// sequence order with [`Ledger::apply`]; read figures with
/// [`Ledger::report`](crate::Ledger::report).
#[derive(Debug, Default)]
pub struct Ledger {
    pub(crate) notices: HashMap<NoticeId, NoticeFact>,
    pub(crate) invoices: HashMap<InvoiceId, InvoiceFact>,
    pub(crate) customers: HashMap<CustomerId, CustomerFact>,
    /// Incidents by kind.
    pub(crate) incidents: BTreeMap<String, u64>,
    /// Incidents by month (`YYYY-MM`, UTC).
    pub(crate) incidents_by_month: BTreeMap<String, u64>,
    /// The time of the latest event.
    pub(crate) as_of: Option<Timestamp>,
    /// Events applied.
    pub(crate) events: u64,
    /// Sequence numbers applied, within [`REORDER_WINDOW`] of the highest.
    applied: Applied<REORDER_WINDOW>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events applied so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The first sequence number to read from the log to bring the ledger
    /// up to date: [`REORDER_WINDOW`] behind the highest applied, so an
    /// event that committed late is not missed. Events already applied are
    /// skipped by [`Ledger::apply`].
    pub fn resume_from(&self) -> u64 {
        self.applied.resume_from()
    }

    /// Folds in one event. Returns false, changing nothing, when the event
    /// was applied before (or is too far behind to tell).
    pub fn apply(&mut self, event: &Event, facts: &impl Facts) -> bool {
        if !self.applied.claim(event.seq) {
            return false;
        }
        self.events += 1;
        self.as_of = Some(self.as_of.map_or(event.at, |t| t.max(event.at)));
        let at = event.at;
        match &event.kind {
            EventKind::InvoiceUpserted { invoice } => self.invoice_upserted(invoice, facts),
            EventKind::PaymentRecorded { invoice, settled: true, .. } => {
                if let Some(fact) = self.invoices.get_mut(invoice) {
                    fact.paid_at.get_or_insert(at);
                }
            }
            EventKind::NoticeSent { notice, invoice, step, channel } => {
                self.notice_done(notice, invoice, step, Some(*channel), at, facts);
            }
            EventKind::NoticeFailed { notice, invoice, .. } => {
                // The step is in the notice id's derivation only; find it
                // from the scheduled notice we may know, else skip.
                if let Some(step) = self.notices.get(notice).map(|n| n.step.clone()) {
                    self.notice_done(notice, invoice, &step, None, at, facts);
                }
            }
            // Remember the step, so a failure can be attributed later.
            EventKind::NoticeScheduled { notice, invoice, step, .. } if !self.notices.contains_key(notice) => {
                if let Some(info) = facts.notice(invoice, step) {
                    self.notices.insert(notice.clone(), fact(invoice, step, info, Channel::Email, at));
                }
            }
            EventKind::Engagement { customer, notice, kind, negative, .. } => {
                self.engagement(customer, notice.as_ref(), *kind, *negative, at);
            }
            EventKind::OptedOut { customer, .. } => {
                self.engagement(customer, None, EngagementKind::OptOut, false, at);
            }
            EventKind::Incident { kind, .. } => {
                *self.incidents.entry(kind.as_str().to_string()).or_default() += 1;
                *self.incidents_by_month.entry(month(at)).or_default() += 1;
            }
            _ => {}
        }
        true
    }

    fn invoice_upserted(&mut self, id: &InvoiceId, facts: &impl Facts) {
        let Some(info) = facts.invoice(id) else { return };
        let customer = self.customers.entry(info.customer.clone()).or_default();
        match self.invoices.get_mut(id) {
            Some(fact) => {
                fact.due_on = info.due_on;
                fact.amount_minor = info.amount_minor;
                fact.time_zone = info.time_zone;
            }
            None => {
                let pos = customer.issued.partition_point(|d| *d <= info.issued_on);
                customer.issued.insert(pos, info.issued_on);
                self.invoices.insert(
                    id.clone(),
                    InvoiceFact {
                        issued_on: info.issued_on,
                        due_on: info.due_on,
                        amount_minor: info.amount_minor,
                        time_zone: info.time_zone,
                        paid_at: None,
                        first_notice: None,
                        sent: 0,
                        arms: Vec::new(),
                    },
                );
            }
        }
    }

    /// A notice was sent on `channel`, or failed (`None`).
    fn notice_done(
        &mut self,
        id: &NoticeId,
        invoice: &InvoiceId,
        step: &str,
        channel: Option<Channel>,
        at: Timestamp,
        facts: &impl Facts,
    ) {
        if !self.notices.contains_key(id) {
            let Some(info) = facts.notice(invoice, step) else { return };
            self.notices.insert(id.clone(), fact(invoice, step, info, channel.unwrap_or(Channel::Email), at));
        }
        let Some(notice) = self.notices.get_mut(id) else { return };
        if notice.sent {
            return;
        }
        notice.at = at;
        let Some(channel) = channel else {
            // Failed on every channel: counted as attempted, not sent.
            notice.failed = true;
            return;
        };
        notice.sent = true;
        notice.failed = false;
        notice.channel = channel;
        let customer = notice.customer.clone();
        if let Some(inv) = self.invoices.get_mut(invoice) {
            inv.sent += 1;
            inv.first_notice.get_or_insert_with(|| id.clone());
            for arm in &notice.arms {
                if !inv.arms.contains(arm) {
                    inv.arms.push(arm.clone());
                }
            }
        }
        let c = self.customers.entry(customer).or_default();
        c.first_notice.get_or_insert_with(|| id.clone());
        c.last_notice = Some((id.clone(), at));
    }

    fn engagement(
        &mut self,
        customer: &CustomerId,
        notice: Option<&NoticeId>,
        kind: EngagementKind,
        negative: bool,
        at: Timestamp,
    ) {
        let target = match notice {
            Some(id) => Some(id.clone()),
            // Without a notice id: the customer's latest notice, if recent.
            None => self
                .customers
                .get(customer)
                .and_then(|c| c.last_notice.clone())
                .filter(|(_, sent)| at.duration_since(*sent) <= ATTRIBUTION_WINDOW)
                .map(|(id, _)| id),
        };
        let Some(n) = target.and_then(|id| self.notices.get_mut(&id)) else { return };
        match kind {
            EngagementKind::Delivered => n.delivered = true,
            EngagementKind::Opened => n.opened = true,
            EngagementKind::Clicked => {
                n.opened = true;
                n.clicked_at.get_or_insert(at);
            }
            EngagementKind::Bounced => n.bounced = true,
            EngagementKind::Complained => n.negative = true,
            EngagementKind::Feedback => n.negative |= negative,
            EngagementKind::OptOut => n.opted_out = true,
        }
    }
}

fn fact(invoice: &InvoiceId, step: &str, info: NoticeInfo, channel: Channel, at: Timestamp) -> NoticeFact {
    NoticeFact {
        invoice: invoice.clone(),
        customer: info.customer,
        step: step.to_string(),
        segment: info.segment,
        tone: info.tone,
        channel,
        arms: info.arms,
        at,
        sent: false,
        failed: false,
        delivered: false,
        opened: false,
        clicked_at: None,
        bounced: false,
        negative: false,
        opted_out: false,
    }
}

/// `YYYY-MM` of an instant, in UTC.
pub(crate) fn month(at: Timestamp) -> String {
    let d = at.to_zoned(TimeZone::UTC).date();
    format!("{:04}-{:02}", d.year(), d.month())
}
