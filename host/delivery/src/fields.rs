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
