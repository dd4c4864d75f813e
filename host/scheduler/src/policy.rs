//! Asking a tenant's policy, with incidents, fallback and the circuit breaker.

use jiff::Timestamp;
use nudge_core::{Action, Decision, DecisionContext, Incident, IncidentKind, Tenant};
use nudge_runtime::CallError;

use crate::{Result, Scheduler, default_policy::default_decision, scheduler::lock};

/// A decision and who made it.
#[derive(Debug, Clone)]
pub(crate) struct Decided {
    pub decision: Decision,
    /// The plugin version that decided; `None` for the built-in default.
    pub plugin_version: Option<u32>,
    /// True when the default policy stood in for a failed plugin.
    pub fallback: bool,
}

impl Scheduler {
    /// Asks the tenant's active plugin, falling back to the default policy.
    pub(crate) fn decide(&self, tenant: &Tenant, ctx: &DecisionContext) -> Result<Decided> {
        let Some((version, plugin)) = self.active_plugin(&tenant.id)? else {
            return Ok(Decided { decision: default_decision(ctx), plugin_version: None, fallback: false });
        };
        let outcome = plugin.decide(ctx);
        let result = outcome.result.and_then(|d| self.check_host_values(d));
        let failure = match result {
            Ok(decision) => {
                lock(&self.breaker).record(&tenant.id, version, true);
                return Ok(Decided { decision, plugin_version: Some(version), fallback: false });
            }
            Err(failure) => failure,
        };
        tracing::warn!(tenant = %tenant.id, invoice = %ctx.invoice.id, plugin_version = version,
            kind = failure.kind.as_str(), "plugin failed; default policy decides instead");
        let incident = Incident {
            tenant: tenant.id.clone(),
            plugin_version: version,
            invoice: ctx.invoice.id.clone(),
            at: ctx.now,
            kind: failure.kind,
            message: failure.message,
            fuel_used: outcome.metering.fuel,
            wall_us: outcome.metering.wall_us,
            fallback: "default-policy".into(),
        };
        self.store.transact(|tx| tx.record_incident(&incident))?;
        let tripped = lock(&self.breaker).record(&tenant.id, version, false);
        if let Some(failures) = tripped {
            self.switch_off(tenant, version, failures, ctx.now)?;
        }
        Ok(Decided { decision: default_decision(ctx), plugin_version: Some(version), fallback: true })
    }

    /// Checks values only the host can judge (templates the tenant has).
    fn check_host_values(&self, decision: Decision) -> Result<Decision, CallError> {
        if let Action::Notify(n) = &decision.action
            && !n.template.is_empty()
        {
            return Err(CallError {
                kind: IncidentKind::InvalidDecision,
                message: format!(
                    "template {:?} does not exist for this tenant; use \"\" for the default template of the tone",
                    n.template
                ),
            });
        }
        Ok(decision)
    }

    fn switch_off(&self, tenant: &Tenant, version: u32, failures: usize, at: Timestamp) -> Result<()> {
        let window = lock(&self.breaker).window();
        let reason = format!(
            "circuit breaker: {failures} of the last {window} calls failed; the default policy decides until a new version is activated"
        );
        tracing::error!(tenant = %tenant.id, plugin_version = version, "{reason}");
        self.store.transact(|tx| tx.disable_plugin(&tenant.id, version, &reason, at))?;
        self.forget_plugin(&tenant.id);
        Ok(())
    }
}
