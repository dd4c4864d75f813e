//! The summary of what nudge did for a tenant, read back from the store.
//!
//! The safety figures (`sent_after_payment`, `sent_in_quiet_hours`,
//! `duplicate_step_notices`, `frequency_cap_violations`) are computed from the event log, independently
//! of the code paths that are meant to prevent them.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use nudge_core::{CustomerId, EventKind, InvoiceId, Notice, NoticeId, NoticeState, TenantId, time};
use serde::Serialize;

use crate::{Result, Scheduler};

/// What happened, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Invoices held for the tenant.
    pub invoices: usize,
    /// Customers held for the tenant.
    pub customers: usize,
    /// Notices handed to a channel.
    pub notices_sent: usize,
    /// Messages delivered: a combined message carries several notices.
    pub messages_sent: usize,
    /// Notices carried in another invoice's message (due together).
    pub combined_notices: usize,
    /// Times a due notice was held back by the customer's frequency caps.
    pub held_by_frequency_cap: usize,
    /// Messages beyond the customer's caps in a day or a week (must be 0).
    pub frequency_cap_violations: usize,
    /// Sent notices by step.
    pub notices_by_step: BTreeMap<String, usize>,
    /// Sent notices by channel actually used.
    pub notices_by_channel: BTreeMap<String, usize>,
    /// Sent notices by tone.
    pub notices_by_tone: BTreeMap<String, usize>,
    /// Sent notices by segment.
    pub notices_by_segment: BTreeMap<String, usize>,
    /// Notices not sent because the invoice was paid by their send time.
    pub suppressed_by_payment: usize,
    /// Notices not sent for other reasons, by reason.
    pub suppressed_other: BTreeMap<String, usize>,
    /// Notices whose send time was moved out of the customer's quiet hours.
    pub moved_out_of_quiet_hours: usize,
    /// Notices sent at or after their invoice's payment (must be 0).
    pub sent_after_payment: usize,
    /// Notices sent inside the customer's quiet hours (must be 0).
    pub sent_in_quiet_hours: usize,
    /// Extra notices for an (invoice, step) pair already sent (must be 0).
    pub duplicate_step_notices: usize,
    /// Share of sent notices whose invoice was paid within 7 days after them.
    pub paid_within_7d_of_notice_rate: f64,
    /// Sent notices and their outcome by experiment arm, keyed
    /// `experiment=arm`; empty when the policy runs no experiment.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_arm: BTreeMap<String, ArmFigures>,
    /// Invoices paid.
    pub invoices_paid: usize,
    /// Invoices handed to support.
    pub escalated: usize,
    /// Invoices disputed (no reminders go out for them).
    pub disputed: usize,
    /// Plugin failures that fell back to the default policy.
    pub incidents: usize,
    /// Incidents by kind.
    pub incidents_by_kind: BTreeMap<String, usize>,
    /// Decisions taken (plugin or default policy).
    pub decisions: usize,
    /// Where the outbox is.
    pub outbox: String,
}

/// What the notices of one experiment arm achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArmFigures {
    /// Customers who got at least one notice in this arm.
    pub customers: usize,
    /// Notices handed to a channel.
    pub notices_sent: usize,
    /// Share of them whose invoice was paid within 7 days after them.
    pub paid_within_7d_of_notice_rate: f64,
}

impl Summary {
    /// The guardrail figures in one line; every one of them must be 0.
    pub fn guardrails(&self) -> String {
        format!(
            "guardrails: {} sent after payment, {} sent in quiet hours, {} duplicate step notices, {} over frequency caps",
            self.sent_after_payment,
            self.sent_in_quiet_hours,
            self.duplicate_step_notices,
            self.frequency_cap_violations
        )
    }
}

