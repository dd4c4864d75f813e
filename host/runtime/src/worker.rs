//! Compiling untrusted components in a separate, limited process.
//!
//! Compilation cannot be interrupted and its memory use depends on the
//! input, so a compile bomb could exhaust the host. With a
//! [`CompileWorker`] configured, the host runs the compiler in a child
//! process with a hard address-space limit (`RLIMIT_AS`) and kills it at the
//! compile timeout; the child hands back the compiled artefact, which the
//! host loads. A child that runs out of memory or time dies alone.

use std::{
    ffi::OsString,
    io::{Read, Write},
    path::PathBuf,
    process::{Command, ExitCode, Stdio},
    time::{Duration, Instant},
};

use wasmtime::{Engine, component::Component};

use crate::{Limits, LoadError};

/// How to start a compile worker: a program that ends up calling [`worker_main`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileWorker {
    /// The program, usually the host's own executable.
    pub program: PathBuf,
    /// Arguments that make it run [`worker_main`].
    pub args: Vec<OsString>,
    /// The worker's address-space limit in bytes. Default in `nudge`: 2 GiB.
    pub memory_bytes: u64,
}

/// Compiles `bytes` in a worker process; returns the loaded component.
pub(crate) fn compile(
    worker: &CompileWorker,
    engine: &Engine,
    bytes: &[u8],
    timeout: Duration,
) -> Result<Component, LoadError> {
    let spawn_error = |e: std::io::Error| {
        LoadError::Engine(format!("cannot start the compile worker {}: {e}", worker.program.display()))
    };
    let mut child = Command::new(&worker.program)
        .args(&worker.args)
        .arg(worker.memory_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // Feed and drain on threads so neither pipe can fill up and block us.
    let mut stdin = child.stdin.take();
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || stdin.as_mut().map(|s| s.write_all(&input)));
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.as_mut().map(|s| s.read_to_end(&mut out)).map(|_| out)
    });
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stderr.as_mut().map(|s| s.take(4096).read_to_string(&mut out));
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LoadError::CompileTimeout(timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(LoadError::Engine(format!("waiting for the compile worker: {e}"))),
        }
    };
    let _ = feeder.join();
    let artefact = reader.join().ok().flatten().unwrap_or_default();
    let message = err_reader.join().unwrap_or_default();
    if !status.success() {
        let why = if message.trim().is_empty() {
            use std::os::unix::process::ExitStatusExt;
            match status.signal() {
                Some(signal) => format!(
                    "the compiler process died of signal {signal}, most likely over its memory limit of {} bytes",
                    worker.memory_bytes
                ),
                None => format!("the compiler process failed with {status}"),
            }
        } else {
            message.trim().to_string()
        };
        return Err(LoadError::Compile(why));
    }
    // SAFETY: `deserialize` trusts its input to be wasmtime's own output.
    // It is: the worker is this host's own program, compiling with this
    // engine's settings (`worker_main`), and wasmtime's header check rejects
    // output of an incompatible engine. The untrusted input only ever went
    // through the compiler, exactly as it would in-process.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, &artefact) };
    component.map_err(|e| LoadError::Compile(format!("compile worker output unusable: {e:#}")))
}

/// The worker side: reads a component on stdin, compiles it under an
/// address-space limit of `memory_bytes`, writes the artefact to stdout.
pub fn worker_main(limits: &Limits, memory_bytes: u64) -> ExitCode {
    match run_worker(limits, memory_bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run_worker(limits: &Limits, memory_bytes: u64) -> Result<(), String> {
    rlimit::setrlimit(rlimit::Resource::AS, memory_bytes, memory_bytes)
        .map_err(|e| format!("cannot limit the compile worker's memory: {e}"))?;
    // The host kills the worker at the tenant's compile timeout; this bounds
    // it on its own too, should the host die first: the longest compile any
    // tenant may have, on every core parallel compilation can use.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let cpu_seconds = limits.max_compile_timeout_ms.div_ceil(1000).saturating_mul(cores).saturating_add(1);
    rlimit::setrlimit(rlimit::Resource::CPU, cpu_seconds, cpu_seconds)
        .map_err(|e| format!("cannot limit the compile worker's CPU time: {e}"))?;
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| format!("reading the component: {e}"))?;
    // Same settings as the host's engine, but no pooled slots: the worker
    // only compiles, and the pool's reservations would not fit its limit.
    let engine = Engine::new(&crate::runtime::engine_config(limits, false)).map_err(|e| format!("{e:#}"))?;
    let component = Component::new(&engine, &input).map_err(|e| format!("{e:#}"))?;
    let artefact = component.serialize().map_err(|e| format!("{e:#}"))?;
    std::io::stdout().write_all(&artefact).map_err(|e| format!("writing the artefact: {e}"))
}
