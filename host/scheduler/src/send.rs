//! Sending notices when they come due: re-verify, respect quiet hours, the
//! missed-send rule and the customer's frequency caps, combine the notices of
//! one customer that are due together into one message, deliver.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use nudge_core::{
    Channel, Customer, CustomerId, EventKind, FrequencyCaps, Invoice, MissedSendPolicy, Notice, NoticeId, NoticeState,
    Tenant, TenantId, time,
};
use nudge_delivery::{Message, NoticeFacts, due_date, remaining, tracking::Links};
use nudge_store::{ScheduleEntry, ScheduleKind, SendRecord};

use crate::{Result, Scheduler};

const DAY: SignedDuration = SignedDuration::from_hours(24);
const WEEK: SignedDuration = SignedDuration::from_hours(24 * 7);

/// A due notice that passed its own checks and waits for its customer's
/// message: the checks that concern the customer (caps) come next.
pub(crate) struct Ready {
    entry: ScheduleEntry,
    notice: Notice,
    invoice: Invoice,
    tenant: Tenant,
    customer: Customer,
    tz: TimeZone,
}

impl Ready {
    /// The customer whose message this notice goes into.
    pub(crate) fn key(&self) -> (TenantId, CustomerId) {
        (self.tenant.id.clone(), self.customer.id.clone())
    }
}

/// When the customer's caps next allow a message, and which cap holds it
/// back, given the messages they got in the last week (oldest first).
pub(crate) fn cap_hold(caps: FrequencyCaps, sent: &[SendRecord], now: Timestamp) -> Option<(Timestamp, String)> {
    let within = |span: SignedDuration| -> Vec<Timestamp> {
        sent.iter().map(|s| s.at).filter(|at| *at > now - span && *at <= now).collect()
    };
    let mut hold: Option<(Timestamp, String)> = None;
    for (span, cap, what) in [(DAY, caps.per_day, "day"), (WEEK, caps.per_week, "week")] {
        let recent = within(span);
        let cap = cap as usize;
        if recent.len() >= cap {
            // Free again once enough of them age out of the window.
            let until = recent[recent.len() - cap] + span + SignedDuration::from_secs(1);
            let reason = format!("{cap} notice{} per {what}", if cap == 1 { "" } else { "s" });
            if hold.as_ref().is_none_or(|(t, _)| until > *t) {
                hold = Some((until, reason));
            }
        }
    }
    hold
}

impl Scheduler {
    /// Sends every due `Send` entry of `entries`, one message per customer:
    /// notices of several invoices due together are combined.
    pub(crate) fn send_all(&self, entries: &[(ScheduleEntry, String)], now: Timestamp) -> Result<()> {
        let _sending = crate::scheduler::lock(&self.sending);
        // Entries whose send could not start because something changed
        // under it (see `start_sending`) go round again, checked afresh.
        let mut entries = entries.to_vec();
        while !entries.is_empty() {
            let mut order: Vec<(TenantId, CustomerId)> = Vec::new();
            let mut groups: HashMap<(TenantId, CustomerId), Vec<Ready>> = HashMap::new();
            for (entry, step) in &entries {
                if let Some(ready) = self.prepare(entry, step, now)? {
                    let key = ready.key();
                    if !groups.contains_key(&key) {
                        order.push(key.clone());
                    }
                    groups.entry(key).or_default().push(ready);
                }
            }
            let mut again = Vec::new();
            for key in order {
                if let Some(group) = groups.remove(&key) {
                    self.deliver_group(group, now, &mut again)?;
                }
            }
            entries = again;
        }
        Ok(())
    }

