// Calendar arithmetic on WIT dates and timestamps (BigInt seconds since the
// epoch).
//
// Plugins have no clock and no time-zone database: the host passes `now` in
// UTC and the customer's current UTC offset, and these helpers do the rest
// with integer arithmetic on the proleptic Gregorian calendar (Howard
// Hinnant's algorithms, as in the Rust SDK). Day numbers are plain numbers
// (exact far beyond any calendar date); timestamps stay BigInts.

const SECONDS_PER_DAY = 86_400n;

/** Floor division of plain integers, like Rust's `div_euclid` for a positive divisor. */
const floorDiv = (a, b) => Math.floor(a / b);

/** Floor division of BigInts for a positive divisor. */
function floorDivBig(a, b) {
  const quotient = a / b;
  return a % b < 0n ? quotient - 1n : quotient;
}

/** Days since 1970-01-01 (`days_from_civil`). */
export function dayNumber({ year, month, day }) {
  const y = year - (month <= 2 ? 1 : 0);
  const era = floorDiv(y, 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = floorDiv(153 * shiftedMonth + 2, 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The date `days` days after 1970-01-01 (`civil_from_days`). */
export function dateFromDayNumber(days) {
  const shifted = days + 719_468;
  const era = floorDiv(shifted, 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = floorDiv(
    dayOfEra - floorDiv(dayOfEra, 1_460) + floorDiv(dayOfEra, 36_524) - floorDiv(dayOfEra, 146_096),
    365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + floorDiv(yearOfEra, 4) - floorDiv(yearOfEra, 100));
  const shiftedMonth = floorDiv(5 * dayOfYear + 2, 153);
  const day = dayOfYear - floorDiv(153 * shiftedMonth + 2, 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** The date `days` days after `date` (before it, if negative). */
export const addDays = (date, days) => dateFromDayNumber(dayNumber(date) + days);

/** Whole days from `from` to `to`: positive when `to` is later. */
export const daysBetween = (from, to) => dayNumber(to) - dayNumber(from);

/** The calendar date at `timestamp` (BigInt) in a zone `utcOffsetMinutes` from UTC. */
export function dateAt(timestamp, utcOffsetMinutes) {
  const localSeconds = timestamp + BigInt(utcOffsetMinutes) * 60n;
  return dateFromDayNumber(Number(floorDivBig(localSeconds, SECONDS_PER_DAY)));
}

/** The instant (BigInt) that is `hour:minute` local time on `date`. */
export function localTimestamp(date, hour, minute, utcOffsetMinutes) {
  const localSeconds = BigInt(dayNumber(date)) * SECONDS_PER_DAY + BigInt(hour * 3_600 + minute * 60);
  return localSeconds - BigInt(utcOffsetMinutes) * 60n;
}

/** Days since the invoice fell due in the customer's zone: 0 on the due date, -1 the day before. */
export function daysOverdue(ctx) {
  const today = dateAt(ctx.now, ctx.customer.utcOffsetMinutes);
  return daysBetween(ctx.invoice.dueOn, today);
}
