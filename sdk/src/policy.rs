//! The [`Policy`] trait a plugin implements and the macro that exports it.

use crate::bindings::Guest;
use crate::{Context, Decision, PolicyError, PolicyInfo};

/// A payment-reminder policy: what to do next for one invoice.
///
/// Implement it on a unit struct and export it with
/// [`export_policy!`](crate::export_policy). Both functions must be pure:
/// the same context gives the same decision, and time comes from
/// `ctx.now`, never from a clock.
pub trait Policy {
    /// The policy's name, version and the experiments it runs.
    fn describe() -> PolicyInfo;

    /// The decision for the invoice in `ctx`.
    ///
    /// Return an error (e.g. [`PolicyError::bad_config`]) to decline; the
    /// host records it and falls back to another policy for this invoice.
    fn decide(ctx: &Context) -> Result<Decision, PolicyError>;
}

/// Every policy is a guest of the generated bindings; this is what lets
/// [`export_policy!`](crate::export_policy) export any [`Policy`].
impl<T: Policy> Guest for T {
    fn decide(ctx: Context) -> Result<Decision, PolicyError> {
        <T as Policy>::decide(&ctx)
    }

    fn describe() -> PolicyInfo {
        <T as Policy>::describe()
    }
}

/// Exports a [`Policy`] as the plugin's `decide` and `describe`.
///
/// Use it once per plugin crate, at the crate root, on a type that
/// implements [`Policy`]:
///
/// ```
/// # use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};
/// struct Silent;
///
/// impl Policy for Silent {
///     fn describe() -> PolicyInfo {
///         PolicyInfo::new("silent", "0.1.0")
///     }
///     fn decide(_ctx: &Context) -> Result<Decision, PolicyError> {
///         Ok(Decision::stop("any", "this policy never sends"))
///     }
/// }
///
/// nudge_sdk::export_policy!(Silent);
/// ```
#[macro_export]
macro_rules! export_policy {
    ($policy:ident) => {
        $crate::bindings::export!($policy with_types_in $crate::bindings);
    };
}
