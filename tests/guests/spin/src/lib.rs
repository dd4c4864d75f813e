//! A hostile test guest: `describe` works, `decide` never returns.
//!
//! The host must stop it with its fuel budget (or, as a backstop, the epoch
//! deadline), record an incident and keep serving every other tenant.

use std::hint::black_box;

use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy whose `decide` loops forever.
pub struct Spin;

impl Policy for Spin {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("spin", "0.1.0")
    }

    fn decide(_ctx: &Context) -> Result<Decision, PolicyError> {
        // `black_box` keeps the optimiser from proving the loop has no effect,
        // so the guest really burns instructions instead of being compiled
        // down to a bare `unreachable` or an empty loop.
        let mut counter: u64 = 0;
        loop {
            counter = black_box(counter.wrapping_add(1));
        }
    }
}

nudge_sdk::export_policy!(Spin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_works() {
        assert_eq!(Spin::describe().name, "spin");
    }
}
