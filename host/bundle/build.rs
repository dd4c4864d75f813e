//! Builds every guest (the bundled policies and the test guests) from source
//! to `wasm32-wasip2`, in one nested cargo invocation.
//!
//! The nested build uses its own target directory next to the outer profile
//! directory (`target/<profile>/wasm-guests/<checkout>`): it never waits on the outer
//! build's lock, and it stays incremental from one build to the next.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

/// Every guest: its cargo package and the constant `src/lib.rs` exposes it
/// as. The component's absolute path reaches the crate as the compile-time
/// environment variable `NUDGE_BUNDLE_<constant>`.
const GUESTS: &[(&str, &str)] = &[
    ("nudge-plugin-standard", "STANDARD_POLICY"),
    ("nudge-plugin-segmented", "SEGMENTED_POLICY"),
    ("nudge-plugin-ab-timing", "AB_TIMING_POLICY"),
    ("nudge-plugin-sentiment-aware", "SENTIMENT_AWARE_POLICY"),
    ("nudge-guest-trap", "TRAP"),
    ("nudge-guest-spin", "SPIN"),
    ("nudge-guest-sleeper", "SLEEPER"),
    ("nudge-guest-hostile", "HOSTILE"),
    ("nudge-guest-fs-reader", "FS_READER"),
    ("nudge-guest-net-dialer", "NET_DIALER"),
    ("nudge-guest-careless", "CARELESS"),
    ("nudge-guest-signals-echo", "SIGNALS_ECHO"),
];

/// The target every guest is built for.
const WASM_TARGET: &str = "wasm32-wasip2";

/// How guests are built, on top of the workspace's release profile.
/// - The release profile keeps line tables for native backtraces; in a
///   component they are megabytes of DWARF the host never reads. Stripping
///   them keeps the name section, so traps still show function names.
/// - Whole-program optimisation (LTO, one codegen unit) lets the SDK, the
///   bindings' glue and the policy inline into each other: fewer wasm
///   instructions per `decide`, so less fuel and less time (BENCHMARKS.md).
const GUEST_PROFILE: [&str; 6] = [
    "--config",
    "profile.release.strip=\"debuginfo\"",
    "--config",
    "profile.release.lto=true",
    "--config",
    "profile.release.codegen-units=1",
];

/// Inputs of the guests, relative to the workspace root.
const WATCHED: &[&str] = &["wit", "sdk/src", "sdk/Cargo.toml", "plugins", "tests/guests", "Cargo.toml", "Cargo.lock"];

/// Environment of the outer build that would leak into the nested one: flags
/// meant for the host target, wrappers (clippy sets
/// `RUSTC_WORKSPACE_WRAPPER`), the outer target directory and target, and the
/// outer jobserver.
const OUTER_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO_PRIMARY_PACKAGE",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "NUM_JOBS",
    "RUSTC_LINKER",
];

/// Prefixes of the outer build script's own environment (its cfg, features,
/// package and manifest, dependencies' metadata).
const OUTER_ENV_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "CARGO_MANIFEST_", "DEP_"];

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(required_env("CARGO_MANIFEST_DIR")?);
    let workspace =
        manifest_dir.ancestors().nth(2).ok_or("host/bundle is not two levels below the workspace root")?.to_path_buf();
    // Relative to this package, so cargo checks the sources of the checkout
    // it builds: two clones sharing one target directory share this build
    // script's output, and absolute paths would make a clone look fresh
    // because the other clone's files did not change.
    for path in WATCHED {
        println!("cargo:rerun-if-changed=../../{path}");
    }

    let out_dir = PathBuf::from(required_env("OUT_DIR")?);
    // OUT_DIR is target/<profile>/build/nudge-bundle-<hash>/out.
    let profile_dir = out_dir.ancestors().nth(3).unwrap_or(&out_dir);
    // One nested target per checkout: the nested cargo's freshness checks
    // would otherwise trust artefacts built from another clone's sources.
    let checkout = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        workspace.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    };
    let target_dir = profile_dir.join("wasm-guests").join(checkout);

    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    check_wasm_target(&rustc)?;

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--release", "--target", WASM_TARGET])
        .args(GUEST_PROFILE)
        .arg("--target-dir")
        .arg(&target_dir);
    for (package, _) in GUESTS {
        command.args(["-p", package]);
    }
    // Without the outer jobserver the nested build would otherwise take every core.
    if let Some(jobs) = env::var_os("NUM_JOBS") {
        command.arg("--jobs").arg(jobs);
    }
    for (name, _) in env::vars_os() {
        let name_text = name.to_string_lossy();
        if OUTER_ENV.contains(&name_text.as_ref())
            || OUTER_ENV_PREFIXES.iter().any(|prefix| name_text.starts_with(prefix))
        {
            command.env_remove(&name);
        }
    }

    let output = command.output().map_err(|error| format!("could not run cargo to build the wasm guests: {error}"))?;
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        let packages: Vec<String> = GUESTS.iter().map(|(package, _)| format!("-p {package}")).collect();
        return Err(format!(
            "building the wasm guests failed ({}); the nested cargo's output is above. \
             Reproduce with: cargo build --release --target {WASM_TARGET} {} {} \
             --target-dir {}",
            output.status,
            packages.join(" "),
            GUEST_PROFILE.chunks(2).map(|flag| format!("{} '{}'", flag[0], flag[1])).collect::<Vec<_>>().join(" "),
            target_dir.display(),
        ));
    }

    let artifacts = target_dir.join(WASM_TARGET).join("release");
    for (package, constant) in GUESTS {
        let wasm = artifacts.join(format!("{}.wasm", package.replace('-', "_")));
        if !wasm.is_file() {
            return Err(format!(
                "cargo built {package} but {} is missing; is its crate-type `cdylib`?",
                wasm.display()
            ));
        }
        println!("cargo:rustc-env=NUDGE_BUNDLE_{constant}={}", wasm.display());
    }
    Ok(())
}

/// Fails with the fix if the toolchain cannot build for [`WASM_TARGET`].
fn check_wasm_target(rustc: &OsString) -> Result<(), String> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|error| format!("could not run rustc to find its sysroot: {error}"))?;
    if !output.status.success() {
        return Err(format!("`rustc --print sysroot` failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let target_lib = Path::new(&sysroot).join("lib/rustlib").join(WASM_TARGET);
    if !target_lib.is_dir() {
        return Err(format!(
            "the {WASM_TARGET} target is not installed for this toolchain \
             ({} is missing); run `rustup target add {WASM_TARGET}`",
            target_lib.display()
        ));
    }
    Ok(())
}

fn required_env(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}; run this through cargo"))
}
