//! The per-call store state: virtualised WASI, the meter and the plugin log.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use jiff::Timestamp;
use rand::{SeedableRng, rngs::StdRng};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::{
    PluginLimits,
    bindings::{Level, nudge, v0_1},
    limits::Meter,
    pipe::BoundedPipe,
};

/// Everything one plugin call may touch.
pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub meter: Meter,
    stdout: BoundedPipe,
    stderr: BoundedPipe,
    log: BoundedLog,
}

impl State {
    /// A sandbox with no files, network, environment or arguments; clocks
    /// that read `now` (the decision's time, not the host's); randomness
    /// seeded from `seed`; output captured.
    pub fn new(limits: &PluginLimits, now: &FixedClock, seed: u64) -> Self {
        let log_bytes = usize::try_from(limits.log_bytes).unwrap_or(usize::MAX);
        let stdout = BoundedPipe::new(log_bytes);
        let stderr = BoundedPipe::new(log_bytes);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(now.clone())
            .monotonic_clock(now.clone())
            .secure_random(StdRng::seed_from_u64(seed))
            .insecure_random(StdRng::seed_from_u64(seed.rotate_left(17)))
            .insecure_random_seed(u128::from(seed))
            .max_random_size(64 << 10)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            meter: Meter::new(limits),
            stdout,
            stderr,
            log: BoundedLog::new(log_bytes),
        }
    }

    /// The plugin's log lines, stdout and stderr of this call, bounded.
    pub fn take_log(&mut self) -> Vec<String> {
        let mut lines = std::mem::take(&mut self.log.lines);
        if self.log.truncated {
            lines.push("[log truncated]".to_string());
        }
        for (name, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let (bytes, dropped) = pipe.contents();
            if !bytes.is_empty() || dropped {
                let text = String::from_utf8_lossy(&bytes);
                let marker = if dropped { " [truncated]" } else { "" };
                lines.push(format!("{name}: {}{marker}", text.trim_end()));
            }
        }
        lines
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl nudge::policy::types::Host for State {}

impl v0_1::nudge::policy::types::Host for State {}

impl v0_1::nudge::policy::host::Host for State {
    fn log(&mut self, level: v0_1::nudge::policy::host::Level, message: String) {
        use v0_1::nudge::policy::host::Level as Old;
        let level = match level {
            Old::Trace => Level::Trace,
            Old::Debug => Level::Debug,
            Old::Info => Level::Info,
            Old::Warn => Level::Warn,
            Old::Error => Level::Error,
        };
        nudge::policy::host::Host::log(self, level, message);
    }
}

impl nudge::policy::host::Host for State {
    fn log(&mut self, level: Level, message: String) {
        let level = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.log.push(format!("{level}: {message}"));
    }
}

/// Log lines kept up to a byte budget; the rest is counted, not stored.
struct BoundedLog {
    cap: usize,
    used: usize,
    lines: Vec<String>,
    truncated: bool,
}

impl BoundedLog {
    fn new(cap: usize) -> Self {
        Self { cap, used: 0, lines: Vec::new(), truncated: false }
    }

    fn push(&mut self, mut line: String) {
        let room = self.cap.saturating_sub(self.used);
        if line.len() > room {
            self.truncated = true;
            let mut cut = room;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        if !line.is_empty() {
            self.used += line.len();
            self.lines.push(line);
        }
    }
}

/// A clock that reads the decision's `now`, set by the host before each
/// call: plugins cannot observe real time, so the same inputs always give
/// the same decision.
#[derive(Debug, Clone, Default)]
pub(crate) struct FixedClock(Arc<AtomicI64>);

impl FixedClock {
    pub fn new(now: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(now.as_second())))
    }

    pub fn set(&self, now: Timestamp) {
        self.0.store(now.as_second(), Ordering::Relaxed);
    }

    fn seconds(&self) -> u64 {
        u64::try_from(self.0.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::from_secs(self.seconds())
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        self.seconds().saturating_mul(1_000_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keeps_to_its_budget_and_says_so() {
        let mut log = BoundedLog::new(10);
        log.push("123456".into());
        log.push("abcdefgh".into());
        log.push("zzz".into());
        assert_eq!(log.lines, vec!["123456".to_string(), "abcd".to_string()]);
        assert!(log.truncated);
    }
}
