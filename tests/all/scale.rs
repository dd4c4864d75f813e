//! The scale benchmark binary runs, at a small size, and reports figures
//! that hang together (no timing assertions: this machine is shared).

use std::process::Command;

use serde_json::Value;

#[test]
fn the_scale_benchmark_runs_at_a_small_size_and_reports_every_figure() {
    let out = Command::new(env!("CARGO_BIN_EXE_nudge-scale"))
        .args(["1000", "--tenants", "40", "--days", "30", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}: {stdout}{stderr}", out.status);
    let r: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!((r["invoices"].as_u64(), r["tenants"].as_u64()), (Some(1000), Some(40)), "{r}");
    let n = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {r}"));
    for positive in ["import_per_s", "decide_per_cpu_s", "notices_sent", "messages", "notices_per_s", "peak_rss_bytes"]
    {
        assert!(n(positive) > 0.0, "{positive}: {r}");
    }
    // Every message carries at least one notice; the store holds at least its plugins.
    assert!(n("messages") <= n("notices_sent"), "{r}");
    assert!(n("store_bytes") > 40.0 * 100_000.0, "{r}");
    assert!(n("lateness_p50_ms") >= 0.0 && n("lateness_p50_ms") <= n("lateness_p99_ms"), "{r}");
    assert!(n("lateness_p99_ms") <= n("lateness_max_ms"), "{r}");

    let bad = Command::new(env!("CARGO_BIN_EXE_nudge-scale")).args(["lots"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"lots\" is not a whole number"));
}
