//! The engine, linker and epoch ticker shared by every plugin of a host.

use std::{sync::Arc, thread, time::Duration};

use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, WasmFeatures,
    component::{Component, HasSelf, Linker},
};

use crate::{
    Limits, LoadError, Metrics, Plugin, PluginLimits,
    bindings::{Policy, Pre, v0_1},
    cache::ArtefactCache,
    imports,
    state::State,
    worker::{self, CompileWorker},
};

/// Optional parts of a runtime.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Where compiled plugins are kept across restarts.
    pub cache_dir: Option<std::path::PathBuf>,
    /// A separate process that compiles uploads under a memory limit.
    pub compile_worker: Option<CompileWorker>,
}

/// How often the epoch advances; deadlines are measured in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// One wasmtime engine for untrusted plugins, and the limits of every call.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub engine: Engine,
    pub cache: Option<ArtefactCache>,
    pub cache_hits: std::sync::atomic::AtomicU64,
    pub compile_worker: Option<CompileWorker>,
    pub linker: Linker<State>,
    pub limits: Limits,
    pub metrics: Metrics,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("limits", &self.inner.limits).finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine with `limits` and starts its epoch ticker.
    pub fn new(limits: Limits) -> Result<Self, LoadError> {
        Self::with_options(limits, RuntimeOptions::default())
    }

    /// Like [`Runtime::new`], keeping compiled plugins in `cache_dir` so a
    /// restarted host does not compile them again.
    pub fn with_artefact_cache(limits: Limits, cache_dir: &std::path::Path) -> Result<Self, LoadError> {
        Self::with_options(limits, RuntimeOptions { cache_dir: Some(cache_dir.to_path_buf()), compile_worker: None })
    }

    /// A runtime with an artefact cache and/or a compile worker process.
    pub fn with_options(limits: Limits, options: RuntimeOptions) -> Result<Self, LoadError> {
        let engine = Engine::new(&engine_config(&limits, true)).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        crate::sleep::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        // Both worlds' host interfaces: a plugin built against either links.
        Policy::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        v0_1::Policy::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        if limits.epoch_deadlines {
            spawn_epoch_ticker(&engine);
        }
        let cache = options.cache_dir.as_deref().map(|dir| ArtefactCache::new(dir, &engine));
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                cache,
                cache_hits: Default::default(),
                compile_worker: options.compile_worker,
                linker,
                limits,
                metrics: Metrics::default(),
            }),
        })
    }

    /// Counters of every call made on this runtime.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Loads served from the compiled-artefact cache instead of compiling.
    pub fn cache_hits(&self) -> u64 {
        self.inner.cache_hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Validates, compiles and type-checks a component under the default
    /// limits, then asks it to describe itself.
    pub fn load(&self, bytes: &[u8]) -> Result<Plugin, LoadError> {
        self.load_with(bytes, &self.inner.limits.plugin)
    }

    /// Like [`Runtime::load`], under a tenant's own limits.
    pub fn load_with(&self, bytes: &[u8], limits: &PluginLimits) -> Result<Plugin, LoadError> {
        let cap = usize::try_from(limits.max_component_bytes).unwrap_or(usize::MAX);
        if bytes.len() > cap {
            return Err(LoadError::TooLarge { size: bytes.len(), cap });
        }
        check_header(bytes)?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let cached = self.inner.cache.as_ref().and_then(|c| c.get(&self.inner.engine, &sha256));
        let component = match cached {
            Some(component) => {
                self.inner.cache_hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Checked again: the allow-list may have changed since it was cached.
                imports::check(&component, &self.inner.engine)?;
                component
            }
            None => {
                let component = self.compile(bytes, Duration::from_millis(limits.compile_timeout_ms))?;
                imports::check(&component, &self.inner.engine)?;
                if let Some(cache) = &self.inner.cache {
                    cache.put(&sha256, &component);
                }
                component
            }
        };
        let pre = self.inner.linker.instantiate_pre(&component).map_err(|e| LoadError::World(format!("{e:#}")))?;
        let pre = Pre::new(pre).map_err(LoadError::World)?;
        Plugin::new(self.clone(), pre, sha256, limits)
    }

    /// Compiles untrusted bytes: in the compile worker process if one is
    /// configured (bounded in memory and time), else on a worker thread
    /// (bounded in the caller's waiting time only).
    fn compile(&self, bytes: &[u8], timeout: Duration) -> Result<Component, LoadError> {
        if let Some(worker) = &self.inner.compile_worker {
            return worker::compile(worker, &self.inner.engine, bytes, timeout);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let engine = self.inner.engine.clone();
        let owned = bytes.to_vec();
        thread::Builder::new()
            .name("nudge-compile".into())
            .spawn(move || {
                // The receiver may be gone after a timeout; nothing to do then.
                let _ = tx.send(Component::new(&engine, &owned).map_err(|e| format!("{e:#}")));
            })
            .map_err(|e| LoadError::Engine(format!("cannot start a compile thread: {e}")))?;
        match rx.recv_timeout(timeout) {
            Ok(result) => result.map_err(LoadError::Compile),
            Err(_) => Err(LoadError::CompileTimeout(timeout)),
        }
    }
}

/// Tells apart components, core modules and non-wasm before compiling.
fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.starts_with(b"\x7fELF") {
        return Err(LoadError::Precompiled);
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    if text.trim_start().starts_with("(component") || text.trim_start().starts_with("(module") {
        return Err(LoadError::Text);
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(LoadError::NotWasm);
    }
    match &bytes[4..8] {
        [1, 0, 0, 0] => Err(LoadError::CoreModule),
        [_, _, 1, 0] => Ok(()),
        other => Err(LoadError::Compile(format!("unknown wasm version/layer bytes {other:02x?}"))),
    }
}

/// The engine settings for plugins; `pooled` selects the pooling allocator
/// (the host) or on-demand allocation (a compile worker). Both compile the same code.
pub(crate) fn engine_config(limits: &Limits, pooled: bool) -> Config {
    let mut config = Config::new();
    config
        .consume_fuel(limits.fuel_metering)
        .epoch_interruption(limits.epoch_deadlines)
        .max_wasm_stack(limits.wasm_stack_bytes)
        .cranelift_nan_canonicalization(true)
        // Proposals no policy needs are switched off, so that a component
        // using them is refused at upload. Threads, GC, exceptions and
        // component-model async are not even compiled in (those wasmtime
        // features are off); function references are part of the Wasm 3.0
        // set wasmtime enables by default, so they need switching off here.
        .wasm_features(
            WasmFeatures::FUNCTION_REFERENCES
                | WasmFeatures::GC
                | WasmFeatures::EXCEPTIONS
                | WasmFeatures::LEGACY_EXCEPTIONS
                | WasmFeatures::THREADS
                | WasmFeatures::SHARED_EVERYTHING_THREADS
                | WasmFeatures::STACK_SWITCHING
                | WasmFeatures::CM_ASYNC
                | WasmFeatures::CM_ASYNC_STACKFUL
                | WasmFeatures::CM_THREADING,
            false,
        )
        .wasm_gc(false)
        .wasm_stack_switching(false)
        .parallel_compilation(false);
    if std::env::var_os("NUDGE_PERF_MAP").is_some() {
        // Names JIT code for `perf`, in /tmp/perf-<pid>.map.
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let n = limits.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n * 8)
        .total_memories(n * 2)
        .total_tables(n * 8)
        .total_stacks(n)
        .max_memory_size(usize::try_from(limits.max_memory_bytes).unwrap_or(usize::MAX))
        .table_elements(usize::try_from(limits.max_table_elements).unwrap_or(usize::MAX))
        // A slot's memory is reset for its next instance, never handed on as
        // is. Up to `keep_resident_bytes` the reset rewrites the pages the
        // last instance dirtied (found with the kernel's PAGEMAP_SCAN, Linux
        // 6.7+; older kernels fall back to clearing the whole prefix) instead
        // of returning them to the kernel: no page faults on the next call
        // and no TLB-shootdown interrupts that would stall other threads.
        .linear_memory_keep_resident(limits.keep_resident_bytes)
        .table_keep_resident(limits.keep_resident_bytes.min(64 << 10))
        .pagemap_scan(wasmtime::Enabled::Auto);
    if pooled {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = thread::Builder::new().name("nudge-epoch".into()).spawn(move || {
        while let Some(engine) = weak.upgrade() {
            engine.increment_epoch();
            drop(engine);
            thread::sleep(EPOCH_TICK);
        }
    });
    if let Err(err) = spawned {
        // Without a ticker deadlines never fire; fuel still bounds every call.
        tracing::error!(%err, "could not start the epoch ticker thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_told_apart() {
        assert!(matches!(check_header(b"hello world"), Err(LoadError::NotWasm)));
        assert!(matches!(check_header(b"\0asm\x01\0\0\0"), Err(LoadError::CoreModule)));
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
        assert!(matches!(check_header(b"\x7fELF\x02\x01\x01\0"), Err(LoadError::Precompiled)));
        assert!(matches!(check_header(b"  (component (import \"x\" (instance)))"), Err(LoadError::Text)));
    }
}
