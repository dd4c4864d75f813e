//! Segments: the label a policy puts a customer under.

use std::borrow::Cow;
use std::fmt;

use crate::PolicyError;

/// Longest segment label the host accepts, in bytes.
pub const MAX_SEGMENT_LEN: usize = 64;

/// The customer's segment as a policy sees it, e.g. `habitual-late`.
///
/// The host records the segment on every notice and splits reports by it.
/// A label is 1 to [`MAX_SEGMENT_LEN`] bytes of ASCII letters, digits and
/// `- _ . :`; the host rejects any other decision. The constants are the
/// labels the reference policies use; [`Segment::new`] checks any other
/// label once, so a typo fails in a unit test rather than at the host.
///
/// A segment converts into the `String` that [`Decision`](crate::Decision)
/// constructors take:
///
/// ```
/// use nudge_sdk::{Decision, Segment};
///
/// let decision = Decision::stop(Segment::HABITUAL_LATE, "disputed");
/// assert_eq!(decision.segment, Segment::HABITUAL_LATE);
/// let vip = Segment::new("vip:gold")?;
/// assert_eq!(vip.as_str(), "vip:gold");
/// assert_eq!(Segment::new("very important").unwrap_err().code, "bad-segment");
/// # Ok::<(), nudge_sdk::PolicyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Segment(Cow<'static, str>);

impl Segment {
    /// No paid invoice on record yet.
    pub const NEW: Segment = Segment(Cow::Borrowed("new"));
    /// Pays on time, or was late only now and then.
    pub const REGULAR: Segment = Segment(Cow::Borrowed("regular"));
    /// Late for the first time: every earlier invoice was paid on time.
    pub const FIRST_TIME_LATE: Segment = Segment(Cow::Borrowed("first-time-late"));
    /// Late more often than not, over several invoices.
    pub const HABITUAL_LATE: Segment = Segment(Cow::Borrowed("habitual-late"));
    /// A customer or invoice the tenant treats with extra care.
    pub const HIGH_VALUE: Segment = Segment(Cow::Borrowed("high-value"));

    /// A segment for a label known when the policy is compiled, usable in a
    /// `const`; an invalid label fails the build there:
    ///
    /// ```
    /// use nudge_sdk::Segment;
    ///
    /// const OCCASIONAL_LATE: Segment = Segment::from_static("occasional-late");
    /// assert_eq!(OCCASIONAL_LATE, "occasional-late");
    /// ```
    ///
    /// ```compile_fail
    /// const BAD: nudge_sdk::Segment = nudge_sdk::Segment::from_static("two words");
    /// assert_eq!(BAD, "two words");
    /// ```
    ///
    /// # Panics
    ///
    /// Outside a `const`, when `label` is not one the host accepts (see
    /// [`Segment::new`] for labels known only at run time).
    pub const fn from_static(label: &'static str) -> Segment {
        let bytes = label.as_bytes();
        assert!(!bytes.is_empty() && bytes.len() <= MAX_SEGMENT_LEN, "a segment must be 1 to 64 bytes");
        let mut index = 0;
        while index < bytes.len() {
            let byte = bytes[index];
            assert!(
                byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b'.' || byte == b':',
                "a segment may only use ASCII letters, digits and - _ . :"
            );
            index += 1;
        }
        Segment(Cow::Borrowed(label))
    }

    /// A segment called `label`, if the host accepts the label; otherwise a
    /// `bad-segment` [`PolicyError`] saying what is wrong with it.
    pub fn new(label: impl Into<String>) -> Result<Segment, PolicyError> {
        let label = label.into();
        if label.is_empty() || label.len() > MAX_SEGMENT_LEN {
            return Err(PolicyError::new(
                "bad-segment",
                format!("segment must be 1 to {MAX_SEGMENT_LEN} bytes, got {}", label.len()),
            ));
        }
        if !label.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte)) {
            return Err(PolicyError::new(
                "bad-segment",
                format!("segment {label:?} may only use ASCII letters, digits and - _ . :"),
            ));
        }
        Ok(Segment(Cow::Owned(label)))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Segment> for String {
    fn from(segment: Segment) -> String {
        segment.0.into_owned()
    }
}

impl From<&Segment> for String {
    fn from(segment: &Segment) -> String {
        segment.0.clone().into_owned()
    }
}

impl PartialEq<str> for Segment {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Segment {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Segment> for String {
    fn eq(&self, other: &Segment) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Segment> for &str {
    fn eq(&self, other: &Segment) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_constant_is_a_valid_label() {
        for segment in
            [Segment::NEW, Segment::REGULAR, Segment::FIRST_TIME_LATE, Segment::HABITUAL_LATE, Segment::HIGH_VALUE]
        {
            assert_eq!(Segment::new(segment.as_str()).unwrap(), segment);
        }
    }

    #[test]
    fn labels_the_host_would_reject_are_refused_with_the_reason() {
        assert!(Segment::new("").unwrap_err().message.contains("1 to 64 bytes"));
        assert!(Segment::new("x".repeat(65)).unwrap_err().message.contains("got 65"));
        assert!(Segment::new("x".repeat(64)).is_ok());
        for label in ["two words", "naïve", "a/b", "tab\t"] {
            let error = Segment::new(label).unwrap_err();
            assert_eq!(error.code, "bad-segment");
            assert!(error.message.contains("ASCII letters"), "{label}: {}", error.message);
        }
    }

    #[test]
    #[should_panic(expected = "ASCII letters")]
    fn from_static_refuses_a_bad_label_at_run_time_too() {
        let label = String::from("a b").leak();
        let _ = Segment::from_static(label);
    }

    #[test]
    fn compares_with_strings_both_ways() {
        let label: String = Segment::HIGH_VALUE.into();
        assert_eq!(label, "high-value");
        assert_eq!(label, Segment::HIGH_VALUE);
        assert_eq!(Segment::HIGH_VALUE, "high-value");
        assert_eq!(Segment::NEW.to_string(), "new");
    }
}
