//! `nudge plugin check FILE --conformance`: run the conformance kit on a component.

use std::{path::Path, process::ExitCode};

use anyhow::Result;
use nudge_runtime::conformance::{self, CaseReport};
use nudge_runtime::{Metering, PluginLimits};
use serde::Serialize;

/// The verdict of the conformance kit, as `--json` prints it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// True when the component loaded and every case passed.
    pub ok: bool,
    /// Why not: the load error, or each failed case with its invariants; empty when ok.
    pub reason: String,
    /// The plugin's name, if it loaded.
    pub name: String,
    /// The plugin's declared version, if it loaded.
    pub version: String,
    /// sha256 of the component, if it loaded.
    pub sha256: String,
    /// Every case: name, what it is about, passed, decision, failures, metering.
    pub cases: Vec<CaseReport>,
    /// The largest of each figure over every call.
    pub worst: Metering,
}

/// Loads the component at `path` as an upload would (compile worker,
/// import allow-list, type-check, `describe`) and runs the kit on it under
/// `limits` (a tenant's).
pub fn check(path: &Path, limits: &PluginLimits) -> Verdict {
    let loaded = crate::output::read_capped(path, nudge_runtime::MAX_COMPONENT_BYTES)
        .and_then(|bytes| Ok(crate::runtime::runtime(None)?.load_with(&bytes, limits)?));
    let plugin = match loaded {
        Ok(plugin) => plugin,
        Err(error) => return Verdict { reason: format!("{error:#}"), ..Verdict::default() },
    };
    let report = conformance::run(&plugin, limits);
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|case| !case.passed)
        .map(|case| {
            let invariants: Vec<&str> = case.failures.iter().map(|failure| failure.invariant.as_str()).collect();
            format!("{} ({})", case.name, invariants.join(", "))
        })
        .collect();
    Verdict {
        ok: report.passed,
        reason: if failed.is_empty() { String::new() } else { format!("failed: {}", failed.join("; ")) },
        name: report.name,
        version: report.version,
        sha256: report.sha256,
        cases: report.cases,
        worst: report.worst,
    }
}

/// Runs the command: prints the verdict; exit 0 when every case passed, 1 when not.
pub fn main(path: &Path, json: bool, flags: &crate::admin::LimitFlags) -> Result<ExitCode> {
    let limits = crate::admin::checked_limits(flags)?;
    let verdict = check(path, &limits);
    if json {
        crate::outln!("{}", serde_json::to_string(&verdict)?);
    } else if verdict.cases.is_empty() {
        crate::outln!("rejected: {}", verdict.reason);
    } else {
        let passed = verdict.cases.iter().filter(|case| case.passed).count();
        crate::outln!(
            "conformance of {} {} (sha256 {}): {passed} of {} cases passed",
            verdict.name,
            verdict.version,
            verdict.sha256,
            verdict.cases.len()
        );
        let width = verdict.cases.iter().map(|case| case.name.len()).max().unwrap_or(0);
        for case in &verdict.cases {
            let mark = if case.passed { "pass" } else { "FAIL" };
            crate::outln!("  {mark}  {:<width$}  {}  [fuel {}]", case.name, case.decision, case.metering.fuel);
            for failure in &case.failures {
                crate::outln!("        {}: {}", failure.invariant, failure.detail);
            }
        }
        let worst = verdict.worst;
        crate::outln!(
            "worst call: fuel {} of {}, {} µs, peak memory {} bytes of {}, output {} bytes",
            worst.fuel,
            limits.fuel,
            worst.wall_us,
            worst.peak_memory_bytes,
            limits.memory_bytes,
            worst.output_bytes
        );
        if !verdict.ok {
            crate::outln!("{}", verdict.reason);
        }
    }
    Ok(if verdict.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
