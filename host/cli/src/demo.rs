//! `nudge demo`: the main job on real data, on a virtual clock.
//!
//! Creates a tenant, installs the bundled standard policy (or `--plugin`),
//! imports the accounts-receivable history and replays 2012-01-01 to
//! 2014-01-31: each invoice is issued at 09:00 local time on its invoice
//! date, and its full payment arrives at 00:00 local time on its real
//! settlement date (or one minute after issue, if settled the same day).

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_ingest::ar;
use nudge_runtime::Runtime;
use nudge_scheduler::{Summary, replay::FeedItem};
use serde::Serialize;

use crate::history;

/// The real example data, embedded so the demo runs from anywhere.
const EXAMPLE_CSV: &[u8] = include_bytes!("../../../examples/data/accounts-receivable.csv");
/// Marks a data directory as the demo's own, so a rerun may wipe it.
const MARKER: &str = ".nudge-demo";
/// Largest CSV the commands read: 256 MiB.
pub const MAX_CSV_BYTES: u64 = history::MAX_HISTORY_BYTES;
/// The demo tenant.
pub const TENANT: &str = "acme";

/// Options of `nudge demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Data directory for the store and the outbox; each run starts it afresh.
    #[arg(long, default_value = "nudge-demo-data")]
    pub data_dir: PathBuf,
    /// History to replay instead of the bundled example data: an
    /// accounts-receivable CSV, or a nudge JSON history (*.json).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Policy component to use instead of the bundled standard policy.
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Also write the plugin metering (Prometheus text format) to this file.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Per-call limits of the demo tenant's plugin, as `nudge tenant limits`
    /// sets them (a plugin with an embedded interpreter needs larger ones).
    #[command(flatten, next_help_heading = "Plugin limits of the demo tenant")]
    pub limits: crate::admin::LimitFlags,
}

/// What the demo prints.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The summary of the replay.
    #[serde(flatten)]
    pub summary: Summary,
    /// The policy plugin that decided: name, version, sha256.
    pub plugin: String,
    /// First day of the replay.
    pub replay_from: String,
    /// Last day of the replay.
    pub replay_until: String,
    /// Wall time of import and replay, in milliseconds.
    pub elapsed_ms: u128,
    /// The HTML report of the replay (`nudge report --html`), in the data directory.
    pub report_html: String,
    /// Days sales outstanding over the replay (see `nudge report`).
    pub dso_days: Option<f64>,
    /// Mean days paid after the due date, over the replay.
    pub avg_days_late: Option<f64>,
}

/// Runs the demo and returns its report.
pub fn run(options: &Options) -> Result<DemoReport> {
    run_with(options, None)
}

/// Like [`run`], on `runtime` if given instead of a runtime that caches
/// compiled plugins in the data directory (which each run wipes): tests
/// replaying with large plugins share one runtime and its compiled plugins.
pub fn run_with(options: &Options, runtime: Option<Runtime>) -> Result<DemoReport> {
    let started = Instant::now();
    if let Some(path) = &options.metrics {
        // Fail before the replay, not after it, if the metrics cannot be written.
        fs::write(path, "").with_context(|| format!("cannot write metrics to {}", path.display()))?;
    }
    prepare(&options.data_dir)?;
    // Absolute, so the printed outbox path works from any directory.
    let data_dir = fs::canonicalize(&options.data_dir)?;
    let runtime = match runtime {
        Some(runtime) => runtime,
        None => crate::runtime::runtime(Some(&data_dir))?,
    };
    let scheduler = crate::runtime::scheduler_on(&data_dir, runtime)?;
    let tenant_id = TenantId::new(TENANT)?;
    let (history, window) = match &options.csv {
        // Another file is replayed over its own span (see `History::span`).
        Some(path) => {
            let history = crate::history::read(path, &tenant_id)?;
            let window = history.span().context("the file has no invoices")?;
            (history, window)
        }
        // The bundled history over its documented window.
        None => (
            ar::read(EXAMPLE_CSV, &tenant_id)?.into_history()?,
            ("2012-01-01T00:00:00Z".parse()?, "2014-01-31T23:59:59Z".parse()?),
        ),
    };
    let bytes = match &options.plugin {
        Some(path) => crate::output::read_capped(path, nudge_runtime::MAX_COMPONENT_BYTES)?,
        None => nudge_bundle::STANDARD_POLICY.to_vec(),
    };
    let tenant = Tenant {
        id: tenant_id,
        name: "Acme Supplies".into(),
        settings: settings_with(&options.limits)?,
        created_at: window.0,
    };
    let plugin = history::replay(&scheduler, &tenant, &bytes, &history, window)?;
    let summary = scheduler.summary(&tenant.id)?;
    let analytics = scheduler.analytics(&tenant.id)?;
    let report_html = data_dir.join("report.html");
    fs::write(&report_html, nudge_analytics::render::html(&analytics, tenant.id.as_str()))
        .with_context(|| format!("writing {}", report_html.display()))?;
    if let Some(path) = &options.metrics {
        fs::write(path, scheduler.runtime().metrics().render())
            .with_context(|| format!("writing metrics to {}", path.display()))?;
    }
    Ok(DemoReport {
        summary,
        plugin: history::plugin_label(&plugin),
        replay_from: history::utc_day(window.0),
        replay_until: history::utc_day(window.1),
        elapsed_ms: started.elapsed().as_millis(),
        report_html: report_html.display().to_string(),
        dso_days: analytics.totals.dso_days,
        avg_days_late: analytics.totals.avg_days_late,
    })
}

