//! A test guest built against `nudge:policy@0.2.0` that echoes the
//! predictive signals it receives: every decision is `stop` with the
//! signals as the reason, `signals pay=P examples=E invoices=I hour=H
//! samples=S own=O` (`hour=none` without a best hour), or `no signals`.

use nudge_sdk::{Context, Decision, Policy, PolicyError, PolicyInfo};

/// A policy that reports its signals.
pub struct SignalsEcho;

/// The reason a decision gives for `ctx`.
pub fn echo(ctx: &Context) -> String {
    match &ctx.signals {
        None => "no signals".to_owned(),
        Some(s) => format!(
            "signals pay={} examples={} invoices={} hour={} samples={} own={}",
            s.pay_within_7d_permille,
            s.model_examples,
            s.customer_invoices,
            s.best_send_hour.map_or_else(|| "none".to_owned(), |h| h.to_string()),
            s.send_hour_samples,
            s.send_hour_own
        ),
    }
}

impl Policy for SignalsEcho {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("signals-echo", "0.2.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        Ok(Decision::stop("echo", echo(ctx)))
    }
}

nudge_sdk::export_policy!(SignalsEcho);

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_sdk::testing::ContextBuilder;

    #[test]
    fn echoes_the_signals_or_their_absence() {
        assert_eq!(echo(&ContextBuilder::new().build()), "no signals");
        let ctx = ContextBuilder::new().pay_within_7d(640, 1_500).best_send_hour(18, 7, true).build();
        assert_eq!(echo(&ctx), "signals pay=640 examples=1500 invoices=0 hour=18 samples=7 own=true");
    }
}
