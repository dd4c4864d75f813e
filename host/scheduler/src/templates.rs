//! A tenant's templates: upload (validated), list, delete, the fallback
//! locale, which template a notice uses, and previews.

use jiff::Timestamp;
use nudge_core::{Channel, Customer, Invoice, InvoiceId, Tenant, TenantId, Tone, locale, time};
use nudge_delivery::{
    Fields, NoticeFacts, Rendered, TemplateKey, TemplateSource, builtin, builtin_id, notice_fields, select,
    sms::SmsSegments, tracking::Links,
};
use nudge_store::TemplateRecord;
use serde::Serialize;

use crate::{Error, Result, Scheduler};

/// Most templates one tenant may keep.
pub const MAX_TEMPLATES_PER_TENANT: usize = 1000;

/// The sample the preview renders against when no invoice is given: the
/// third invoice of `examples/data/history.json`.
const SAMPLE_HISTORY: &str = include_str!("../../../examples/data/history.json");
const SAMPLE_INVOICE: &str = "inv-3";

/// The template a notice renders with, and where it came from.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// `name/channel/locale` of the tenant's template, or `builtin/...`.
    pub id: String,
    /// The locale it is written in.
    pub locale: String,
    /// Its sources.
    pub source: TemplateSource,
}

/// What a preview shows.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// The template rendered.
    pub template: String,
    /// The invoice it was rendered for (`sample` for the built-in sample).
    pub invoice: String,
    /// The channel.
    pub channel: Channel,
    /// Subject (email).
    pub subject: Option<String>,
    /// Plain-text body.
    pub text: String,
    /// HTML body (email, when the template has one).
    pub html: Option<String>,
    /// Segments of an SMS body.
    pub sms: Option<SmsSegments>,
}

/// What to preview: a stored template, or sources not stored yet.
#[derive(Debug, Clone)]
pub enum PreviewOf {
    /// The tenant's template with this key.
    Stored(TemplateKey),
    /// Sources for a channel, validated first.
    Source(Channel, TemplateSource),
}

/// A template's sources as stored.
pub fn source_of(record: &TemplateRecord) -> TemplateSource {
    TemplateSource {
        subject: record.subject.clone(),
        body: record.body.clone(),
        html: record.html.clone(),
        fields: record.fields.clone(),
    }
}

impl Scheduler {
    /// Validates and stores a template (replacing one with the same key).
    pub fn put_template(
        &self,
        tenant: &TenantId,
        key: &TemplateKey,
        source: &TemplateSource,
        at: Timestamp,
    ) -> Result<TemplateRecord> {
        self.tenant_or_err(tenant)?;
        source.validate(key.channel).map_err(Error::TemplateInvalid)?;
        let store = &self.store;
        if store.template(tenant, &key.name, key.channel, &key.locale)?.is_none()
            && store.template_count(tenant)? >= MAX_TEMPLATES_PER_TENANT
        {
            return Err(Error::TemplateRequest(format!(
                "tenant {tenant} has {MAX_TEMPLATES_PER_TENANT} templates, the most it may keep; delete one first"
            )));
        }
        let record = TemplateRecord {
            tenant: tenant.clone(),
            name: key.name.clone(),
            channel: key.channel,
            locale: key.locale.clone(),
            subject: source.subject.clone(),
            body: source.body.clone(),
            html: source.html.clone(),
            fields: source.fields.clone(),
            revision: 0,
            updated_at: at,
        };
        Ok(self.store.transact(|tx| tx.put_template(record.clone()))?)
    }

    /// Deletes a template; notices that would have used it fall back as
    /// [`select::candidates`] says. Errors if there is none.
    pub fn delete_template(&self, tenant: &TenantId, key: &TemplateKey) -> Result<()> {
        let deleted = self.store.transact(|tx| tx.delete_template(tenant, &key.name, key.channel, &key.locale))?;
        if deleted { Ok(()) } else { Err(Error::NoSuchTemplate(key.id())) }
    }

    /// Sets the locale of the templates used when none matches a customer's language.
    pub fn set_fallback_locale(&self, tenant: &TenantId, tag: &str) -> Result<String> {
        let mut t = self.tenant_or_err(tenant)?;
        let tag = locale::normalise(tag).ok_or_else(|| {
            Error::TemplateRequest(format!("fallback locale {tag:?} is not a language tag such as `en` or `de-CH`"))
        })?;
        t.settings.fallback_locale = tag.clone();
        self.put_tenant(&t)?;
        Ok(tag)
    }

    /// True when a policy may name `template`: empty (the tone's default),
    /// a tone, or a template the tenant has on some channel and locale.
    pub(crate) fn template_known(&self, tenant: &TenantId, template: &str) -> bool {
        if template.is_empty() || select::is_tone(template) {
            return true;
        }
        self.store.has_template_named(tenant, template).unwrap_or_else(|e| {
            tracing::error!(tenant = %tenant, error = %e, "template lookup failed");
            false
        })
    }

