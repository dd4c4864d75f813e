//! Evaluating an invoice: build the context, decide, apply guardrails, schedule.

use jiff::{Timestamp, tz::TimeZone};
use nudge_core::{
    Action, Customer, DecisionContext, EventKind, Invoice, InvoiceId, Notice, NoticeId, NoticeState, Tenant, TenantId,
    stable_hash, time,
};
use nudge_store::{ScheduleEntry, ScheduleKind, Tx, TxResult};

use crate::{Result, Scheduler, experiments, policy::Decided, send::send_entry};

/// Most notices one invoice can get, whatever its policy decides.
pub const MAX_NOTICES_PER_INVOICE: usize = 12;

/// How often one evaluation asks again when plugin versions keep changing under it.
const MAX_DECISION_ATTEMPTS: usize = 16;

impl Scheduler {
    /// Asks the policy what to do next for an invoice and acts on the answer.
    ///
    /// `entry` is the schedule entry that triggered this evaluation, if any;
    /// it is removed in the same transaction that records the outcome.
    pub(crate) fn evaluate(
        &self,
        tenant_id: &TenantId,
        invoice_id: &InvoiceId,
        now: Timestamp,
        entry: Option<&ScheduleEntry>,
    ) -> Result<()> {
        let invoice = self.store.invoice(tenant_id, invoice_id)?;
        let Some(invoice) = invoice.filter(|i| i.is_collectible() && i.closed_reason.is_none()) else {
            // Paid, void, disputed or closed since: nothing to decide.
            self.store.transact(|tx| finish(tx, entry, tenant_id, invoice_id))?;
            return Ok(());
        };
        let (tenant, customer) = self.parties(&invoice)?;
        let tz = time::zone(&customer.time_zone)?;
        let ctx = self.context(&tenant, &customer, &tz, invoice, now)?;
        // A decision counts only if the version that was active when it was
        // asked is still active when the decision is recorded: a version
        // activated (or switched off) in between means asking again, so the
        // event log never shows a decision by a version no longer active.
        for _ in 0..MAX_DECISION_ATTEMPTS {
            let decided = self.decide(&tenant, &ctx)?;
            if self.apply(&tenant, &tz, &ctx, decided, entry)? {
                return Ok(());
            }
        }
        Err(crate::Error::Contended(format!(
            "the active plugin version of tenant {} changed {MAX_DECISION_ATTEMPTS} times while invoice {} was being decided",
            tenant.id, invoice_id
        )))
    }

    fn context(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        tz: &TimeZone,
        invoice: Invoice,
        now: Timestamp,
    ) -> Result<DecisionContext> {
        let mut notices = self.store.notices_for_invoice(&tenant.id, &invoice.id)?;
        notices.sort_by_key(|n| (n.send_at, n.created_at));
        let active = self.store.active_plugin_version(&tenant.id)?.and_then(|v| self.plugin(tenant, v).ok());
        let declared = active.map(|plugin| plugin.info().experiments.clone()).unwrap_or_default();
        let running = experiments::running(&tenant.settings.experiments, &declared, now);
        let experiments = experiments::assign_running(&tenant.id, &customer.id, &running);
        let seed = stable_hash(&[tenant.id.as_str(), invoice.id.as_str(), &now.as_second().to_string()]);
        let signals = self.signals(&invoice, tz, now)?;
        Ok(DecisionContext {
            now,
            utc_offset_minutes: tz.to_offset(now).seconds() / 60,
            invoice,
            customer: customer.clone(),
            notices,
            experiments,
            seed,
            config: tenant.settings.plugin_config.clone(),
            currency: tenant.settings.currency.clone(),
            signals: Some(signals),
        })
    }

