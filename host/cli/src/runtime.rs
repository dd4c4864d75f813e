//! The runtime every command uses: artefact cache and compile worker set up.

use std::{ffi::OsString, path::Path, sync::OnceLock};

use anyhow::{Context, Result};
use nudge_runtime::{CompileWorker, Runtime, RuntimeOptions};
use nudge_scheduler::{Scheduler, SchedulerConfig};
use nudge_store::Store;

/// The hidden subcommand that runs the compile worker.
pub const WORKER_COMMAND: &str = "__compile-worker";
static WORKER: OnceLock<CompileWorker> = OnceLock::new();

/// Makes every runtime of this process compile uploads in a worker process
/// running this executable's hidden `__compile-worker` subcommand. The
/// `nudge` binary calls this first thing; library callers (tests) that
/// don't, compile in-process.
pub fn use_compile_worker() -> Result<()> {
    let program = std::env::current_exe().context("locating the nudge executable for the compile worker")?;
    // The worker must build the very engine this process runs plugins on,
    // or its compiled code would not load here: same configuration file.
    let mut args = vec![OsString::from(WORKER_COMMAND)];
    if let Some(config) = crate::config::path() {
        args.extend([OsString::from("--config"), config.as_os_str().to_owned()]);
    }
    let _ =
        WORKER.set(CompileWorker { program, args, memory_bytes: crate::config::get().sandbox.compile_memory_bytes });
    Ok(())
}

/// A runtime with the host's configured limits, the compile worker if this process
/// uses one, and, given a data directory, compiled plugins cached in it.
pub fn runtime(data_dir: Option<&Path>) -> Result<Runtime> {
    let options =
        RuntimeOptions { cache_dir: data_dir.map(|d| d.join("cache")), compile_worker: WORKER.get().cloned() };
    Ok(Runtime::with_options(crate::config::limits(), options)?)
}

/// A scheduler over the data directory `data_dir`: its store, its
/// compiled-plugin cache and its outbox.
pub fn scheduler(data_dir: &Path) -> Result<Scheduler> {
    scheduler_on(data_dir, runtime(Some(data_dir))?)
}

/// A scheduler over the data directory `data_dir` on `runtime`.
pub fn scheduler_on(data_dir: &Path, runtime: Runtime) -> Result<Scheduler> {
    let store = Store::open(data_dir.join("store")).context("opening the store")?;
    Ok(Scheduler::new(store, runtime, SchedulerConfig::new(data_dir.join("outbox"))))
}
