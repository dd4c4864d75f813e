//! Customers: who receives notices, where and when.

use serde::{Deserialize, Serialize};

use crate::{Channel, CustomerId, TenantId};

/// A customer of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The tenant this customer belongs to.
    pub tenant: TenantId,
    /// The tenant's id for the customer.
    pub id: CustomerId,
    /// Name used in greetings.
    pub name: String,
    /// Email address, if known.
    pub email: Option<String>,
    /// Phone number in E.164 form, if known.
    pub phone: Option<String>,
    /// Preferred language, BCP 47 ("en", "de-CH").
    pub language: String,
    /// IANA time zone ("Europe/London"); quiet hours are read in it.
    pub time_zone: String,
    /// The tenant's tier label ("standard", "gold").
    pub tier: String,
    /// The channel the customer asked for, if any.
    pub preferred_channel: Option<Channel>,
    /// Channels the customer opted out of; the host never sends on them.
    pub opted_out: Vec<Channel>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Running payment and engagement record.
    pub stats: CustomerStats,
}

impl Customer {
    /// Channels the host can deliver to: contact known and not opted out.
    pub fn reachable_channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        if self.phone.is_some() {
            out.push(Channel::Sms);
        }
        out.retain(|c| !self.opted_out.contains(c));
        out
    }

    /// True when the host may send to this customer on `channel`.
    pub fn can_reach(&self, channel: Channel) -> bool {
        self.reachable_channels().contains(&channel)
    }
}

/// What the host has learned about a customer so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStats {
    /// Invoices paid on or before their due date.
    pub paid_on_time: u32,
    /// Invoices paid after their due date.
    pub paid_late: u32,
    /// Sum of days late over the late invoices.
    pub total_days_late: u32,
    /// Everything paid so far, in minor units of the tenant's currency.
    pub lifetime_paid_minor: i64,
    /// Notices opened.
    pub opens: u32,
    /// Notice links clicked.
    pub clicks: u32,
    /// Notices bounced.
    pub bounces: u32,
    /// Complaints and negative replies.
    pub negative_feedback: u32,
}
