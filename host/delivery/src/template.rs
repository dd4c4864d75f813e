//! Templates: minijinja sources for one channel, validated on upload and
//! rendered in a sandbox.
//!
//! The sandbox: no loader, no `include`, `extends` or `import` (the crate
//! is built without them), a fuel budget per render, a recursion limit,
//! caps on the source and on what a render writes. Undefined values render
//! as nothing (so `{% if unsubscribe_link %}` works when there is no
//! tracker); names a template may read are checked on upload instead.

use std::collections::BTreeSet;

use minijinja::{AutoEscape, Environment, ErrorKind, Value, syntax::SyntaxConfig};
use nudge_core::Channel;
use serde::{Deserialize, Serialize};

use crate::{
    Error, Fields, Result,
    sms::{self, SmsSegments},
};

/// Largest subject source, in bytes.
pub const MAX_SUBJECT_SOURCE_BYTES: usize = 1024;
/// Largest body (plain text or HTML) source, in bytes.
pub const MAX_BODY_SOURCE_BYTES: usize = 64 * 1024;
/// Largest rendered subject, in bytes.
pub const MAX_SUBJECT_OUTPUT_BYTES: usize = 1024;
/// Largest rendered body (plain text or HTML), in bytes.
pub const MAX_BODY_OUTPUT_BYTES: usize = 256 * 1024;
/// Longest rendered SMS body, in characters (10 concatenated segments).
pub const MAX_SMS_CHARS: usize = 1600;
/// Fuel one render of one part may use (minijinja instructions, roughly).
pub const FUEL: u64 = 200_000;
/// Deepest recursion one render may reach.
pub const RECURSION_LIMIT: usize = 64;

/// Which part of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The email subject.
    Subject,
    /// The plain-text body (the whole message on SMS and push).
    Body,
    /// The email HTML body (autoescaped).
    Html,
}

impl Part {
    /// Its name in errors and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Body => "body",
            Part::Html => "html",
        }
    }

    fn caps(self) -> (usize, usize) {
        match self {
            Part::Subject => (MAX_SUBJECT_SOURCE_BYTES, MAX_SUBJECT_OUTPUT_BYTES),
            Part::Body | Part::Html => (MAX_BODY_SOURCE_BYTES, MAX_BODY_OUTPUT_BYTES),
        }
    }
}

/// The sources of one template.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSource {
    /// Subject line (email only; required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Plain-text body; the whole message on SMS and push.
    pub body: String,
    /// HTML body (email only, optional); values are HTML-escaped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Policy fields the template reads besides the host's (e.g. `segment`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// One thing wrong with an uploaded template, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The part it is in.
    pub part: Part,
    /// 1-based line, when it has one.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.part.as_str())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Host fields every template may read.
pub const HOST_FIELDS: [&str; 16] = [
    "customer_name",
    "tenant_name",
    "invoice_number",
    "amount",
    "currency",
    "due_date",
    "due_date_iso",
    "days_overdue",
    "payment_link",
    "unsubscribe_link",
    "feedback_yes_link",
    "feedback_no_link",
    "open_pixel_url",
    "step",
    "tone",
    "locale",
];

/// The host field only the HTML body of an email has.
pub const HTML_ONLY_FIELD: &str = "open_pixel_url";

/// A rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line; empty for channels without one.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// HTML body, for an email template that has one.
    pub html: Option<String>,
}

impl Rendered {
    /// The SMS segments of the body.
    pub fn sms_segments(&self) -> SmsSegments {
        sms::segments(&self.body)
    }
}

impl TemplateSource {
    /// Checks the template for `channel`: the parts the channel takes,
    /// sizes, syntax (with line and column), and that every name it reads
    /// is a host field or listed in `fields`. Every issue is reported.
    pub fn validate(&self, channel: Channel) -> Result<(), Vec<Issue>> {
        let mut issues = Vec::new();
        let issue = |part, message: String| Issue { part, line: None, column: None, message };
        match channel {
            Channel::Email => {
                if self.subject.is_none() {
                    issues.push(issue(Part::Subject, "an email template needs a subject".into()));
                }
            }
            Channel::Sms | Channel::Push => {
                if self.subject.is_some() {
                    issues.push(issue(Part::Subject, format!("a {channel} template has no subject; leave it out")));
                }
                if self.html.is_some() {
                    issues.push(issue(Part::Html, format!("a {channel} template has no HTML body; leave it out")));
                }
            }
            Channel::Webhook => {
                issues.push(issue(Part::Body, "webhook notices are JSON and take no template".into()));
                return Err(issues);
            }
        }
        if self.body.trim().is_empty() {
            issues.push(issue(Part::Body, "the body is empty".into()));
        }
        let mut declared = BTreeSet::new();
        for name in &self.fields {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            if !ok {
                issues.push(issue(Part::Body, format!("fields: {name:?} is not a field name (letters, digits, _)")));
            } else if HOST_FIELDS.contains(&name.as_str()) {
                issues.push(issue(Part::Body, format!("fields: {name:?} is a host field; list only policy fields")));
            }
            declared.insert(name.as_str());
        }
        for (part, source) in self.parts() {
            check_part(part, source, &declared, &mut issues);
        }
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }

