//! The plugin developer's workflow as a user runs it: the SDK tutorial's
//! commands as written, `nudge plugin new`/`build` refusals, and
//! `nudge plugin simulate` on real data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn example_csv() -> PathBuf {
    root().join("examples/data/accounts-receivable.csv")
}

fn nudge(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nudge")).args(args).output().unwrap();
    let code = out.status.code().expect("nudge must exit, never die of a signal");
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn nudge_json(args: &[&str]) -> Value {
    let (code, stdout, stderr) = nudge(args);
    assert_eq!(code, 0, "nudge {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// The bundled standard policy as a file.
fn standard_wasm(dir: &Path) -> String {
    let path = dir.join("standard.wasm");
    std::fs::write(&path, nudge_bundle::STANDARD_POLICY).unwrap();
    path.to_str().unwrap().to_string()
}

/// The `sh` blocks marked `<!-- tutorial -->`, with the line each starts on.
fn tutorial_blocks(readme: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "<!-- tutorial -->" {
            assert_eq!(
                lines.get(i + 1).map(|l| l.trim()),
                Some("```sh"),
                "line {}: a marker must precede ```sh",
                i + 1
            );
            let start = i + 2;
            let end = start + lines[start..].iter().position(|l| l.trim() == "```").expect("unclosed block");
            blocks.push((start + 1, lines[start..end].join("\n")));
            i = end;
        }
        i += 1;
    }
    blocks
}

#[test]
fn the_sdk_tutorial_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("sdk/README.md")).unwrap();
    let blocks = tutorial_blocks(&readme);
    let all: String = blocks.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>().join("\n");
    for command in
        ["nudge plugin new", "cargo test", "nudge plugin build", "nudge plugin check", "nudge plugin simulate"]
    {
        assert!(all.contains(command), "the tutorial must run `{command}`");
    }
    for command in ["--against", "nudge plugin upload", "nudge plugin activate", "nudge plugin list"] {
        assert!(all.contains(command), "the tutorial must run `{command}`");
    }
    let mut script = String::from("set -euo pipefail\n");
    for (line, block) in &blocks {
        script.push_str(&format!("echo '>>> sdk/README.md, block at line {line}' >&2\n{block}\n"));
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("tutorial.sh"), &script).unwrap();

    // The scaffolded crate builds in one shared target directory beside
    // this build's, so that reruns are warm.
    let nudge = Path::new(env!("CARGO_BIN_EXE_nudge"));
    let bin_dir = nudge.parent().unwrap();
    let target = bin_dir.parent().unwrap().join("tutorial");
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut command = Command::new("bash");
    command.arg("tutorial.sh").current_dir(work.path()).env("PATH", path).env("NUDGE", root());
    command.env("CARGO_TARGET_DIR", &target);
    // What cargo set for this test must not leak into the tutorial's cargo.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let leaks = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || name.starts_with("CARGO_MANIFEST_")
            || ["CARGO_CRATE_NAME", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "RUSTFLAGS", "RUSTC_WRAPPER"]
                .contains(&name.as_str())
            || ["CARGO_ENCODED_RUSTFLAGS", "RUSTC_WORKSPACE_WRAPPER", "CARGO_BUILD_TARGET", "CARGO_MAKEFLAGS"]
                .contains(&name.as_str());
        if leaks {
            command.env_remove(&name);
        }
    }
    let out = command.output().expect("bash must be installed to run the tutorial");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail = |s: &str| s.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    assert!(
        out.status.success(),
        "the tutorial failed ({}).\n--- stdout (end) ---\n{}\n--- stderr (end) ---\n{}",
        out.status,
        tail(&stdout),
        tail(&stderr)
    );
    // The commands did what the tutorial says they do.
    let crate_dir = work.path().join("my-policy");
    for file in ["Cargo.toml", "src/lib.rs", "src/steps.rs", "README.md", ".gitignore", "my-policy-v1.wasm"] {
        assert!(crate_dir.join(file).exists(), "{file} is missing");
    }
    assert!(stdout.contains("accepted: my-policy 0.1.0"), "{}", tail(&stdout));
    assert!(stdout.contains("test result: ok. 9 passed"), "the edited crate's tests ran: {}", tail(&stdout));
    assert!(stdout.contains("version 2 is now active for tenant acme"), "{}", tail(&stdout));
    // Version 2 adds a pre-due step, so the comparison reports it.
    let added = stdout.lines().find(|l| l.trim_start().starts_with("pre-due") && l.split_whitespace().count() == 5);
    let added: usize =
        added.expect("a pre-due row in the comparison").split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(added > 0, "{}", tail(&stdout));
}

