//! The built-in English templates, one per tone for email and one per tone
//! for short messages (SMS, push): what a tenant without templates sends.

use nudge_core::{Channel, Tone};

use crate::TemplateSource;

/// The built-in template for `channel` and `tone`.
pub fn builtin(channel: Channel, tone: Tone) -> TemplateSource {
    let (subject, body, short) = builtin_text(tone);
    match channel {
        Channel::Email => TemplateSource { subject: Some(subject.into()), body: body.into(), ..Default::default() },
        _ => TemplateSource { body: short.into(), ..Default::default() },
    }
}

/// The id of a built-in template, in errors and message headers.
pub fn builtin_id(channel: Channel, tone: Tone) -> String {
    let kind = if channel == Channel::Email { "email" } else { "sms" };
    format!("builtin/{kind}/{tone}")
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
