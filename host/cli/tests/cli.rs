//! The `nudge` binary as a user runs it: exit codes, messages, JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, process::Command};

fn nudge(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nudge")).args(args).output().unwrap();
    let code = out.status.code().expect("nudge must exit, never die of a signal");
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn check_json(path: &Path) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = nudge(&["plugin", "check", path.to_str().unwrap(), "--json"]);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout} {stderr}"));
    (code, json)
}

#[test]
fn plugin_check_accepts_the_standard_policy_and_reports_metering() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("standard.wasm");
    std::fs::write(&path, nudge_bundle::STANDARD_POLICY).unwrap();
    let (code, json) = check_json(&path);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["reason"], "");
    assert_eq!(json["wit"], "0.2.0", "the bundled standard policy is built against WIT 0.2");
    for key in ["fuel", "wall_us", "peak_memory_bytes", "output_bytes"] {
        assert!(json[key].as_u64().unwrap() > 0, "{key} must be measured: {json}");
    }
    let (code, text, _) = nudge(&["plugin", "check", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(text.starts_with("accepted: standard 1.0.0 (nudge:policy@0.2.0, sha256 "), "{text}");
}

#[test]
fn plugin_check_rejects_with_a_reason_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        ("core.wasm", b"\0asm\x01\0\0\0", "core WebAssembly module, not a component"),
        ("garbage.wasm", b"this is not wasm at all", "not a WebAssembly component"),
        ("truncated.wasm", b"\0asm\x0d\0\x01\0\x07\x05", "failed validation"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, json) = check_json(&path);
        assert_eq!(code, 1, "{name}: {json}");
        assert_eq!(json["ok"], false);
        let reason = json["reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{name}: {reason}");
    }
    let (code, json) = check_json(&dir.path().join("missing.wasm"));
    assert_eq!(code, 1);
    assert!(json["reason"].as_str().unwrap().contains("cannot read"), "{json}");
}

#[test]
fn plugin_check_names_a_trap_in_a_dry_run() {
    let (code, json) = check_json(Path::new(nudge_bundle::test_guests::TRAP));
    assert_eq!(code, 1, "{json}");
    let reason = json["reason"].as_str().unwrap();
    assert!(reason.contains("fixture") && reason.contains("trap"), "{reason}");
}

#[test]
fn plugin_check_stops_an_endless_loop_within_its_budget() {
    let (code, json) = check_json(Path::new(nudge_bundle::test_guests::SPIN));
    assert_eq!(code, 1, "{json}");
    let reason = json["reason"].as_str().unwrap();
    assert!(reason.contains("fuel") || reason.contains("deadline"), "{reason}");
}

#[test]
fn conformance_passes_every_reference_policy() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in nudge_bundle::REFERENCE_POLICIES {
        let path = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&path, bytes).unwrap();
        let (code, stdout, stderr) = nudge(&["plugin", "check", path.to_str().unwrap(), "--conformance", "--json"]);
        let json: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
        assert_eq!(code, 0, "{name}: {}", json["reason"]);
        assert_eq!((json["ok"].as_bool(), json["name"].as_str()), (Some(true), Some(name)));
        let cases = json["cases"].as_array().unwrap();
        assert!(cases.len() >= 20, "{name}: {} cases", cases.len());
        for case in cases {
            assert_eq!(case["passed"], true, "{name}: {case}");
            assert!(case["metering"]["fuel"].is_u64(), "{case}");
        }
        assert!(json["worst"]["fuel"].as_u64().unwrap() > 0);
    }
}

