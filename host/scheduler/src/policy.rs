//! Asking a tenant's policy, with incidents, fallback and the circuit breaker.
//!
//! The chain: the active version; if it fails, the newest earlier version
//! not switched off; if that fails too (or there is none), the built-in
//! default policy. Every failure is an incident naming the reason.

use jiff::Timestamp;
use nudge_core::{Action, Decision, DecisionContext, Incident, IncidentKind, Tenant};
use nudge_runtime::{CallError, Metering};

use crate::{Result, Scheduler, default_policy::default_decision, scheduler::lock};

/// A decision and who made it.
#[derive(Debug, Clone)]
pub(crate) struct Decided {
    pub decision: Decision,
    /// The plugin version that decided; `None` for the built-in default.
    pub plugin_version: Option<u32>,
    /// True when something other than the active version decided.
    pub fallback: bool,
    /// The version that was active when the policy was asked: the decision
    /// is recorded only if it still is (see `evaluate`).
    pub active: Option<u32>,
}

impl Scheduler {
    /// Asks the tenant's active plugin, falling back as described above.
    pub(crate) fn decide(&self, tenant: &Tenant, ctx: &DecisionContext) -> Result<Decided> {
        let Some(active) = self.store.active_plugin_version(&tenant.id)? else {
            return Ok(Decided {
                decision: default_decision(ctx),
                plugin_version: None,
                fallback: false,
                active: None,
            });
        };
        let failure = match self.try_version(tenant, active, ctx) {
            Ok(decision) => {
                return Ok(Decided { decision, plugin_version: Some(active), fallback: false, active: Some(active) });
            }
            Err(failure) => failure,
        };
        let previous = self.previous_version(&tenant.id, active)?;
        let fallback_name = previous.map_or("default-policy".to_string(), |v| format!("version {v}"));
        // A version this very call switched off is no longer active (the
        // newest earlier version not switched off is), and that is no
        // reason to ask again.
        let switched_off = self.record_failure(tenant, active, ctx, failure, &fallback_name)?;
        let active = if switched_off { previous } else { Some(active) };
        if let Some(previous) = previous {
            match self.try_version(tenant, previous, ctx) {
                Ok(decision) => {
                    return Ok(Decided { decision, plugin_version: Some(previous), fallback: true, active });
                }
                Err(failure) => {
                    self.record_failure(tenant, previous, ctx, failure, "default-policy")?;
                }
            }
        }
        Ok(Decided { decision: default_decision(ctx), plugin_version: None, fallback: true, active })
    }

    /// One version's decision, checked; on failure, what went wrong and what it used.
    fn try_version(
        &self,
        tenant: &Tenant,
        version: u32,
        ctx: &DecisionContext,
    ) -> Result<Decision, (CallError, Metering)> {
        let plugin = self.plugin(tenant, version).map_err(|e| {
            (CallError { kind: IncidentKind::Instantiation, message: e.to_string() }, Metering::default())
        })?;
        let outcome = plugin.decide_with(ctx, &tenant.settings.limits);
        let known = |template: &str| self.template_known(&tenant.id, template);
        let result = outcome.result.and_then(|decision| check_host_values(&decision, known).map(|()| decision));
        match result {
            Ok(decision) => {
                lock(&self.breaker).record(&tenant.id, version, true);
                Ok(decision)
            }
            Err(error) => Err((error, outcome.metering)),
        }
    }

    /// Records an incident, and switches the version off if the breaker
    /// trips; true if it did.
    fn record_failure(
        &self,
        tenant: &Tenant,
        version: u32,
        ctx: &DecisionContext,
        (error, metering): (CallError, Metering),
        fallback: &str,
    ) -> Result<bool> {
        tracing::warn!(tenant = %tenant.id, invoice = %ctx.invoice.id, plugin_version = version,
            kind = error.kind.as_str(), fallback, "plugin failed; falling back");
        let incident = Incident {
            tenant: tenant.id.clone(),
            plugin_version: version,
            invoice: ctx.invoice.id.clone(),
            at: ctx.now,
            kind: error.kind,
            message: error.message,
            fuel_used: metering.fuel,
            wall_us: metering.wall_us,
            peak_memory_bytes: metering.peak_memory_bytes,
            output_bytes: metering.output_bytes,
            fallback: fallback.to_string(),
        };
        self.store.transact(|tx| tx.record_incident(&incident))?;
        if !incident.kind.is_plugin_fault() {
            return Ok(false);
        }
        let tripped = lock(&self.breaker).record(&tenant.id, version, false);
        if let Some(failures) = tripped {
            self.switch_off(tenant, version, failures, ctx.now)?;
        }
        Ok(tripped.is_some())
    }

    /// Switches `version` off and, when it was the active version, makes the
    /// newest earlier version that is not switched off active in the same
    /// transaction (else the default policy decides): the fallback chain
    /// keeps its order after the breaker trips.
    fn switch_off(&self, tenant: &Tenant, version: u32, failures: usize, at: Timestamp) -> Result<()> {
        let window = lock(&self.breaker).window();
        let active = self.store.active_plugin_version(&tenant.id)?;
        let previous = self.previous_version(&tenant.id, version)?.filter(|_| active == Some(version));
        let then = match (active == Some(version), previous) {
            (true, Some(previous)) => format!("version {previous} is active again"),
            (true, None) => "the default policy decides until a version is activated".to_string(),
            (false, _) => "it stays off until it is activated again".to_string(),
        };
        let reason = format!("circuit breaker: {failures} of the last {window} calls failed; {then}");
        tracing::error!(tenant = %tenant.id, plugin_version = version, "{reason}");
        self.store.transact(|tx| {
            tx.disable_plugin(&tenant.id, version, &reason, at)?;
            if let Some(previous) = previous {
                tx.activate_plugin(&tenant.id, previous, at)?;
            }
            Ok(())
        })?;
        Ok(())
    }
}

/// Checks values only the host can judge, in production and in an
/// upload's dry runs: a template the policy names must be a tone's default
/// or one the tenant has (`known`).
pub(crate) fn check_host_values(decision: &Decision, known: impl Fn(&str) -> bool) -> Result<(), CallError> {
    if let Action::Notify(n) = &decision.action
        && !known(&n.template)
    {
        return Err(CallError {
            kind: IncidentKind::InvalidDecision,
            message: format!(
                "template {:?} does not exist for this tenant; upload it (`nudge template upload`), \
                 or use \"\" or a tone for the default template of the tone",
                n.template
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::{Channel, Notify, Tone};

    fn naming(template: &str) -> Decision {
        Decision {
            segment: "regular".into(),
            action: Action::Notify(Notify {
                send_at: Timestamp::UNIX_EPOCH,
                channel: Channel::Email,
                fallbacks: Vec::new(),
                tone: Tone::Firm,
                template: template.into(),
                step: "overdue-1".into(),
                fields: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_named_template_must_be_known_to_the_tenant() {
        let known = |name: &str| name.is_empty() || name == "firm" || name == "winback";
        assert!(check_host_values(&naming("winback"), known).is_ok());
        assert!(check_host_values(&naming(""), known).is_ok());
        let err = check_host_values(&naming("nonesuch"), known).unwrap_err();
        assert_eq!(err.kind, IncidentKind::InvalidDecision);
        assert!(err.message.contains("\"nonesuch\" does not exist for this tenant"), "{}", err.message);
        let wait = Decision { segment: "x".into(), action: Action::Wait { until: Timestamp::UNIX_EPOCH } };
        assert!(check_host_values(&wait, |_| false).is_ok(), "only notices name templates");
    }
}
