//! The tenant's plugin configuration: the JSON object in `context.config`.

use std::fmt::Display;
use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::{Context, PolicyError};

/// A parsed plugin configuration: a JSON object of settings by key.
///
/// Every reader returns a `bad-config` [`PolicyError`] that names the key and
/// says what was expected, so the tenant can fix the configuration from the
/// incident alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    settings: Map<String, Value>,
}

impl Config {
    /// Parses `ctx.config`. Empty text counts as `{}`.
    pub fn from_context(ctx: &Context) -> Result<Self, PolicyError> {
        Self::parse(&ctx.config)
    }

    /// Parses configuration text, which must be a JSON object (or empty).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        // Most tenants leave their configuration empty: skip the parser.
        let text = text.trim();
        if text.is_empty() || text == "{}" {
            return Ok(Self::default());
        }
        match serde_json::from_str(text) {
            Ok(Value::Object(settings)) => Ok(Self { settings }),
            Ok(other) => {
                Err(PolicyError::bad_config(format!("configuration must be a JSON object, got {}", kind(&other))))
            }
            Err(error) => Err(PolicyError::bad_config(format!("configuration is not valid JSON: {error}"))),
        }
    }

    /// Rejects keys outside `known`, so that a typo such as `sendHour` is
    /// reported instead of silently ignored.
    pub fn check_keys(&self, known: &[&str]) -> Result<(), PolicyError> {
        match self.settings.keys().find(|key| !known.contains(&key.as_str())) {
            Some(key) => Err(PolicyError::bad_config(format!(
                "unknown configuration key `{key}`; known keys: {}",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// The raw JSON value at `key`, if set (`null` counts as unset).
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.settings.get(key).filter(|value| !value.is_null())
    }

    /// The whole number at `key` as a `T` (`u8`, `u32`, `i64`, ...), or
    /// `default` if unset; it must lie in `range`.
    pub fn int_in<T>(&self, key: &str, default: T, range: RangeInclusive<T>) -> Result<T, PolicyError>
    where
        T: Copy + PartialOrd + TryFrom<i64> + Display,
    {
        let Some(value) = self.value(key) else {
            return Ok(default);
        };
        let number = value.as_i64().and_then(|number| T::try_from(number).ok());
        match number {
            Some(number) if range.contains(&number) => Ok(number),
            _ => Err(PolicyError::bad_config(format!(
                "`{key}` must be a whole number from {} to {}, got {value}",
                range.start(),
                range.end()
            ))),
        }
    }

    /// The string at `key`, or `default` if unset.
    pub fn string(&self, key: &str, default: &str) -> Result<String, PolicyError> {
        match self.value(key) {
            None => Ok(default.to_owned()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(other) => Err(PolicyError::bad_config(format!("`{key}` must be a string, got {}", kind(other)))),
        }
    }

    /// The list of strings at `key` (a JSON array of strings), or `default`
    /// if unset.
    pub fn strings(&self, key: &str, default: &[&str]) -> Result<Vec<String>, PolicyError> {
        let Some(value) = self.value(key) else {
            return Ok(default.iter().map(|text| (*text).to_owned()).collect());
        };
        let expected = || format!("`{key}` must be an array of strings, e.g. [\"a\", \"b\"], got {value}");
        let Value::Array(items) = value else {
            return Err(PolicyError::bad_config(expected()));
        };
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| PolicyError::bad_config(expected())))
            .collect()
    }

    /// The boolean at `key`, or `default` if unset.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, PolicyError> {
        match self.value(key) {
            None => Ok(default),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(other) => Err(PolicyError::bad_config(format!("`{key}` must be true or false, got {}", kind(other)))),
        }
    }
}

/// How a JSON value reads in an error message.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_and_empty_object_use_defaults() {
        for text in ["", "  ", "{}", r#"{"send_hour": null}"#] {
            let config = Config::parse(text).unwrap();
            assert_eq!(config.int_in("send_hour", 10u8, 0..=23).unwrap(), 10);
        }
    }

    #[test]
    fn reads_typed_values() {
        let config = Config::parse(r#"{"send_hour": 9, "label": "gold", "sms": false}"#).unwrap();
        assert_eq!(config.int_in("send_hour", 10, 0..=23).unwrap(), 9);
        assert_eq!(config.string("label", "x").unwrap(), "gold");
        assert!(!config.bool("sms", true).unwrap());
        assert!(config.value("missing").is_none());
    }

    #[test]
    fn reads_lists_of_strings() {
        let config = Config::parse(r#"{"tiers": ["gold", "platinum"], "empty": [], "mixed": ["a", 1]}"#).unwrap();
        assert_eq!(config.strings("tiers", &[]).unwrap(), ["gold", "platinum"]);
        assert!(config.strings("empty", &["x"]).unwrap().is_empty());
        assert_eq!(config.strings("missing", &["x"]).unwrap(), ["x"]);
        let error = config.strings("mixed", &[]).unwrap_err();
        assert!(error.message.contains("`mixed` must be an array of strings"), "{}", error.message);
        let error = Config::parse(r#"{"tiers": "gold"}"#).unwrap().strings("tiers", &[]).unwrap_err();
        assert!(error.message.contains(r#"got "gold""#), "{}", error.message);
    }

    #[test]
    fn errors_name_the_key_and_the_problem() {
        let config = Config::parse(r#"{"send_hour": 25, "label": 3}"#).unwrap();
        let error = config.int_in("send_hour", 10u8, 0..=23).unwrap_err();
        assert_eq!(error.code, "bad-config");
        assert!(error.message.contains("`send_hour`"), "{}", error.message);
        assert!(error.message.contains("0 to 23"), "{}", error.message);
        let error = config.string("label", "x").unwrap_err();
        assert!(error.message.contains("a number"), "{}", error.message);
        let error = Config::parse(r#"{"send_hour": 9.5}"#).unwrap().int_in("send_hour", 10, 0..=23).unwrap_err();
        assert!(error.message.contains("9.5"), "{}", error.message);
        // Out of the target type's range is out of range, not a wrap-around.
        let error = Config::parse(r#"{"send_hour": 266}"#).unwrap().int_in("send_hour", 10u8, 0..=255).unwrap_err();
        assert!(error.message.contains("266"), "{}", error.message);
    }

    #[test]
    fn rejects_non_objects_and_bad_json() {
        assert!(Config::parse("[1]").unwrap_err().message.contains("an array"));
        assert!(Config::parse("{").unwrap_err().message.contains("not valid JSON"));
    }

    #[test]
    fn check_keys_catches_typos() {
        let config = Config::parse(r#"{"sendHour": 9}"#).unwrap();
        let error = config.check_keys(&["send_hour"]).unwrap_err();
        assert!(error.message.contains("`sendHour`"), "{}", error.message);
        assert!(Config::parse("{}").unwrap().check_keys(&[]).is_ok());
    }
}
