// The tenant's configuration of the standard policy: a JSON object in
// `ctx.config`, every key optional.

const I64_MAX = 2n ** 63n - 1n;

/** The configuration keys: [key, default, lowest, highest]. */
const KEYS = [
  ['send_hour', 10, 0, 23],
  ['escalate_after_days', 30, 1, 365],
  ['high_value_minor', 10_000n, 0n, I64_MAX],
];

/**
 * A policy declining to decide: `decide` throws it, the host records it and
 * falls back. componentize-js turns a thrown error's `payload` into the
 * `err` of `decide`'s result (a thrown error without one traps).
 */
export class PolicyError extends Error {
  constructor(code, message) {
    super(message);
    this.payload = { code, message };
  }
}

const badConfig = (message) => new PolicyError('bad-config', message);

/**
 * The settings in `config` (JSON text), with defaults for unset keys:
 * `{ sendHour, escalateAfterDays, highValueMinor }` (the last a BigInt).
 * Unknown keys and out-of-range values throw a `bad-config` error naming
 * the key, so typos do not pass silently.
 */
export function readSettings(config) {
  const settings = parse(config);
  const known = KEYS.map(([key]) => key);
  const unknown = Object.keys(settings)
    .filter((key) => !known.includes(key))
    .sort();
  if (unknown.length > 0) {
    throw badConfig(`unknown configuration key \`${unknown[0]}\`; known keys: ${known.join(', ')}`);
  }
  const [sendHour, escalateAfterDays, highValueMinor] = KEYS.map(([key, fallback, lowest, highest]) =>
    wholeNumber(settings, key, fallback, lowest, highest),
  );
  return { sendHour, escalateAfterDays, highValueMinor };
}

/**
 * The configuration object; empty text counts as `{}`. Numbers keep their
 * source text (`JSON.parse` would read `9.0` as the whole number 9 and round
 * integers past 2^53), so `wholeNumber` can tell them apart.
 */
function parse(text) {
  if (text.trim() === '') return {};
  let value;
  try {
    // `context.source` is the JSON.parse source text access of ES2025.
    value = JSON.parse(text, (_key, parsed, context) =>
      typeof parsed === 'number' ? new JsonNumber(context?.source ?? String(parsed)) : parsed,
    );
  } catch (error) {
    throw badConfig(`configuration is not valid JSON: ${error.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber) {
    throw badConfig(`configuration must be a JSON object, got ${kind(value)}`);
  }
  return value;
}

/** The source text of a JSON number without fraction or exponent. */
const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

/** A JSON number with its source text. */
class JsonNumber {
  constructor(source) {
    this.source = source;
  }

  /** The number as a BigInt if serde_json reads it as an integer (i64 or u64). */
  whole() {
    if (!INTEGER.test(this.source) || this.source === '-0') return undefined;
    const value = BigInt(this.source);
    return value >= I64_MIN && value <= U64_MAX ? value : undefined;
  }

  /**
   * As serde_json prints it: integers as written, floats with `.0` when
   * whole (`9.0`) and in exponent form from 1e16 on (`1e+16`).
   */
  shown() {
    if (this.whole() !== undefined) return this.source;
    const number = Number(this.source);
    if (Math.abs(number) >= 1e16) return number.toExponential();
    if (Number.isInteger(number)) return `${Object.is(number, -0) ? '-0' : number}.0`;
    return String(number);
  }

  toJSON() {
    return Number(this.source);
  }
}

/**
 * The whole number at `key` (`null` counts as unset) as the type of
 * `fallback` (a number or a BigInt), within `lowest..=highest`. As in the
 * Rust SDK (serde_json), `9.0`, `9e0`, `-0` and integers outside i64 and
 * u64 are not whole numbers.
 */
function wholeNumber(settings, key, fallback, lowest, highest) {
  const value = Object.hasOwn(settings, key) ? settings[key] : null;
  if (value === null) return fallback;
  const whole = value instanceof JsonNumber ? value.whole() : undefined;
  if (whole !== undefined && whole >= BigInt(lowest) && whole <= BigInt(highest)) {
    return typeof fallback === 'bigint' ? whole : Number(whole);
  }
  throw badConfig(`\`${key}\` must be a whole number from ${lowest} to ${highest}, got ${shown(value)}`);
}

/** A JSON value as the Rust SDK shows it in messages (compact JSON). */
const shown = (value) => (value instanceof JsonNumber ? value.shown() : JSON.stringify(value));

/** How a JSON value reads in an error message. */
function kind(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'a boolean';
  if (value instanceof JsonNumber) return 'a number';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}
