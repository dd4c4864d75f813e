//! The conformance kit: contexts and invariants any policy build can be run
//! against, whatever language it was written in.
//!
//! [`run`] asks a loaded plugin to decide on every [`Case`] (the dry-run
//! fixtures, edge cases such as a paid invoice or a customer who opted out
//! of everything, and one case per arm of each experiment the plugin
//! declares) and checks each decision against the [`Invariant`]s. The
//! host's own checks of a decision (`validate.rs`) are reused, not repeated:
//! a decision they reject fails the invariant named after the rule it broke.
//!
//! ```no_run
//! use nudge_runtime::{Limits, Runtime, conformance};
//!
//! let runtime = Runtime::new(Limits::default()).unwrap();
//! let plugin = runtime.load(&std::fs::read("policy.wasm").unwrap()).unwrap();
//! let report = conformance::run(&plugin, &Limits::default().plugin);
//! for (case, failure) in report.failures() {
//!     println!("{case}: {} ({})", failure.invariant, failure.detail);
//! }
//! ```

mod cases;

use std::fmt;

use nudge_core::{Action, Decision, IncidentKind, InvoiceStatus};
use serde::Serialize;

pub use cases::{Case, cases};

use crate::{Metering, Plugin, PluginLimits, plugin::Traced, validate::Rule};

/// A property every decision of a conforming policy has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// `describe` names the policy and version, and declares experiments with distinct, non-empty arms.
    Describe,
    /// The call finishes within the plugin limits: no trap, no exhausted fuel,
    /// deadline, memory or table limit, no output over the cap.
    WithinLimits,
    /// The plugin returns a decision rather than declining with a `policy-error`
    /// (declining is allowed only on a configuration it may not know).
    Decides,
    /// The decision passes the host's checks of labels, texts, fields and
    /// channel lists (`validate.rs`).
    ValidDecision,
    /// A send or wait time is not more than a day in the past nor more than
    /// 366 days ahead, and a wait time is after now (`validate.rs`).
    SendTimeInRange,
    /// No channel or fallback is one the customer opted out of.
    ChannelNotOptedOut,
    /// No channel or fallback is one the host cannot deliver on for this customer.
    ChannelReachable,
    /// No notice for a paid, void or uncollectible invoice, or one with nothing remaining.
    NoNoticeWhenNothingOwed,
    /// No notice for an invoice the customer disputes.
    NoNoticeWhenDisputed,
    /// The same context twice gives the same decision.
    Deterministic,
}

impl Invariant {
    /// Every invariant, in the order reports list them.
    pub const ALL: [Invariant; 10] = [
        Invariant::Describe,
        Invariant::WithinLimits,
        Invariant::Decides,
        Invariant::ValidDecision,
        Invariant::SendTimeInRange,
        Invariant::ChannelNotOptedOut,
        Invariant::ChannelReachable,
        Invariant::NoNoticeWhenNothingOwed,
        Invariant::NoNoticeWhenDisputed,
        Invariant::Deterministic,
    ];

    /// The invariant's name in reports, e.g. `channel-not-opted-out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Invariant::Describe => "describe",
            Invariant::WithinLimits => "within-limits",
            Invariant::Decides => "decides",
            Invariant::ValidDecision => "valid-decision",
            Invariant::SendTimeInRange => "send-time-in-range",
            Invariant::ChannelNotOptedOut => "channel-not-opted-out",
            Invariant::ChannelReachable => "channel-reachable",
            Invariant::NoNoticeWhenNothingOwed => "no-notice-when-nothing-owed",
            Invariant::NoNoticeWhenDisputed => "no-notice-when-disputed",
            Invariant::Deterministic => "deterministic",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invariant a case broke, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The invariant broken.
    pub invariant: Invariant,
    /// What happened, e.g. the host's reason for rejecting the decision.
    pub detail: String,
}

