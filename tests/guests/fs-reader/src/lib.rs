//! A hostile test guest that tries to read the host's files.
//!
//! `decide` calls `std::fs::read`, which makes the component import
//! `wasi:filesystem`. The host must reject it at upload, naming that
//! interface, before any of its code runs.

use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy that reads `/etc/passwd` and puts its size in the segment.
pub struct FsReader;

impl Policy for FsReader {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("fs-reader", "0.1.0")
    }

    fn decide(_ctx: &Context) -> Result<Decision, PolicyError> {
        match std::fs::read("/etc/passwd") {
            Ok(bytes) => Ok(Decision::stop(format!("read-{}-bytes", bytes.len()), "read a host file")),
            Err(error) => Err(PolicyError::new("no-file", error.to_string())),
        }
    }
}

nudge_sdk::export_policy!(FsReader);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_works() {
        assert_eq!(FsReader::describe().name, "fs-reader");
    }
}