    fn parts(&self) -> Vec<(Part, &str)> {
        let mut parts = Vec::new();
        if let Some(subject) = &self.subject {
            parts.push((Part::Subject, subject.as_str()));
        }
        parts.push((Part::Body, self.body.as_str()));
        if let Some(html) = &self.html {
            parts.push((Part::Html, html.as_str()));
        }
        parts
    }

    /// Renders every part with `fields`; `id` names the template in errors.
    /// An SMS body over [`MAX_SMS_CHARS`] is an error.
    pub fn render(&self, id: &str, channel: Channel, fields: &Fields) -> Result<Rendered> {
        let text = fields.without(HTML_ONLY_FIELD);
        let subject = match &self.subject {
            Some(source) if channel == Channel::Email => render_part(id, Part::Subject, source, &text)?,
            _ => String::new(),
        };
        let body = render_part(id, Part::Body, &self.body, &text)?;
        let html = match &self.html {
            Some(source) if channel == Channel::Email => Some(render_part(id, Part::Html, source, fields)?),
            _ => None,
        };
        if channel == Channel::Sms && body.chars().count() > MAX_SMS_CHARS {
            return Err(Error::Render {
                template: id.to_string(),
                part: Part::Body.as_str(),
                reason: format!("the SMS body is over {MAX_SMS_CHARS} characters"),
            });
        }
        // A subject is one line, whatever the values held.
        let subject =
            subject.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
        Ok(Rendered { subject, body, html })
    }
}

/// The sandboxed environment every template is parsed and rendered in.
fn environment(part: Part) -> Environment<'static> {
    let mut env = Environment::new();
    let escape = if part == Part::Html { AutoEscape::Html } else { AutoEscape::None };
    env.set_auto_escape_callback(move |_| escape.clone());
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_debug(true);
    // Keep a body's last newline, as written.
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env
}

fn check_part(part: Part, source: &str, declared: &BTreeSet<&str>, issues: &mut Vec<Issue>) {
    let (max_source, _) = part.caps();
    if source.len() > max_source {
        issues.push(Issue {
            part,
            line: None,
            column: None,
            message: format!("is {} bytes, over the limit of {max_source}", source.len()),
        });
        return;
    }
    let env = environment(part);
    let template = match env.template_from_str(source) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = position(source, &e);
            let message = e.detail().map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
            issues.push(Issue { part, line, column, message });
            return;
        }
    };
    let globals: BTreeSet<String> = env.globals().map(|(name, _)| name.to_string()).collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !globals.contains(name))
        .filter(|name| !declared.contains(name.as_str()))
        .filter(|name| !HOST_FIELDS.contains(&name.as_str()) || (name == HTML_ONLY_FIELD && part != Part::Html))
        .collect();
    unknown.sort();
    for name in unknown {
        let (line, column) = find_name(source, &name);
        let message = if name == HTML_ONLY_FIELD {
            format!("`{name}` is only available in the HTML body of an email")
        } else {
            format!("unknown variable `{name}`: not a host field ({}), nor listed in `fields`", HOST_FIELDS.join(", "))
        };
        issues.push(Issue { part, line, column, message });
    }
}

