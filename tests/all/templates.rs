//! Tenants' templates in production: the sentiment-aware policy's `locale`
//! picks each customer's template, with the tenant's fallback locale.

use jiff::{Timestamp, civil::Date};
use nudge_core::{TenantSettings, Tone};
use nudge_delivery::{TemplateKey, TemplateSource};

use crate::harness;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The message delivered to `customer`'s address, as text.
fn message_to(outbox: &std::path::Path, address: &str) -> String {
    let mut found = Vec::new();
    for tenant in std::fs::read_dir(outbox).unwrap() {
        for file in std::fs::read_dir(tenant.unwrap().path()).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            if text.lines().any(|l| l == format!("To: {address}")) {
                found.push(text);
            }
        }
    }
    assert_eq!(found.len(), 1, "one message to {address}: {found:#?}");
    found.remove(0)
}

#[test]
fn the_sentiment_aware_policy_sends_each_customer_their_language() {
    // The policy maps languages onto the tenant's locales, `de` for the rest.
    let settings = TenantSettings {
        plugin_config: r#"{"locales": ["en", "de"], "default_locale": "de"}"#.into(),
        ..TenantSettings::default()
    };
    let (dir, scheduler, tenant) = harness::empty_tenant(settings);
    let created = at("2024-01-01T00:00:00Z");
    scheduler.install_plugin(&tenant, nudge_bundle::SENTIMENT_AWARE_POLICY, created).unwrap();
    for tone in Tone::ALL {
        let de = TemplateSource {
            subject: Some("Rechnung {{ invoice_number }}: {{ amount }}".into()),
            body: "Hallo {{ customer_name }},\nbitte zahlen Sie {{ amount }} bis {{ due_date_iso }}.\n".into(),
            html: Some("<p>Hallo {{ customer_name }}, {{ amount }} ({{ tone }}, {{ segment }})</p>".into()),
            fields: vec!["segment".into()],
        };
        let en = TemplateSource {
            subject: Some("Invoice {{ invoice_number }}: {{ amount }}".into()),
            body: "Dear {{ customer_name }},\nplease pay {{ amount }} by {{ due_date }}.\n".into(),
            ..Default::default()
        };
        for (locale, source) in [("de", de), ("en", en)] {
            let key = TemplateKey::new(tone.as_str(), "email", locale).unwrap();
            scheduler.put_template(&tenant, &key, &source, created).unwrap();
        }
    }
    let due: Date = "2024-03-01".parse().unwrap();
    let people = [("hans", "de-DE", "Hans <b>Müller</b>"), ("ada", "en", "Ada"), ("fritz", "fr", "Fritz")];
    for (i, (id, language, name)) in people.iter().enumerate() {
        let mut customer = harness::customer(&tenant, id, "Europe/Berlin");
        customer.language = (*language).into();
        customer.name = (*name).into();
        scheduler.upsert_customer(&customer, created).unwrap();
        let invoice = harness::invoice(&tenant, &format!("inv-{i}"), id, due, 123_450);
        scheduler.upsert_invoice(&invoice, created).unwrap();
    }
    // The pre-due notices (a day before the due date, 10:00 local) go out.
    scheduler.advance_to(at("2024-02-29T12:00:00Z")).unwrap();
    let outbox = dir.path().join("outbox");

    let hans = message_to(&outbox, "hans@example.invalid");
    assert!(hans.contains("Subject: Rechnung INV-0: £1,234.50\n"), "{hans}");
    assert!(hans.contains("bitte zahlen Sie £1,234.50 bis 2024-03-01."), "{hans}");
    assert!(hans.contains("X-Nudge-Template: gentle/email/de\n"), "de-DE is served by `de`: {hans}");
    // The HTML part escapes the customer's name; the text part does not.
    assert!(hans.contains("Content-Type: multipart/alternative"), "{hans}");
    assert!(hans.contains("<p>Hallo Hans &lt;b&gt;Müller&lt;&#x2f;b&gt;, £1,234.50 (gentle, new)</p>"), "{hans}");
    assert!(hans.contains("Hallo Hans <b>Müller</b>,\n"), "{hans}");

    let ada = message_to(&outbox, "ada@example.invalid");
    assert!(ada.contains("Subject: Invoice INV-1: £1,234.50\n"), "{ada}");
    assert!(ada.contains("Dear Ada,\nplease pay £1,234.50 by 1 March 2024."), "{ada}");
    assert!(ada.contains("X-Nudge-Template: gentle/email/en\n") && !ada.contains("multipart"), "{ada}");

    // Stored language `fr`; the policy's `locale` field (its default, `de`) wins.
    let fritz = message_to(&outbox, "fritz@example.invalid");
    assert!(fritz.contains("X-Nudge-Template: gentle/email/de\n"), "{fritz}");
}