#[test]
fn simulating_the_standard_policy_sends_what_the_demo_sends() {
    let dir = tempfile::tempdir().unwrap();
    let demo = nudge_json(&["demo", "--json", "--data-dir", dir.path().join("demo").to_str().unwrap()]);
    let wasm = standard_wasm(dir.path());
    let report = nudge_json(&["plugin", "simulate", &wasm, "--data", example_csv().to_str().unwrap(), "--json"]);
    let s = &report["simulated"]["summary"];
    assert!(demo["notices_sent"].as_u64().unwrap() > 1000, "{demo}");
    for key in ["notices_sent", "notices_by_step", "notices_by_segment", "suppressed_by_payment", "decisions"] {
        assert_eq!(s[key], demo[key], "{key}");
    }
    assert!(report["against"].is_null() && report["changes"].is_null());
    // The per-step and per-segment tables add up to the summary.
    let b = &report["simulated"]["breakdown"];
    let sum =
        |table: &str, key: &str| b[table].as_object().unwrap().values().map(|f| f[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("by_step", "sent"), s["notices_sent"].as_u64().unwrap());
    assert_eq!(sum("by_segment", "sent"), s["notices_sent"].as_u64().unwrap());
    assert_eq!(sum("by_step", "suppressed_by_payment"), s["suppressed_by_payment"].as_u64().unwrap());
    for (step, sent) in s["notices_by_step"].as_object().unwrap() {
        assert_eq!(&b["by_step"][step]["sent"], sent, "{step}");
    }
    let decisions: u64 = b["decisions"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(decisions, s["decisions"].as_u64().unwrap());
}

#[test]
fn another_configuration_shows_what_would_change_by_channel() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = standard_wasm(dir.path());
    // Invoices from 50.00 count as high value and go by text message where
    // the customer has a phone, instead of from 100.00.
    let report = nudge_json(&[
        "plugin",
        "simulate",
        &wasm,
        "--data",
        example_csv().to_str().unwrap(),
        "--plugin-config",
        r#"{"high_value_minor": 5000}"#,
        "--against-plugin-config",
        "{}",
        "--examples",
        "3",
        "--json",
    ]);
    let changes = &report["changes"];
    assert!(changes["invoices_changed"].as_u64().unwrap() > 0, "{changes}");
    let sms = &changes["by_channel"]["sms"];
    assert!(sms["after"].as_u64().unwrap() > sms["before"].as_u64().unwrap(), "{sms}");
    assert!(sms["gained"].as_u64().unwrap() > 0, "{sms}");
    assert_eq!(changes["examples"].as_array().unwrap().len(), 3);
    assert_eq!(report["against"]["config"], "{}");
    let changed: u64 = changes["by_step"].as_object().unwrap().values().map(|s| s["changed"].as_u64().unwrap()).sum();
    assert!(changed > 0, "notices that moved channel are counted as changed: {changes}");
}

#[test]
fn a_json_history_replays_with_exact_figures_and_identical_policies_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = standard_wasm(dir.path());
    let data = root().join("examples/data/history.json");
    let data = data.to_str().unwrap();
    let report = nudge_json(&["plugin", "simulate", &wasm, "--data", data, "--against", &wasm, "--json"]);
    let s = &report["simulated"]["summary"];
    // Worked out by hand in examples/data/README.md's terms: inv-1 paid
    // before its pre-due notice; inv-2 gets pre-due and overdue-1, paid
    // before overdue-7; inv-3 (high value, by text) gets three, paid in two
    // parts before overdue-14; inv-4 is disputed; inv-5 gets all four and
    // is escalated 30 days after its due date.
    assert_eq!(s["invoices"], 5);
    assert_eq!(s["notices_sent"], 9);
    assert_eq!(s["suppressed_by_payment"], 3);
    assert_eq!(
        (&s["escalated"], &s["disputed"], &s["invoices_paid"]),
        (&Value::from(1), &Value::from(1), &Value::from(3))
    );
    assert_eq!(s["notices_by_channel"], serde_json::json!({"email": 2, "sms": 7}));
    assert_eq!(report["simulated"]["breakdown"]["by_step"]["overdue-14"]["sent"], 1);
    assert_eq!(report["changes"]["invoices_changed"], 0, "the same policy twice changes nothing");
    assert_eq!(report["changes"]["invoices_with_notices"], 3);

    let (code, text, _) = nudge(&["plugin", "simulate", &wasm, "--data", data]);
    assert_eq!(code, 0);
    assert!(text.contains("9 notices sent, 3 suppressed because the invoice was paid first"), "{text}");
    let row: Vec<&str> =
        text.lines().find(|l| l.trim_start().starts_with("overdue-14")).unwrap().split_whitespace().collect();
    assert_eq!(row[..5], ["overdue-14", "2", "1", "1", "0"], "scheduled, sent, paid first, other: {text}");
}

