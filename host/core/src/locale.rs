//! Locales: BCP 47 language tags as templates are keyed by them.

/// Longest language tag accepted, in bytes (BCP 47 recommends supporting 35).
const MAX_TAG_LEN: usize = 35;

/// `tag` in its usual case (`de-CH`, `zh-Hant-TW`, `es-419`), or `None` if
/// it is not a language tag: 2 to 8 letters, then subtags of 1 to 8
/// letters or digits separated by hyphens (underscores are read as hyphens).
///
/// ```
/// assert_eq!(nudge_core::locale::normalise("de_ch").as_deref(), Some("de-CH"));
/// assert_eq!(nudge_core::locale::normalise("not a tag"), None);
/// ```
pub fn normalise(tag: &str) -> Option<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > MAX_TAG_LEN {
        return None;
    }
    let mut parts = Vec::new();
    for (index, subtag) in tag.split(['-', '_']).enumerate() {
        if !(1..=8).contains(&subtag.len()) || !subtag.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let alphabetic = subtag.bytes().all(|b| b.is_ascii_alphabetic());
        let part = if index == 0 {
            if subtag.len() < 2 || !alphabetic {
                return None;
            }
            subtag.to_ascii_lowercase()
        } else if subtag.len() == 2 && alphabetic {
            subtag.to_ascii_uppercase()
        } else if subtag.len() == 4 && alphabetic {
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
pub fn primary_language(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// The locales to try for `tag`, most specific first: `de-CH`, then `de`.
pub fn candidates(tag: &str) -> Vec<String> {
    let mut out = vec![tag.to_string()];
    let primary = primary_language(tag);
    if primary != tag {
        out.push(primary.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_or_refused() {
        assert_eq!(normalise("de-ch").as_deref(), Some("de-CH"));
        assert_eq!(normalise(" EN_us ").as_deref(), Some("en-US"));
        assert_eq!(normalise("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalise("es-419").as_deref(), Some("es-419"));
        for bad in ["", "e", "1en", "en--US", "en-", "de CH", "toolonglanguage", "fr-ç", "und/x"] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
        assert_eq!(candidates("de-CH"), ["de-CH", "de"]);
        assert_eq!(candidates("de"), ["de"]);
    }
}
