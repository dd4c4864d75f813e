//! Engagement: what happened to a notice after it left — delivered,
//! opened, clicked, bounced, complained about, answered ("was this fair?"),
//! or the customer opting out — as reported by the tenant, its delivery
//! provider or a tracking link.
//!
//! Each report is recorded once: an identical report (same notice, kind,
//! channel, verdict and detail) is claimed in the same transaction that
//! records it, so a provider's retries and repeated pixel loads change
//! nothing. An opt-out goes the way of [`Scheduler::opt_out`]; a bounce or
//! a complaint marks the contact unverified, so later notices use the
//! fallback channels until the tenant gives a new address or number.

use jiff::Timestamp;
use nudge_core::{
    Channel, Customer, CustomerId, EngagementKind, Event, EventKind, Notice, NoticeId, NoticeState, TenantId, crypto,
};
use nudge_store::Error as StoreError;

use crate::{Error, Result, Scheduler};

/// Where claimed engagement reports are remembered (with Stripe's events).
const SOURCE: &str = "engagement";
/// Longest free-text detail kept with a report.
pub const MAX_DETAIL_CHARS: usize = 1000;

/// One report about a sent notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    /// The notice it concerns.
    pub notice: NoticeId,
    /// What happened.
    pub kind: EngagementKind,
    /// The channel: for an opt-out, the channel opted out of (`None` for
    /// every channel); otherwise the channel it happened on (`None` for the
    /// one the notice went out on).
    pub channel: Option<Channel>,
    /// For feedback: true when the customer said the reminder was not fair.
    pub negative: bool,
    /// Free text (feedback, a bounce reason), at most [`MAX_DETAIL_CHARS`].
    pub detail: Option<String>,
    /// When it happened.
    pub at: Timestamp,
}

/// What recording a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// False when the same report was recorded before: nothing changed.
    pub new: bool,
    /// The customer the notice went to.
    pub customer: CustomerId,
    /// The channel recorded (see [`Engagement::channel`]).
    pub channel: Option<Channel>,
    /// True for a complaint or a "not fair" answer.
    pub negative: bool,
    /// The channels the customer is opted out of now.
    pub opted_out: Vec<Channel>,
    /// The channels whose contact is unverified now.
    pub unverified: Vec<Channel>,
}

/// Adds the opt-out of `channel` (every channel for `None`) to a customer.
pub(crate) fn add_opt_out(customer: &mut Customer, channel: Option<Channel>) {
    let channels = match channel {
        Some(c) => vec![c],
        None => Channel::ALL.to_vec(),
    };
    for c in channels {
        if !customer.opted_out.contains(&c) {
            customer.opted_out.push(c);
        }
    }
    customer.opted_out.sort();
}

/// The identity of a report: identical reports share it.
fn identity(notice: &NoticeId, kind: EngagementKind, channel: Option<Channel>, negative: bool, detail: &str) -> String {
    let channel = channel.map_or("*", Channel::as_str);
    let text = format!("{notice}\n{kind}\n{channel}\n{negative}\n{detail}");
    crypto::hex(&crypto::sha256(text.as_bytes()))
}

impl Scheduler {
    /// One of the tenant's notices by its id.
    pub fn notice_by_id(&self, tenant: &TenantId, id: &NoticeId) -> Result<Option<Notice>> {
        Ok(self.store.notices(tenant)?.into_iter().find(|n| &n.id == id))
    }

    /// Records a report about one of `tenant`'s sent notices (see the module
    /// docs). A notice of another tenant is [`Error::NoSuchNotice`], exactly
    /// like one that exists nowhere.
    pub fn record_engagement(&self, tenant: &TenantId, report: &Engagement) -> Result<Recorded> {
        let notice =
            self.notice_by_id(tenant, &report.notice)?.ok_or_else(|| Error::NoSuchNotice(report.notice.clone()))?;
        let NoticeState::Sent { channel: sent_on, .. } = notice.state else {
            return Err(Error::NoticeNotSent { notice: notice.id, state: notice.state.as_str() });
        };
        let detail = report.detail.as_deref().unwrap_or("");
        if detail.chars().count() > MAX_DETAIL_CHARS {
            return Err(Error::Invalid(format!("detail: at most {MAX_DETAIL_CHARS} characters")));
        }
        let kind = report.kind;
        let channel = match kind {
            EngagementKind::OptOut => report.channel,
            _ => Some(report.channel.unwrap_or(sent_on)),
        };
        let negative = match kind {
            EngagementKind::Complained => true,
            EngagementKind::Feedback => report.negative,
            _ => false,
        };
        let claim = identity(&notice.id, kind, channel, negative, detail);
        let recorded = self.store.transact(|tx| {
            let Some(mut customer) = tx.customer(tenant, &notice.customer)? else {
                return tx.fail(StoreError::NotFound { kind: "customer", id: notice.customer.to_string() });
            };
            let mut recorded = Recorded {
                new: false,
                customer: customer.id.clone(),
                channel,
                negative,
                opted_out: customer.opted_out.clone(),
                unverified: customer.unverified.clone(),
            };
            if !tx.claim_external_event(tenant, SOURCE, &claim)? {
                return Ok(recorded);
            }
            let stats = &mut customer.stats;
            match kind {
                EngagementKind::Opened => stats.opens = stats.opens.saturating_add(1),
                EngagementKind::Clicked => stats.clicks = stats.clicks.saturating_add(1),
                EngagementKind::Bounced => stats.bounces = stats.bounces.saturating_add(1),
                EngagementKind::Complained => stats.negative_feedback = stats.negative_feedback.saturating_add(1),
                EngagementKind::Feedback if negative => {
                    stats.negative_feedback = stats.negative_feedback.saturating_add(1);
                }
                EngagementKind::OptOut => add_opt_out(&mut customer, channel),
                _ => {}
            }
            let unverify = channel.filter(|c| {
                matches!(kind, EngagementKind::Bounced | EngagementKind::Complained)
                    && customer.contact(*c).is_some()
                    && !customer.unverified.contains(c)
            });
            if let Some(c) = unverify {
                customer.unverified.push(c);
                customer.unverified.sort();
                let event = EventKind::ContactUnverified {
                    customer: customer.id.clone(),
                    channel: c,
                    notice: notice.id.clone(),
                    reason: kind,
                };
                tx.append_event(tenant, report.at, event)?;
            }
            tx.put_customer(&customer)?;
            tx.append_event(
                tenant,
                report.at,
                EventKind::Engagement {
                    customer: customer.id.clone(),
                    notice: Some(notice.id.clone()),
                    kind,
                    channel,
                    negative,
                    detail: report.detail.clone(),
                },
            )?;
            recorded.new = true;
            recorded.opted_out = customer.opted_out.clone();
            recorded.unverified = customer.unverified.clone();
            Ok(recorded)
        })?;
        if recorded.new {
            tracing::info!(tenant = %tenant, notice = %notice.id, %kind, "engagement recorded");
        }
        Ok(recorded)
    }

    /// The tenant's engagement events, oldest first: reports about notices,
    /// and opt-outs made through the customer's own route.
    pub fn engagement_events(&self, tenant: &TenantId) -> Result<Vec<Event>> {
        let mut events = self.store.events(tenant)?;
        events.retain(|e| matches!(e.kind, EventKind::Engagement { .. } | EventKind::OptedOut { .. }));
        Ok(events)
    }
}
