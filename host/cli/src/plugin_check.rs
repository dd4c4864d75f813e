//! `nudge plugin check`: validate and meter a component before upload.

use std::{path::Path, process::ExitCode};

use anyhow::Result;
use nudge_core::Action;
use nudge_runtime::{Metering, PluginLimits, fixtures};
use serde::Serialize;

/// The verdict on a component.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// True when the component may be activated.
    pub ok: bool,
    /// Why it was rejected; empty when accepted.
    pub reason: String,
    /// Most fuel one dry-run call used.
    pub fuel: u64,
    /// Longest dry-run call, in microseconds.
    pub wall_us: u64,
    /// Largest linear memory reached, in bytes.
    pub peak_memory_bytes: u64,
    /// Most bytes one decision handed back.
    pub output_bytes: u64,
    /// The plugin's name, if it loaded.
    pub name: String,
    /// The plugin's declared version, if it loaded.
    pub version: String,
    /// sha256 of the file, if it loaded.
    pub sha256: String,
    /// The `nudge:policy` WIT version it was built against ("0.2.0" or "0.1.0"), if it loaded.
    pub wit: String,
    /// Each fixture and what the plugin decided on it.
    pub fixtures: Vec<FixtureResult>,
}

/// One dry run.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureResult {
    /// Fixture name.
    pub name: String,
    /// "notify overdue-1 via email (friendly)", "wait", ... or the error.
    pub decision: String,
    /// Fuel used.
    pub fuel: u64,
    /// Wall time in microseconds.
    pub wall_us: u64,
}

/// Checks the component at `path` under `limits` (a tenant's), compiling it
/// in the compile worker as an upload would.
pub fn check(path: &Path, limits: &PluginLimits) -> Report {
    let mut report = Report::default();
    let bytes = match crate::output::read_capped(path, nudge_runtime::MAX_COMPONENT_BYTES) {
        Ok(b) => b,
        Err(e) => {
            report.reason = format!("{e:#}");
            return report;
        }
    };
    let runtime = match crate::runtime::runtime(None) {
        Ok(r) => r,
        Err(e) => {
            report.reason = e.to_string();
            return report;
        }
    };
    let plugin = match runtime.load_with(&bytes, limits) {
        Ok(p) => p,
        Err(e) => {
            report.reason = e.to_string();
            return report;
        }
    };
    report.name = plugin.info().name.clone();
    report.version = plugin.info().version.clone();
    report.sha256 = plugin.sha256().to_string();
    report.wit = plugin.wit_version().to_string();
    let mut failures = Vec::new();
    for (name, ctx) in fixtures::contexts() {
        let outcome = plugin.decide_with(&ctx, limits);
        absorb(&mut report, outcome.metering);
        let decision = match &outcome.result {
            Ok(d) => match &d.action {
                Action::Notify(n) => {
                    format!("notify {} via {} ({}) for segment {}", n.step, n.channel, n.tone, d.segment)
                }
                other => format!("{} for segment {}", other.as_str(), d.segment),
            },
            Err(e) => {
                failures.push(format!("fixture {name}: {e}"));
                format!("error: {e}")
            }
        };
        report.fixtures.push(FixtureResult {
            name: name.to_string(),
            decision,
            fuel: outcome.metering.fuel,
            wall_us: outcome.metering.wall_us,
        });
    }
    report.ok = failures.is_empty();
    report.reason = failures.join("; ");
    report
}

fn absorb(report: &mut Report, m: Metering) {
    report.fuel = report.fuel.max(m.fuel);
    report.wall_us = report.wall_us.max(m.wall_us);
    report.peak_memory_bytes = report.peak_memory_bytes.max(m.peak_memory_bytes);
    report.output_bytes = report.output_bytes.max(m.output_bytes);
}

/// Runs the command: prints the report, exit 0 when accepted, 1 when not.
pub fn main(path: &Path, json: bool, flags: &crate::admin::LimitFlags) -> Result<ExitCode> {
    let limits = crate::admin::checked_limits(flags)?;
    let report = check(path, &limits);
    if json {
        crate::outln!("{}", serde_json::to_string(&report)?);
    } else if report.ok {
        crate::outln!(
            "accepted: {} {} (nudge:policy@{}, sha256 {})",
            report.name,
            report.version,
            report.wit,
            report.sha256
        );
        for f in &report.fixtures {
            crate::outln!("  {:<24} {}  [fuel {}, {} µs]", f.name, f.decision, f.fuel, f.wall_us);
        }
        crate::outln!(
            "worst call: fuel {} of {}, {} µs, peak memory {} bytes of {}, output {} bytes",
            report.fuel,
            limits.fuel,
            report.wall_us,
            report.peak_memory_bytes,
            limits.memory_bytes,
            report.output_bytes
        );
    } else {
        crate::outln!("rejected: {}", report.reason);
    }
    Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
