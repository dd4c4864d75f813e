//! `nudge report` and `nudge experiment`: the tenant's analytics in the
//! terminal, as JSON, CSV or an HTML page, and the experiments it runs.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use nudge_analytics::render;
use nudge_core::{Arm, Experiment};

use crate::admin::Target;

/// `nudge report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportOptions {
    #[command(flatten)]
    pub target: Target,
    /// Print the KPIs as CSV (one row per slice and KPI) instead of text.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Also write the report as a self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Runs `nudge report`.
pub fn main(options: &ReportOptions) -> Result<ExitCode> {
    let (scheduler, tenant) = options.target.open()?;
    let report = scheduler.analytics(&tenant)?;
    if let Some(path) = &options.html {
        std::fs::write(path, render::html(&report, tenant.as_str()))
            .with_context(|| format!("cannot write the HTML report to {}", path.display()))?;
    }
    if options.target.json {
        crate::outln!("{}", serde_json::to_string(&report)?);
    } else if options.csv {
        crate::outln!("{}", render::csv(&report).trim_end());
    } else {
        crate::outln!("{}", render::text(&report, tenant.as_str()).trim_end());
        if let Some(path) = &options.html {
            crate::outln!("HTML report: {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `nudge experiment set`.
#[derive(Debug, Clone, clap::Args)]
pub struct SetOptions {
    /// The experiment's name (as the plugin sees it).
    pub name: String,
    /// An arm and its weight, `NAME=WEIGHT` (or `NAME` for weight 1);
    /// give two or more. The first is the control unless one is named `control`.
    #[arg(long = "arm", required = true, value_name = "NAME=WEIGHT")]
    pub arms: Vec<String>,
    /// The step whose notices it applies to (default: every step).
    #[arg(long)]
    pub step: Option<String>,
    /// When it starts, RFC 3339 (default: now).
    #[arg(long)]
    pub start: Option<Timestamp>,
    /// When it stops, RFC 3339 (default: never).
    #[arg(long)]
    pub stop: Option<Timestamp>,
    #[command(flatten)]
    pub target: Target,
}

/// Parses `NAME=WEIGHT` or `NAME`.
fn parse_arm(text: &str) -> Result<Arm> {
    let (name, weight) = match text.split_once('=') {
        Some((name, weight)) => {
            let weight =
                weight.trim().parse().with_context(|| format!("arm {text:?}: the weight must be a whole number"))?;
            (name.trim(), weight)
        }
        None => (text.trim(), 1),
    };
    Ok(Arm { name: name.to_string(), weight })
}

/// Runs `nudge experiment set`: defines or replaces an experiment.
pub fn set(options: &SetOptions) -> Result<ExitCode> {
    let (scheduler, tenant_id) = options.target.open()?;
    let arms = options.arms.iter().map(|a| parse_arm(a)).collect::<Result<Vec<_>>>()?;
    let experiment = Experiment {
        name: options.name.clone(),
        arms,
        step: options.step.clone(),
        start: options.start.or_else(|| Some(Timestamp::now())),
        stop: options.stop,
    };
    experiment.validate()?;
    let mut tenant = scheduler.store().tenant(&tenant_id)?.context("tenant vanished")?;
    let experiments = &mut tenant.settings.experiments;
    match experiments.iter_mut().find(|e| e.name == experiment.name) {
        Some(existing) => *existing = experiment.clone(),
        None => experiments.push(experiment.clone()),
    }
    scheduler.put_tenant(&tenant)?;
    scheduler.store().flush()?;
    print_experiments(&options.target, &tenant.settings.experiments)
}

/// Runs `nudge experiment list`.
pub fn list(target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant_id) = target.open()?;
    let tenant = scheduler.store().tenant(&tenant_id)?.context("tenant vanished")?;
    print_experiments(target, &tenant.settings.experiments)
}

/// Runs `nudge experiment remove NAME`.
pub fn remove(name: &str, target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant_id) = target.open()?;
    let mut tenant = scheduler.store().tenant(&tenant_id)?.context("tenant vanished")?;
    let before = tenant.settings.experiments.len();
    tenant.settings.experiments.retain(|e| e.name != name);
    if tenant.settings.experiments.len() == before {
        bail!("tenant {tenant_id} has no experiment named {name:?}");
    }
    scheduler.put_tenant(&tenant)?;
    scheduler.store().flush()?;
    print_experiments(target, &tenant.settings.experiments)
}

fn print_experiments(target: &Target, experiments: &[Experiment]) -> Result<ExitCode> {
    if target.json {
        crate::outln!("{}", serde_json::to_string(experiments)?);
        return Ok(ExitCode::SUCCESS);
    }
    if experiments.is_empty() {
        crate::outln!("tenant {} defines no experiments", target.tenant);
    }
    for e in experiments {
        let arms: Vec<String> = e.arms.iter().map(|a| format!("{}={}", a.name, a.weight)).collect();
        crate::outln!(
            "{}: arms {}; step {}; from {} until {}",
            e.name,
            arms.join(", "),
            e.step.as_deref().unwrap_or("every step"),
            e.start.map_or("the start".into(), |t| t.to_string()),
            e.stop.map_or("further notice".into(), |t| t.to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}