#[test]
fn conformance_names_each_failed_case_and_invariant() {
    let careless = nudge_bundle::test_guests::CARELESS;
    let (code, stdout, _) = nudge(&["plugin", "check", careless, "--conformance", "--json"]);
    assert_eq!(code, 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["ok"], false);
    let case = |name: &str| json["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(case("paid")["passed"], false);
    assert_eq!(case("paid")["failures"][0]["invariant"], "no-notice-when-nothing-owed");
    assert_eq!(case("every-channel-opted-out")["failures"][0]["invariant"], "channel-not-opted-out");
    assert_eq!(case("only-sms-reachable")["passed"], true);
    let reason = json["reason"].as_str().unwrap();
    assert!(reason.contains("paid (no-notice-when-nothing-owed)"), "{reason}");
    assert!(reason.contains("only-email-reachable (channel-reachable)"), "{reason}");

    let (code, text, _) = nudge(&["plugin", "check", careless, "--conformance"]);
    assert_eq!(code, 1);
    assert!(text.starts_with("conformance of careless 0.1.0"), "{text}");
    assert!(text.contains("FAIL  disputed"), "{text}");
    assert!(text.contains("no-notice-when-disputed: notified on a disputed invoice"), "{text}");
    // Without --conformance the same guest passes the upload's dry runs.
    assert_eq!(nudge(&["plugin", "check", careless]).0, 0);
}

#[test]
fn conformance_of_a_file_that_does_not_load_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.wasm");
    std::fs::write(&path, b"not wasm").unwrap();
    let (code, stdout, _) = nudge(&["plugin", "check", path.to_str().unwrap(), "--conformance", "--json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(json["reason"].as_str().unwrap().contains("not a WebAssembly component"), "{json}");
    assert_eq!(json["cases"].as_array().map(Vec::len), Some(0));
    let (code, text, _) = nudge(&["plugin", "check", path.to_str().unwrap(), "--conformance"]);
    assert_eq!(code, 1);
    assert!(text.starts_with("rejected: not a WebAssembly component"), "{text}");
}

#[test]
fn import_lists_bad_rows_by_line_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n\
         391,A-1,4/6/2013,1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n\
         391,A-1,4/6/2013,2,1/2/2013,2/1/2013,lots,No,1/15/2013,Paper,13,0\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let (code, _, stderr) = nudge(&["import", csv.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("line 3, column InvoiceAmount"), "{stderr}");
    assert!(!data.join("store").exists(), "nothing may be imported from a rejected file");
}

#[test]
fn import_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/accounts-receivable.csv");
    let data = dir.path().join("data");
    let args = ["import", csv.to_str().unwrap(), "--data-dir", data.to_str().unwrap(), "--json"];
    let (code, first, stderr) = nudge(&args);
    assert_eq!(code, 0, "{stderr}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (first["customers"].as_u64(), first["invoices"].as_u64(), first["payments"].as_u64()),
        (Some(100), Some(2466), Some(2466))
    );
    let (code, second, _) = nudge(&args);
    assert_eq!(code, 0);
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(second["payments"].as_u64(), Some(0), "payments already recorded are not recorded again");
}

#[test]
fn demo_refuses_to_wipe_a_directory_that_is_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    let (code, _, stderr) = nudge(&["demo", "--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not a nudge demo directory"), "{stderr}");
    assert!(dir.path().join("precious.txt").exists());
}

#[test]
fn the_compile_worker_bounds_memory_and_the_host_survives() {
    use nudge_runtime::{CompileWorker, Limits, LoadError, Runtime, RuntimeOptions};
    let worker = |memory_bytes| RuntimeOptions {
        cache_dir: None,
        compile_worker: Some(CompileWorker {
            program: env!("CARGO_BIN_EXE_nudge").into(),
            args: vec![nudge_cli::runtime::WORKER_COMMAND.into()],
            memory_bytes,
        }),
    };
    // Far too little address space to compile anything: the worker dies, the host reports it.
    let starved = Runtime::with_options(Limits::default(), worker(24 << 20)).unwrap();
    match starved.load(nudge_bundle::STANDARD_POLICY) {
        Err(LoadError::Compile(reason)) => assert!(!reason.is_empty()),
        other => panic!("expected a compile failure, got {other:?}"),
    }
    // The same runtime keeps working, and a worker with room compiles the plugin.
    let roomy =
        Runtime::with_options(Limits::default(), worker(nudge_cli::config::DEFAULT_COMPILE_MEMORY_BYTES)).unwrap();
    let plugin = roomy.load(nudge_bundle::STANDARD_POLICY).unwrap();
    let (_, ctx) = nudge_runtime::fixtures::contexts().into_iter().next().unwrap();
    assert!(plugin.decide(&ctx).result.is_ok());
}

#[test]
fn a_demo_refuses_a_directory_another_nudge_is_using() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (code, _, stderr) = nudge(&["demo", "--data-dir", data.to_str().unwrap(), "--csv", "/nonexistent.csv"]);
    assert_eq!(code, 1, "{stderr}");
    // Another process (here: this test) holds the store open.
    let held = nudge_store::Store::open(data.join("store")).unwrap();
    let (code, _, stderr) = nudge(&["demo", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("in use by another nudge process"), "{stderr}");
    assert!(data.join("store").exists() && data.join(".nudge-demo").exists(), "nothing was wiped");
    drop(held);
}

