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
    /// Channels whose contact bounced or drew a complaint: not used again
    /// until the tenant gives a new address or number for them.
    #[serde(default)]
    pub unverified: Vec<Channel>,
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
        out.retain(|c| !self.opted_out.contains(c) && !self.unverified.contains(c));
        out
    }

    /// The contact (address, number) the customer has for `channel`, if any.
    pub fn contact(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email.as_deref(),
            Channel::Sms => self.phone.as_deref(),
            Channel::Push | Channel::Webhook => None,
        }
    }

    /// Takes the unverified marks of `previous` (the stored record this one
    /// replaces; the host keeps these marks, not the tenant) for the
    /// channels whose contact did not change: a new address or number is
    /// worth trying again.
    pub fn keep_unverified(&mut self, previous: &Customer) {
        self.unverified =
            previous.unverified.iter().copied().filter(|c| previous.contact(*c) == self.contact(*c)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        Customer {
            tenant: TenantId::new("acme").unwrap(),
            id: CustomerId::new("c1").unwrap(),
            name: "Ada".into(),
            email: Some("ada@example.invalid".into()),
            phone: Some("+15550100".into()),
            language: "en".into(),
            time_zone: "UTC".into(),
            tier: "standard".into(),
            preferred_channel: None,
            opted_out: Vec::new(),
            unverified: vec![Channel::Email],
            tags: Vec::new(),
            stats: CustomerStats::default(),
        }
    }

    #[test]
    fn an_unverified_contact_is_not_reachable_until_it_changes() {
        let old = customer();
        assert_eq!(old.reachable_channels(), [Channel::Sms]);
        assert!(!old.can_reach(Channel::Email));
        let mut same = Customer { unverified: Vec::new(), ..old.clone() };
        same.keep_unverified(&old);
        assert_eq!(same.unverified, [Channel::Email], "the same address stays unverified");
        let mut changed = Customer { email: Some("ada@new.invalid".into()), ..old.clone() };
        changed.keep_unverified(&old);
        assert!(changed.unverified.is_empty() && changed.can_reach(Channel::Email));
    }

    #[test]
    fn records_without_the_field_still_read() {
        let mut value = serde_json::to_value(customer()).unwrap();
        value.as_object_mut().unwrap().remove("unverified");
        let read: Customer = serde_json::from_value(value).unwrap();
        assert!(read.unverified.is_empty());
    }
}
