//! Removing personal data from stored records, and finding any left.

use nudge_core::{Event, Incident, Notice, TenantId};
use serde_json::Value;

use crate::{
    Error, Record, Result, Store,
    codec::{decode, encode, key},
    store::{T, TREES},
};

/// How many records of each kind a redaction rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redacted {
    /// Notices.
    pub notices: usize,
    /// Event log entries.
    pub events: usize,
    /// Incidents.
    pub incidents: usize,
}

/// Replaces every occurrence of each of `needles` in the string values of
/// `value` (object keys included) with `replacement`; true if anything changed.
pub fn redact_value(value: &mut Value, needles: &[&str], replacement: &str) -> bool {
    let scrub = |s: &mut String| {
        let mut changed = false;
        for needle in needles.iter().filter(|n| !n.is_empty()) {
            if s.contains(needle) {
                *s = s.replace(needle, replacement);
                changed = true;
            }
        }
        changed
    };
    match value {
        Value::String(s) => scrub(s),
        Value::Array(items) => items.iter_mut().fold(false, |acc, v| redact_value(v, needles, replacement) | acc),
        Value::Object(map) => {
            let mut changed = false;
            let entries = std::mem::take(map);
            for (mut k, mut v) in entries {
                changed |= scrub(&mut k);
                changed |= redact_value(&mut v, needles, replacement);
                map.insert(k, v);
            }
            changed
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

impl Store {
    /// Rewrites every notice, event and incident of `tenant` that mentions
    /// one of `needles`, with each occurrence replaced by `replacement`.
    ///
    /// Each record is swapped atomically (compare-and-swap), so a record
    /// written concurrently is read again rather than overwritten.
    pub fn redact(&self, tenant: &TenantId, needles: &[&str], replacement: &str) -> Result<Redacted> {
        Ok(Redacted {
            notices: self.redact_tree::<Notice>(T::Notices, tenant, needles, replacement)?,
            events: self.redact_tree::<Event>(T::Events, tenant, needles, replacement)?,
            incidents: self.redact_tree::<Incident>(T::Incidents, tenant, needles, replacement)?,
        })
    }

    fn redact_tree<R: Record>(&self, t: T, tenant: &TenantId, needles: &[&str], replacement: &str) -> Result<usize> {
        let needles: Vec<&str> = needles.iter().copied().filter(|n| !n.is_empty()).collect();
        if needles.is_empty() {
            return Ok(0);
        }
        let tree = self.tree(t);
        let mut rewritten = 0;
        for kv in tree.scan_prefix(key(&[tenant.as_str().as_bytes()])) {
            let (k, mut old) = kv?;
            loop {
                // A cheap byte test first: most records mention no one.
                if !needles.iter().any(|n| contains_json_text(&old, n)) {
                    break;
                }
                let record: R = decode(&old)?;
                let mut value =
                    serde_json::to_value(&record).map_err(|source| Error::Codec { kind: R::KIND, source })?;
                if !redact_value(&mut value, &needles, replacement) {
                    break;
                }
                let record: R =
                    serde_json::from_value(value).map_err(|source| Error::Codec { kind: R::KIND, source })?;
                match tree.compare_and_swap(&k, Some(&old), Some(encode(&record)?))? {
                    Ok(()) => {
                        rewritten += 1;
                        break;
                    }
                    Err(current) => match current.current {
                        Some(now) => old = now,
                        None => break,
                    },
                }
            }
        }
        Ok(rewritten)
    }

    /// Every `tree: key` whose key or value contains `needle` as raw bytes,
    /// over every tree of the store: for audits such as proving an erasure.
    pub fn find_bytes(&self, needle: &[u8]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        if needle.is_empty() {
            return Ok(found);
        }
        let hit = |b: &[u8]| b.windows(needle.len()).any(|w| w == needle);
        let mut trees: Vec<(String, sled::Tree)> =
            TREES.iter().enumerate().map(|(i, name)| ((*name).to_string(), self.trees[i].clone())).collect();
        for name in self.db.tree_names() {
            let name = String::from_utf8_lossy(&name).into_owned();
            if !trees.iter().any(|(n, _)| *n == name) {
                trees.push((name.clone(), self.db.open_tree(&name)?));
            }
        }
        for (name, tree) in trees {
            for kv in tree.iter() {
                let (k, v) = kv?;
                if hit(&k) || hit(&v) {
                    found.push(format!("{name}: {}", String::from_utf8_lossy(&k).replace('\0', "/")));
                }
            }
        }
        Ok(found)
    }
}

/// True when `text` may occur in the JSON body of `bytes`: as is, or with
/// the escapes JSON would give it.
fn contains_json_text(bytes: &[u8], text: &str) -> bool {
    let escaped = serde_json::to_string(text).unwrap_or_default();
    let escaped = escaped.trim_matches('"').as_bytes();
    let has = |n: &[u8]| !n.is_empty() && bytes.windows(n.len()).any(|w| w == n);
    has(text.as_bytes()) || has(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keys_and_nested_values_are_scrubbed() {
        let mut v = serde_json::json!({"to": "ada@example.invalid", "n": 3,
            "fields": [["name", "Ada Lovelace"], ["ada@example.invalid", "x"]]});
        assert!(redact_value(&mut v, &["ada@example.invalid", "Ada Lovelace"], "[erased]"));
        let text = v.to_string();
        assert!(!text.contains("ada@") && !text.contains("Lovelace") && text.contains("\"n\":3"), "{text}");
        assert!(!redact_value(&mut v, &["ada@example.invalid"], "[erased]"), "nothing left to change");
        assert!(!redact_value(&mut v, &[""], "[erased]"), "an empty needle matches nothing");
    }
}