    /// The checks of one notice: stale entry, invoice blocked, missed send,
    /// quiet hours. Returns the notice when it may go out now; otherwise it
    /// has been settled or moved already.
    fn prepare(&self, entry: &ScheduleEntry, step: &str, now: Timestamp) -> Result<Option<Ready>> {
        let (tenant_id, invoice_id) = (&entry.tenant, &entry.invoice);
        let notice = self.store.notice(tenant_id, invoice_id, step)?;
        let invoice = self.store.invoice(tenant_id, invoice_id)?;
        let (Some(notice), Some(invoice)) = (notice.filter(|n| !n.state.is_final()), invoice) else {
            // Stale entry: the notice was settled already.
            self.store.transact(|tx| tx.unschedule(entry).map(drop))?;
            return Ok(None);
        };
        let (tenant, customer) = self.parties(&invoice)?;
        // Re-verify right before sending: a payment, void or dispute wins.
        if let Some(reason) = invoice.blocked_reason() {
            self.settle(entry, notice, NoticeState::Suppressed { at: now, reason: reason.into() }, false)?;
            return Ok(None);
        }
        // A notice found long past its time (the host was down): the
        // tenant's rule says send it late, once, or skip it. A notice
        // already `Sending` was started on time and is finished either way.
        let missed = tenant.settings.missed_sends;
        let grace = SignedDuration::from_mins(i64::from(missed.grace_minutes));
        if notice.state == NoticeState::Scheduled
            && missed.policy == MissedSendPolicy::Skip
            && now.duration_since(notice.send_at) > grace
        {
            let reason = "missed".to_string();
            self.settle(entry, notice, NoticeState::Suppressed { at: now, reason }, true)?;
            self.evaluate(tenant_id, invoice_id, now, Some(&intent(tenant_id, invoice_id, now)))?;
            return Ok(None);
        }
        let tz = time::zone(&customer.time_zone)?;
        let window = tenant.settings.send_window;
        if !window.allows(now, &tz) {
            self.postpone(entry, notice, window.next_allowed(now, &tz), now, None)?;
            return Ok(None);
        }
        Ok(Some(Ready { entry: entry.clone(), notice, invoice, tenant, customer, tz }))
    }