/// Line and column of a minijinja error in `source`.
fn position(source: &str, e: &minijinja::Error) -> (Option<usize>, Option<usize>) {
    match e.range() {
        Some(range) => {
            let (line, column) = line_column(source, range.start.min(source.len()));
            (Some(line), Some(column))
        }
        None => (e.line(), None),
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset;
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where `name` is first read inside a `{{ }}` or `{% %}` tag of `source`.
fn find_name(source: &str, name: &str) -> (Option<usize>, Option<usize>) {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = source.as_bytes();
    let mut in_tag = false;
    let mut i = 0;
    while i < bytes.len() {
        if source[i..].starts_with("{{") || source[i..].starts_with("{%") {
            in_tag = true;
            i += 2;
            continue;
        }
        if source[i..].starts_with("}}") || source[i..].starts_with("%}") {
            in_tag = false;
            i += 2;
            continue;
        }
        if in_tag
            && source[i..].starts_with(name)
            && (i == 0 || !is_ident(bytes[i - 1]))
            && bytes.get(i + name.len()).is_none_or(|b| !is_ident(*b))
        {
            let (line, column) = line_column(source, i);
            return (Some(line), Some(column));
        }
        i += 1;
    }
    (None, None)
}

/// Renders one part under the sandbox, its output capped.
fn render_part(id: &str, part: Part, source: &str, fields: &Fields) -> Result<String> {
    let (_, max_output) = part.caps();
    let env = environment(part);
    let fail = |e: minijinja::Error| {
        let reason = match e.kind() {
            ErrorKind::OutOfFuel => format!("stopped: it used more than its budget of {FUEL} fuel"),
            ErrorKind::WriteFailure => format!("stopped: its output went over {max_output} bytes"),
            _ => {
                let (line, _) = position(source, &e);
                let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
                format!("{}{at}", e.detail().map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind())))
            }
        };
        Error::Render { template: id.to_string(), part: part.as_str(), reason }
    };
    let template = env.template_from_str(source).map_err(fail)?;
    let mut out = Capped { bytes: Vec::new(), max: max_output };
    template.render_captured_to(fields.to_value(), &mut out).map_err(fail)?;
    String::from_utf8(out.bytes).map_err(|_| Error::Render {
        template: id.to_string(),
        part: part.as_str(),
        reason: "the output is not UTF-8".into(),
    })
}

