//! A policy's decision, as the host holds it once validated.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Channel, Tone};

/// The policy's answer for one invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The customer's segment.
    pub segment: String,
    /// What to do next.
    pub action: Action,
}

/// What to do next for an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Schedule one notice.
    Notify(Notify),
    /// Ask again at this time.
    Wait {
        /// When to evaluate again.
        until: Timestamp,
    },
    /// No more notices for this invoice.
    Stop {
        /// Why, for the record.
        reason: String,
    },
    /// Hand the invoice to support.
    Escalate {
        /// Why, for the record.
        reason: String,
    },
}

impl Action {
    /// The action's name in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Notify(_) => "notify",
            Action::Wait { .. } => "wait",
            Action::Stop { .. } => "stop",
            Action::Escalate { .. } => "escalate",
        }
    }
}

/// A notice the policy wants sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notify {
    /// Earliest send time.
    pub send_at: Timestamp,
    /// First channel.
    pub channel: Channel,
    /// Channels to try next, in order.
    pub fallbacks: Vec<Channel>,
    /// Tone.
    pub tone: Tone,
    /// Template id; empty for the default of the tone.
    pub template: String,
    /// Step name, unique per invoice.
    pub step: String,
    /// Extra template fields.
    pub fields: Vec<(String, String)>,
}
