//! How many SMS segments a text takes: GSM-7 when every character is in
//! the GSM 03.38 alphabet (characters of its extension table take two
//! septets), else UCS-2 (UTF-16 code units).
//!
//! A single message holds 160 GSM-7 septets or 70 UCS-2 units; a longer
//! text is sent as concatenated segments of 153 septets or 67 units each
//! (the rest of each segment is the concatenation header). A two-septet
//! character or a surrogate pair is never split across segments.

use serde::Serialize;

/// The GSM 03.38 basic character set (the escape code 0x1B left out).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table: each takes an escape and a septet.
const GSM_EXTENDED: &str = "\u{c}^{}\\[~]|€";

/// The encoding an SMS is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SmsEncoding {
    /// 7-bit GSM alphabet.
    #[serde(rename = "gsm-7")]
    Gsm7,
    /// UCS-2 (UTF-16).
    #[serde(rename = "ucs-2")]
    Ucs2,
}

impl SmsEncoding {
    /// Its name: `gsm-7` or `ucs-2`.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "gsm-7",
            SmsEncoding::Ucs2 => "ucs-2",
        }
    }
}

/// What one SMS body costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SmsSegments {
    /// The encoding.
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Segments sent.
    pub segments: usize,
}

/// Counts the segments of `text`.
///
/// ```
/// use nudge_delivery::sms::{segments, SmsEncoding};
/// assert_eq!(segments(&"a".repeat(160)).segments, 1);
/// assert_eq!(segments(&"a".repeat(161)).segments, 2);
/// assert_eq!(segments("Pay €5").units, 7);
/// assert_eq!(segments("Thanks 🙂").encoding, SmsEncoding::Ucs2);
/// ```
pub fn segments(text: &str) -> SmsSegments {
    let septets: Option<Vec<usize>> = text
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .collect();
    match septets {
        Some(widths) => count(SmsEncoding::Gsm7, &widths, 160, 153),
        None => {
            let widths: Vec<usize> = text.chars().map(char::len_utf16).collect();
            count(SmsEncoding::Ucs2, &widths, 70, 67)
        }
    }
}

/// Segments for characters of `widths` units: one if all fit in `single`,
/// else filled greedily, `part` units each, never splitting a character.
fn count(encoding: SmsEncoding, widths: &[usize], single: usize, part: usize) -> SmsSegments {
    let units: usize = widths.iter().sum();
    if units <= single {
        return SmsSegments { encoding, units, segments: 1 };
    }
    let (mut segments, mut used) = (1, 0);
    for &width in widths {
        if used + width > part {
            segments += 1;
            used = 0;
        }
        used += width;
    }
    SmsSegments { encoding, units, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_boundaries_are_160_then_153_per_segment() {
        assert_eq!(segments(&"a".repeat(160)), SmsSegments { encoding: SmsEncoding::Gsm7, units: 160, segments: 1 });
        assert_eq!(segments(&"a".repeat(161)), SmsSegments { encoding: SmsEncoding::Gsm7, units: 161, segments: 2 });
        assert_eq!(segments(&"a".repeat(306)).segments, 2);
        assert_eq!(segments(&"a".repeat(307)).segments, 3);
        assert_eq!(segments("").segments, 1);
    }

    #[test]
    fn extension_characters_count_double() {
        // 158 letters and a euro sign: 160 septets, one segment.
        let fits = format!("{}€", "a".repeat(158));
        assert_eq!(segments(&fits), SmsSegments { encoding: SmsEncoding::Gsm7, units: 160, segments: 1 });
        // One more letter: 161 septets, two segments.
        let over = format!("{}€", "a".repeat(159));
        assert_eq!(segments(&over), SmsSegments { encoding: SmsEncoding::Gsm7, units: 161, segments: 2 });
        // An escape pair is not split: 152 letters then `{` moves to segment 2.
        let split = format!("{}{{{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments(&split).segments, 2);
        assert_eq!(segments("£$¥@ÄÖÜß").encoding, SmsEncoding::Gsm7, "the basic table has these");
    }

    #[test]
    fn one_emoji_switches_to_ucs2() {
        let gsm = "a".repeat(100);
        assert_eq!(segments(&gsm).segments, 1);
        let with_emoji = format!("{gsm}🙂");
        // 100 units + a surrogate pair: 102 UTF-16 units, over 70, so 67 per segment.
        assert_eq!(segments(&with_emoji), SmsSegments { encoding: SmsEncoding::Ucs2, units: 102, segments: 2 });
        assert_eq!(segments(&"ж".repeat(70)).segments, 1);
        assert_eq!(segments(&"ж".repeat(71)).segments, 2);
        // A surrogate pair never straddles two segments: 66 units, then the pair.
        assert_eq!(segments(&format!("{}🙂{}", "ж".repeat(66), "ж".repeat(10))).segments, 2);
        assert_eq!(segments(&format!("{}🙂", "ж".repeat(133))).segments, 3);
    }
}
