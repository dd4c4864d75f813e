//! Plugin logging through the host's `log` import.

use crate::Level;

/// Writes one line to the plugin's log.
///
/// Inside the host (wasm32) this calls the `host.log` import; the host bounds
/// and may truncate the line. On other targets, where a policy runs under
/// `cargo test` and the import does not exist, the line goes to stderr.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::nudge::policy::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{}] {message}", level_name(level));
}

/// The lower-case name of a level, for stderr.
#[cfg(not(target_arch = "wasm32"))]
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn logging_works_natively() {
        // The generated import would panic off wasm32; the wrapper must not.
        log(Level::Info, "hello from a test");
        assert_eq!(level_name(Level::Warn), "warn");
    }
}
