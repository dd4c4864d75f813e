//! Calendar arithmetic on WIT [`Date`]s and [`Timestamp`]s.
//!
//! Plugins have no clock and no time-zone database: the host passes `now` in
//! UTC and the customer's current UTC offset, and these helpers do the rest
//! with plain integer arithmetic on the proleptic Gregorian calendar.

use crate::{Date, Timestamp};

const SECONDS_PER_DAY: i64 = 86_400;

impl Date {
    /// Builds a date from its parts, e.g. `Date::new(2024, 6, 3)`.
    pub const fn new(year: i32, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }
}

/// The date `days` days after `date` (before it, if `days` is negative).
pub fn add_days(date: Date, days: i64) -> Date {
    date_from_day_number(day_number(date).saturating_add(days))
}

/// Whole days from `from` to `to`: positive when `to` is later.
///
/// `days_between(due_on, today)` is how many days an invoice is overdue.
pub fn days_between(from: Date, to: Date) -> i64 {
    day_number(to) - day_number(from)
}

/// The calendar date at `timestamp` in a zone `utc_offset_minutes` from UTC.
pub fn date_at(timestamp: Timestamp, utc_offset_minutes: i32) -> Date {
    let local_seconds = timestamp.saturating_add(i64::from(utc_offset_minutes) * 60);
    date_from_day_number(local_seconds.div_euclid(SECONDS_PER_DAY))
}

/// The instant that is `hour:minute` local time on `date` in a zone
/// `utc_offset_minutes` from UTC.
///
/// Hours and minutes beyond their usual range roll over (`hour` 24 is
/// midnight of the next day), so the result is always defined.
pub fn local_timestamp(date: Date, hour: u8, minute: u8, utc_offset_minutes: i32) -> Timestamp {
    let local_seconds =
        day_number(date).saturating_mul(SECONDS_PER_DAY) + i64::from(hour) * 3_600 + i64::from(minute) * 60;
    local_seconds.saturating_sub(i64::from(utc_offset_minutes) * 60)
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn day_number(date: Date) -> i64 {
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn date_from_day_number(days: i64) -> Date {
    let days = days.saturating_add(719_468);
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Date {
        // Years beyond ±2 billion only arise from absurd inputs; clamp them.
        year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
        // `month` is in 1..=12 and `day` in 1..=31 by construction above.
        month: u8::try_from(month).unwrap_or(1),
        day: u8::try_from(day).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_epoch_is_day_zero() {
        assert_eq!(day_number(Date::new(1970, 1, 1)), 0);
        assert_eq!(date_from_day_number(0), Date::new(1970, 1, 1));
    }

    #[test]
    fn day_numbers_round_trip_across_leap_years_and_centuries() {
        for days in -800_000..800_000 {
            assert_eq!(day_number(date_from_day_number(days)), days);
        }
    }

    #[test]
    fn add_days_crosses_month_year_and_leap_day() {
        assert_eq!(add_days(Date::new(2024, 2, 28), 1), Date::new(2024, 2, 29));
        assert_eq!(add_days(Date::new(2023, 2, 28), 1), Date::new(2023, 3, 1));
        assert_eq!(add_days(Date::new(2024, 12, 31), 1), Date::new(2025, 1, 1));
        assert_eq!(add_days(Date::new(2024, 3, 1), -1), Date::new(2024, 2, 29));
        assert_eq!(add_days(Date::new(2100, 2, 28), 1), Date::new(2100, 3, 1));
        assert_eq!(add_days(Date::new(2000, 2, 28), 1), Date::new(2000, 2, 29));
    }

    #[test]
    fn days_between_is_signed() {
        let due = Date::new(2024, 1, 31);
        assert_eq!(days_between(due, Date::new(2024, 3, 1)), 30);
        assert_eq!(days_between(Date::new(2024, 3, 1), due), -30);
        assert_eq!(days_between(due, due), 0);
    }

    #[test]
    fn date_at_applies_the_offset() {
        // 2024-06-03T23:30:00Z
        let ts = 1_717_457_400;
        assert_eq!(date_at(ts, 0), Date::new(2024, 6, 3));
        assert_eq!(date_at(ts, 60), Date::new(2024, 6, 4));
        assert_eq!(date_at(ts, -24 * 60), Date::new(2024, 6, 2));
        // Before the epoch, days still start at local midnight.
        assert_eq!(date_at(-1, 0), Date::new(1969, 12, 31));
    }

    #[test]
    fn local_timestamp_is_the_inverse_of_date_at() {
        let date = Date::new(2024, 6, 3);
        assert_eq!(local_timestamp(date, 0, 0, 0), 1_717_372_800);
        // 10:00 in UTC+02:00 is 08:00Z.
        assert_eq!(local_timestamp(date, 10, 0, 120), 1_717_372_800 + 8 * 3_600);
        // 10:00 in UTC-05:30 is 15:30Z.
        assert_eq!(local_timestamp(date, 10, 0, -330), 1_717_372_800 + 15 * 3_600 + 30 * 60);
        for offset in [-720, -330, 0, 345, 840] {
            assert_eq!(date_at(local_timestamp(date, 23, 59, offset), offset), date);
            assert_eq!(date_at(local_timestamp(date, 0, 0, offset), offset), date);
        }
    }
}
