//! `nudge template`: a tenant's message templates in a data directory.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use jiff::Timestamp;
use nudge_core::{InvoiceId, Tone};
use nudge_delivery::{MAX_BODY_SOURCE_BYTES, TemplateKey, TemplateSource};
use nudge_scheduler::{Error as SchedulerError, Preview, PreviewOf, templates::source_of};

use crate::admin::Target;

/// Which template: name, channel and locale.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// A tone (`gentle`, `friendly`, `firm`, `urgent`: that tone's default)
    /// or the template id a policy names.
    pub name: String,
    /// `email`, `sms` or `push`.
    pub channel: String,
    /// A language tag such as `en` or `de-CH`.
    pub locale: String,
}

impl KeyArgs {
    fn key(&self) -> Result<TemplateKey> {
        TemplateKey::new(&self.name, &self.channel, &self.locale).map_err(anyhow::Error::msg)
    }
}

/// `nudge template upload`.
#[derive(Debug, Clone, clap::Args)]
pub struct UploadOptions {
    #[command(flatten)]
    pub key: KeyArgs,
    /// The plain-text body (the whole message for SMS and push), a minijinja file.
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    /// The subject line (email only; required there).
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// The HTML body (email only), a minijinja file; values are HTML-escaped.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// A policy field the template reads besides the host's (repeatable).
    #[arg(long = "field", value_name = "NAME")]
    pub fields: Vec<String>,
    #[command(flatten)]
    pub target: Target,
}

