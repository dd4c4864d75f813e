"""Calendar arithmetic on WIT dates and timestamps (seconds since the epoch).

Plugins have no clock and no time-zone database: the host passes `now` in
UTC and the customer's current UTC offset, and these helpers do the rest
with integer arithmetic on the proleptic Gregorian calendar (Howard
Hinnant's algorithms, as in the Rust SDK). `datetime` is not used: it
stops at year 9999 and the Rust SDK does not.
"""

from wit_world.imports import types

SECONDS_PER_DAY = 86_400


def day_number(date: types.Date) -> int:
    """Days since 1970-01-01 (`days_from_civil`)."""
    year = date.year - (1 if date.month <= 2 else 0)
    era, year_of_era = divmod(year, 400)
    shifted_month = date.month - 3 if date.month > 2 else date.month + 9
    day_of_year = (153 * shifted_month + 2) // 5 + date.day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def date_from_day_number(days: int) -> types.Date:
    """The date `days` days after 1970-01-01 (`civil_from_days`)."""
    era, day_of_era = divmod(days + 719_468, 146_097)
    year_of_era = (day_of_era - day_of_era // 1_460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return types.Date(year=year, month=month, day=day)


def add_days(date: types.Date, days: int) -> types.Date:
    """The date `days` days after `date` (before it, if negative)."""
    return date_from_day_number(day_number(date) + days)


def days_between(start: types.Date, end: types.Date) -> int:
    """Whole days from `start` to `end`: positive when `end` is later."""
    return day_number(end) - day_number(start)


def date_at(timestamp: int, utc_offset_minutes: int) -> types.Date:
    """The calendar date at `timestamp` in a zone `utc_offset_minutes` from UTC."""
    return date_from_day_number((timestamp + utc_offset_minutes * 60) // SECONDS_PER_DAY)


def local_timestamp(date: types.Date, hour: int, minute: int, utc_offset_minutes: int) -> int:
    """The instant that is `hour:minute` local time on `date`."""
    local_seconds = day_number(date) * SECONDS_PER_DAY + hour * 3_600 + minute * 60
    return local_seconds - utc_offset_minutes * 60


def days_overdue(ctx: types.Context) -> int:
    """Days since the invoice fell due, counted in the customer's time zone:
    zero on the due date, `-1` the day before."""
    today = date_at(ctx.now, ctx.customer.utc_offset_minutes)
    return days_between(ctx.invoice.due_on, today)
