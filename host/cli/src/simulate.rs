//! `nudge plugin simulate`: replay past data through a policy component in
//! a throw-away store and show what it decided, step by step and segment by
//! segment; with `--against`, what would change for customers if it
//! replaced another component (or another configuration).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use nudge_core::{InvoiceId, Tenant, TenantId, TenantSettings};
use nudge_ingest::History;
use nudge_scheduler::{Changes, breakdown::SentNotice, changes};
use serde::Serialize;

use crate::history;

/// Options of `nudge plugin simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The policy component to simulate (.wasm).
    pub plugin: PathBuf,
    /// Past data to replay: an accounts-receivable CSV as `nudge import`
    /// reads it, or a nudge JSON history (a name ending in .json; the format
    /// is in the README).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Also replay this component (say, the version in use) and list what
    /// would change if PLUGIN replaced it.
    #[arg(long, value_name = "OTHER.wasm")]
    pub against: Option<PathBuf>,
    /// The tenant's plugin configuration (a JSON object) for PLUGIN.
    /// (Not `--config`: that is the host's configuration file, for every command.)
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub plugin_config: String,
    /// The plugin configuration for the `--against` run [default: --plugin-config].
    /// Given without `--against`, PLUGIN is compared with itself under this
    /// configuration.
    #[arg(long, value_name = "JSON")]
    pub against_plugin_config: Option<String>,
    /// How many changed invoices to show as examples.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub examples: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One replay: the policy, its configuration and what it did.
pub use nudge_scheduler::simulate::Run;

/// What `nudge plugin simulate` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationReport {
    /// The data file replayed.
    pub data: String,
    /// First day of the replay (UTC).
    pub replay_from: String,
    /// Last day of the replay (UTC).
    pub replay_until: String,
    /// The simulated policy.
    pub simulated: Run,
    /// The policy it was compared with, if any.
    pub against: Option<Run>,
    /// What would change if the simulated policy replaced the other one.
    pub changes: Option<Changes>,
    /// Wall time, in milliseconds.
    pub elapsed_ms: u128,
}

/// The tenant a simulation replays as (the demo's, so figures match).
const TENANT: &str = crate::demo::TENANT;

/// Runs the simulation (and the comparison) and returns the report.
pub fn run(options: &Options) -> Result<SimulationReport> {
    let started = Instant::now();
    check_config("--plugin-config", &options.plugin_config)?;
    if let Some(config) = &options.against_plugin_config {
        check_config("--against-plugin-config", config)?;
    }
    let tenant = TenantId::new(TENANT)?;
    let history = history::read(&options.data, &tenant)?;
    let window = history.span().context("the data has no invoices")?;
    let plugin = read_plugin(&options.plugin)?;
    let against = match (&options.against, &options.against_plugin_config) {
        (Some(path), config) => Some((read_plugin(path)?, config.as_deref().unwrap_or(&options.plugin_config))),
        (None, Some(config)) => Some((plugin.clone(), config.as_str())),
        (None, None) => None,
    };
    let (simulated, after) = replay(&plugin, &options.plugin_config, &history, window)?;
    let (against, changes) = match against {
        Some((bytes, config)) => {
            let (run, before) = replay(&bytes, config, &history, window)?;
            (Some(run), Some(changes::compare(&before, &after, options.examples)))
        }
        None => (None, None),
    };
    Ok(SimulationReport {
        data: options.data.display().to_string(),
        replay_from: history::utc_day(window.0),
        replay_until: history::utc_day(window.1),
        simulated,
        against,
        changes,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

fn check_config(flag: &str, text: &str) -> Result<()> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(other) => bail!("{flag} must be a JSON object such as '{{\"send_hour\": 9}}', got {other}"),
        Err(e) => bail!("{flag} is not valid JSON ({e}); pass an object such as '{{\"send_hour\": 9}}'"),
    }
}

fn read_plugin(path: &Path) -> Result<Vec<u8>> {
    crate::output::read_capped(path, nudge_runtime::MAX_COMPONENT_BYTES)
}

/// Replays `history` through one policy in a temporary data directory.
fn replay(
    plugin: &[u8],
    config: &str,
    history: &History,
    window: (jiff::Timestamp, jiff::Timestamp),
) -> Result<(Run, BTreeMap<InvoiceId, Vec<SentNotice>>)> {
    let dir = tempfile::Builder::new().prefix("nudge-simulate-").tempdir().context("creating a temporary store")?;
    let settings = TenantSettings { plugin_config: config.to_string(), ..crate::config::new_tenant_settings() };
    let tenant = Tenant { id: TenantId::new(TENANT)?, name: "Simulation".into(), settings, created_at: window.0 };
    if history.invoices.is_empty() {
        bail!("the history has no invoices to replay");
    }
    let runtime = crate::runtime::runtime(Some(dir.path()))?;
    nudge_scheduler::simulate::simulate(dir.path(), runtime, &tenant, plugin, history, window).map_err(|e| match e {
        nudge_scheduler::Error::Plugin(e) => anyhow::anyhow!("the policy was not accepted: {e}"),
        other => other.into(),
    })
}

/// Runs the command and prints the report.
pub fn main(options: &Options) -> Result<ExitCode> {
    let report = run(options)?;
    if options.json {
        crate::outln!("{}", serde_json::to_string(&report)?);
    } else {
        crate::outln!("{}", crate::simulate_text::render(&report).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