    /// Sends one message to a customer for the notices in `group` (all
    /// theirs, all due): held back whole if a cap says so, else the first
    /// notice's message carrying the others, on its first reachable channel.
    /// A group whose send could not start goes into `again`, unsent.
    fn deliver_group(&self, group: Vec<Ready>, now: Timestamp, again: &mut Vec<(ScheduleEntry, String)>) -> Result<()> {
        let Some(first) = group.first() else { return Ok(()) };
        let (tenant, customer, tz) = (first.tenant.clone(), first.customer.clone(), first.tz.clone());
        let mut evaluate: Vec<_> = group.iter().map(|r| (r.tenant.id.clone(), r.invoice.id.clone())).collect();
        // A notice whose message went out before a crash is delivered,
        // however the notices group now: settle it, send nothing.
        let mut pending = Vec::new();
        let mut recovered = Vec::new();
        for ready in group {
            // Its own message (as the first notice of one), or the message
            // it was carried in when delivery started.
            let carrier = ready.notice.message.clone().filter(|_| ready.notice.state == NoticeState::Sending);
            let mut found = None;
            for message in std::iter::once(ready.notice.id.clone()).chain(carrier) {
                if let Some(channel) = self.sink.delivered(&tenant.id, &message)? {
                    found = Some((message == ready.notice.id, channel));
                    break;
                }
            }
            match found {
                Some((own, channel)) => {
                    recovered.push((ready.tenant.id.clone(), ready.invoice.id.clone()));
                    self.settle_sent(vec![ready], channel, now, own)?;
                }
                None => pending.push(ready),
            }
        }
        let mut group = pending;
        if group.is_empty() {
            return self.evaluate_all(&evaluate, now);
        }
        let sent = self.store.sends_since(&tenant.id, &customer.id, now - WEEK)?;
        if let Some((until, reason)) = cap_hold(tenant.settings.frequency_caps, &sent, now) {
            let window = tenant.settings.send_window;
            let until = if window.allows(until, &tz) { until } else { window.next_allowed(until, &tz) };
            for ready in group {
                self.postpone(&ready.entry, ready.notice, until, now, Some(reason.clone()))?;
            }
            return self.evaluate_all(&recovered, now);
        }
        // The primary notice picks the channels; a notice none of whose
        // channels reaches the customer is suppressed, not carried.
        let reachable = |n: &Notice| -> Vec<Channel> {
            std::iter::once(n.channel).chain(n.fallbacks.iter().copied()).filter(|c| customer.can_reach(*c)).collect()
        };
        let mut unreachable = Vec::new();
        group.retain(|r| {
            let ok = !reachable(&r.notice).is_empty();
            if !ok {
                unreachable.push((r.entry.clone(), r.notice.clone()));
            }
            ok
        });
        for (entry, notice) in unreachable {
            evaluate.retain(|(_, invoice)| *invoice != notice.invoice);
            let reason = "no reachable channel (opted out or no contact)".to_string();
            self.settle(&entry, notice, NoticeState::Suppressed { at: now, reason }, false)?;
        }
        let Some(primary_id) = group.first().map(|r| r.notice.id.clone()) else {
            return self.evaluate_all(&evaluate, now);
        };
        // Which message carries which notice is recorded before the message
        // goes. The outbox knows each message by its first notice's id, so a
        // notice that is its own message needs nothing more; for a combined
        // message the record must be on disk first, so that after a crash a
        // carried notice is never sent again in another message.
        if !self.start_sending(&mut group, &customer, &primary_id)? {
            // A payment, an opt-out or another change landed after the
            // checks above: check again from the start.
            again.extend(group.into_iter().map(|r| (r.entry, r.notice.step)));
            return self.evaluate_all(&recovered, now);
        }
        if group.len() > 1 {
            self.store.flush()?;
        }
        let (primary, others) = (&group[0], group.iter().skip(1).collect::<Vec<_>>());
        let mut last_error = String::new();
        let mut delivered = None;
        for channel in reachable(&primary.notice) {
            let message = match self.message(primary, &others, channel, now) {
                Ok(m) => m,
                Err(e) => {
                    self.count_delivery_error(channel);
                    last_error = e.to_string();
                    continue;
                }
            };
            match self.sink.deliver(&message) {
                Ok(_) => {
                    delivered = Some(channel);
                    break;
                }
                Err(e) => {
                    self.count_delivery_error(channel);
                    tracing::warn!(tenant = %tenant.id, notice = %primary.notice.id, %channel, error = %e, "delivery failed");
                    last_error = e.to_string();
                }
            }
        }
        match delivered {
            Some(channel) => self.settle_sent(group, channel, now, true)?,
            None => {
                for ready in group {
                    let state = NoticeState::Failed { at: now, reason: last_error.clone() };
                    self.settle(&ready.entry, ready.notice, state, true)?;
                }
            }
        }
        self.evaluate_all(&evaluate, now)
    }

    /// Marks the group's notices `Sending` in `primary`'s message, in one
    /// transaction that first re-reads what the checks read: if a notice,
    /// its invoice or the customer changed since (a payment, an opt-out, a
    /// concurrent settle), nothing is written and the answer is false. This
    /// transaction is the moment a send starts: a payment or opt-out
    /// committed before it stops the send, one committed after it lets the
    /// message already in flight go out.
    fn start_sending(&self, group: &mut [Ready], customer: &Customer, primary: &NoticeId) -> Result<bool> {
        let checked: Vec<(Notice, Invoice)> = group.iter().map(|r| (r.notice.clone(), r.invoice.clone())).collect();
        for ready in group.iter_mut() {
            ready.notice.state = NoticeState::Sending;
            ready.notice.message = Some(primary.clone());
        }
        let started = self.store.transact(|tx| {
            if tx.customer(&customer.tenant, &customer.id)?.as_ref() != Some(customer) {
                return Ok(false);
            }
            for (notice, invoice) in &checked {
                if tx.notice(&notice.tenant, &notice.invoice, &notice.step)?.as_ref() != Some(notice)
                    || tx.invoice(&invoice.tenant, &invoice.id)?.as_ref() != Some(invoice)
                {
                    return Ok(false);
                }
            }
            for ready in group.iter() {
                tx.put_notice(&ready.notice)?;
            }
            Ok(true)
        })?;
        if !started {
            for (ready, (notice, _)) in group.iter_mut().zip(checked) {
                ready.notice = notice;
            }
        }
        Ok(started)
    }