/// What became of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// The case's name, e.g. `paid`.
    pub name: String,
    /// What the case is about.
    pub about: String,
    /// True when no invariant failed.
    pub passed: bool,
    /// What the plugin decided, in a few words, or why there is no decision.
    pub decision: String,
    /// The invariants broken; empty when the case passed.
    pub failures: Vec<Failure>,
    /// What the first of the two calls used.
    pub metering: Metering,
}

/// The verdict of the kit on one plugin.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when every case passed.
    pub passed: bool,
    /// The plugin's name, from `describe`.
    pub name: String,
    /// The plugin's version, from `describe`.
    pub version: String,
    /// sha256 of the component.
    pub sha256: String,
    /// Every case, in order; `describe` first.
    pub cases: Vec<CaseReport>,
    /// The largest of each figure over every call.
    pub worst: Metering,
}

impl Report {
    /// Every failure, with the name of its case.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &Failure)> {
        self.cases.iter().flat_map(|case| case.failures.iter().map(move |failure| (case.name.as_str(), failure)))
    }

    /// True when `case` broke `invariant`.
    pub fn broke(&self, case: &str, invariant: Invariant) -> bool {
        self.failures().any(|(name, failure)| name == case && failure.invariant == invariant)
    }
}

/// Runs every case against `plugin` under `limits`, each one twice.
pub fn run(plugin: &Plugin, limits: &PluginLimits) -> Report {
    let info = plugin.info();
    let mut worst = Metering::default();
    let mut reports = vec![describe(plugin)];
    for case in cases(info) {
        let first = plugin.decide_traced(&case.context, limits);
        let second = plugin.decide_traced(&case.context, limits);
        worst = worst.max(first.outcome.metering).max(second.outcome.metering);
        let mut failures = check(&case, &first);
        if let Some(detail) = difference(&first, &second) {
            failures.push(Failure { invariant: Invariant::Deterministic, detail });
        }
        reports.push(CaseReport {
            name: case.name,
            about: case.about,
            passed: failures.is_empty(),
            decision: summary(&first),
            failures,
            metering: first.outcome.metering,
        });
    }
    Report {
        passed: reports.iter().all(|case| case.passed),
        name: info.name.clone(),
        version: info.version.clone(),
        sha256: plugin.sha256().to_string(),
        cases: reports,
        worst,
    }
}

/// The `describe` case: what the plugin said about itself when it loaded.
fn describe(plugin: &Plugin) -> CaseReport {
    let info = plugin.info();
    let mut problems = Vec::new();
    if info.name.trim().is_empty() {
        problems.push("the policy name is empty".to_string());
    }
    if info.version.trim().is_empty() {
        problems.push("the policy version is empty".to_string());
    }
    for (index, (name, arms)) in info.experiments.iter().enumerate() {
        if name.trim().is_empty() {
            problems.push(format!("experiment {} has an empty name", index + 1));
        }
        if info.experiments[..index].iter().any(|(earlier, _)| earlier == name) {
            problems.push(format!("experiment {name:?} is declared twice"));
        }
        if arms.is_empty() {
            problems.push(format!("experiment {name:?} has no arms"));
        }
        for (position, arm) in arms.iter().enumerate() {
            if arm.trim().is_empty() {
                problems.push(format!("experiment {name:?} has an empty arm"));
            } else if arms[..position].contains(arm) {
                problems.push(format!("experiment {name:?} lists arm {arm:?} twice"));
            }
        }
    }
    let experiments: Vec<String> =
        info.experiments.iter().map(|(name, arms)| format!("{name} [{}]", arms.join(", "))).collect();
    let failures: Vec<Failure> =
        problems.into_iter().map(|detail| Failure { invariant: Invariant::Describe, detail }).collect();
    CaseReport {
        name: "describe".into(),
        about: "what the plugin says about itself".into(),
        passed: failures.is_empty(),
        decision: format!(
            "{} {}{}",
            info.name,
            info.version,
            if experiments.is_empty() { String::new() } else { format!("; experiments: {}", experiments.join("; ")) }
        ),
        failures,
        metering: Metering::default(),
    }
}

