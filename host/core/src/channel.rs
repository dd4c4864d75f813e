//! Channels and tones: the two closed vocabularies of a notice.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

use crate::Error;

/// A way to reach a customer; one notice uses exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Email to the customer's address.
    Email,
    /// Text message to the customer's phone.
    Sms,
    /// Push notification to the customer's app.
    Push,
    /// HTTP call to the tenant's webhook.
    Webhook,
}

impl Channel {
    /// Every channel, in a fixed order.
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Push, Channel::Webhook];

    /// The channel's name as used in the API, templates and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Webhook => "webhook",
        }
    }
}

/// How a notice sounds, from softest to firmest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    /// A friendly heads-up, usually before the due date.
    Gentle,
    /// A polite reminder that the invoice is due or overdue.
    Friendly,
    /// A clear request to pay now.
    Firm,
    /// The last reminder before support takes over.
    Urgent,
}

impl Tone {
    /// Every tone, softest first.
    pub const ALL: [Tone; 4] = [Tone::Gentle, Tone::Friendly, Tone::Firm, Tone::Urgent];

    /// The tone's name as used in the API, templates and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Gentle => "gentle",
            Tone::Friendly => "friendly",
            Tone::Firm => "firm",
            Tone::Urgent => "urgent",
        }
    }
}

macro_rules! display_and_parse {
    ($ty:ty, $kind:literal, $expected:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| Error::Unknown {
                    kind: $kind,
                    value: s.chars().take(64).collect(),
                    expected: $expected,
                })
            }
        }
    };
}

display_and_parse!(Channel, "channel", "email, sms, push, webhook");
display_and_parse!(Tone, "tone", "gentle, friendly, firm, urgent");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_explained() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
        }
        for t in Tone::ALL {
            assert_eq!(t.to_string().parse::<Tone>().unwrap(), t);
        }
        let err = "fax".parse::<Channel>().unwrap_err().to_string();
        assert!(err.contains("fax") && err.contains("email, sms"), "{err}");
    }
}