    /// Applies a decision in one transaction, under the host's guardrails;
    /// false, and nothing written, if the tenant's active plugin version is
    /// no longer the one that was active when the decision was asked for.
    fn apply(
        &self,
        tenant: &Tenant,
        tz: &TimeZone,
        ctx: &DecisionContext,
        decided: Decided,
        entry: Option<&ScheduleEntry>,
    ) -> Result<bool> {
        let invoice_id = &ctx.invoice.id;
        let now = ctx.now;
        let Decided { decision, plugin_version, fallback, active } = decided;
        let applied = self.store.transact(|tx| {
            if tx.active_plugin_version(&tenant.id)? != active {
                return Ok(false);
            }
            // Re-read inside the transaction: a payment may have landed since.
            let Some(mut invoice) = tx.invoice(&tenant.id, invoice_id)? else {
                return finish(tx, entry, &tenant.id, invoice_id).map(|()| true);
            };
            if !invoice.is_collectible() || invoice.closed_reason.is_some() {
                return finish(tx, entry, &tenant.id, invoice_id).map(|()| true);
            }
            if let Some(entry) = entry {
                tx.unschedule(entry)?;
            }
            unschedule_evaluation(tx, &mut invoice)?;
            tx.append_event(
                &tenant.id,
                now,
                EventKind::Decided {
                    invoice: invoice_id.clone(),
                    segment: decision.segment.clone(),
                    action: decision.action.as_str().to_string(),
                    plugin_version,
                    fallback,
                },
            )?;
            match &decision.action {
                Action::Notify(n) => {
                    let id = NoticeId::derive(&tenant.id, invoice_id, &n.step);
                    // One notice per invoice per step, and a bounded number
                    // per invoice, whatever the policy says.
                    let refusal = if tx.notice(&tenant.id, invoice_id, &n.step)?.is_some() {
                        Some("duplicate-step")
                    } else if ctx.notices.len() >= MAX_NOTICES_PER_INVOICE {
                        Some("notice-limit")
                    } else {
                        None
                    };
                    if let Some(reason) = refusal {
                        tx.append_event(
                            &tenant.id,
                            now,
                            EventKind::NoticeSuppressed {
                                notice: Some(id),
                                invoice: invoice_id.clone(),
                                step: n.step.clone(),
                                reason: reason.into(),
                            },
                        )?;
                    } else {
                        let earliest = n.send_at.max(now);
                        let send_at = tenant.settings.send_window.next_allowed(earliest, tz);
                        let notice = Notice {
                            id: id.clone(),
                            tenant: tenant.id.clone(),
                            invoice: invoice_id.clone(),
                            customer: invoice.customer.clone(),
                            step: n.step.clone(),
                            segment: decision.segment.clone(),
                            channel: n.channel,
                            fallbacks: n.fallbacks.clone(),
                            tone: n.tone,
                            template: n.template.clone(),
                            fields: n.fields.clone(),
                            requested_at: n.send_at,
                            send_at,
                            state: NoticeState::Scheduled,
                            plugin_version,
                            experiment_arms: experiments::for_step(
                                &tenant.settings.experiments,
                                &ctx.experiments,
                                &n.step,
                            ),
                            created_at: now,
                            message: None,
                        };
                        tx.put_notice(&notice)?;
                        tx.schedule(&send_entry(&notice))?;
                        tx.append_event(
                            &tenant.id,
                            now,
                            EventKind::NoticeScheduled {
                                notice: id,
                                invoice: invoice_id.clone(),
                                step: n.step.clone(),
                                send_at,
                                moved_from: (send_at != earliest).then_some(earliest),
                            },
                        )?;
                    }
                }
                Action::Wait { until } => {
                    tx.schedule(&ScheduleEntry {
                        due: *until,
                        tenant: tenant.id.clone(),
                        invoice: invoice_id.clone(),
                        kind: ScheduleKind::Evaluate,
                    })?;
                    invoice.next_evaluation = Some(*until);
                }
                Action::Stop { reason } => {
                    invoice.closed_reason = Some(format!("stopped: {reason}"));
                    tx.append_event(
                        &tenant.id,
                        now,
                        EventKind::Stopped { invoice: invoice_id.clone(), reason: reason.clone() },
                    )?;
                }
                Action::Escalate { reason } => {
                    invoice.closed_reason = Some(format!("escalated: {reason}"));
                    tx.append_event(
                        &tenant.id,
                        now,
                        EventKind::Escalated { invoice: invoice_id.clone(), reason: reason.clone() },
                    )?;
                }
            }
            tx.put_invoice(&invoice)?;
            Ok(true)
        })?;
        Ok(applied)
    }
}

/// Drops the triggering entry and any pending evaluation of an invoice that
/// needs no decision any more.
fn finish(tx: &mut Tx<'_>, entry: Option<&ScheduleEntry>, tenant: &TenantId, invoice_id: &InvoiceId) -> TxResult<()> {
    if let Some(entry) = entry {
        tx.unschedule(entry)?;
    }
    if let Some(mut invoice) = tx.invoice(tenant, invoice_id)?
        && invoice.next_evaluation.is_some()
    {
        unschedule_evaluation(tx, &mut invoice)?;
        tx.put_invoice(&invoice)?;
    }
    Ok(())
}

/// Removes the invoice's pending evaluation from the schedule, if it has one.
pub(crate) fn unschedule_evaluation(tx: &mut Tx<'_>, invoice: &mut Invoice) -> TxResult<()> {
    if let Some(due) = invoice.next_evaluation.take() {
        tx.unschedule(&ScheduleEntry {
            due,
            tenant: invoice.tenant.clone(),
            invoice: invoice.id.clone(),
            kind: ScheduleKind::Evaluate,
        })?;
    }
    Ok(())
}