/// The invariants one call broke on `case`.
fn check(case: &Case, traced: &Traced) -> Vec<Failure> {
    let mut failures = Vec::new();
    let fail = |invariant, detail: &str| Failure { invariant, detail: detail.to_string() };
    match &traced.outcome.result {
        Ok(_) => {}
        Err(error) => match error.kind {
            IncidentKind::PolicyError if case.may_decline => {}
            IncidentKind::PolicyError => failures.push(fail(Invariant::Decides, &error.message)),
            IncidentKind::InvalidDecision => {
                let invariant = match traced.broken_rule {
                    // Over the output cap: a limit of the call, not a rule of the decision.
                    None => Invariant::WithinLimits,
                    Some(Rule::SendTime | Rule::WaitTime) => Invariant::SendTimeInRange,
                    Some(Rule::OptedOutChannel) => Invariant::ChannelNotOptedOut,
                    Some(Rule::UnreachableChannel) => Invariant::ChannelReachable,
                    Some(Rule::Label | Rule::Text | Rule::Fields | Rule::DuplicateChannel) => Invariant::ValidDecision,
                };
                failures.push(fail(invariant, &error.message));
            }
            IncidentKind::Trap
            | IncidentKind::OutOfFuel
            | IncidentKind::Deadline
            | IncidentKind::ResourceLimit
            | IncidentKind::Instantiation => {
                failures.push(fail(Invariant::WithinLimits, &format!("{}: {}", error.kind.as_str(), error.message)));
            }
        },
    }
    if traced.returned_notify {
        let invoice = &case.context.invoice;
        if invoice.status != InvoiceStatus::Open || invoice.amount_remaining_minor <= 0 {
            let detail = format!(
                "notified although the invoice is {} with {} minor units remaining",
                invoice.status.as_str(),
                invoice.amount_remaining_minor
            );
            failures.push(fail(Invariant::NoNoticeWhenNothingOwed, &detail));
        } else if invoice.disputed {
            failures.push(fail(Invariant::NoNoticeWhenDisputed, "notified on a disputed invoice"));
        }
    }
    failures
}

/// How two calls on the same context differed, if they did.
fn difference(first: &Traced, second: &Traced) -> Option<String> {
    match (&first.outcome.result, &second.outcome.result) {
        (Ok(a), Ok(b)) if a == b => None,
        (Err(a), Err(b)) if a.kind == b.kind => None,
        _ => Some(format!("first call: {}; second call: {}", summary(first), summary(second))),
    }
}

/// A decision in a few words, or the error.
fn summary(traced: &Traced) -> String {
    match &traced.outcome.result {
        Ok(decision) => describe_decision(decision),
        Err(error) if error.kind == IncidentKind::PolicyError => format!("declined: {}", error.message),
        Err(error) => format!("error: {error}"),
    }
}

