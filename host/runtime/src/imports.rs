//! The import allow-list: what a plugin may ask of the host.
//!
//! A plugin may import the `nudge:policy` interfaces and the WASI 0.2
//! interfaces that language runtimes need for output, errors and
//! randomness — all virtualised by the host. Anything else (filesystem,
//! sockets, HTTP, unknown packages) is rejected at upload, by name.

use wasmtime::{Engine, component::Component};

use crate::LoadError;

/// Interfaces a plugin may import (any `0.2.x` patch version for WASI).
const ALLOWED: &[&str] = &[
    "nudge:policy/types@0.2.0",
    "nudge:policy/host@0.2.0",
    "nudge:policy/types@0.1.0",
    "nudge:policy/host@0.1.0",
    "wasi:io/error@0.2",
    "wasi:io/poll@0.2",
    "wasi:io/streams@0.2",
    "wasi:cli/environment@0.2",
    "wasi:cli/exit@0.2",
    "wasi:cli/stdin@0.2",
    "wasi:cli/stdout@0.2",
    "wasi:cli/stderr@0.2",
    "wasi:cli/terminal-input@0.2",
    "wasi:cli/terminal-output@0.2",
    "wasi:cli/terminal-stdin@0.2",
    "wasi:cli/terminal-stdout@0.2",
    "wasi:cli/terminal-stderr@0.2",
    "wasi:clocks/wall-clock@0.2",
    "wasi:clocks/monotonic-clock@0.2",
    "wasi:random/random@0.2",
    "wasi:random/insecure@0.2",
    "wasi:random/insecure-seed@0.2",
];

/// The allow-list as one line, for error messages and docs.
pub const ALLOWED_TEXT: &str = "nudge:policy/{types,host}@0.2.0 or @0.1.0, wasi:io/{error,poll,streams}@0.2.x, \
wasi:cli/{environment,exit,stdin,stdout,stderr,terminal-*}@0.2.x, \
wasi:clocks/{wall-clock,monotonic-clock}@0.2.x, wasi:random/{random,insecure,insecure-seed}@0.2.x";

/// True when `name` (`package:ns/interface@version`) is on the allow-list.
pub fn allowed(name: &str) -> bool {
    ALLOWED.iter().any(|a| {
        name == *a || (a.starts_with("wasi:") && name.strip_prefix(a).is_some_and(|rest| rest.starts_with('.')))
    })
}

/// Rejects a component with imports off the allow-list, naming every one.
pub(crate) fn check(component: &Component, engine: &Engine) -> Result<(), LoadError> {
    let ty = component.component_type();
    let forbidden: Vec<&str> = ty.imports(engine).map(|(name, _)| name).filter(|name| !allowed(name)).collect();
    if forbidden.is_empty() {
        return Ok(());
    }
    Err(LoadError::ForbiddenImport { name: forbidden.join(", "), allowed: ALLOWED_TEXT })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_whole_names_and_wasi_patch_versions() {
        assert!(allowed("wasi:io/streams@0.2.6"));
        assert!(allowed("wasi:cli/stderr@0.2.0"));
        assert!(allowed("nudge:policy/host@0.1.0"));
        assert!(allowed("nudge:policy/types@0.2.0"));
        assert!(!allowed("nudge:policy/host@0.3.0"));
        assert!(!allowed("wasi:filesystem/types@0.2.6"));
        assert!(!allowed("wasi:sockets/tcp@0.2.6"));
        assert!(!allowed("wasi:io/streams@0.3.0"));
        assert!(!allowed("wasi:io/streams@0.20.0"));
        assert!(!allowed("nudge:policy/host@0.1.1"));
        assert!(!allowed("evil:thing/x"));
    }
}
