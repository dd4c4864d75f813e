//! `nudge plugin build`: `cargo build --release --target wasm32-wasip2` in
//! a policy crate, reading cargo's JSON messages to find the component.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

/// The target policy components are built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Builds the crate in `dir` and returns the path of its component.
///
/// Cargo's diagnostics go to stderr as a person would see them; its JSON
/// messages on stdout name the `.wasm` the crate produced.
pub fn build(dir: &Path) -> Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "{} has no Cargo.toml; run this in a policy crate (see `nudge plugin new`) or pass its directory",
            dir.display()
        );
    }
    let manifest = manifest.canonicalize()?;
    check_target(dir)?;
    let mut child = Command::new("cargo")
        .current_dir(dir)
        .args(["build", "--release", "--target", WASM_TARGET, "--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot run cargo; install Rust with rustup (https://rustup.rs)")?;
    let stdout = child.stdout.take().context("cargo's output was not captured")?;
    let mut wasm = Vec::new();
    for line in BufReader::new(stdout).lines() {
        wasm.extend(component_in(&line?, &manifest));
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("cargo build failed ({status}); its messages are above");
    }
    match wasm.pop() {
        Some(path) => Ok(path),
        None => bail!(
            "cargo built no .wasm for {}; is it a policy crate with `crate-type = [\"cdylib\", \"rlib\"]` in [lib]?",
            manifest.display()
        ),
    }
}

/// The `.wasm` files of one cargo JSON message, if it is the artefact of
/// the package at `manifest`.
fn component_in(message: &str, manifest: &Path) -> Vec<PathBuf> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(message) else { return Vec::new() };
    let ours = value["reason"] == "compiler-artifact"
        && value["manifest_path"].as_str().is_some_and(|p| Path::new(p) == manifest);
    if !ours {
        return Vec::new();
    }
    let files = value["filenames"].as_array().map(Vec::as_slice).unwrap_or_default();
    files.iter().filter_map(|f| f.as_str()).filter(|f| f.ends_with(".wasm")).map(PathBuf::from).collect()
}

/// Fails with the fix when the toolchain that builds in `dir` lacks the target.
pub fn check_target(dir: &Path) -> Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .current_dir(dir)
        .args(["--print", "sysroot"])
        .output()
        .context("cannot run rustc; install Rust with rustup (https://rustup.rs)")?;
    if !output.status.success() {
        bail!("`rustc --print sysroot` failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        bail!(
            "the {WASM_TARGET} target is not installed for the toolchain in {} ({}); \
             run `rustup target add {WASM_TARGET}`",
            dir.display(),
            sysroot.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_crate_s_own_wasm_is_picked_from_cargo_messages() {
        let manifest = Path::new("/p/Cargo.toml");
        let ours = r#"{"reason":"compiler-artifact","manifest_path":"/p/Cargo.toml","filenames":["/t/wasm32-wasip2/release/p.wasm","/t/wasm32-wasip2/release/libp.rlib"]}"#;
        assert_eq!(component_in(ours, manifest), [PathBuf::from("/t/wasm32-wasip2/release/p.wasm")]);
        let dependency = ours.replace("/p/Cargo.toml", "/sdk/Cargo.toml");
        assert!(component_in(&dependency, manifest).is_empty());
        assert!(component_in(r#"{"reason":"build-finished","success":true}"#, manifest).is_empty());
        assert!(component_in("not json", manifest).is_empty());
    }

    #[test]
    fn a_directory_without_a_crate_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(dir.path()).unwrap_err().to_string();
        assert!(err.contains("has no Cargo.toml") && err.contains("nudge plugin new"), "{err}");
    }
}