/// A decision in a few words: `notify overdue-1 via email (friendly) at … for segment new`.
pub fn describe_decision(decision: &Decision) -> String {
    let segment = &decision.segment;
    match &decision.action {
        Action::Notify(n) => {
            let fallbacks = if n.fallbacks.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = n.fallbacks.iter().map(|c| c.as_str()).collect();
                format!(", then {}", names.join(", "))
            };
            format!(
                "notify {} via {}{fallbacks} ({}) at {} for segment {segment}",
                n.step, n.channel, n.tone, n.send_at
            )
        }
        Action::Wait { until } => format!("wait until {until} for segment {segment}"),
        Action::Stop { reason } => format!("stop ({reason}) for segment {segment}"),
        Action::Escalate { reason } => format!("escalate ({reason}) for segment {segment}"),
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use nudge_core::{Channel, Notify, Tone};

    use super::*;
    use crate::{CallError, Outcome, PolicyInfo};

    fn traced(result: Result<Decision, CallError>, returned_notify: bool, broken_rule: Option<Rule>) -> Traced {
        Traced {
            outcome: Outcome { result, metering: Metering::default(), log: Vec::new() },
            broken_rule,
            returned_notify,
        }
    }

    fn notify(step: &str) -> Decision {
        let send_at = Timestamp::UNIX_EPOCH;
        let notice = Notify {
            send_at,
            channel: Channel::Email,
            fallbacks: vec![],
            tone: Tone::Firm,
            template: String::new(),
            step: step.into(),
            fields: vec![],
        };
        Decision { segment: "s".into(), action: Action::Notify(notice) }
    }

    fn case(name: &str) -> Case {
        let info = PolicyInfo { name: "p".into(), version: "1".into(), experiments: vec![] };
        cases(&info).into_iter().find(|case| case.name == name).unwrap()
    }

    fn invariants(failures: &[Failure]) -> Vec<Invariant> {
        failures.iter().map(|failure| failure.invariant).collect()
    }

    #[test]
    fn different_decisions_on_the_same_context_are_named() {
        let a = traced(Ok(notify("overdue-1")), true, None);
        let b = traced(Ok(notify("overdue-7")), true, None);
        let detail = difference(&a, &b).unwrap();
        assert!(detail.contains("overdue-1") && detail.contains("overdue-7"), "{detail}");
        assert_eq!(difference(&a, &a.clone()), None);
        let trap = traced(Err(CallError::new(IncidentKind::Trap, "boom")), false, None);
        assert!(difference(&a, &trap).is_some());
        assert_eq!(difference(&trap, &trap.clone()), None, "the same failure twice is deterministic");
    }

    #[test]
    fn rejected_rules_map_to_their_invariants() {
        let rejected = |rule| {
            let error = CallError::new(IncidentKind::InvalidDecision, "rejected");
            invariants(&check(&case("overdue-2-days"), &traced(Err(error), true, rule)))
        };
        assert_eq!(rejected(Some(Rule::OptedOutChannel)), [Invariant::ChannelNotOptedOut]);
        assert_eq!(rejected(Some(Rule::UnreachableChannel)), [Invariant::ChannelReachable]);
        assert_eq!(rejected(Some(Rule::SendTime)), [Invariant::SendTimeInRange]);
        assert_eq!(rejected(Some(Rule::WaitTime)), [Invariant::SendTimeInRange]);
        assert_eq!(rejected(Some(Rule::Label)), [Invariant::ValidDecision]);
        assert_eq!(rejected(None), [Invariant::WithinLimits], "over the output cap");
    }

    #[test]
    fn declining_is_allowed_only_on_an_unknown_configuration() {
        let declined = traced(Err(CallError::new(IncidentKind::PolicyError, "bad-config: nope")), false, None);
        assert!(check(&case("unknown-config"), &declined).is_empty());
        assert_eq!(invariants(&check(&case("overdue-2-days"), &declined)), [Invariant::Decides]);
        let fuel = traced(Err(CallError::new(IncidentKind::OutOfFuel, "fuel")), false, None);
        assert_eq!(invariants(&check(&case("unknown-config"), &fuel)), [Invariant::WithinLimits]);
    }

    #[test]
    fn a_notice_on_a_closed_invoice_fails_even_when_the_host_rejects_it_for_another_reason() {
        let error = CallError::new(IncidentKind::InvalidDecision, "opted out");
        let failures = check(&case("paid"), &traced(Err(error), true, Some(Rule::OptedOutChannel)));
        assert_eq!(invariants(&failures), [Invariant::ChannelNotOptedOut, Invariant::NoNoticeWhenNothingOwed]);
        let stop = Decision { segment: "s".into(), action: Action::Stop { reason: "paid".into() } };
        assert!(check(&case("paid"), &traced(Ok(stop), false, None)).is_empty());
        let failures = check(&case("disputed"), &traced(Ok(notify("overdue-1")), true, None));
        assert_eq!(invariants(&failures), [Invariant::NoNoticeWhenDisputed]);
    }

    #[test]
    fn invariant_names_are_kebab_case_and_match_serde() {
        for invariant in Invariant::ALL {
            let json = serde_json::to_string(&invariant).unwrap();
            assert_eq!(json, format!("\"{invariant}\""));
        }
    }
}
