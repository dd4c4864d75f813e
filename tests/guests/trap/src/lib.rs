//! A hostile test guest: `describe` works, `decide` traps.
//!
//! The host must record an incident, fall back to another policy for the
//! invoice and keep serving every other tenant.

use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy whose `decide` always panics, which aborts the guest with a trap.
pub struct Trap;

impl Policy for Trap {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("trap", "0.1.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        panic!("nudge-guest-trap: deliberate trap deciding invoice {}", ctx.invoice.id);
    }
}

nudge_sdk::export_policy!(Trap);

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_sdk::testing::ContextBuilder;

    #[test]
    fn describe_works() {
        assert_eq!(Trap::describe().name, "trap");
    }

    #[test]
    #[should_panic(expected = "deliberate trap")]
    fn decide_panics() {
        let _ = Trap::decide(&ContextBuilder::new().build());
    }
}
