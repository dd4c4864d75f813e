//! Secrets in configuration: SMTP passwords, provider tokens, signing keys.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret value. `Debug` and `Display` print `<redacted>`, so a secret
/// never reaches a log line or an error message by formatting its config.
///
/// It serializes as its real value, because the tenant's channel settings
/// must be stored to be used; never serialize a config into a response or a
/// log. [`Secret::expose`] is the one way to read it, and every call site is
/// a place that sends it to its provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the provider it authenticates to.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `<redacted>`:
    /// a last defence for provider responses that echo what they were sent.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() { text.to_string() } else { text.replace(&self.0, "<redacted>") }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_formats_as_itself() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:#?}", Some(&secret)), "Some(\n    <redacted>,\n)");
        assert_eq!(secret.expose(), "hunter2-very-secret");
        assert_eq!(secret.scrub("echo hunter2-very-secret!"), "echo <redacted>!");
        assert_eq!(Secret::new("").scrub("text"), "text");
    }

    #[test]
    fn a_secret_round_trips_through_json_for_storage() {
        let secret: Secret = serde_json::from_str("\"tok\"").unwrap();
        assert_eq!(secret.expose(), "tok");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"tok\"");
    }
}
