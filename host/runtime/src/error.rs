//! Why a plugin could not be loaded, or a call failed.

use nudge_core::IncidentKind;

/// A component the host will not run, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is larger than the upload cap.
    #[error("plugin is {size} bytes, over the cap of {cap} bytes")]
    TooLarge {
        /// Size of the upload.
        size: usize,
        /// The cap.
        cap: usize,
    },
    /// A core wasm module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component; build it for wasm32-wasip2 (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule,
    /// Not WebAssembly at all.
    #[error("not a WebAssembly component: the file does not start with the wasm magic bytes")]
    NotWasm,
    /// WebAssembly text instead of binary.
    #[error(
        "this is WebAssembly text (WAT), not a binary component; convert it first, e.g. `wasm-tools parse plugin.wat -o plugin.wasm`"
    )]
    Text,
    /// Native code compiled ahead of time.
    #[error(
        "this is precompiled native code (an ELF object); tenants upload wasm components and only the host compiles them"
    )]
    Precompiled,
    /// Invalid wasm, or a feature the host disables.
    #[error("component failed validation or compilation: {0}")]
    Compile(String),
    /// Compilation took longer than the tenant's `compile_timeout_ms` allows.
    #[error(
        "compiling the component took longer than {0:?}, the tenant's compile timeout \
         (`compile_timeout_ms`); it is too complex to run under this tenant's limits"
    )]
    CompileTimeout(std::time::Duration),
    /// An import the host does not offer to plugins.
    #[error("component imports {name}, which plugins may not use; allowed: {allowed}")]
    ForbiddenImport {
        /// The forbidden imports' full names, comma separated, e.g. `wasi:filesystem/types@0.2.6`.
        name: String,
        /// What may be imported.
        allowed: &'static str,
    },
    /// A dry run on a fixture failed; the version cannot be activated.
    #[error("dry run on fixture {fixture} failed: {error}")]
    DryRun {
        /// The fixture's name.
        fixture: String,
        /// What went wrong.
        error: CallError,
    },
    /// Limits that do not fit under the host's ceilings.
    #[error("invalid limits: {0}")]
    Limits(String),
    /// Imports the host does not offer, or exports of the wrong shape.
    #[error("component does not match world nudge:policy/policy@0.2.0 or @0.1.0: {0}")]
    World(String),
    /// `describe` failed.
    #[error("describe() failed: {0}")]
    Describe(String),
    /// The engine could not be set up.
    #[error("engine setup failed: {0}")]
    Engine(String),
}

/// A failed `decide` call: what kind of failure, and details for the tenant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.as_str())]
pub struct CallError {
    /// The kind of failure, as recorded in incidents.
    pub kind: IncidentKind,
    /// What happened, bounded in length.
    pub message: String,
}

impl CallError {
    pub(crate) fn new(kind: IncidentKind, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > 1024 {
            let mut cut = 1024;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("… [truncated]");
        }
        Self { kind, message }
    }
}