#[test]
fn without_a_match_the_fallback_locale_then_the_builtin_english_template_is_used() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let created = at("2024-01-01T00:00:00Z");
    // Only a Spanish SMS default for the friendly tone (overdue-1 of the
    // built-in default policy), and the tenant falls back to Spanish.
    let es = TemplateSource {
        body: "{{ tenant_name }}: factura {{ invoice_number }}, {{ amount }} 🙂".into(),
        ..Default::default()
    };
    scheduler.put_template(&tenant, &TemplateKey::new("friendly", "sms", "es").unwrap(), &es, created).unwrap();
    assert_eq!(scheduler.set_fallback_locale(&tenant, "ES").unwrap(), "es");
    for (id, language) in [("jp", "ja"), ("uk", "en")] {
        let mut customer = harness::customer(&tenant, id, "Europe/London");
        customer.email = None;
        customer.phone = Some(if id == "jp" { "+447700900001".into() } else { "+447700900002".into() });
        customer.language = language.into();
        scheduler.upsert_customer(&customer, created).unwrap();
        let invoice = harness::invoice(&tenant, &format!("inv-{id}"), id, "2024-03-01".parse().unwrap(), 5_000);
        scheduler.upsert_invoice(&invoice, created).unwrap();
    }
    scheduler.advance_to(at("2024-03-02T12:00:00Z")).unwrap();
    let outbox = dir.path().join("outbox");
    for address in ["+447700900001", "+447700900002"] {
        let sms = message_to(&outbox, address);
        // Neither `ja` nor `en` exists: the fallback locale `es` serves both.
        assert!(sms.contains("X-Nudge-Template: friendly/sms/es\n"), "{sms}");
        assert!(sms.contains("Acme Ltd: factura INV-"), "{sms}");
        assert!(sms.contains("X-Nudge-Sms-Segments: 1\nX-Nudge-Sms-Encoding: ucs-2\n"), "{sms}");
    }
    // Without it, the built-in English template (same wording as always).
    scheduler.delete_template(&tenant, &TemplateKey::new("friendly", "sms", "es").unwrap()).unwrap();
    let preview = scheduler
        .preview_template(
            &tenant,
            &nudge_scheduler::PreviewOf::Source(
                nudge_core::Channel::Sms,
                nudge_delivery::builtin(nudge_core::Channel::Sms, Tone::Firm),
            ),
            None,
            Some(Tone::Firm),
            None,
            at("2024-04-19T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(
        preview.text, "Acme Ltd: invoice inv-3 ($250.00) is 10 days overdue. Please pay now: (reply to this message)",
        "the sample invoice of examples/data/history.json: {preview:?}"
    );
    assert_eq!((preview.invoice.as_str(), preview.sms.unwrap().segments), ("sample", 1));
}

#[test]
fn a_combined_message_lists_the_other_invoices_in_its_html_body_too() {
    let (dir, scheduler, tenant) = harness::empty_tenant(TenantSettings::default());
    let created = at("2024-01-01T00:00:00Z");
    for tone in Tone::ALL {
        let source = TemplateSource {
            subject: Some("{{ invoice_number }}".into()),
            body: "Hello {{ customer_name }}".into(),
            html: Some("<html><body><p>Hello {{ customer_name }}</p></body></html>".into()),
            ..Default::default()
        };
        scheduler
            .put_template(&tenant, &TemplateKey::new(tone.as_str(), "email", "en").unwrap(), &source, created)
            .unwrap();
    }
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), created).unwrap();
    for (id, minor) in [("a", 1_000), ("b", 2_000)] {
        let invoice = harness::invoice(&tenant, id, "c1", "2024-03-01".parse().unwrap(), minor);
        scheduler.upsert_invoice(&invoice, created).unwrap();
    }
    scheduler.advance_to(at("2024-03-02T12:00:00Z")).unwrap();
    let text = message_to(&dir.path().join("outbox"), "c1@example.invalid");
    assert!(text.contains("X-Nudge-Also-Covers: "), "{text}");
    assert!(text.contains("This reminder also covers:\n- invoice "), "the text part: {text}");
    let html_list = "<p>This reminder also covers:</p>\n<ul>\n<li>invoice ";
    let at_list = text.find(html_list).unwrap_or_else(|| panic!("the HTML part: {text}"));
    assert!(at_list < text.find("</body>").unwrap(), "{text}");
    assert!(text.contains(" due 1 March 2024</li>"), "{text}");
}

#[test]
fn a_policy_may_name_a_template_only_once_the_tenant_has_it() {
    let settings = TenantSettings {
        plugin_config: r#"{"misbehave": "template", "template": "winback"}"#.into(),
        ..TenantSettings::default()
    };
    let (dir, scheduler, tenant) = harness::empty_tenant(settings);
    let created = at("2024-01-01T00:00:00Z");
    let hostile = std::fs::read(nudge_bundle::test_guests::HOSTILE).unwrap();
    scheduler.install_plugin(&tenant, &hostile, created).unwrap();
    scheduler.upsert_customer(&harness::customer(&tenant, "c1", "Europe/London"), created).unwrap();
    let due: Date = "2024-03-01".parse().unwrap();

    // Not uploaded yet: the decision is refused, naming the template.
    scheduler.upsert_invoice(&harness::invoice(&tenant, "a", "c1", due, 1_000), created).unwrap();
    let incidents = scheduler.store().incidents(&tenant).unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].kind, nudge_core::IncidentKind::InvalidDecision);
    assert!(incidents[0].message.contains("template \"winback\" does not exist for this tenant"), "{incidents:?}");

    // Uploaded (in any locale): the same decision is accepted and the notice renders with it.
    let source = TemplateSource {
        subject: Some("We miss you, {{ customer_name }}".into()),
        body: "Come back: {{ payment_link }}".into(),
        ..Default::default()
    };
    scheduler.put_template(&tenant, &TemplateKey::new("winback", "email", "en").unwrap(), &source, created).unwrap();
    scheduler.upsert_invoice(&harness::invoice(&tenant, "b", "c1", due, 2_000), created).unwrap();
    assert_eq!(scheduler.store().incidents(&tenant).unwrap().len(), 1, "no new incident");
    let notice = scheduler.store().notice(&tenant, &nudge_core::InvoiceId::new("b").unwrap(), "overdue-1").unwrap();
    assert_eq!(notice.unwrap().template, "winback");
    scheduler.advance_to(at("2024-01-01T12:00:00Z")).unwrap();
    let text = message_to(&dir.path().join("outbox"), "c1@example.invalid");
    assert!(
        text.contains("X-Nudge-Template: winback/email/en\n") && text.contains("Subject: We miss you, Customer c1\n"),
        "{text}"
    );
}
