//! A hostile test guest that tries to reach the network.
//!
//! `decide` calls `std::net::TcpStream::connect`, which makes the component
//! import `wasi:sockets`. The host must reject it at upload, naming that
//! interface, before any of its code runs.

use std::net::TcpStream;

use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy that phones home before deciding.
pub struct NetDialer;

impl Policy for NetDialer {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("net-dialer", "0.1.0")
    }

    fn decide(_ctx: &Context) -> Result<Decision, PolicyError> {
        match TcpStream::connect("203.0.113.7:443") {
            Ok(_) => Ok(Decision::stop("phoned-home", "connected to the outside world")),
            Err(error) => Err(PolicyError::new("no-network", error.to_string())),
        }
    }
}

nudge_sdk::export_policy!(NetDialer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_works() {
        assert_eq!(NetDialer::describe().name, "net-dialer");
    }
}