    /// Asks the policy for each invoice's next step right away (the
    /// settling transaction scheduled that evaluation, in case of a crash).
    fn evaluate_all(&self, invoices: &[(TenantId, nudge_core::InvoiceId)], now: Timestamp) -> Result<()> {
        for (tenant_id, invoice_id) in invoices {
            self.evaluate(tenant_id, invoice_id, now, Some(&intent(tenant_id, invoice_id, now)))?;
        }
        Ok(())
    }

    /// Records one delivered message: every notice it carried is sent (each
    /// with its event), the customer's send log gets one record (unless
    /// `record` is false: a carried notice found delivered after a crash),
    /// and a combined message says which notices it carried. One transaction.
    fn settle_sent(&self, group: Vec<Ready>, channel: Channel, now: Timestamp, record: bool) -> Result<()> {
        let Some(primary) = group.first() else { return Ok(()) };
        let send = SendRecord {
            tenant: primary.tenant.id.clone(),
            customer: primary.customer.id.clone(),
            notice: primary.notice.id.clone(),
            invoice: primary.invoice.id.clone(),
            at: now,
            channel,
            combined: group.iter().skip(1).map(|r| r.notice.id.clone()).collect(),
        };
        let sent: Vec<(ScheduleEntry, Notice)> = group
            .into_iter()
            .map(|r| {
                let mut notice = r.notice;
                notice.state = NoticeState::Sent { at: now, channel };
                (r.entry, notice)
            })
            .collect();
        self.store.transact(|tx| {
            for (entry, notice) in &sent {
                tx.unschedule(entry)?;
                tx.schedule(&intent(&notice.tenant, &notice.invoice, now))?;
                tx.put_notice(notice)?;
                let event = EventKind::NoticeSent {
                    notice: notice.id.clone(),
                    invoice: notice.invoice.clone(),
                    step: notice.step.clone(),
                    channel,
                };
                tx.append_event(&notice.tenant, now, event)?;
            }
            if !send.combined.is_empty() {
                let event =
                    EventKind::NoticesCombined { primary: send.notice.clone(), combined: send.combined.clone() };
                tx.append_event(&send.tenant, now, event)?;
            }
            if record {
                tx.record_send(&send)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Records a final state for a notice, with its event, and drops the
    /// entry; with `then_evaluate`, schedules the invoice's evaluation for
    /// now in the same transaction (the caller runs it right away).
    fn settle(&self, entry: &ScheduleEntry, mut notice: Notice, state: NoticeState, then_evaluate: bool) -> Result<()> {
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
            if then_evaluate {
                tx.schedule(&intent(&notice.tenant, &notice.invoice, at))?;
            }
            tx.put_notice(&notice)?;
            tx.append_event(&notice.tenant, at, event.clone())?;
            Ok(())
        })?;
        Ok(())
    }

    /// Moves a due notice to `to`: out of quiet hours (`held` is `None`) or
    /// until the customer's frequency cap named by `held` allows it.
    fn postpone(
        &self,
        entry: &ScheduleEntry,
        mut notice: Notice,
        to: Timestamp,
        now: Timestamp,
        held: Option<String>,
    ) -> Result<()> {
        notice.send_at = to;
        // Not delivered (else it would have been settled): it waits afresh.
        notice.state = NoticeState::Scheduled;
        notice.message = None;
        let moved = ScheduleEntry { due: to, kind: ScheduleKind::Send { step: notice.step.clone() }, ..entry.clone() };
        let event = match held {
            None => EventKind::NoticeScheduled {
                notice: notice.id.clone(),
                invoice: notice.invoice.clone(),
                step: notice.step.clone(),
                send_at: to,
                moved_from: Some(now),
            },
            Some(reason) => EventKind::NoticeHeld {
                notice: notice.id.clone(),
                invoice: notice.invoice.clone(),
                step: notice.step.clone(),
                until: to,
                reason,
            },
        };
        self.store.transact(|tx| {
            tx.unschedule(entry)?;
            tx.schedule(&moved)?;
            tx.put_notice(&notice)?;
            tx.append_event(&notice.tenant, now, event.clone())?;
            Ok(())
        })?;
        Ok(())
    }

    /// Renders `ready`'s notice for one channel; a combined message lists
    /// the invoices of `others` after it.
    fn message(
        &self,
        ready: &Ready,
        others: &[&Ready],
        channel: Channel,
        now: Timestamp,
    ) -> Result<Message, nudge_delivery::Error> {
        let Ready { tenant, customer, invoice, notice, tz, .. } = ready;
        let to = match channel {
            Channel::Email => customer.email.clone(),
            Channel::Sms => customer.phone.clone(),
            Channel::Push | Channel::Webhook => None,
        }
        .ok_or(nudge_delivery::Error::NoContact(channel.as_str()))?;
        let chosen = self
            .choose_template(tenant, customer, &notice.template, notice.tone, channel, &notice.fields)
            .map_err(|e| nudge_delivery::Error::Render {
                template: notice.template.clone(),
                part: "body",
                reason: e.to_string(),
            })?;
        let facts = NoticeFacts {
            tenant,
            customer,
            invoice,
            step: &notice.step,
            tone: notice.tone,
            policy_fields: &notice.fields,
            locale: &chosen.locale,
            now,
            tz,
        };
        // Tracking links come with a tracker; without one the raw payment
        // link is used and the tracking fields are left out.
        let links = self.tracker().map(|tracker| tracker.links(&notice.tenant, &notice.id));
        let rendered = crate::templates::render(&facts, &chosen.id, channel, &chosen.source, links.as_ref())?;
        let (mut body, mut html) = (rendered.body, rendered.html);
        let mut headers = vec![
            ("Invoice".into(), invoice.id.to_string()),
            ("Step".into(), notice.step.clone()),
            ("Tone".into(), notice.tone.to_string()),
            ("Segment".into(), notice.segment.clone()),
            ("Template".into(), chosen.id.clone()),
        ];
        if let Some(links) = &links {
            tracking_headers(links, invoice.payment_link.is_some(), &mut headers);
        }
        if !others.is_empty() {
            body.push_str(&combined_list(others, channel));
            if let Some(html) = html.as_mut() {
                add_combined_html(html, others);
            }
            let also: Vec<String> = others.iter().map(|r| format!("{}@{}", r.invoice.id, r.notice.step)).collect();
            headers.push(("Also-Covers".into(), also.join(", ")));
        }
        if channel == Channel::Sms {
            let segments = nudge_delivery::sms::segments(&body);
            headers.push(("Sms-Segments".into(), segments.segments.to_string()));
            headers.push(("Sms-Encoding".into(), segments.encoding.as_str().into()));
        }
        Ok(Message {
            notice: notice.id.clone(),
            tenant: tenant.id.clone(),
            channel,
            to,
            from_name: tenant.name.clone(),
            subject: rendered.subject,
            body,
            html,
            sent_at: now,
            headers,
        })
    }
}

/// The evaluation of `invoice` due `at`: scheduled in the same transaction
/// as a change the policy must hear about, and run right after it, so that
/// a crash in between leaves it in the schedule instead of losing it.
pub(crate) fn intent(tenant: &TenantId, invoice: &nudge_core::InvoiceId, at: Timestamp) -> ScheduleEntry {
    ScheduleEntry { due: at, tenant: tenant.clone(), invoice: invoice.clone(), kind: ScheduleKind::Evaluate }
}

/// The schedule entry that sends `notice` at its `send_at`.
pub(crate) fn send_entry(notice: &Notice) -> ScheduleEntry {
    ScheduleEntry {
        due: notice.send_at,
        tenant: notice.tenant.clone(),
        invoice: notice.invoice.clone(),
        kind: ScheduleKind::Send { step: notice.step.clone() },
    }
}

/// A notice's tracking links as `X-Nudge-` headers of its message (the
/// templates have them as fields): the click-through (when the invoice has
/// a payment link), the open pixel, unsubscribe, and the two "was this
/// reminder fair?" answers.
fn tracking_headers(links: &Links, has_payment_link: bool, headers: &mut Vec<(String, String)>) {
    if has_payment_link {
        headers.push(("Click".into(), links.click.clone()));
    }
    for (header, url) in [
        ("Open-Pixel", links.open_pixel.clone()),
        ("Unsubscribe", links.unsubscribe.clone()),
        ("Fair-Yes", links.fair_yes.clone()),
        ("Fair-No", links.fair_no.clone()),
    ] {
        headers.push((header.into(), url));
    }
}

/// The other invoices a combined message covers, one line each (short on SMS).
fn combined_list(others: &[&Ready], channel: Channel) -> String {
    let mut out = String::new();
    if channel == Channel::Sms {
        let list: Vec<String> = others
            .iter()
            .map(|r| format!("{} ({})", r.invoice.number, remaining(&r.invoice).to_customer_string()))
            .collect();
        out.push_str(&format!(" Also due: {}.", list.join(", ")));
        return out;
    }
    out.push_str("\n\nThis reminder also covers:\n");
    for r in others {
        let (owed, due) = (remaining(&r.invoice).to_customer_string(), due_date(&r.invoice));
        out.push_str(&format!("- invoice {}: {owed} due {due}\n", r.invoice.number));
    }
    out
}

/// The other invoices a combined message covers, as an HTML list placed
/// before `</body>` (or at the end), every value escaped.
fn add_combined_html(html: &mut String, others: &[&Ready]) {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    let mut list = String::from("<p>This reminder also covers:</p>\n<ul>\n");
    for r in others {
        let (owed, due) = (remaining(&r.invoice).to_customer_string(), due_date(&r.invoice));
        list.push_str(&format!(
            "<li>invoice {}: {} due {}</li>\n",
            escape(&r.invoice.number),
            escape(&owed),
            escape(&due)
        ));
    }
    list.push_str("</ul>\n");
    let at = html.to_ascii_lowercase().rfind("</body>").unwrap_or(html.len());
    html.insert_str(at, &list);
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{InvoiceId, NoticeId};

    fn sent_at(hours: &[i64]) -> Vec<SendRecord> {
        let tenant = TenantId::new("acme").unwrap();
        let invoice = InvoiceId::new("inv").unwrap();
        hours
            .iter()
            .map(|h| SendRecord {
                tenant: tenant.clone(),
                customer: CustomerId::new("c").unwrap(),
                notice: NoticeId::derive(&tenant, &invoice, &format!("s{h}")),
                invoice: invoice.clone(),
                at: Timestamp::from_second(h * 3600).unwrap(),
                channel: Channel::Email,
                combined: Vec::new(),
            })
            .collect()
    }

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_second(hours * 3600).unwrap()
    }

    #[test]
    fn the_day_cap_holds_until_the_last_message_is_a_day_old() {
        let caps = FrequencyCaps::default();
        assert_eq!(cap_hold(caps, &[], at(100)), None);
        let (until, reason) = cap_hold(caps, &sent_at(&[90]), at(100)).unwrap();
        assert_eq!((until, reason.as_str()), (at(114) + SignedDuration::from_secs(1), "1 notice per day"));
        assert_eq!(cap_hold(caps, &sent_at(&[76]), at(100)), None, "a message 24 h ago no longer counts");
    }

    #[test]
    fn the_week_cap_holds_until_the_oldest_of_the_week_ages_out() {
        let caps = FrequencyCaps::default();
        // Three messages in the week, none in the last day.
        let (until, reason) = cap_hold(caps, &sent_at(&[10, 40, 70]), at(100)).unwrap();
        assert_eq!((until, reason.as_str()), (at(10 + 168) + SignedDuration::from_secs(1), "3 notices per week"));
        // With a looser day cap, the later of the two holds wins.
        let loose = FrequencyCaps { per_day: 2, per_week: 3 };
        assert_eq!(
            cap_hold(loose, &sent_at(&[95, 99]), at(100)).unwrap().0,
            at(95 + 24) + SignedDuration::from_secs(1)
        );
        assert_eq!(cap_hold(loose, &sent_at(&[99]), at(100)), None);
    }
}
