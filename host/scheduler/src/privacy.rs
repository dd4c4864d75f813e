//! Customer privacy: opting out, exporting everything held, erasing.
//!
//! Erasure keeps the customer's opaque id (so invoices, notices and counts
//! still add up) and removes everything that identifies or reaches a
//! person: name, email, phone, tags, language and time zone in the
//! customer record (a tombstone remains); policy-supplied fields of its
//! notices; every occurrence of its name, email and phone in stored
//! notices, events and incidents, and in its outbox files. Notices not yet
//! sent are cancelled, and no import or webhook can bring the data back.

use std::collections::HashSet;

use jiff::Timestamp;
use nudge_core::{Channel, Customer, CustomerId, EventKind, NoticeState, TenantId, time};
use nudge_store::Redacted;
use serde_json::{Value, json};

use crate::{Error, Result, Scheduler, evaluate::unschedule_evaluation, send::send_entry};

/// What replaces erased text.
pub const ERASED: &str = "[erased]";

/// What an erasure changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Notices not yet sent that were cancelled.
    pub notices_cancelled: usize,
    /// Notices whose policy-supplied fields were removed.
    pub notices_cleared: usize,
    /// Stored records rewritten because they mentioned the customer.
    pub redacted: Redacted,
    /// Outbox files rewritten.
    pub outbox_files: usize,
}

impl Scheduler {
    /// Opts a customer out of `channel`, or of every channel for `None`.
    /// Recorded as an event; notices already scheduled on an opted-out
    /// channel are not sent (sending re-checks), and no new ones are chosen.
    /// Returns the channels the customer is now opted out of.
    pub fn opt_out(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        channel: Option<Channel>,
        at: Timestamp,
    ) -> Result<Vec<Channel>> {
        let opted = self.store.transact(|tx| {
            let Some(mut record) = tx.customer(tenant, customer)? else {
                return tx.fail(nudge_store::Error::NotFound { kind: "customer", id: customer.to_string() });
            };
            crate::engagement::add_opt_out(&mut record, channel);
            tx.put_customer(&record)?;
            tx.append_event(tenant, at, EventKind::OptedOut { customer: customer.clone(), channel })?;
            Ok(record.opted_out)
        })?;
        Ok(opted)
    }