/// `nudge template preview`.
#[derive(Debug, Clone, clap::Args)]
pub struct PreviewOptions {
    #[command(flatten)]
    pub key: KeyArgs,
    /// Render for this invoice of the tenant (default: a sample invoice from
    /// examples/data/history.json).
    #[arg(long, value_name = "ID")]
    pub invoice: Option<String>,
    /// The tone (default: the template's name if it is a tone, else friendly).
    #[arg(long)]
    pub tone: Option<Tone>,
    /// The step (default: overdue-1).
    #[arg(long)]
    pub step: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

fn read(path: &std::path::Path) -> Result<String> {
    let bytes = crate::output::read_capped(path, MAX_BODY_SOURCE_BYTES as u64 + 1)?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Prints the issues of an invalid template and returns exit code 1, or
/// passes any other error on.
fn invalid_or(err: SchedulerError) -> Result<ExitCode> {
    match err {
        SchedulerError::TemplateInvalid(issues) => {
            crate::errln!("error: the template is not valid:");
            for issue in issues {
                crate::errln!("  {issue}");
            }
            Ok(ExitCode::FAILURE)
        }
        other => Err(other.into()),
    }
}

/// `nudge template upload`.
pub fn upload(options: &UploadOptions) -> Result<ExitCode> {
    let key = options.key.key()?;
    let source = TemplateSource {
        subject: options.subject.clone(),
        body: read(&options.body)?,
        html: options.html.as_deref().map(read).transpose()?,
        fields: options.fields.clone(),
    };
    let (scheduler, tenant) = options.target.open()?;
    let record = match scheduler.put_template(&tenant, &key, &source, Timestamp::now()) {
        Ok(record) => record,
        Err(e) => return invalid_or(e),
    };
    scheduler.store().flush()?;
    if options.target.json {
        crate::outln!("{}", serde_json::json!({ "template": key.id(), "revision": record.revision }));
    } else {
        crate::outln!("uploaded template {} for tenant {tenant} (revision {})", key.id(), record.revision);
    }
    Ok(ExitCode::SUCCESS)
}

/// `nudge template list`.
pub fn list(target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let records = scheduler.store().templates(&tenant)?;
    let fallback = scheduler.store().tenant(&tenant)?.map(|t| t.settings.fallback_locale).unwrap_or_default();
    if target.json {
        let rows: Vec<_> = records
            .iter()
            .map(|r| {
                serde_json::json!({ "name": r.name, "channel": r.channel, "locale": r.locale,
                    "revision": r.revision, "updated_at": r.updated_at.to_string() })
            })
            .collect();
        crate::outln!("{}", serde_json::json!({ "fallback_locale": fallback, "data": rows }));
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!("tenant {tenant}: {} template(s); fallback locale {fallback}", records.len());
    for r in records {
        crate::outln!("  {}/{}/{}  revision {}  updated {}", r.name, r.channel, r.locale, r.revision, r.updated_at);
    }
    Ok(ExitCode::SUCCESS)
}

/// `nudge template show`.
pub fn show(key: &KeyArgs, target: &Target) -> Result<ExitCode> {
    let key = key.key()?;
    let (scheduler, tenant) = target.open()?;
    let record = scheduler
        .store()
        .template(&tenant, &key.name, key.channel, &key.locale)?
        .with_context(|| format!("tenant {tenant} has no template {}", key.id()))?;
    let source = source_of(&record);
    if target.json {
        crate::outln!("{}", serde_json::json!({ "template": key.id(), "revision": record.revision, "source": source }));
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!("template {} (revision {}, updated {})", key.id(), record.revision, record.updated_at);
    if !source.fields.is_empty() {
        crate::outln!("policy fields: {}", source.fields.join(", "));
    }
    if let Some(subject) = &source.subject {
        crate::outln!("--- subject\n{subject}");
    }
    crate::outln!("--- body\n{}", source.body.trim_end());
    if let Some(html) = &source.html {
        crate::outln!("--- html\n{}", html.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// `nudge template delete`.
pub fn delete(key: &KeyArgs, target: &Target) -> Result<ExitCode> {
    let key = key.key()?;
    let (scheduler, tenant) = target.open()?;
    scheduler.delete_template(&tenant, &key)?;
    scheduler.store().flush()?;
    crate::outln!("deleted template {} of tenant {tenant}", key.id());
    Ok(ExitCode::SUCCESS)
}

/// `nudge template preview`.
pub fn preview(options: &PreviewOptions) -> Result<ExitCode> {
    let key = options.key.key()?;
    let (scheduler, tenant) = options.target.open()?;
    let invoice = options.invoice.as_deref().map(InvoiceId::new).transpose()?;
    let preview = match scheduler.preview_template(
        &tenant,
        &PreviewOf::Stored(key),
        invoice.as_ref(),
        options.tone,
        options.step.as_deref(),
        Timestamp::now(),
    ) {
        Ok(p) => p,
        Err(e) => return invalid_or(e),
    };
    if options.target.json {
        crate::outln!("{}", serde_json::to_string(&preview)?);
    } else {
        print_preview(&preview);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_preview(p: &Preview) {
    crate::outln!("template {} rendered for invoice {} ({})", p.template, p.invoice, p.channel);
    if let Some(subject) = &p.subject {
        crate::outln!("--- subject\n{subject}");
    }
    crate::outln!("--- text\n{}", p.text.trim_end());
    if let Some(html) = &p.html {
        crate::outln!("--- html\n{}", html.trim_end());
    }
    if let Some(sms) = &p.sms {
        crate::outln!("--- sms: {} segment(s), {} {} units", sms.segments, sms.units, sms.encoding.as_str());
    }
}

/// `nudge template fallback-locale`.
pub fn fallback_locale(locale: Option<&str>, target: &Target) -> Result<ExitCode> {
    let (scheduler, tenant) = target.open()?;
    let now = match locale {
        Some(tag) => {
            let set = scheduler.set_fallback_locale(&tenant, tag)?;
            scheduler.store().flush()?;
            set
        }
        None => scheduler.store().tenant(&tenant)?.map(|t| t.settings.fallback_locale).unwrap_or_default(),
    };
    crate::outln!("tenant {tenant}: fallback locale {now}");
    Ok(ExitCode::SUCCESS)
}
