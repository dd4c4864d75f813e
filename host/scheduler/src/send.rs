//! Sending a notice when it comes due: re-verify, respect quiet hours, deliver.

use jiff::{Timestamp, tz::TimeZone};
use nudge_core::{Channel, Customer, EventKind, Invoice, Money, Notice, NoticeState, Tenant, time};
use nudge_delivery::{Fields, Message};
use nudge_store::{ScheduleEntry, ScheduleKind};

use crate::{Result, Scheduler};

impl Scheduler {
    /// Handles a due `Send` entry for `step`.
    pub(crate) fn send(&self, entry: &ScheduleEntry, step: &str, now: Timestamp) -> Result<()> {
        let (tenant_id, invoice_id) = (&entry.tenant, &entry.invoice);
        let notice = self.store.notice(tenant_id, invoice_id, step)?;
        let invoice = self.store.invoice(tenant_id, invoice_id)?;
        let (Some(notice), Some(invoice)) = (notice.filter(|n| !n.state.is_final()), invoice) else {
            // Stale entry: the notice was settled already.
            self.store.transact(|tx| tx.unschedule(entry).map(drop))?;
            return Ok(());
        };
        let (tenant, customer) = self.parties(&invoice)?;
        // Re-verify right before sending: a payment, void or dispute wins.
        if let Some(reason) = invoice.blocked_reason() {
            return self.settle(entry, notice, NoticeState::Suppressed { at: now, reason: reason.into() });
        }
        let tz = time::zone(&customer.time_zone)?;
        let window = tenant.settings.send_window;
        if !window.allows(now, &tz) {
            return self.postpone(entry, notice, window.next_allowed(now, &tz), now);
        }
        let channels: Vec<Channel> = std::iter::once(notice.channel)
            .chain(notice.fallbacks.iter().copied())
            .filter(|c| customer.can_reach(*c))
            .collect();
        if channels.is_empty() {
            let reason = "no reachable channel (opted out or no contact)".to_string();
            return self.settle(entry, notice, NoticeState::Suppressed { at: now, reason });
        }
        if notice.state == NoticeState::Scheduled {
            // Durable before the side effect: after a crash the send is retried
            // under the same notice id, which the outbox recognises.
            let mut sending = notice.clone();
            sending.state = NoticeState::Sending;
            self.store.transact(|tx| tx.put_notice(&sending))?;
        }
        let mut last_error = String::new();
        for channel in channels {
            let message = match self.message(&tenant, &customer, &invoice, &notice, &tz, channel, now) {
                Ok(m) => m,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            match self.outbox.deliver(&message) {
                Ok(_) => {
                    self.settle(entry, notice, NoticeState::Sent { at: now, channel })?;
                    // Ask the policy for the next step right away.
                    return self.evaluate(tenant_id, invoice_id, now, None);
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, notice = %notice.id, %channel, error = %e, "delivery failed");
                    last_error = e.to_string();
                }
            }
        }
        self.settle(entry, notice, NoticeState::Failed { at: now, reason: last_error })?;
        self.evaluate(tenant_id, invoice_id, now, None)
    }

    /// Records a final state for a notice, with its event, and drops the entry.
    fn settle(&self, entry: &ScheduleEntry, mut notice: Notice, state: NoticeState) -> Result<()> {
        let at = match &state {
            NoticeState::Sent { at, .. } | NoticeState::Suppressed { at, .. } | NoticeState::Failed { at, .. } => *at,
            NoticeState::Scheduled | NoticeState::Sending => notice.send_at,
        };
        let event = match &state {
            NoticeState::Sent { channel, .. } => EventKind::NoticeSent {
                notice: notice.id.clone(),
                invoice: notice.invoice.clone(),
                step: notice.step.clone(),
                channel: *channel,
            },
            NoticeState::Failed { reason, .. } => EventKind::NoticeFailed {
                notice: notice.id.clone(),
                invoice: notice.invoice.clone(),
                reason: reason.clone(),
            },
            NoticeState::Suppressed { reason, .. } => EventKind::NoticeSuppressed {
                notice: Some(notice.id.clone()),
                invoice: notice.invoice.clone(),
                step: notice.step.clone(),
                reason: reason.clone(),
            },
            NoticeState::Scheduled | NoticeState::Sending => return Ok(()),
        };
        notice.state = state;
        self.store.transact(|tx| {
            tx.unschedule(entry)?;
            tx.put_notice(&notice)?;
            tx.append_event(&notice.tenant, at, event.clone())?;
            Ok(())
        })?;
        Ok(())
    }

    /// Moves a notice that came due in quiet hours to the next allowed time.
    fn postpone(&self, entry: &ScheduleEntry, mut notice: Notice, to: Timestamp, now: Timestamp) -> Result<()> {
        notice.send_at = to;
        let moved = ScheduleEntry { due: to, kind: ScheduleKind::Send { step: notice.step.clone() }, ..entry.clone() };
        self.store.transact(|tx| {
            tx.unschedule(entry)?;
            tx.schedule(&moved)?;
            tx.put_notice(&notice)?;
            tx.append_event(
                &notice.tenant,
                now,
                EventKind::NoticeScheduled {
                    notice: notice.id.clone(),
                    invoice: notice.invoice.clone(),
                    step: notice.step.clone(),
                    send_at: to,
                    moved_from: Some(now),
                },
            )?;
            Ok(())
        })?;
        Ok(())
    }

    /// Renders the notice for one channel.
    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        invoice: &Invoice,
        notice: &Notice,
        tz: &TimeZone,
        channel: Channel,
        now: Timestamp,
    ) -> Result<Message, nudge_delivery::Error> {
        let to = match channel {
            Channel::Email => customer.email.clone(),
            Channel::Sms => customer.phone.clone(),
            Channel::Push | Channel::Webhook => None,
        }
        .ok_or(nudge_delivery::Error::NoContact(channel.as_str()))?;
        let mut fields = Fields::default();
        // The policy's extra fields first, so host fields always win: a
        // plugin cannot change the amount or the payment link.
        for (name, value) in &notice.fields {
            fields.insert(name.clone(), value.clone());
        }
        let overdue = (time::local_date(now, tz) - invoice.due_on).get_days().max(0);
        let remaining =
            Money { amount_minor: invoice.amount_remaining_minor, currency: invoice.total.currency.clone() };
        fields.insert("customer_name", customer.name.clone());
        fields.insert("tenant_name", tenant.name.clone());
        fields.insert("invoice_number", invoice.number.clone());
        fields.insert("amount", remaining.to_string());
        fields.insert("due_date", invoice.due_on.strftime("%-d %B %Y").to_string());
        fields.insert("days_overdue", overdue.to_string());
        fields.insert("payment_link", invoice.payment_link.clone().unwrap_or_else(|| "(reply to this message)".into()));
        fields.insert("step", notice.step.clone());
        let rendered = self.templates.get(channel, notice.tone).render(&fields)?;
        Ok(Message {
            notice: notice.id.clone(),
            tenant: tenant.id.clone(),
            channel,
            to,
            from_name: tenant.name.clone(),
            subject: rendered.subject,
            body: rendered.body,
            sent_at: now,
            headers: vec![
                ("Invoice".into(), invoice.id.to_string()),
                ("Step".into(), notice.step.clone()),
                ("Tone".into(), notice.tone.to_string()),
                ("Segment".into(), notice.segment.clone()),
            ],
        })
    }
}
