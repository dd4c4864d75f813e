//! Constructors for the values a policy hands back to the host.

use crate::{Action, Channel, Decision, Notify, PolicyError, PolicyInfo, Timestamp, Tone};

impl Decision {
    /// Schedule `notice` for a customer in `segment`.
    pub fn notify(segment: impl Into<String>, notice: Notify) -> Self {
        Self::new(segment, Action::Notify(notice))
    }

    /// Do nothing now; ask again at `at`.
    pub fn wait(segment: impl Into<String>, at: Timestamp) -> Self {
        Self::new(segment, Action::Wait(at))
    }

    /// Send no more notices for this invoice, for `reason`.
    pub fn stop(segment: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(segment, Action::Stop(reason.into()))
    }

    /// Hand the invoice to the tenant's support team, for `reason`.
    pub fn escalate(segment: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(segment, Action::Escalate(reason.into()))
    }

    fn new(segment: impl Into<String>, action: Action) -> Self {
        Self { segment: segment.into(), action }
    }
}

impl Notify {
    /// A notice for `step` on `channel` in `tone`, sent no earlier than
    /// `send_at`, with no fallbacks, the tenant's default template for the
    /// tone and no extra fields. Set the public fields to change those.
    pub fn new(step: impl Into<String>, channel: Channel, tone: Tone, send_at: Timestamp) -> Self {
        Self {
            send_at,
            channel,
            fallbacks: Vec::new(),
            tone,
            template: String::new(),
            step: step.into(),
            fields: Vec::new(),
        }
    }
}

impl PolicyError {
    /// An error with a machine-readable `code` and a human-readable `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }

    /// A `bad-config` error: the tenant's configuration cannot be used.
    pub fn bad_config(message: impl Into<String>) -> Self {
        Self::new("bad-config", message)
    }
}

impl PolicyInfo {
    /// A policy called `name` at `version` that runs no experiments.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self { name: name.into(), version: version.into(), experiments: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fill_every_field() {
        let notice = Notify::new("overdue-7", Channel::Email, Tone::Firm, 42);
        assert_eq!(notice.template, "");
        assert!(notice.fallbacks.is_empty() && notice.fields.is_empty());
        let decision = Decision::notify("regular", notice.clone());
        assert_eq!(decision.segment, "regular");
        assert_eq!(decision.action, Action::Notify(notice));
        assert_eq!(Decision::wait("new", 7).action, Action::Wait(7));
        assert_eq!(Decision::stop("new", "paid").action, Action::Stop("paid".into()));
        assert_eq!(Decision::escalate("new", "late").action, Action::Escalate("late".into()));
        assert_eq!(PolicyInfo::new("p", "1.0.0").experiments, vec![]);
    }
}