impl Scheduler {
    /// Summarises everything held for `tenant`.
    pub fn summary(&self, tenant: &TenantId) -> Result<Summary> {
        let store = &self.store;
        let tenant_rec = store.tenant(tenant)?.ok_or_else(|| crate::Error::UnknownTenant(tenant.clone()))?;
        let window = tenant_rec.settings.send_window;
        let invoices: HashMap<InvoiceId, _> = store.invoices(tenant)?.into_iter().map(|i| (i.id.clone(), i)).collect();
        let customers: HashMap<_, _> = store.customers(tenant)?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let mut s = Summary {
            invoices: invoices.len(),
            customers: customers.len(),
            outbox: self.outbox.dir().display().to_string(),
            ..Summary::default()
        };
        let notices = store.notices(tenant)?;
        let by_id: HashMap<&NoticeId, &Notice> = notices.iter().map(|n| (&n.id, n)).collect();
        // Per arm: customers reached, notices sent, of which paid within 7 days.
        let mut arms: BTreeMap<String, (HashSet<&CustomerId>, usize, usize)> = BTreeMap::new();
        let mut zones = HashMap::new();
        // Erased customers have no time zone any more; their sends in quiet
        // hours were counted at erasure and are added below.
        let mut erased = HashSet::new();
        for id in customers.keys() {
            if store.is_erased(tenant, id)? {
                erased.insert(id.clone());
            }
        }
        let mut sent_per_step: HashMap<(InvoiceId, String), usize> = HashMap::new();
        // Messages per customer: each sent notice, less those carried in another's message.
        let mut messages: HashMap<&CustomerId, Vec<Timestamp>> = HashMap::new();
        let mut carried: HashSet<NoticeId> = HashSet::new();
        let events = store.events(tenant)?;
        for event in &events {
            if let EventKind::NoticesCombined { combined, .. } = &event.kind {
                carried.extend(combined.iter().cloned());
            }
        }
        let mut paid_within_7d = 0usize;
        for event in events {
            match event.kind {
                EventKind::NoticeSent { notice, invoice, step, .. } => {
                    let Some(inv) = invoices.get(&invoice) else { continue };
                    if !carried.contains(&notice) {
                        messages.entry(&inv.customer).or_default().push(event.at);
                    }
                    if inv.paid_at.is_some_and(|paid| paid <= event.at) {
                        s.sent_after_payment += 1;
                    }
                    let paid_soon = inv
                        .paid_at
                        .is_some_and(|paid| paid > event.at && paid <= event.at + SignedDuration::from_hours(24 * 7));
                    if paid_soon {
                        paid_within_7d += 1;
                    }
                    if let Some(sent) = by_id.get(&notice) {
                        for (experiment, arm) in &sent.experiment_arms {
                            let figures = arms.entry(format!("{experiment}={arm}")).or_default();
                            figures.0.insert(&sent.customer);
                            figures.1 += 1;
                            figures.2 += usize::from(paid_soon);
                        }
                    }
                    if let Some(customer) = customers.get(&inv.customer).filter(|c| !erased.contains(&c.id)) {
                        let tz = zones
                            .entry(customer.time_zone.clone())
                            .or_insert_with(|| time::zone(&customer.time_zone).ok());
                        if tz.as_ref().is_none_or(|tz| !window.allows(event.at, tz)) {
                            s.sent_in_quiet_hours += 1;
                        }
                    }
                    *sent_per_step.entry((invoice, step)).or_default() += 1;
                }
                EventKind::NoticeScheduled { moved_from: Some(_), .. } => s.moved_out_of_quiet_hours += 1,
                EventKind::Decided { .. } => s.decisions += 1,
                EventKind::NoticeHeld { .. } => s.held_by_frequency_cap += 1,
                EventKind::Escalated { .. } => s.escalated += 1,
                _ => {}
            }
        }
        s.sent_in_quiet_hours += usize::try_from(store.erased_quiet_sends(tenant)?).unwrap_or(usize::MAX);
        s.duplicate_step_notices = sent_per_step.values().map(|n| n.saturating_sub(1)).sum();
        s.combined_notices = carried.len();
        let caps = tenant_rec.settings.frequency_caps;
        for times in messages.values_mut() {
            times.sort();
            s.messages_sent += times.len();
            s.frequency_cap_violations += over_cap(times, SignedDuration::from_hours(24), caps.per_day)
                + over_cap(times, SignedDuration::from_hours(24 * 7), caps.per_week);
        }
        s.by_arm = arms
            .into_iter()
            .map(|(arm, (customers, sent, paid))| {
                let rate = if sent == 0 { 0.0 } else { round3(paid as f64 / sent as f64) };
                let figures =
                    ArmFigures { customers: customers.len(), notices_sent: sent, paid_within_7d_of_notice_rate: rate };
                (arm, figures)
            })
            .collect();
        for notice in &notices {
            match &notice.state {
                NoticeState::Sent { channel, .. } => {
                    s.notices_sent += 1;
                    *s.notices_by_step.entry(notice.step.clone()).or_default() += 1;
                    *s.notices_by_channel.entry(channel.to_string()).or_default() += 1;
                    *s.notices_by_tone.entry(notice.tone.to_string()).or_default() += 1;
                    *s.notices_by_segment.entry(notice.segment.clone()).or_default() += 1;
                }
                NoticeState::Suppressed { reason, .. } if reason == "paid" => s.suppressed_by_payment += 1,
                NoticeState::Suppressed { reason, .. } => *s.suppressed_other.entry(reason.clone()).or_default() += 1,
                _ => {}
            }
        }
        s.paid_within_7d_of_notice_rate =
            if s.notices_sent == 0 { 0.0 } else { round3(paid_within_7d as f64 / s.notices_sent as f64) };
        s.invoices_paid = invoices.values().filter(|i| i.paid_at.is_some()).count();
        s.disputed = invoices.values().filter(|i| i.disputed).count();
        let incidents = store.incidents(tenant)?;
        s.incidents = incidents.len();
        for incident in incidents {
            *s.incidents_by_kind.entry(incident.kind.as_str().to_string()).or_default() += 1;
        }
        Ok(s)
    }
}

/// How many of the sorted `times` come when `cap` others already fell in
/// the `span` before them.
fn over_cap(times: &[Timestamp], span: SignedDuration, cap: u32) -> usize {
    let cap = cap as usize;
    let mut start = 0;
    let mut over = 0;
    for (i, t) in times.iter().enumerate() {
        while times[start] <= *t - span {
            start += 1;
        }
        if i - start >= cap {
            over += 1;
        }
    }
    over
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_cap_counts_each_message_past_the_cap_in_its_window() {
        let t = |h: i64| Timestamp::from_second(h * 3600).unwrap();
        let day = SignedDuration::from_hours(24);
        assert_eq!(over_cap(&[], day, 1), 0);
        assert_eq!(over_cap(&[t(0), t(24), t(48)], day, 1), 0, "exactly a day apart is allowed");
        assert_eq!(over_cap(&[t(0), t(23)], day, 1), 1);
        assert_eq!(over_cap(&[t(0), t(1), t(2), t(30)], day, 1), 2);
        assert_eq!(over_cap(&[t(0), t(1), t(2)], day, 2), 1);
    }
}