    /// Everything held about a customer, as one JSON object: the customer,
    /// its invoices, payments, notices, the events and incidents that
    /// mention them, and the messages in the outbox.
    pub fn export_customer(&self, tenant: &TenantId, customer: &CustomerId) -> Result<Value> {
        let record = self.store.customer(tenant, customer)?.ok_or_else(|| Error::NoSuchCustomer(customer.clone()))?;
        let invoices: Vec<_> = self.store.invoices(tenant)?.into_iter().filter(|i| &i.customer == customer).collect();
        let invoice_ids: HashSet<&str> = invoices.iter().map(|i| i.id.as_str()).collect();
        let payments: Vec<_> =
            self.store.payments(tenant)?.into_iter().filter(|p| invoice_ids.contains(p.invoice.as_str())).collect();
        let notices: Vec<_> = self.store.notices(tenant)?.into_iter().filter(|n| &n.customer == customer).collect();
        let notice_ids: HashSet<&str> = notices.iter().map(|n| n.id.as_str()).collect();
        let mentions = |v: &Value| {
            let field = |name: &str| v.get(name).and_then(Value::as_str);
            field("customer") == Some(customer.as_str())
                || field("invoice").is_some_and(|i| invoice_ids.contains(i))
                || field("notice").is_some_and(|n| notice_ids.contains(n))
        };
        let mut events = Vec::new();
        for event in self.store.events(tenant)? {
            let value = to_value(&event)?;
            if value.get("kind").is_some_and(mentions) {
                events.push(value);
            }
        }
        let incidents: Vec<_> =
            self.store.incidents(tenant)?.into_iter().filter(|i| invoice_ids.contains(i.invoice.as_str())).collect();
        let mut outbox = Vec::new();
        for notice in &notices {
            for path in self.outbox.files_of(tenant, &notice.id)? {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| nudge_delivery::Error::Io { path: path.display().to_string(), source })?;
                let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
                outbox.push(json!({"notice": notice.id.as_str(), "file": file, "text": text}));
            }
        }
        Ok(json!({
            "tenant": tenant.as_str(),
            "customer": to_value(&record)?,
            "erased": self.store.is_erased(tenant, customer)?,
            "invoices": to_value(&invoices)?,
            "payments": to_value(&payments)?,
            "notices": to_value(&notices)?,
            "events": events,
            "incidents": to_value(&incidents)?,
            "outbox": outbox,
        }))
    }

    /// Erases a customer's personal data (see the module docs), as of `at`.
    /// Erasing again finds nothing more to remove.
    pub fn erase_customer(&self, tenant: &TenantId, customer: &CustomerId, at: Timestamp) -> Result<Erasure> {
        let tenant_rec = self.store.tenant(tenant)?.ok_or_else(|| Error::UnknownTenant(tenant.clone()))?;
        let record = self.store.customer(tenant, customer)?.ok_or_else(|| Error::NoSuchCustomer(customer.clone()))?;
        let already = self.store.is_erased(tenant, customer)?;
        let invoices: Vec<_> = self.store.invoices(tenant)?.into_iter().filter(|i| &i.customer == customer).collect();
        let notices: Vec<_> = self.store.notices(tenant)?.into_iter().filter(|n| &n.customer == customer).collect();
        // The summary reads quiet hours in the customer's zone, which goes:
        // count its sends in quiet hours now and keep only that number.
        let quiet_sends = if already {
            0
        } else {
            let tz = time::zone(&record.time_zone)?;
            let invoice_ids: HashSet<_> = invoices.iter().map(|i| &i.id).collect();
            let window = tenant_rec.settings.send_window;
            self.store
                .events(tenant)?
                .iter()
                .filter(|e| matches!(&e.kind, EventKind::NoticeSent { invoice, .. } if invoice_ids.contains(invoice)))
                .filter(|e| !window.allows(e.at, &tz))
                .count() as u64
        };
        let mut erasure = self.store.transact(|tx| {
            let mut erasure = Erasure::default();
            if let Some(current) = tx.customer(tenant, customer)? {
                tx.put_customer(&tombstone(current))?;
            }
            if !tx.is_erased(tenant, customer)? {
                tx.mark_erased(tenant, customer)?;
                tx.add_erased_quiet_sends(tenant, quiet_sends)?;
            }
            for listed in &notices {
                let Some(mut notice) = tx.notice(tenant, &listed.invoice, &listed.step)? else { continue };
                let mut changed = false;
                if !notice.fields.is_empty() {
                    notice.fields.clear();
                    erasure.notices_cleared += 1;
                    changed = true;
                }
                if !notice.state.is_final() {
                    tx.unschedule(&send_entry(&notice))?;
                    notice.state = NoticeState::Suppressed { at, reason: "customer-erased".into() };
                    tx.append_event(
                        tenant,
                        at,
                        EventKind::NoticeSuppressed {
                            notice: Some(notice.id.clone()),
                            invoice: notice.invoice.clone(),
                            step: notice.step.clone(),
                            reason: "customer-erased".into(),
                        },
                    )?;
                    erasure.notices_cancelled += 1;
                    changed = true;
                }
                if changed {
                    tx.put_notice(&notice)?;
                }
            }
            for listed in &invoices {
                let Some(mut invoice) = tx.invoice(tenant, &listed.id)? else { continue };
                if invoice.closed_reason.is_none() || invoice.next_evaluation.is_some() {
                    unschedule_evaluation(tx, &mut invoice)?;
                    invoice.closed_reason.get_or_insert_with(|| "customer erased".into());
                    tx.put_invoice(&invoice)?;
                }
            }
            if !already {
                tx.append_event(tenant, at, EventKind::CustomerErased { customer: customer.clone() })?;
            }
            Ok(erasure)
        })?;
        // The send log only held when messages went; no more are going.
        self.store.forget_sends(tenant, customer)?;
        let needles = personal_text(&record);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        erasure.redacted = self.store.redact(tenant, &needles, ERASED)?;
        // The customer's own messages lose its name however short it is.
        let mut own = needles.clone();
        if record.name != ERASED && !own.contains(&record.name.as_str()) {
            own.push(&record.name);
        }
        for notice in &notices {
            erasure.outbox_files += self.outbox.redact(tenant, &notice.id, &own, ERASED)?;
        }
        tracing::info!(%tenant, %customer, cancelled = erasure.notices_cancelled, "customer erased");
        Ok(erasure)
    }
}

/// The customer with everything personal removed; id, tier and the
/// anonymous running counts stay.
fn tombstone(mut customer: Customer) -> Customer {
    customer.name = ERASED.into();
    customer.email = None;
    customer.phone = None;
    customer.language = "und".into();
    customer.time_zone = "UTC".into();
    customer.preferred_channel = None;
    customer.opted_out = Channel::ALL.to_vec();
    customer.tags = Vec::new();
    customer
}

/// The texts that identify or reach the customer, to be removed wherever
/// the tenant's records hold them. A name shorter than four characters is
/// left out: it would also match inside unrelated words and other people's
/// records (its notices' fields and outbox files are cleared regardless).
fn personal_text(customer: &Customer) -> Vec<String> {
    let name = Some(&customer.name).filter(|n| n.chars().count() >= 4);
    [name, customer.email.as_ref(), customer.phone.as_ref()]
        .into_iter()
        .flatten()
        .filter(|t| t.as_str() != ERASED)
        .cloned()
        .collect()
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Store(nudge_store::Error::Codec { kind: "export", source: e }))
}
