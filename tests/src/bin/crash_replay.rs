//! A host process to kill: replays the first ROWS invoices of the real
//! accounts-receivable history into DATA_DIR with the standard policy,
//! delivering to a recording sink (`DATA_DIR/deliveries.log`, one synced
//! line per delivery call, keyed by notice id), resuming wherever an
//! earlier run of it was killed. Prints `done` when the replay is complete.
//!
//! `tests/all/crash.rs` runs it under SIGKILL at random moments.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use jiff::Timestamp;
use nudge_core::{Tenant, TenantId, TenantSettings};
use nudge_delivery::RecordingSink;
use nudge_ingest::ar;
use nudge_runtime::{Limits, Runtime};
use nudge_scheduler::{Scheduler, SchedulerConfig, replay};
use nudge_store::Store;

const CSV: &[u8] = include_bytes!("../../../examples/data/accounts-receivable.csv");

type Error = Box<dyn std::error::Error>;

/// The recording sink's log, in DATA_DIR.
const DELIVERIES: &str = "deliveries.log";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(rows)) = (args.first(), args.get(1).and_then(|r| r.parse::<usize>().ok())) else {
        eprintln!("usage: nudge-crash-replay DATA_DIR ROWS");
        return ExitCode::FAILURE;
    };
    match run(PathBuf::from(dir), rows) {
        Ok(()) => {
            println!("done");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nudge-crash-replay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: PathBuf, rows: usize) -> Result<(), Error> {
    let store = Store::open(dir.join("store"))?;
    let runtime = Runtime::with_artefact_cache(Limits::default(), &dir.join("cache"))?;
    let sink = Arc::new(RecordingSink::open(dir.join(DELIVERIES))?);
    let scheduler = Scheduler::new(store, runtime, SchedulerConfig::new(dir.join("outbox")).with_sink(sink));
    let tenant = TenantId::new("crash")?;
    let from: Timestamp = "2012-01-01T00:00:00Z".parse()?;
    if scheduler.store().tenant(&tenant)?.is_none() {
        let record = Tenant {
            id: tenant.clone(),
            name: "Crash Ltd".into(),
            settings: TenantSettings::default(),
            created_at: from,
        };
        scheduler.put_tenant(&record)?;
    }
    if scheduler.store().active_plugin_version(&tenant)?.is_none() {
        scheduler.install_plugin(&tenant, nudge_bundle::STANDARD_POLICY, from)?;
    }
    let text = std::str::from_utf8(CSV)?;
    let csv: String = text.split_inclusive('\n').take(rows + 1).collect();
    let data = ar::read(csv.as_bytes(), &tenant)?;
    for customer in &data.customers {
        if scheduler.store().customer(&tenant, &customer.id)?.is_none() {
            scheduler.upsert_customer(customer, from)?;
        }
    }
    let feed = nudge_cli::demo::feed(&data)?;
    replay::resume(&scheduler, feed, "2014-01-31T23:59:59Z".parse()?)?;
    scheduler.store().flush()?;
    Ok(())
}
