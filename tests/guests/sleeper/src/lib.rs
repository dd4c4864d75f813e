//! A hostile test guest that passes the host's dry runs, then misbehaves.
//!
//! On the fixture contexts of an upload (configuration `{}`) it decides
//! politely. With the tenant configuration `{"misbehave": "trap"}` it panics
//! (a trap), with `{"misbehave": "spin"}` it loops forever: the host must
//! contain both in production, not only at upload.

use nudge_sdk::{Config, Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy that behaves until its configuration tells it otherwise.
pub struct Sleeper;

impl Policy for Sleeper {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("sleeper", "0.1.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let config = Config::from_context(ctx)?;
        match config.string("misbehave", "")?.as_str() {
            "trap" => panic!("nudge-guest-sleeper: deliberate trap deciding invoice {}", ctx.invoice.id),
            "spin" => {
                let mut counter: u64 = 0;
                loop {
                    counter = std::hint::black_box(counter.wrapping_add(1));
                }
            }
            _ => Ok(Decision::stop("sleeper", "asleep")),
        }
    }
}

nudge_sdk::export_policy!(Sleeper);

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_sdk::testing::ContextBuilder;

    #[test]
    fn behaves_without_configuration() {
        assert!(Sleeper::decide(&ContextBuilder::new().build()).is_ok());
    }

    #[test]
    #[should_panic(expected = "deliberate trap")]
    fn traps_when_told() {
        let _ = Sleeper::decide(&ContextBuilder::new().config(r#"{"misbehave":"trap"}"#).build());
    }
}
