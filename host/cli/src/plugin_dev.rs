//! The plugin developer's commands: `nudge plugin new` scaffolds a policy
//! crate, `nudge plugin build` builds it to a component and checks it.

pub mod scaffold;
pub mod wasm_build;

use std::{path::PathBuf, process::ExitCode};

use anyhow::Result;

/// Where `nudge plugin new` finds the SDK unless told: the `sdk/` directory
/// of the nudge checkout this binary was built from.
pub const DEFAULT_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk");

/// Options of `nudge plugin new`.
#[derive(Debug, Clone, clap::Args)]
pub struct NewOptions {
    /// The crate's name: lower-case letters, digits, `-` and `_`, starting with a letter.
    pub name: String,
    /// Directory to create the crate in; it must not exist or be empty [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The nudge SDK crate the policy depends on, as a path dependency.
    #[arg(
        long,
        value_name = "PATH",
        help = concat!(
            "The nudge SDK crate the policy depends on, as a path dependency ",
            "[default: the sdk/ directory of the nudge checkout this binary was built from, ",
            env!("CARGO_MANIFEST_DIR"),
            "/../../sdk, canonicalised]"
        )
    )]
    pub sdk: Option<PathBuf>,
}

/// Options of `nudge plugin build`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuildOptions {
    /// The policy crate's directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Also copy the component to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `nudge plugin new`.
pub fn new_main(options: &NewOptions) -> Result<ExitCode> {
    let dir = options.dir.clone().unwrap_or_else(|| PathBuf::from(&options.name));
    let sdk = scaffold::sdk_path(options.sdk.as_deref())?;
    let written = scaffold::create(&options.name, &dir, &sdk)?;
    crate::outln!("created policy crate {} in {} (SDK: {})", options.name, dir.display(), sdk.display());
    for file in written {
        crate::outln!("  {file}");
    }
    crate::outln!("next: cd {} && cargo test && nudge plugin build --out {}.wasm", dir.display(), options.name);
    Ok(ExitCode::SUCCESS)
}

/// Runs `nudge plugin build`: builds, reports, then checks the component.
pub fn build_main(options: &BuildOptions) -> Result<ExitCode> {
    let mut component = wasm_build::build(&options.dir)?;
    let size = std::fs::metadata(&component)?.len();
    crate::outln!("built {} ({size} bytes)", component.display());
    if let Some(out) = &options.out {
        std::fs::copy(&component, out)
            .map_err(|e| anyhow::anyhow!("cannot copy the component to {}: {e}", out.display()))?;
        crate::outln!("copied to {}", out.display());
        component = out.clone();
    }
    crate::plugin_check::main(&component, false, &crate::admin::LimitFlags::default())
}
