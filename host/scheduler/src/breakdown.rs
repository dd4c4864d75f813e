//! Decisions and notice outcomes per step and per segment, read back from
//! the store: what a plugin developer looks at after a simulation.
//!
//! Where [`Summary`](crate::Summary) counts what happened overall, this
//! splits the same records by the step of the sequence and by the segment
//! the policy chose, so that the effect of one step or one segment shows.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use nudge_core::{Channel, EventKind, InvoiceId, NoticeState, TenantId, Tone};
use serde::Serialize;

use crate::{Result, Scheduler};

/// What became of the notices of one step or one segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoticeFigures {
    /// Notices the policy asked for and the host scheduled.
    pub scheduled: usize,
    /// Notices handed to a channel.
    pub sent: usize,
    /// Notices not sent because the invoice was paid by their send time.
    pub suppressed_by_payment: usize,
    /// Notices not sent for another reason.
    pub suppressed_other: usize,
    /// Notices that failed on every channel.
    pub failed: usize,
    /// Sent notices whose invoice was paid within 7 days after them.
    pub paid_within_7d: usize,
    /// `paid_within_7d` over `sent` (0 when nothing was sent).
    pub paid_within_7d_rate: f64,
}

/// Decisions and notices, split by step and by segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breakdown {
    /// Decisions by action: notify, wait, stop, escalate.
    pub decisions: BTreeMap<String, usize>,
    /// Decisions by segment, then by action.
    pub decisions_by_segment: BTreeMap<String, BTreeMap<String, usize>>,
    /// Notices by step.
    pub by_step: BTreeMap<String, NoticeFigures>,
    /// Notices by segment.
    pub by_segment: BTreeMap<String, NoticeFigures>,
}

/// One notice that went out, as a comparison of two policies sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentNotice {
    /// Step name.
    pub step: String,
    /// The channel actually used.
    pub channel: Channel,
    /// The tone.
    pub tone: Tone,
    /// When it was sent.
    pub at: Timestamp,
}

impl std::fmt::Display for SentNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} at {}", self.step, self.channel.as_str(), self.tone.as_str(), self.at)
    }
}

impl Scheduler {
    /// Splits `tenant`'s decisions and notices by step and by segment.
    pub fn breakdown(&self, tenant: &TenantId) -> Result<Breakdown> {
        let mut b = Breakdown::default();
        for event in self.store.events(tenant)? {
            if let EventKind::Decided { segment, action, .. } = event.kind {
                *b.decisions.entry(action.clone()).or_default() += 1;
                *b.decisions_by_segment.entry(segment).or_default().entry(action).or_default() += 1;
            }
        }
        let paid_at: HashMap<InvoiceId, Option<Timestamp>> =
            self.store.invoices(tenant)?.into_iter().map(|i| (i.id, i.paid_at)).collect();
        for notice in self.store.notices(tenant)? {
            let paid = paid_at.get(&notice.invoice).copied().flatten();
            for figures in [
                b.by_step.entry(notice.step.clone()).or_default(),
                b.by_segment.entry(notice.segment.clone()).or_default(),
            ] {
                count(figures, &notice.state, paid);
            }
        }
        for figures in b.by_step.values_mut().chain(b.by_segment.values_mut()) {
            figures.paid_within_7d_rate = rate(figures.paid_within_7d, figures.sent);
        }
        Ok(b)
    }

    /// The notices sent for each of `tenant`'s invoices, oldest first.
    pub fn sent_notices(&self, tenant: &TenantId) -> Result<BTreeMap<InvoiceId, Vec<SentNotice>>> {
        let mut out: BTreeMap<InvoiceId, Vec<SentNotice>> = BTreeMap::new();
        for notice in self.store.notices(tenant)? {
            if let NoticeState::Sent { at, channel } = notice.state {
                out.entry(notice.invoice).or_default().push(SentNotice {
                    step: notice.step,
                    channel,
                    tone: notice.tone,
                    at,
                });
            }
        }
        for notices in out.values_mut() {
            notices.sort_by(|a, b| (a.at, &a.step).cmp(&(b.at, &b.step)));
        }
        Ok(out)
    }
}

fn count(figures: &mut NoticeFigures, state: &NoticeState, paid_at: Option<Timestamp>) {
    figures.scheduled += 1;
    match state {
        NoticeState::Sent { at, .. } => {
            figures.sent += 1;
            if paid_at.is_some_and(|paid| paid > *at && paid <= *at + SignedDuration::from_hours(24 * 7)) {
                figures.paid_within_7d += 1;
            }
        }
        NoticeState::Suppressed { reason, .. } if reason == "paid" => figures.suppressed_by_payment += 1,
        NoticeState::Suppressed { .. } => figures.suppressed_other += 1,
        NoticeState::Failed { .. } => figures.failed += 1,
        NoticeState::Scheduled | NoticeState::Sending => {}
    }
}

fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64 * 1000.0).round() / 1000.0 }
}
