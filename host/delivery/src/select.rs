//! Which template a notice uses: keys, and the order they are tried in.

use nudge_core::{Channel, Tone, locale};
use serde::Serialize;

/// Longest template name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// A tenant's template is found by name, channel and locale.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TemplateKey {
    /// A tone (`gentle`, `friendly`, `firm`, `urgent`: the default of that
    /// tone), or the id a policy names in `notify.template`.
    pub name: String,
    /// The channel.
    pub channel: Channel,
    /// A normalised BCP 47 tag (`en`, `de-CH`).
    pub locale: String,
}

impl TemplateKey {
    /// Checks and normalises a key, saying what is wrong.
    pub fn new(name: &str, channel: &str, locale_tag: &str) -> Result<Self, String> {
        if name.is_empty()
            || name.len() > MAX_NAME_BYTES
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(format!(
                "template name {name:?}: 1 to {MAX_NAME_BYTES} letters, digits, '-', '_' or '.' \
                 (a tone such as `firm`, or the id a policy names)"
            ));
        }
        let channel: Channel = channel
            .parse()
            .map_err(|_| format!("channel {channel:?}: templates exist for `email`, `sms` and `push`"))?;
        if channel == Channel::Webhook {
            return Err("channel \"webhook\": webhook notices are JSON and take no template".into());
        }
        let locale = locale::normalise(locale_tag)
            .ok_or_else(|| format!("locale {locale_tag:?} is not a language tag such as `en` or `de-CH`"))?;
        Ok(Self { name: name.to_string(), channel, locale })
    }

    /// `name/channel/locale`, as in paths and message headers.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.name, self.channel, self.locale)
    }
}

/// True when `name` is the default template of a tone.
pub fn is_tone(name: &str) -> bool {
    Tone::ALL.iter().any(|t| t.as_str() == name)
}

/// The keys to try for a notice, in order: the policy's template in the
/// customer's locale, then in the tenant's fallback locale; then the tone's
/// default in the same two; a regional locale (`de-CH`) is followed by its
/// language (`de`) each time. The built-in English template comes after all.
pub fn candidates(template: &str, tone: Tone, channel: Channel, locale: &str, fallback: &str) -> Vec<TemplateKey> {
    let mut locales = locale::candidates(locale);
    for l in locale::candidates(fallback) {
        if !locales.contains(&l) {
            locales.push(l);
        }
    }
    let mut names = Vec::new();
    if !template.is_empty() && template != tone.as_str() {
        names.push(template.to_string());
    }
    names.push(tone.as_str().to_string());
    names
        .iter()
        .flat_map(|name| {
            locales.iter().map(move |locale| TemplateKey { name: name.clone(), channel, locale: locale.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_template_then_tone_each_in_locale_then_fallback() {
        let ids: Vec<String> =
            candidates("winback", Tone::Firm, Channel::Email, "de-CH", "en").iter().map(TemplateKey::id).collect();
        assert_eq!(
            ids,
            [
                "winback/email/de-CH",
                "winback/email/de",
                "winback/email/en",
                "firm/email/de-CH",
                "firm/email/de",
                "firm/email/en"
            ]
        );
        let ids: Vec<String> =
            candidates("", Tone::Gentle, Channel::Sms, "en", "en").iter().map(TemplateKey::id).collect();
        assert_eq!(ids, ["gentle/sms/en"]);
    }

    #[test]
    fn keys_are_checked_and_normalised() {
        assert_eq!(TemplateKey::new("firm", "sms", "de_ch").unwrap().id(), "firm/sms/de-CH");
        assert!(TemplateKey::new("a/b", "sms", "en").unwrap_err().contains("template name"));
        assert!(TemplateKey::new("firm", "fax", "en").unwrap_err().contains("channel"));
        assert!(TemplateKey::new("firm", "webhook", "en").unwrap_err().contains("webhook"));
        assert!(TemplateKey::new("firm", "email", "english please").unwrap_err().contains("locale"));
        assert!(is_tone("urgent") && !is_tone("winback"));
    }
}