/// The demo tenant's settings: the host's defaults with `flags` applied, checked.
fn settings_with(flags: &crate::admin::LimitFlags) -> Result<nudge_core::TenantSettings> {
    Ok(nudge_core::TenantSettings {
        limits: crate::admin::checked_limits(flags)?,
        ..crate::config::new_tenant_settings()
    })
}

/// Invoices at 09:00 local on their invoice date; full payment at 00:00
/// local on the settlement date, never before the invoice exists.
pub fn feed(data: &ar::ArData) -> Result<Vec<(Timestamp, FeedItem)>> {
    Ok(history::feed(&data.clone().into_history()?))
}

/// Makes `dir` an empty demo directory, wiping only a previous demo's.
fn prepare(dir: &Path) -> Result<()> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let is_empty = dir.is_dir() && fs::read_dir(dir)?.next().is_none();
        if !dir.is_dir() {
            bail!("{} is not a directory; choose another --data-dir", dir.display());
        }
        if is_demo && dir.join("store").exists() {
            // Opening the store takes its lock: a demo still running there wins.
            drop(nudge_store::Store::open(dir.join("store"))?);
        }
        if !is_demo && !is_empty {
            bail!(
                "{} exists and is not a nudge demo directory; choose another --data-dir (the demo wipes its directory on each run)",
                dir.display()
            );
        }
        fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::write(dir.join(MARKER), "This directory is recreated by each `nudge demo` run.\n")?;
    Ok(())
}

/// Runs the command and prints the report.
pub fn main(options: &Options) -> Result<ExitCode> {
    let report = run(options)?;
    if options.json {
        crate::outln!("{}", serde_json::to_string(&report)?);
    } else {
        crate::outln!("{}", render(&report).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// The report as text for a person.
pub fn render(r: &DemoReport) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("nudge demo: replay {} to {} with {}", r.replay_from, r.replay_until, r.plugin));
    line(format!(
        "  {} invoices from {} customers; {} paid, {} disputed, {} escalated to support",
        s.invoices, s.customers, s.invoices_paid, s.disputed, s.escalated
    ));
    line(format!("  {} decisions, {} notices sent", s.decisions, s.notices_sent));
    for (title, map) in [
        ("by step", &s.notices_by_step),
        ("by channel", &s.notices_by_channel),
        ("by tone", &s.notices_by_tone),
        ("by segment", &s.notices_by_segment),
    ] {
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
        line(format!("    {title:<11} {}", parts.join(", ")));
    }
    for (arm, figures) in &s.by_arm {
        line(format!(
            "    arm {arm}: {} customers, {} notices, {:.1}% followed by payment within 7 days",
            figures.customers,
            figures.notices_sent,
            figures.paid_within_7d_of_notice_rate * 100.0
        ));
    }
    line(format!("  {} notices suppressed because the invoice was paid first", s.suppressed_by_payment));
    for (reason, n) in &s.suppressed_other {
        line(format!("  {n} notices suppressed: {reason}"));
    }
    line(format!("  {} sends moved out of quiet hours (08:00-20:00 local)", s.moved_out_of_quiet_hours));
    line(format!(
        "  {:.1}% of notices were followed by payment within 7 days",
        s.paid_within_7d_of_notice_rate * 100.0
    ));
    line(format!(
        "  guardrails: {} sent after payment, {} sent in quiet hours, {} duplicate step notices",
        s.sent_after_payment, s.sent_in_quiet_hours, s.duplicate_step_notices
    ));
    let kinds: Vec<String> = s.incidents_by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    line(format!(
        "  {} plugin incidents{}",
        s.incidents,
        if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) }
    ));
    let days = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    line(format!("  days sales outstanding {}, average days late {}", days(r.dso_days), days(r.avg_days_late)));
    line(format!("  outbox: {}", s.outbox));
    line(format!("  HTML report: {}", r.report_html));
    line(format!("  done in {:.1} s", r.elapsed_ms as f64 / 1000.0));
    out
}
