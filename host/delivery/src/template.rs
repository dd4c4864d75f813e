//! Templates with `{{field}}` placeholders, one per tone and channel kind.

use std::collections::BTreeMap;

use nudge_core::{Channel, Tone};

use crate::{Error, Result};

/// Values a template may use, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    /// Sets a field.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Reads a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// A subject (email only) and a body, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Template id, for error messages.
    pub id: String,
    /// Subject line; empty for channels without one.
    pub subject: String,
    /// Body text.
    pub body: String,
}

/// A rendered subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line; empty for channels without one.
    pub subject: String,
    /// Body text.
    pub body: String,
}

impl Template {
    /// Fills in every `{{name}}`; a field the notice lacks is an error.
    pub fn render(&self, fields: &Fields) -> Result<Rendered> {
        Ok(Rendered { subject: fill(&self.id, &self.subject, fields)?, body: fill(&self.id, &self.body, fields)? })
    }
}

fn fill(id: &str, text: &str, fields: &Fields) -> Result<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| Error::Malformed {
            template: id.to_string(),
            at: offset + open,
            reason: "`{{` without a closing `}}`",
        })?;
        let name = after[..close].trim();
        if name.is_empty() {
            return Err(Error::Malformed { template: id.to_string(), at: offset + open, reason: "empty placeholder" });
        }
        let value = fields
            .get(name)
            .ok_or_else(|| Error::MissingField { template: id.to_string(), field: name.to_string() })?;
        out.push_str(value);
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One template per tone for email, and one per tone for short messages (SMS, push).
#[derive(Debug, Clone)]
pub struct TemplateSet {
    email: BTreeMap<Tone, Template>,
    short: BTreeMap<Tone, Template>,
}

impl TemplateSet {
    /// The built-in English templates.
    pub fn builtin() -> Self {
        let mut email = BTreeMap::new();
        let mut short = BTreeMap::new();
        for tone in Tone::ALL {
            let (subject, body, sms) = builtin_text(tone);
            email.insert(
                tone,
                Template { id: format!("builtin/email/{tone}"), subject: subject.into(), body: body.into() },
            );
            short
                .insert(tone, Template { id: format!("builtin/sms/{tone}"), subject: String::new(), body: sms.into() });
        }
        Self { email, short }
    }

    /// The template for a channel and tone.
    pub fn get(&self, channel: Channel, tone: Tone) -> &Template {
        let set = if channel == Channel::Email { &self.email } else { &self.short };
        // Both maps hold every tone: `builtin` inserts all of `Tone::ALL`.
        &set[&tone]
    }
}

fn builtin_text(tone: Tone) -> (&'static str, &'static str, &'static str) {
    match tone {
        Tone::Gentle => (
            "A friendly reminder: invoice {{invoice_number}} is due on {{due_date}}",
            "Hello {{customer_name}},\n\nA quick heads-up from {{tenant_name}}: invoice {{invoice_number}} for {{amount}} is due on {{due_date}}.\n\nIf it is already on its way, thank you! Otherwise you can pay here:\n{{payment_link}}\n\nKind regards,\n{{tenant_name}}\n",
            "{{tenant_name}}: invoice {{invoice_number}} ({{amount}}) is due on {{due_date}}. Pay: {{payment_link}}",
        ),
        Tone::Friendly => (
            "Invoice {{invoice_number}} is now due",
            "Hello {{customer_name}},\n\nOur records show that invoice {{invoice_number}} for {{amount}}, due on {{due_date}}, is still open.\n\nYou can pay it in a minute here:\n{{payment_link}}\n\nIf you have already paid, please ignore this message.\n\nKind regards,\n{{tenant_name}}\n",
            "{{tenant_name}}: invoice {{invoice_number}} ({{amount}}) was due on {{due_date}} and is still open. Pay: {{payment_link}}",
        ),
        Tone::Firm => (
            "Overdue: invoice {{invoice_number}} ({{amount}})",
            "Hello {{customer_name}},\n\nInvoice {{invoice_number}} for {{amount}} was due on {{due_date}} and is now {{days_overdue}} days overdue.\n\nPlease pay it now:\n{{payment_link}}\n\nIf something is wrong with the invoice, reply to this message and we will sort it out.\n\n{{tenant_name}}\n",
            "{{tenant_name}}: invoice {{invoice_number}} ({{amount}}) is {{days_overdue}} days overdue. Please pay now: {{payment_link}}",
        ),
        Tone::Urgent => (
            "Final reminder: invoice {{invoice_number}} is {{days_overdue}} days overdue",
            "Hello {{customer_name}},\n\nInvoice {{invoice_number}} for {{amount}} was due on {{due_date}} and is {{days_overdue}} days overdue. This is our final reminder before we hand the matter to our accounts team.\n\nPay now:\n{{payment_link}}\n\n{{tenant_name}}\n",
            "FINAL REMINDER from {{tenant_name}}: invoice {{invoice_number}} ({{amount}}) is {{days_overdue}} days overdue. Pay now: {{payment_link}}",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        let mut f = Fields::default();
        for (k, v) in [
            ("customer_name", "Ada"),
            ("amount", "USD 1.00"),
            ("due_date", "1 March 2012"),
            ("payment_link", "https://pay.example.invalid/x"),
            ("invoice_number", "7"),
            ("tenant_name", "Acme"),
            ("days_overdue", "7"),
        ] {
            f.insert(k, v);
        }
        f
    }

    #[test]
    fn every_builtin_template_renders_with_the_standard_fields() {
        let set = TemplateSet::builtin();
        for tone in Tone::ALL {
            for channel in [Channel::Email, Channel::Sms] {
                let r = set.get(channel, tone).render(&fields()).unwrap();
                assert!(r.body.contains("USD 1.00") && r.body.contains("https://pay.example.invalid/x"));
                assert!(!r.body.contains("{{"));
            }
        }
    }

    #[test]
    fn missing_and_malformed_placeholders_are_errors() {
        let t = Template { id: "t".into(), subject: String::new(), body: "Hi {{nope}}".into() };
        assert!(matches!(t.render(&fields()), Err(Error::MissingField { field, .. }) if field == "nope"));
        let t = Template { id: "t".into(), subject: String::new(), body: "Hi {{name".into() };
        assert!(matches!(t.render(&fields()), Err(Error::Malformed { at: 3, .. })));
    }
}
