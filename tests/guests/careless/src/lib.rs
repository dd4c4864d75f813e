//! A careless test guest: it decides quickly and always returns a
//! well-formed decision, so it passes the upload's dry runs, but it ignores
//! the invoice and the customer: every decision is a firm text message an
//! hour from now, even on a paid, void or disputed invoice and to a
//! customer who opted out of text messages or has no phone.
//!
//! The conformance kit (`nudge plugin check --conformance`) must fail it and
//! name the invariants it breaks.

use nudge_sdk::{Channel, Context, Decision, Notify, Policy, PolicyError, PolicyInfo, Tone};

/// A policy that always notifies by SMS.
pub struct Careless;

impl Policy for Careless {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("careless", "0.1.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let notice = Notify::new("overdue-1", Channel::Sms, Tone::Firm, ctx.now + 3_600);
        Ok(Decision::notify("everyone", notice))
    }
}

nudge_sdk::export_policy!(Careless);

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_sdk::testing::ContextBuilder;
    use nudge_sdk::{Action, InvoiceStatus};

    #[test]
    fn notifies_by_sms_even_when_paid_and_opted_out() {
        let ctx = ContextBuilder::new().status(InvoiceStatus::Paid).opted_out(&[Channel::Sms]).build();
        let Ok(Decision { action: Action::Notify(notice), .. }) = Careless::decide(&ctx) else {
            panic!("expected a notice");
        };
        assert_eq!(notice.channel, Channel::Sms);
    }
}
