//! `nudge import`: load an accounts-receivable CSV into a data directory.
//!
//! The file is read and checked whole first: if any row is invalid, every
//! error is listed with its line and nothing is imported. Then everything
//! is written in one store transaction
//! ([`Scheduler::import_history`](nudge_scheduler::Scheduler::import_history)),
//! so a failure midway leaves nothing half imported.

use std::{fs, path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use jiff::Timestamp;
use nudge_core::{Tenant, TenantId};
use nudge_ingest::ar;
use serde::Serialize;

/// Options of `nudge import`.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The CSV file (columns as in examples/data/accounts-receivable.csv).
    pub csv: PathBuf,
    /// Data directory of the store (created if missing).
    #[arg(long, default_value = "nudge-data")]
    pub data_dir: PathBuf,
    /// Tenant to import into (created if missing).
    #[arg(long, default_value = "acme")]
    pub tenant: String,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// The tenant.
    pub tenant: String,
    /// Customers created or updated.
    pub customers: usize,
    /// Invoices created or updated.
    pub invoices: usize,
    /// Settlements recorded as payments (a payment seen before counts once).
    pub payments: usize,
}

/// Imports the file; returns what was imported.
pub fn run(options: &Options) -> Result<ImportReport> {
    let tenant_id = TenantId::new(options.tenant.clone())?;
    let file = fs::File::open(&options.csv).with_context(|| format!("opening {}", options.csv.display()))?;
    let history = ar::read(crate::output::Capped::new(file, crate::demo::MAX_CSV_BYTES), &tenant_id)
        .with_context(|| format!("importing {}", options.csv.display()))?
        .into_history()?;
    fs::create_dir_all(&options.data_dir)?;
    let scheduler = crate::runtime::scheduler(&options.data_dir)?;
    let now = Timestamp::now();
    if scheduler.store().tenant(&tenant_id)?.is_none() {
        scheduler.put_tenant(&Tenant {
            id: tenant_id.clone(),
            name: tenant_id.to_string(),
            settings: crate::config::new_tenant_settings(),
            created_at: now,
        })?;
    }
    // One store transaction: a failure midway leaves nothing half imported.
    let imported = scheduler.import_history(&tenant_id, &history, now)?;
    let report = ImportReport {
        tenant: tenant_id.to_string(),
        customers: imported.customers,
        invoices: imported.invoices,
        payments: imported.payments,
    };
    scheduler.store().flush()?;
    Ok(report)
}

/// Runs the command and prints what was imported.
pub fn main(options: &Options) -> Result<ExitCode> {
    let report = run(options)?;
    if options.json {
        crate::outln!("{}", serde_json::to_string(&report)?);
    } else {
        crate::outln!(
            "imported into tenant {}: {} customers, {} invoices, {} payments (data directory {})",
            report.tenant,
            report.customers,
            report.invoices,
            report.payments,
            options.data_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