#[test]
fn endless_and_oversized_inputs_are_refused_without_reading_them_whole() {
    let started = std::time::Instant::now();
    let (code, json) = check_json(Path::new("/dev/zero"));
    assert_eq!(code, 1);
    assert!(json["reason"].as_str().unwrap().contains("is larger than"), "{json}");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = nudge(&["import", "/dev/zero", "--data-dir", dir.path().join("d").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("larger than"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("standard.wasm");
    std::fs::write(&path, nudge_bundle::STANDARD_POLICY).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nudge"))
        .args(["plugin", "check", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, like `| head -0`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_closed_stderr_is_not_a_panic() {
    // `nudge ... 2>&1 | head -0`: the error has nowhere to go, and the exit
    // code still says what happened (1), not a panic (101).
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nudge"))
        .args(["import", "/nonexistent/ar.csv", "--data-dir", dir.path().join("d").to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // closed before the error is written
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
}

#[test]
fn tenant_limits_outside_the_host_ceilings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/accounts-receivable.csv");
    let (code, _, stderr) = nudge(&["import", csv.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let d = data.to_str().unwrap();
    for args in [["--fuel", "18446744073709551615"], ["--deadline-ms", "999999999"], ["--memory-bytes", "0"]] {
        let (code, _, stderr) = nudge(&["tenant", "limits", "--data-dir", d, args[0], args[1]]);
        assert_eq!(code, 1, "{args:?}");
        assert!(stderr.contains("outside the range this host allows"), "{stderr}");
    }
    let (code, stdout, _) = nudge(&["tenant", "limits", "--data-dir", d, "--fuel", "5000000", "--json"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"fuel\":5000000"), "{stdout}");
}

#[test]
fn tenant_sending_sets_window_caps_and_missed_sends_and_refuses_what_does_not_hold_together() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/accounts-receivable.csv");
    let (code, _, stderr) = nudge(&["import", csv.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let d = data.to_str().unwrap();
    let (code, stdout, _) = nudge(&["tenant", "sending", "--data-dir", d]);
    assert_eq!(code, 0);
    assert!(stdout.contains("send window 08:00-20:00 local; at most 1 message(s) a day and 3 a week"), "{stdout}");
    let bad: [(&[&str], &str); 4] = [
        (&["--per-day", "0"], "per_day must be 1 to 24, is 0"),
        (&["--per-day", "2", "--per-week", "20"], "per_week must be from per_day (2) to 7 × per_day (14), is 20"),
        (&["--window-start", "21"], "end hour must come after start hour"),
        (&["--grace-minutes", "99999"], "grace_minutes must be at most 10080"),
    ];
    for (args, message) in bad {
        let mut all = vec!["tenant", "sending", "--data-dir", d];
        all.extend_from_slice(args);
        let (code, _, stderr) = nudge(&all);
        assert_eq!(code, 1, "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let change = ["--window-start", "9", "--window-end", "17", "--per-day", "2", "--per-week", "5"];
    let (code, _, stderr) =
        nudge(&[&["tenant", "sending", "--data-dir", d, "--missed-sends", "skip"][..], &change[..]].concat());
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = nudge(&["tenant", "sending", "--data-dir", d, "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["send_window"], serde_json::json!({"start_hour": 9, "end_hour": 17}));
    assert_eq!(json["frequency_caps"], serde_json::json!({"per_day": 2, "per_week": 5}));
    assert_eq!(json["missed_sends"], serde_json::json!({"policy": "skip", "grace_minutes": 60}));
}

#[test]
fn a_demo_of_another_file_replays_that_file_s_own_span_and_checks_the_metrics_path_first() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("later.csv");
    std::fs::write(
        &csv,
        "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n\
         391,A-1,4/6/2020,1,1/2/2021,2/1/2021,55.94,No,3/15/2021,Paper,72,42\n\
         818,B-2,4/6/2020,2,6/2/2021,7/2/2021,120.00,No,7/30/2021,Electronic,58,28\n",
    )
    .unwrap();
    let data = dir.path().join("demo");
    let (code, _, stderr) = nudge(&[
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--metrics",
        "/nonexistent/m.prom",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot write metrics"), "{stderr}");
    assert!(!data.exists(), "nothing is set up when the run cannot finish");
    let (code, stdout, stderr) =
        nudge(&["demo", "--data-dir", data.to_str().unwrap(), "--csv", csv.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let s: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["invoices"], 2);
    assert_eq!(s["replay_from"], "2021-01-01");
    assert!(s["notices_sent"].as_u64().unwrap() >= 2, "both late invoices get reminders: {s}");
}

#[test]
fn reimporting_a_changed_amount_keeps_payments_and_totals_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let header = "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n";
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, format!("{header}391,A-1,4/6/2013,1,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"))
        .unwrap();
    let d = data.to_str().unwrap();
    assert_eq!(nudge(&["import", csv.to_str().unwrap(), "--data-dir", d]).0, 0);
    std::fs::write(&csv, format!("{header}391,A-1,4/6/2013,1,1/2/2013,2/1/2013,77.77,No,1/15/2013,Paper,13,0\n"))
        .unwrap();
    assert_eq!(nudge(&["import", csv.to_str().unwrap(), "--data-dir", d]).0, 0);
    let store = nudge_store::Store::open(data.join("store")).unwrap();
    let tenant = nudge_core::TenantId::new("acme").unwrap();
    let invoice = store.invoice(&tenant, &nudge_core::InvoiceId::new("1").unwrap()).unwrap().unwrap();
    assert_eq!(invoice.total.amount_minor, 7777);
    assert_eq!(invoice.amount_remaining_minor, 7777 - 5594, "the 55.94 paid still counts");
    assert_eq!(invoice.status, nudge_core::InvoiceStatus::Open);
    assert_eq!(invoice.paid_at, None);
}

#[test]
fn the_host_configuration_file_is_read_and_checked_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nudge.toml");
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    std::fs::write(&config, "[sandbox]\nmax_instances = 4\n\n[sandbox.tenant_defaults]\nfuel = 123456\n").unwrap();
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data/accounts-receivable.csv");
    let (code, _, err) = nudge(&["--config", config.to_str().unwrap(), "import", csv, "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) =
        nudge(&["--config", config.to_str().unwrap(), "tenant", "limits", "--data-dir", data, "--json"]);
    assert_eq!(code, 0, "{err}");
    // A new tenant starts with the configured defaults.
    assert!(out.contains("\"fuel\":123456"), "{out}");
    // Tenant limits must fit under the configured ceilings too.
    let (code, _, err) =
        nudge(&["tenant", "limits", "--config", config.to_str().unwrap(), "--data-dir", data, "--fuel", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("fuel 10 is outside"), "{err}");

    std::fs::write(&config, "[sandbox]\nmax_instances = 4\nwasm_stack = 1\n").unwrap();
    let (code, _, err) = nudge(&["--config", config.to_str().unwrap(), "plugin", "list", "--data-dir", data]);
    assert_eq!(code, 1);
    assert!(err.contains("nudge.toml") && err.contains("line 3") && err.contains("wasm_stack"), "{err}");
}

#[test]
fn plugin_check_exits_0_or_1_on_any_damaged_component_never_a_signal() {
    // Truncations and bit flips spread over the standard policy, which hit
    // every section: headers, types, code, data, custom sections. Whatever
    // the damage, `check` answers with a verdict (exit 0 or 1 and a JSON
    // report, a reason when refused); `nudge()` fails on any signal.
    let original = nudge_bundle::STANDARD_POLICY.to_vec();
    let dir = tempfile::tempdir().unwrap();
    // (what was done, the bytes, whether it must be refused)
    let mut cases: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for i in 1..=8 {
        let cut = original.len() * i / 9;
        cases.push((format!("truncated at {cut}"), original[..cut].to_vec(), true));
    }
    for i in 0..12 {
        // Offsets from the header to the end, not evenly spaced.
        let at = 8 + (original.len() - 9) * (i * i) / 121;
        let mut bytes = original.clone();
        bytes[at] ^= 0x5a;
        // A flip in a data segment or a custom section can leave a valid
        // component: accepted or refused, it must be a verdict.
        cases.push((format!("byte {at} flipped"), bytes, false));
    }
    let mut padded = original.clone();
    padded.extend_from_slice(&[0xff; 64]);
    cases.push(("trailing garbage".into(), padded, true));
    cases.push(("header only".into(), original[..8].to_vec(), true));
    cases.push(("empty".into(), Vec::new(), true));
    for (name, bytes, must_refuse) in &cases {
        let path = dir.path().join("damaged.wasm");
        std::fs::write(&path, bytes).unwrap();
        let (code, json) = check_json(&path);
        assert!(code == 0 || code == 1, "{name}: exit code {code}");
        assert_eq!(json["ok"], code == 0, "{name}: {json}");
        assert!(!must_refuse || code == 1, "{name}: must be refused: {json}");
        if code == 1 {
            assert!(!json["reason"].as_str().unwrap().is_empty(), "{name}: a refusal says why: {json}");
        }
    }
    let (code, json) = check_json(dir.path());
    assert_eq!(code, 1, "a directory: {json}");
}

#[test]
fn plugin_list_tells_the_tenant_why_a_version_was_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let wasm = dir.path().join("standard.wasm");
    std::fs::write(&wasm, nudge_bundle::STANDARD_POLICY).unwrap();
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data/accounts-receivable.csv");
    let (code, _, err) = nudge(&["import", csv, "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    for _ in 0..2 {
        let (code, _, err) = nudge(&["plugin", "upload", wasm.to_str().unwrap(), "--data-dir", data, "--activate"]);
        assert_eq!(code, 0, "{err}");
    }
    // What the circuit breaker writes when it switches version 2 off.
    let reason = "circuit breaker: 10 of the last 20 calls failed; version 1 is active again";
    {
        let store = nudge_store::Store::open(dir.path().join("data/store")).unwrap();
        let tenant = nudge_core::TenantId::new("acme").unwrap();
        let at = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        store
            .transact(|tx| {
                tx.disable_plugin(&tenant, 2, reason, at)?;
                tx.activate_plugin(&tenant, 1, at)
            })
            .unwrap();
    }
    let (code, out, err) = nudge(&["plugin", "list", "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].trim_start().starts_with("1 ") && lines[0].ends_with("active"), "{out}");
    assert!(lines[1].trim_start().starts_with("2 ") && lines[1].ends_with(&format!("switched off: {reason}")), "{out}");
    let (code, out, _) = nudge(&["plugin", "list", "--data-dir", data, "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[1]["disabled_reason"], reason, "{out}");
    assert_eq!(rows[0]["active"], true, "{out}");
}

#[test]
fn templates_are_uploaded_listed_previewed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/accounts-receivable.csv");
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    assert_eq!(nudge(&["import", csv.to_str().unwrap(), "--data-dir", data]).0, 0);
    let body = dir.path().join("body.txt");
    std::fs::write(
        &body,
        "{{ tenant_name }}: Rechnung {{ invoice_number }} über {{ amount }} ist offen. {{ payment_link }}\n",
    )
    .unwrap();
    let body = body.to_str().unwrap();
    let (code, out, err) = nudge(&["template", "upload", "firm", "sms", "de", "--body", body, "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("uploaded template firm/sms/de for tenant acme (revision 1)"), "{out}");

    // Invalid: exit 1, each issue with its line.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "Hallo\n{% if amount %}{{ betrag }}{% endif %}\n{{ customer_name }\n").unwrap();
    let (code, _, err) =
        nudge(&["template", "upload", "firm", "sms", "de", "--body", bad.to_str().unwrap(), "--data-dir", data]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("body, line 3, column "), "{err}");
    let (code, _, err) =
        nudge(&["template", "upload", "firm", "sms", "de", "--body", body, "--subject", "Hi", "--data-dir", data]);
    assert_eq!(code, 1);
    assert!(err.contains("subject: a sms template has no subject"), "{err}");

    let (code, out, _) = nudge(&["template", "list", "--data-dir", data]);
    assert_eq!(code, 0);
    assert!(out.contains("1 template(s); fallback locale en") && out.contains("firm/sms/de  revision 1"), "{out}");
    let (_, out, _) = nudge(&["template", "show", "firm", "sms", "de", "--data-dir", data]);
    assert!(out.contains("Rechnung {{ invoice_number }}"), "{out}");

    // Preview against the sample invoice, and against an invoice of the data directory.
    let (code, out, err) = nudge(&["template", "preview", "firm", "sms", "de", "--data-dir", data]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Rechnung inv-3 über $250.00 ist offen."), "{out}");
    assert!(out.contains("--- sms: 1 segment(s), ") && out.contains(" gsm-7 units"), "{out}");
    let (code, out, err) =
        nudge(&["template", "preview", "firm", "sms", "de", "--invoice", "0000611365", "--data-dir", data, "--json"]);
    assert_eq!(code, 0, "{err}");
    let preview: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(preview["invoice"], "0000611365");
    assert!(
        preview["text"].as_str().unwrap().contains("Rechnung 0000611365 über $0.00"),
        "settled: nothing owed; {preview}"
    );
    assert!(preview["text"].as_str().unwrap().contains("https://pay.nudge.invalid/acme/0000611365"), "{preview}");

    assert_eq!(
        nudge(&["template", "fallback-locale", "de", "--data-dir", data]).1,
        "tenant acme: fallback locale de\n"
    );
    assert_eq!(nudge(&["template", "delete", "firm", "sms", "de", "--data-dir", data]).0, 0);
    let (code, _, err) = nudge(&["template", "delete", "firm", "sms", "de", "--data-dir", data]);
    assert_eq!(code, 1);
    assert!(err.contains("template firm/sms/de does not exist"), "{err}");
}

/// One HTTP/1.1 request over a plain socket: the status and the body.
fn http(addr: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn serve_takes_its_settings_from_the_environment_and_exits_0_on_sigterm() {
    use std::{
        io::BufRead,
        process::Stdio,
        time::{Duration, Instant},
    };
    let (code, help, _) = nudge(&["serve", "--help"]);
    assert_eq!(code, 0);
    for name in
        ["NUDGE_LISTEN", "NUDGE_BODY_LIMIT_BYTES", "NUDGE_WEBHOOK_RATE_LIMIT_BURST", "NUDGE_SHUTDOWN_GRACE_SECONDS"]
    {
        assert!(help.contains(name), "serve --help names {name}: {help}");
    }

    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nudge"))
        .args(["serve", "--data-dir", dir.path().join("data").to_str().unwrap()])
        .env("NUDGE_LISTEN", "127.0.0.1:0")
        .env("NUDGE_OPERATOR_TOKEN", "operator-token-for-the-cli-test")
        .env("NUDGE_BODY_LIMIT_BYTES", "2048")
        .env("NUDGE_RATE_LIMIT_BURST", "500")
        .env("NUDGE_SHUTDOWN_GRACE_SECONDS", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The port it bound, from "listening on http://ADDR"; stderr is drained after.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("nudge serve says where it listens");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(&addr, "GET", "/readyz", "", b"").0 != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    // NUDGE_BODY_LIMIT_BYTES took effect.
    let auth = "Authorization: Bearer operator-token-for-the-cli-test\r\n";
    let (status, body) = http(&addr, "POST", "/v1/admin/tenants", auth, &[b' '; 4096]);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("2048"), "{body}");
    let (status, body) = http(&addr, "GET", "/openapi.json", "", b"");
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\":\"3."), "{body}");

    let pid = child.id().to_string();
    let started = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "nudge serve did not stop within 15 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "exits 0 after SIGTERM");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "an idle server stops promptly, took {elapsed:?}");
}

#[test]
fn report_prints_the_demos_numbers_as_text_json_csv_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (code, out, err) = nudge(&["demo", "--data-dir", data, "--json"]);
    assert_eq!(code, 0, "{err}");
    let demo: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sent = demo["notices_sent"].as_u64().unwrap();
    assert!(sent > 1000, "{out}");

    let (code, out, err) = nudge(&["report", "--data-dir", data, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["totals"]["notices_sent"].as_u64(), Some(sent), "the report counts what the demo sent");
    let (code, csv, _) = nudge(&["report", "--data-dir", data, "--csv"]);
    assert_eq!(code, 0);
    assert!(csv.lines().any(|l| l == format!("all,all,notices_sent,,,{sent}")), "{csv}");
    let html = dir.path().join("report.html");
    let (code, text, err) = nudge(&["report", "--data-dir", data, "--html", html.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains(&sent.to_string()), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(&format!("<div class=\"value\">{sent}</div><div class=\"label\">notices sent</div>")));
    let (code, _, err) = nudge(&["report", "--data-dir", dir.path().join("nowhere").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("holds no nudge store"), "{err}");
}
