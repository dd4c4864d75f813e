//! The values a template reads: the host's fields of a notice, and the
//! policy's extra fields, which never override the host's.

use std::collections::BTreeMap;

use jiff::{Timestamp, tz::TimeZone};
use minijinja::Value;
use nudge_core::{Channel, Customer, Invoice, Money, Tenant, Tone, time};

use crate::tracking::Links;

/// Values a template may use, by name.
#[derive(Debug, Clone, Default)]
pub struct Fields(BTreeMap<String, Value>);

impl Fields {
    /// Sets a field (a string, or a number such as `days_overdue`).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(name.into(), value.into());
    }

    /// Reads a field as text.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(Value::to_string)
    }

    /// The fields without `name`.
    pub(crate) fn without(&self, name: &str) -> Fields {
        let mut out = self.clone();
        out.0.remove(name);
        out
    }

    /// The names set, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub(crate) fn to_value(&self) -> Value {
        crate::template::value_of(&self.0)
    }
}

/// What a notice's fields are made of.
#[derive(Debug, Clone, Copy)]
pub struct NoticeFacts<'a> {
    /// The tenant sending it.
    pub tenant: &'a Tenant,
    /// The customer it goes to.
    pub customer: &'a Customer,
    /// The invoice it is about.
    pub invoice: &'a Invoice,
    /// The step.
    pub step: &'a str,
    /// The tone.
    pub tone: Tone,
    /// The policy's extra fields.
    pub policy_fields: &'a [(String, String)],
    /// The locale of the template chosen.
    pub locale: &'a str,
    /// When it is rendered.
    pub now: Timestamp,
    /// The customer's time zone.
    pub tz: &'a TimeZone,
}

/// What is still owed on an invoice.
pub fn remaining(invoice: &Invoice) -> Money {
    Money { amount_minor: invoice.amount_remaining_minor, currency: invoice.total.currency.clone() }
}

/// The due date as notices print it: `3 February 2012`.
pub fn due_date(invoice: &Invoice) -> String {
    invoice.due_on.strftime("%-d %B %Y").to_string()
}

