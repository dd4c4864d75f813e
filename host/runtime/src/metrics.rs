//! Counters of every plugin call, rendered in the Prometheus text format.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
};

use nudge_core::IncidentKind;

use crate::Outcome;

/// Upper bounds of the wall-time histogram, in microseconds.
const BUCKETS_US: [u64; 12] = [25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 250_000];

/// The failure kinds, in a fixed order for the counters.
const KINDS: [IncidentKind; 7] = [
    IncidentKind::Trap,
    IncidentKind::OutOfFuel,
    IncidentKind::Deadline,
    IncidentKind::ResourceLimit,
    IncidentKind::InvalidDecision,
    IncidentKind::PolicyError,
    IncidentKind::Instantiation,
];

/// Metering of every `decide` call on one runtime, all tenants together.
#[derive(Debug, Default)]
pub struct Metrics {
    ok: AtomicU64,
    failed: [AtomicU64; KINDS.len()],
    fuel: AtomicU64,
    wall_us: AtomicU64,
    buckets: [AtomicU64; BUCKETS_US.len()],
    output_bytes: AtomicU64,
    peak_memory_bytes: AtomicU64,
}

impl Metrics {
    /// Counts one call.
    pub fn record(&self, outcome: &Outcome) {
        match &outcome.result {
            Ok(_) => self.ok.fetch_add(1, Relaxed),
            Err(e) => self.failed[KINDS.iter().position(|k| *k == e.kind).unwrap_or(0)].fetch_add(1, Relaxed),
        };
        let m = outcome.metering;
        self.fuel.fetch_add(m.fuel, Relaxed);
        self.wall_us.fetch_add(m.wall_us, Relaxed);
        if let Some(i) = BUCKETS_US.iter().position(|le| m.wall_us <= *le) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.output_bytes.fetch_add(m.output_bytes, Relaxed);
        self.peak_memory_bytes.fetch_max(m.peak_memory_bytes, Relaxed);
    }

    /// Calls counted so far.
    pub fn calls(&self) -> u64 {
        self.ok.load(Relaxed) + self.failed.iter().map(|c| c.load(Relaxed)).sum::<u64>()
    }

    /// The counters in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let calls = self.calls();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP nudge_decide_calls_total Plugin decide calls, by result.");
        let _ = writeln!(out, "# TYPE nudge_decide_calls_total counter");
        let _ = writeln!(out, "nudge_decide_calls_total{{result=\"ok\"}} {}", self.ok.load(Relaxed));
        for (kind, count) in KINDS.iter().zip(&self.failed) {
            let _ = writeln!(out, "nudge_decide_calls_total{{result=\"{}\"}} {}", kind.as_str(), count.load(Relaxed));
        }
        let _ = writeln!(out, "# HELP nudge_decide_fuel_total Fuel consumed by decide calls.");
        let _ = writeln!(out, "# TYPE nudge_decide_fuel_total counter");
        let _ = writeln!(out, "nudge_decide_fuel_total {}", self.fuel.load(Relaxed));
        let _ =
            writeln!(out, "# HELP nudge_decide_duration_seconds Wall time of decide calls, instantiation included.");
        let _ = writeln!(out, "# TYPE nudge_decide_duration_seconds histogram");
        let mut cumulative = 0;
        for (le, count) in BUCKETS_US.iter().zip(&self.buckets) {
            cumulative += count.load(Relaxed);
            let _ = writeln!(out, "nudge_decide_duration_seconds_bucket{{le=\"{}\"}} {cumulative}", *le as f64 / 1e6);
        }
        let _ = writeln!(out, "nudge_decide_duration_seconds_bucket{{le=\"+Inf\"}} {calls}");
        let _ = writeln!(out, "nudge_decide_duration_seconds_sum {}", self.wall_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "nudge_decide_duration_seconds_count {calls}");
        let _ = writeln!(out, "# HELP nudge_decide_output_bytes_total Bytes of decisions handed back to the host.");
        let _ = writeln!(out, "# TYPE nudge_decide_output_bytes_total counter");
        let _ = writeln!(out, "nudge_decide_output_bytes_total {}", self.output_bytes.load(Relaxed));
        let _ = writeln!(out, "# HELP nudge_plugin_peak_memory_bytes Largest linear memory any plugin reached.");
        let _ = writeln!(out, "# TYPE nudge_plugin_peak_memory_bytes gauge");
        let _ = writeln!(out, "nudge_plugin_peak_memory_bytes {}", self.peak_memory_bytes.load(Relaxed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallError, Metering};

    fn outcome(result: Result<(), IncidentKind>, wall_us: u64) -> Outcome {
        Outcome {
            result: match result {
                Ok(()) => Err(CallError::new(IncidentKind::PolicyError, "placeholder")),
                Err(kind) => Err(CallError::new(kind, "x")),
            },
            metering: Metering { fuel: 10, wall_us, peak_memory_bytes: 65536, output_bytes: 3 },
            log: Vec::new(),
        }
    }

    #[test]
    fn counts_by_kind_and_fills_the_histogram_cumulatively() {
        let m = Metrics::default();
        m.record(&outcome(Err(IncidentKind::OutOfFuel), 30));
        m.record(&outcome(Err(IncidentKind::OutOfFuel), 300_000));
        m.record(&outcome(Err(IncidentKind::Trap), 90));
        let text = m.render();
        assert!(text.contains("nudge_decide_calls_total{result=\"out-of-fuel\"} 2\n"), "{text}");
        assert!(text.contains("nudge_decide_calls_total{result=\"trap\"} 1\n"));
        assert!(text.contains("nudge_decide_duration_seconds_bucket{le=\"0.00005\"} 1\n"), "{text}");
        assert!(text.contains("nudge_decide_duration_seconds_bucket{le=\"0.0001\"} 2\n"));
        assert!(text.contains("nudge_decide_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("nudge_decide_fuel_total 30\n"));
        assert_eq!(m.calls(), 3);
    }
}
