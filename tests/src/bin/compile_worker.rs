//! A compile worker for tests: `nudge __compile-worker` without the rest of
//! the CLI, so tests of this package can run uploads through one.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(memory_bytes) = std::env::args().nth(1).and_then(|a| a.parse().ok()) else {
        eprintln!("usage: nudge-compile-worker MEMORY_BYTES < component.wasm > artefact");
        return ExitCode::FAILURE;
    };
    nudge_runtime::worker_main(&nudge_runtime::Limits::default(), memory_bytes)
}