/// The fields of one notice on `channel`. `links` are the notice's
/// tracking links, when the host has a tracker: the payment link becomes
/// the click-through, and the unsubscribe, feedback and (email) open pixel
/// links are set; without them the raw payment link is used and those
/// fields are left out.
pub fn notice_fields(facts: &NoticeFacts<'_>, channel: Channel, links: Option<&Links>) -> Fields {
    let NoticeFacts { tenant, customer, invoice, step, tone, policy_fields, locale, now, tz } = *facts;
    let mut fields = Fields::default();
    // The policy's extra fields first, so host fields always win: a
    // plugin cannot change the amount or the payment link.
    for (name, value) in policy_fields {
        fields.insert(name.clone(), value.clone());
    }
    let overdue = (time::local_date(now, tz) - invoice.due_on).get_days().max(0);
    let owed = remaining(invoice);
    fields.insert("customer_name", customer.name.clone());
    fields.insert("tenant_name", tenant.name.clone());
    fields.insert("invoice_number", invoice.number.clone());
    fields.insert("amount", owed.to_customer_string());
    fields.insert("currency", owed.currency.clone());
    fields.insert("due_date", due_date(invoice));
    fields.insert("due_date_iso", invoice.due_on.to_string());
    fields.insert("days_overdue", i64::from(overdue));
    fields.insert("step", step.to_string());
    fields.insert("tone", tone.to_string());
    fields.insert("locale", locale.to_string());
    let raw_link = invoice.payment_link.clone();
    let payment_link = match (links, raw_link) {
        (Some(links), Some(_)) => links.click.clone(),
        (_, Some(raw)) => raw,
        (_, None) => "(reply to this message)".to_string(),
    };
    fields.insert("payment_link", payment_link);
    if let Some(links) = links {
        fields.insert("unsubscribe_link", links.unsubscribe.clone());
        fields.insert("feedback_yes_link", links.fair_yes.clone());
        fields.insert("feedback_no_link", links.fair_no.clone());
        if channel == Channel::Email {
            fields.insert("open_pixel_url", links.open_pixel.clone());
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::Tracker;
    use nudge_core::{CustomerId, CustomerStats, InvoiceId, InvoiceStatus, NoticeId, TenantId, TenantSettings};

    fn parties() -> (Tenant, Customer, Invoice) {
        let id = TenantId::new("acme").unwrap();
        let tenant = Tenant {
            id: id.clone(),
            name: "Acme".into(),
            settings: TenantSettings::default(),
            created_at: Timestamp::UNIX_EPOCH,
        };
        let customer = Customer {
            tenant: id.clone(),
            id: CustomerId::new("c").unwrap(),
            name: "Ada".into(),
            email: Some("ada@example.invalid".into()),
            phone: None,
            language: "en".into(),
            time_zone: "Pacific/Kiritimati".into(),
            tier: "standard".into(),
            preferred_channel: None,
            opted_out: Vec::new(),
            unverified: Vec::new(),
            tags: Vec::new(),
            stats: CustomerStats::default(),
        };
        let invoice = Invoice {
            tenant: id,
            id: InvoiceId::new("inv-1").unwrap(),
            customer: customer.id.clone(),
            number: "INV-1".into(),
            total: Money { amount_minor: 500_000, currency: "JPY".into() },
            amount_remaining_minor: 123_456,
            issued_on: "2024-02-01".parse().unwrap(),
            due_on: "2024-03-01".parse().unwrap(),
            status: InvoiceStatus::Open,
            disputed: false,
            payment_link: Some("https://pay.example.invalid/inv-1".into()),
            tags: Vec::new(),
            paid_at: None,
            next_evaluation: None,
            closed_reason: None,
        };
        (tenant, customer, invoice)
    }

    #[test]
    fn host_fields_win_and_links_come_from_the_tracker_when_there_is_one() {
        let (tenant, customer, invoice) = parties();
        let tz = time::zone(&customer.time_zone).unwrap();
        let policy = vec![("amount".to_string(), "free".to_string()), ("segment".to_string(), "vip".to_string())];
        // 2024-03-02 10:00 UTC is already 2024-03-03 in Kiritimati (UTC+14): two days overdue there.
        let facts = NoticeFacts {
            tenant: &tenant,
            customer: &customer,
            invoice: &invoice,
            step: "overdue-1",
            tone: Tone::Firm,
            policy_fields: &policy,
            locale: "en",
            now: "2024-03-02T10:00:00Z".parse().unwrap(),
            tz: &tz,
        };
        let plain = notice_fields(&facts, Channel::Email, None);
        assert_eq!(plain.get("amount").as_deref(), Some("¥123,456"), "the host's amount wins");
        assert_eq!(plain.get("segment").as_deref(), Some("vip"));
        assert_eq!(plain.get("days_overdue").as_deref(), Some("2"));
        assert_eq!(plain.get("due_date").as_deref(), Some("1 March 2024"));
        assert_eq!(plain.get("payment_link").as_deref(), Some("https://pay.example.invalid/inv-1"));
        for absent in ["unsubscribe_link", "feedback_yes_link", "feedback_no_link", "open_pixel_url"] {
            assert_eq!(plain.get(absent), None, "{absent} needs a tracker");
        }

        let tracker = Tracker::new("https://t.example.invalid", [1; 32]).unwrap();
        let notice = NoticeId::derive(&tenant.id, &invoice.id, "overdue-1");
        let links = tracker.links(&tenant.id, &notice);
        let tracked = notice_fields(&facts, Channel::Email, Some(&links));
        assert_eq!(tracked.get("payment_link"), Some(links.click.clone()), "the click-through");
        assert_eq!(tracked.get("unsubscribe_link"), Some(links.unsubscribe.clone()));
        assert_eq!(tracked.get("feedback_no_link"), Some(links.fair_no.clone()));
        assert_eq!(tracked.get("open_pixel_url"), Some(links.open_pixel.clone()));
        let sms = notice_fields(&facts, Channel::Sms, Some(&links));
        assert_eq!(sms.get("open_pixel_url"), None, "no pixel outside email");
    }
}