/// A writer that refuses to grow past `max` bytes, ending the render.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(std::io::Error::other("output limit reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Converts fields to the value templates read.
pub(crate) fn value_of(fields: &std::collections::BTreeMap<String, Value>) -> Value {
    Value::from(fields.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_core::Tone;

    fn fields() -> Fields {
        let mut f = Fields::default();
        for (k, v) in [
            ("customer_name", "Ada"),
            ("amount", "$1.00"),
            ("due_date", "1 March 2012"),
            ("payment_link", "https://pay.example.invalid/x"),
            ("invoice_number", "7"),
            ("tenant_name", "Acme"),
            ("open_pixel_url", "https://t.example.invalid/t/o"),
        ] {
            f.insert(k, v);
        }
        f.insert("days_overdue", 7);
        f
    }

    fn email(subject: &str, body: &str, html: Option<&str>) -> TemplateSource {
        TemplateSource {
            subject: Some(subject.into()),
            body: body.into(),
            html: html.map(str::to_string),
            fields: Vec::new(),
        }
    }

    #[test]
    fn every_builtin_template_validates_and_renders_with_the_host_fields() {
        for tone in Tone::ALL {
            for channel in [Channel::Email, Channel::Sms, Channel::Push] {
                let source = crate::builtin(channel, tone);
                source.validate(channel).unwrap();
                let r = source.render("builtin", channel, &fields()).unwrap();
                assert!(r.body.contains("$1.00") && r.body.contains("https://pay.example.invalid/x"), "{}", r.body);
                assert!(!r.body.contains("{{"));
                assert_eq!(r.subject.is_empty(), channel != Channel::Email);
            }
        }
        // The last newline of a body is kept, as written.
        let r = crate::builtin(Channel::Email, Tone::Firm).render("b", Channel::Email, &fields()).unwrap();
        assert!(r.body.ends_with("Acme\n"), "{:?}", r.body);
    }

    #[test]
    fn html_values_are_escaped_and_text_values_are_not() {
        let mut f = fields();
        f.insert("customer_name", "<script>alert(1)</script> & Co");
        let t = email("Hi {{ customer_name }}", "Hi {{ customer_name }}", Some("<p>Hi {{ customer_name }}</p>"));
        let r = t.render("t", Channel::Email, &f).unwrap();
        let html = r.html.unwrap();
        assert_eq!(html, "<p>Hi &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co</p>");
        assert!(!html.contains("<script>"));
        assert_eq!(r.body, "Hi <script>alert(1)</script> & Co");
    }

    #[test]
    fn the_open_pixel_is_only_in_the_html_body() {
        let t = email("s", "x", Some("<img src=\"{{ open_pixel_url }}\">"));
        t.validate(Channel::Email).unwrap();
        let r = t.render("t", Channel::Email, &fields()).unwrap();
        assert_eq!(r.html.unwrap(), "<img src=\"https:&#x2f;&#x2f;t.example.invalid&#x2f;t&#x2f;o\">");
        let t = email("s", "pixel: {{ open_pixel_url }}", None);
        let issues = t.validate(Channel::Email).unwrap_err();
        assert!(issues[0].message.contains("only available in the HTML body"), "{issues:?}");
    }

    #[test]
    fn an_endless_loop_and_a_huge_output_are_stopped() {
        let spin = TemplateSource {
            body: "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}".into(),
            ..Default::default()
        };
        spin.validate(Channel::Sms).unwrap();
        let err = spin.render("spin", Channel::Sms, &fields()).unwrap_err().to_string();
        assert!(err.contains("fuel"), "{err}");
        let flood = email("s", "{% for a in range(10000) %}{{ payment_link * 100 }}{% endfor %}", None);
        let err = flood.render("flood", Channel::Email, &fields()).unwrap_err().to_string();
        assert!(err.contains("fuel") || err.contains("over"), "{err}");
        // Output alone (little work, much text) hits the output cap.
        let big = "x".repeat(60_000);
        let wide = email("s", &format!("{{% for a in range(10) %}}{big}{{% endfor %}}"), None);
        let err = wide.render("wide", Channel::Email, &fields()).unwrap_err().to_string();
        assert!(err.contains(&format!("over {MAX_BODY_OUTPUT_BYTES} bytes")), "{err}");
        let long_sms =
            TemplateSource { body: "{% for a in range(200) %}0123456789{% endfor %}".into(), ..Default::default() };
        let err = long_sms.render("s", Channel::Sms, &fields()).unwrap_err().to_string();
        assert!(err.contains("1600 characters"), "{err}");
        let deep = TemplateSource {
            body: "{% for x in [[[[1]]]] recursive %}{{ loop([x]) }}{% endfor %}".into(),
            ..Default::default()
        };
        assert!(deep.render("deep", Channel::Sms, &fields()).is_err());
    }

    #[test]
    fn validation_errors_carry_lines_and_columns() {
        let t = email("Invoice {{ invoice_number }}", "Hello,\n\nYou owe {{ amount }.\n", None);
        let issues = t.validate(Channel::Email).unwrap_err();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!((issues[0].part, issues[0].line), (Part::Body, Some(3)));
        assert!(issues[0].column.is_some_and(|c| c > 1), "{issues:?}");
        assert!(issues[0].to_string().starts_with("body, line 3, column "), "{}", issues[0]);

        let t = email("Hi", "Hello {{ customer_name }},\n{% if x %}\n  {{ amout }}\n{% endif %}", None);
        let issues = t.validate(Channel::Email).unwrap_err();
        let lines: Vec<(String, Option<usize>)> = issues.iter().map(|i| (i.message.clone(), i.line)).collect();
        assert_eq!(issues.len(), 2, "{lines:?}");
        assert!(issues[0].message.contains("`amout`") && issues[0].line == Some(3), "{lines:?}");
        assert!(issues[1].message.contains("`x`") && issues[1].line == Some(2), "{lines:?}");

        // A policy field is fine once listed.
        let mut t = email("Hi", "{% if segment == 'vip' %}Dear{% endif %} {{ customer_name }}", None);
        assert!(t.validate(Channel::Email).unwrap_err()[0].message.contains("`segment`"));
        t.fields = vec!["segment".into()];
        t.validate(Channel::Email).unwrap();
    }

    #[test]
    fn channel_rules_and_size_caps() {
        let sms = TemplateSource { subject: Some("Hi".into()), body: "x".into(), ..Default::default() };
        let issues = sms.validate(Channel::Sms).unwrap_err();
        assert_eq!(issues[0].part, Part::Subject);
        assert!(issues[0].message.contains("sms template has no subject"), "{issues:?}");
        let no_subject = TemplateSource { body: "x".into(), ..Default::default() };
        assert!(no_subject.validate(Channel::Email).unwrap_err()[0].message.contains("needs a subject"));
        let huge = TemplateSource { body: "x".repeat(MAX_BODY_SOURCE_BYTES + 1), ..Default::default() };
        assert!(huge.validate(Channel::Push).unwrap_err()[0].message.contains("over the limit"));
        let include = TemplateSource { body: "{% include 'etc/passwd' %}".into(), ..Default::default() };
        assert!(include.validate(Channel::Sms).is_err(), "no includes: there is nothing to load from");
    }
}
