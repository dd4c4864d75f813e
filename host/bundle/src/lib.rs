//! Policy plugins built from source to `wasm32-wasip2` and bundled with the host.
//!
//! `build.rs` builds every guest in one nested cargo invocation; this crate
//! exposes the results. Adding a guest is one line in `build.rs` (package and
//! constant name) and its constant here.

/// The standard policy component (`plugins/standard`): the default policy
/// the `nudge` binary embeds.
pub const STANDARD_POLICY: &[u8] = include_bytes!(env!("NUDGE_BUNDLE_STANDARD_POLICY"));

/// The segmented reference policy component (`plugins/segmented`):
/// first-time, occasional and habitual late payers and high-value customers,
/// each with its own sequence, tone and channel.
pub const SEGMENTED_POLICY: &[u8] = include_bytes!(env!("NUDGE_BUNDLE_SEGMENTED_POLICY"));

/// The ab-timing reference policy component (`plugins/ab-timing`): an
/// experiment on when the first reminder goes out, arms assigned by the host.
pub const AB_TIMING_POLICY: &[u8] = include_bytes!(env!("NUDGE_BUNDLE_AB_TIMING_POLICY"));

/// The sentiment-aware reference policy component (`plugins/sentiment-aware`):
/// softer after negative feedback, firmer for habitual late payers, in the
/// customer's preferred channel and language.
pub const SENTIMENT_AWARE_POLICY: &[u8] = include_bytes!(env!("NUDGE_BUNDLE_SENTIMENT_AWARE_POLICY"));

/// Every reference policy bundled with the host, by plugin directory name.
pub const REFERENCE_POLICIES: [(&str, &[u8]); 4] = [
    ("standard", STANDARD_POLICY),
    ("segmented", SEGMENTED_POLICY),
    ("ab-timing", AB_TIMING_POLICY),
    ("sentiment-aware", SENTIMENT_AWARE_POLICY),
];

/// Hostile test guests from `tests/guests/`, as absolute paths to their
/// components on this machine.
pub mod test_guests {
    /// `nudge-guest-trap`: `describe` works, `decide` panics, so the guest traps.
    pub const TRAP: &str = env!("NUDGE_BUNDLE_TRAP");

    /// `nudge-guest-spin`: `describe` works, `decide` loops forever.
    pub const SPIN: &str = env!("NUDGE_BUNDLE_SPIN");

    /// `nudge-guest-sleeper`: passes the upload's dry runs, then traps or
    /// loops forever when the tenant configuration says `{"misbehave": "trap"|"spin"}`.
    pub const SLEEPER: &str = env!("NUDGE_BUNDLE_SLEEPER");

    /// `nudge-guest-hostile`: passes the upload's dry runs, then does the one
    /// hostile thing its tenant configuration `{"misbehave": MODE}` names
    /// (stack overflow, memory bomb, out-of-range decisions, floods, probes of
    /// the environment and clocks, memory canaries); see its crate docs.
    pub const HOSTILE: &str = env!("NUDGE_BUNDLE_HOSTILE");

    /// `nudge-guest-fs-reader`: reads a file with `std::fs`, so it imports
    /// `wasi:filesystem` and must be rejected at upload.
    pub const FS_READER: &str = env!("NUDGE_BUNDLE_FS_READER");

    /// `nudge-guest-net-dialer`: opens a TCP connection with `std::net`, so it
    /// imports `wasi:sockets` and must be rejected at upload.
    pub const NET_DIALER: &str = env!("NUDGE_BUNDLE_NET_DIALER");

    /// `nudge-guest-careless`: passes the upload's dry runs, but always
    /// notifies by text message, even on a paid invoice or to a customer who
    /// opted out of text messages; the conformance kit must name both.
    pub const CARELESS: &str = env!("NUDGE_BUNDLE_CARELESS");

    /// `nudge-guest-signals-echo`: built against WIT 0.2, stops every
    /// invoice with the predictive signals it received as the reason.
    pub const SIGNALS_ECHO: &str = env!("NUDGE_BUNDLE_SIGNALS_ECHO");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The preamble of a binary component: `\0asm`, then version 0x0d and
    /// layer 1 (a core module has version 1, layer 0).
    const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn every_guest_is_a_component() {
        for (name, bytes) in REFERENCE_POLICIES {
            assert!(bytes.starts_with(&COMPONENT_PREAMBLE), "{name}");
        }
        for path in [
            test_guests::TRAP,
            test_guests::SPIN,
            test_guests::SLEEPER,
            test_guests::HOSTILE,
            test_guests::FS_READER,
            test_guests::NET_DIALER,
            test_guests::CARELESS,
        ] {
            let bytes = std::fs::read(path).unwrap();
            assert!(bytes.starts_with(&COMPONENT_PREAMBLE), "{path}");
        }
    }
}
