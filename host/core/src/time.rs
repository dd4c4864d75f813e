//! Local time rules: zones, local dates and send windows.
//!
//! Every rule that depends on where a customer lives is here, so the
//! scheduler, the guardrails and the tests read time the same way.

use jiff::{
    Timestamp, ToSpan,
    civil::Date,
    tz::{Disambiguation, TimeZone},
};

use crate::{Error, Result, SendWindow};

/// Looks up an IANA time zone in the bundled database.
pub fn zone(name: &str) -> Result<TimeZone> {
    TimeZone::get(name).map_err(|_| Error::TimeZone(name.chars().take(64).collect()))
}

/// The calendar date of `at` in zone `tz`.
pub fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned(tz.clone()).date()
}

/// The instant when local `date` at `hour`:00 happens in `tz`.
///
/// A local time skipped by a DST gap resolves to the instant just after the
/// gap; a repeated one resolves to its first occurrence.
pub fn local_instant(date: Date, hour: i8, tz: &TimeZone) -> Timestamp {
    let civil = date.at(hour.clamp(0, 23), 0, 0, 0);
    match tz.to_ambiguous_zoned(civil).disambiguate(Disambiguation::Compatible) {
        Ok(zoned) => zoned.timestamp(),
        // Only reachable at the edges of the supported range (year ±9999).
        Err(_) => tz.to_ambiguous_timestamp(civil).compatible().unwrap_or(Timestamp::MAX),
    }
}

/// The earliest instant at or after `at` whose local hour in `tz` lies in `window`.
pub fn next_allowed(window: SendWindow, at: Timestamp, tz: &TimeZone) -> Timestamp {
    if window.allows(at, tz) {
        return at;
    }
    let zoned = at.to_zoned(tz.clone());
    let start = window.start_hour as i8;
    // Before the window opens today: today's opening; after it closed: tomorrow's.
    let mut date = if zoned.hour() < start { zoned.date() } else { next_day(zoned.date()) };
    // A DST gap can swallow the opening hour; the candidate then lands just
    // after the gap, which is still inside any window of two hours or more.
    // Loop a few days in case a zone skips a whole day (Pacific/Apia, 2011).
    for _ in 0..4 {
        let candidate = local_instant(date, start, tz);
        if candidate >= at && window.allows(candidate, tz) {
            return candidate;
        }
        date = next_day(date);
    }
    at
}

fn next_day(date: Date) -> Date {
    date.checked_add(1.day()).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn inside_the_window_nothing_moves() {
        let tz = zone("Europe/London").unwrap();
        let at = ts("2024-06-03T12:00:00Z"); // 13:00 BST
        assert_eq!(next_allowed(SendWindow::default(), at, &tz), at);
    }

    #[test]
    fn late_evening_moves_to_next_morning_local() {
        let tz = zone("Asia/Kolkata").unwrap();
        let at = ts("2024-06-03T15:00:00Z"); // 20:30 IST, window closed
        assert_eq!(next_allowed(SendWindow::default(), at, &tz), ts("2024-06-04T02:30:00Z"));
    }

    #[test]
    fn spring_forward_and_fall_back_keep_local_eight_oclock() {
        let tz = zone("America/New_York").unwrap();
        let w = SendWindow::default();
        // 2024-03-10 is the spring-forward day: 08:00 EDT is 12:00Z.
        assert_eq!(next_allowed(w, ts("2024-03-10T06:00:00Z"), &tz), ts("2024-03-10T12:00:00Z"));
        // 2024-11-03 is the fall-back day: 08:00 EST is 13:00Z.
        assert_eq!(next_allowed(w, ts("2024-11-03T06:00:00Z"), &tz), ts("2024-11-03T13:00:00Z"));
    }

    #[test]
    fn a_window_opening_inside_a_dst_gap_lands_after_the_gap() {
        // Europe/London skips 01:00-02:00 on 2024-03-31.
        let tz = zone("Europe/London").unwrap();
        let w = SendWindow::new(1, 5).unwrap();
        let moved = next_allowed(w, ts("2024-03-30T23:30:00Z"), &tz);
        assert!(w.allows(moved, &tz));
        assert_eq!(moved, ts("2024-03-31T01:00:00Z")); // 02:00 BST
    }

    #[test]
    fn extreme_offsets_read_local_dates() {
        let kiribati = zone("Pacific/Kiritimati").unwrap(); // UTC+14
        let pago = zone("Pacific/Pago_Pago").unwrap(); // UTC-11
        let at = ts("2024-02-28T12:00:00Z");
        assert_eq!(local_date(at, &kiribati).to_string(), "2024-02-29");
        assert_eq!(local_date(at, &pago).to_string(), "2024-02-28");
    }

    #[test]
    fn unknown_zone_is_a_clear_error() {
        let err = zone("Mars/Olympus").unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus") && err.contains("IANA"), "{err}");
    }
}
