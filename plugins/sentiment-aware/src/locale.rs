//! The notice's locale, from the customer's language and the tenant's locales.

/// Longest language tag accepted, in bytes (BCP 47 recommends supporting 35).
const MAX_TAG_LEN: usize = 35;

/// The locale for a customer speaking `language`.
///
/// Without `locales`, the customer's own tag (normalised), or `default`
/// when it is not a language tag. With `locales`, the first of these that
/// exists: the same tag; a locale with the same primary language (`de-CH`
/// is served by `de`, `de` by `de-DE`); `default`.
pub fn choose(language: &str, locales: Option<&[String]>, default: &str) -> String {
    let Some(wanted) = normalise(language) else {
        return normalise(default).unwrap_or_else(|| default.to_owned());
    };
    let Some(locales) = locales else {
        return wanted;
    };
    let normalised: Vec<String> = locales.iter().filter_map(|tag| normalise(tag)).collect();
    if let Some(exact) = normalised.iter().find(|tag| **tag == wanted) {
        return exact.clone();
    }
    let primary = primary_language(&wanted);
    if let Some(same_language) = normalised.iter().find(|tag| primary_language(tag) == primary) {
        return same_language.clone();
    }
    normalise(default).unwrap_or_else(|| default.to_owned())
}

/// `tag` in its usual case (`de-CH`, `zh-Hant-TW`, `es-419`), or `None` if
/// it is not a language tag: 2 to 8 letters, then subtags of 1 to 8
/// letters or digits separated by hyphens (underscores are read as hyphens).
pub fn normalise(tag: &str) -> Option<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > MAX_TAG_LEN {
        return None;
    }
    let mut parts = Vec::new();
    for (index, subtag) in tag.split(['-', '_']).enumerate() {
        let valid_length = (1..=8).contains(&subtag.len());
        if !valid_length || !subtag.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return None;
        }
        let part = if index == 0 {
            if subtag.len() < 2 || !subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) {
                return None;
            }
            subtag.to_ascii_lowercase()
        } else if subtag.len() == 2 && subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            // A region: CH, US.
            subtag.to_ascii_uppercase()
        } else if subtag.len() == 4 && subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            // A script: Hant, Latn.
            let lower = subtag.to_ascii_lowercase();
            let (first, rest) = lower.split_at(1);
            format!("{}{rest}", first.to_ascii_uppercase())
        } else {
            subtag.to_ascii_lowercase()
        };
        parts.push(part);
    }
    Some(parts.join("-"))
}

/// The primary language subtag: `de` for `de-CH`.
fn primary_language(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|tag| (*tag).to_owned()).collect()
    }

    #[test]
    fn tags_are_normalised_or_refused() {
        assert_eq!(normalise("de-ch").as_deref(), Some("de-CH"));
        assert_eq!(normalise(" EN_us ").as_deref(), Some("en-US"));
        assert_eq!(normalise("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalise("es-419").as_deref(), Some("es-419"));
        for bad in ["", "e", "1en", "en--US", "en-", "de CH", "toolonglanguage", "fr-ç"] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
        assert_eq!(normalise(&"a".repeat(36)), None);
    }

    #[test]
    fn without_locales_the_customer_language_passes_through() {
        assert_eq!(choose("pt-br", None, "en"), "pt-BR");
        assert_eq!(choose("not a language", None, "en"), "en");
        assert_eq!(choose("", None, "fr"), "fr");
    }

    #[test]
    fn with_locales_the_closest_match_wins() {
        let tenant = locales(&["en", "de", "fr-CH", "pt-BR"]);
        assert_eq!(choose("de", Some(&tenant), "en"), "de");
        assert_eq!(choose("de-AT", Some(&tenant), "en"), "de", "same primary language");
        assert_eq!(choose("fr", Some(&tenant), "en"), "fr-CH");
        assert_eq!(choose("FR-ch", Some(&tenant), "en"), "fr-CH", "exact match, any case");
        assert_eq!(choose("ja", Some(&tenant), "en"), "en", "no match: the default");
        assert_eq!(choose("???", Some(&tenant), "de"), "de");
    }
}