    /// The template a notice uses on `channel`: the first of
    /// [`select::candidates`] the tenant has, else the built-in English one.
    /// The customer's language is its locale, unless the policy set a
    /// `locale` field.
    pub fn choose_template(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        template: &str,
        tone: Tone,
        channel: Channel,
        policy_fields: &[(String, String)],
    ) -> Result<Chosen> {
        let wanted = policy_fields
            .iter()
            .rev()
            .find(|(name, _)| name == "locale")
            .and_then(|(_, tag)| locale::normalise(tag))
            .or_else(|| locale::normalise(&customer.language))
            .unwrap_or_else(|| tenant.settings.fallback_locale.clone());
        for key in select::candidates(template, tone, channel, &wanted, &tenant.settings.fallback_locale) {
            if let Some(record) = self.store.template(&tenant.id, &key.name, key.channel, &key.locale)? {
                return Ok(Chosen { id: key.id(), locale: key.locale, source: source_of(&record) });
            }
        }
        Ok(Chosen { id: builtin_id(channel, tone), locale: "en".into(), source: builtin(channel, tone) })
    }

    /// Renders a preview against the invoice `invoice` of the tenant, or
    /// against a sample invoice (from `examples/data/history.json`) with the
    /// tenant's name. Tracking links are left out (no tracker is used).
    pub fn preview_template(
        &self,
        tenant: &TenantId,
        of: &PreviewOf,
        invoice: Option<&InvoiceId>,
        tone: Option<Tone>,
        step: Option<&str>,
        now: Timestamp,
    ) -> Result<Preview> {
        let tenant = self.tenant_or_err(tenant)?;
        let (id, channel, locale, source) = match of {
            PreviewOf::Stored(key) => {
                let record = self
                    .store
                    .template(&tenant.id, &key.name, key.channel, &key.locale)?
                    .ok_or_else(|| Error::NoSuchTemplate(key.id()))?;
                (key.id(), key.channel, key.locale.clone(), source_of(&record))
            }
            PreviewOf::Source(channel, source) => {
                source.validate(*channel).map_err(Error::TemplateInvalid)?;
                (format!("draft/{channel}"), *channel, tenant.settings.fallback_locale.clone(), source.clone())
            }
        };
        let tone = tone
            .or_else(|| match of {
                PreviewOf::Stored(key) => key.name.parse().ok(),
                PreviewOf::Source(..) => None,
            })
            .unwrap_or(Tone::Friendly);
        let (customer, invoice, label) = match invoice {
            Some(id) => {
                let invoice = self.store.invoice(&tenant.id, id)?.ok_or_else(|| Error::UnknownInvoice(id.clone()))?;
                let (_, customer) = self.parties(&invoice)?;
                (customer, invoice, id.to_string())
            }
            None => {
                let (customer, invoice) = sample(&tenant.id)?;
                (customer, invoice, "sample".to_string())
            }
        };
        let tz = time::zone(&customer.time_zone)?;
        let policy: Vec<(String, String)> = source.fields.iter().map(|f| (f.clone(), format!("[{f}]"))).collect();
        let facts = NoticeFacts {
            tenant: &tenant,
            customer: &customer,
            invoice: &invoice,
            step: step.unwrap_or("overdue-1"),
            tone,
            policy_fields: &policy,
            locale: &locale,
            now,
            tz: &tz,
        };
        let rendered = render(&facts, &id, channel, &source, None)?;
        Ok(Preview {
            template: id,
            invoice: label,
            channel,
            subject: (channel == Channel::Email).then(|| rendered.subject.clone()),
            sms: (channel == Channel::Sms).then(|| rendered.sms_segments()),
            text: rendered.body,
            html: rendered.html,
        })
    }
}

/// Renders `source` for a notice described by `facts`.
pub(crate) fn render(
    facts: &NoticeFacts<'_>,
    id: &str,
    channel: Channel,
    source: &TemplateSource,
    links: Option<&Links>,
) -> Result<Rendered, nudge_delivery::Error> {
    let fields: Fields = notice_fields(facts, channel, links);
    source.render(id, channel, &fields)
}

/// The preview's sample customer and invoice, as the tenant's.
fn sample(tenant: &TenantId) -> Result<(Customer, Invoice)> {
    let history = nudge_ingest::json::read(SAMPLE_HISTORY, tenant)
        .map_err(|e| Error::TemplateRequest(format!("the sample invoice could not be read: {e}")))?;
    let invoice = history
        .invoices
        .into_iter()
        .map(|i| i.invoice)
        .find(|i| i.id.as_str() == SAMPLE_INVOICE)
        .ok_or_else(|| Error::TemplateRequest(format!("the sample has no invoice {SAMPLE_INVOICE}")))?;
    let customer = history
        .customers
        .into_iter()
        .find(|c| c.id == invoice.customer)
        .ok_or_else(|| Error::TemplateRequest("the sample invoice has no customer".into()))?;
    Ok((customer, invoice))
}