#[test]
fn bad_simulation_input_is_refused_with_what_was_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = standard_wasm(dir.path());
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"customers\": [{\"id\": \"c\", \"time_zone\": \"Nowhere/Land\"}],\n  \"invoices\": []\n}\n",
    )
    .unwrap();
    let (code, _, stderr) = nudge(&["plugin", "simulate", &wasm, "--data", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("line 2, field customers[0].time_zone"), "{stderr}");
    let (code, _, stderr) = nudge(&["plugin", "simulate", &wasm, "--data", "x.json", "--plugin-config", "[1]"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--plugin-config must be a JSON object"), "{stderr}");
    let csv = example_csv();
    let (code, _, stderr) = nudge(&["plugin", "simulate", "/nonexistent.wasm", "--data", csv.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read /nonexistent.wasm"), "{stderr}");
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, "not wasm").unwrap();
    let (code, _, stderr) = nudge(&["plugin", "simulate", garbage.to_str().unwrap(), "--data", csv.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the policy was not accepted") && stderr.contains("not a WebAssembly component"),
        "{stderr}"
    );
}

#[test]
fn plugin_new_and_build_refuse_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, _, stderr) = nudge(&["plugin", "new", "My Policy", "--dir", &format!("{d}/p")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a usable crate name"), "{stderr}");
    let (code, _, stderr) = nudge(&["plugin", "new", "p", "--dir", &format!("{d}/p"), "--sdk", d]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not the nudge SDK"), "{stderr}");
    let (code, stdout, stderr) = nudge(&["plugin", "new", "p", "--dir", &format!("{d}/p")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("SDK: {}", root().join("sdk").display())), "{stdout}");
    let (code, _, stderr) = nudge(&["plugin", "new", "p", "--dir", &format!("{d}/p")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("exists and is not empty"), "{stderr}");

    let (code, _, stderr) = nudge(&["plugin", "build", d]);
    assert_eq!(code, 1);
    assert!(stderr.contains("has no Cargo.toml"), "{stderr}");
    // A toolchain without the wasm target: rustc reports a sysroot that lacks it.
    let fake = dir.path().join("fake-rustc");
    std::fs::write(&fake, format!("#!/bin/sh\necho {d}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_nudge"))
        .args(["plugin", "build", &format!("{d}/p")])
        .env("RUSTC", &fake)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("rustup target add wasm32-wasip2"), "{stderr}");
}
