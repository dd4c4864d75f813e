"""The tenant's configuration of the standard policy: a JSON object in
`ctx.config`, every key optional."""

import json
from dataclasses import dataclass

from componentize_py_types import Err
from wit_world.imports import types

I64_MAX = 2**63 - 1

# key: (default, lowest, highest)
KEYS = {
    "send_hour": (10, 0, 23),
    "escalate_after_days": (30, 1, 365),
    "high_value_minor": (10_000, 0, I64_MAX),
}


def bad_config(message: str) -> Err:
    """A `bad-config` error: the host records it and falls back."""
    return Err(types.PolicyError(code="bad-config", message=message))


@dataclass(frozen=True)
class Settings:
    """The standard policy's settings, with defaults for unset keys."""

    send_hour: int = 10
    """Local hour (0-23) at which reminders go out."""
    escalate_after_days: int = 30
    """Days overdue (1-365) at which the invoice goes to support."""
    high_value_minor: int = 10_000
    """Invoice total, in minor units, from which an invoice is high value."""

    @classmethod
    def from_context(cls, ctx: types.Context) -> "Settings":
        """Reads `ctx.config`; unknown keys and out-of-range values raise a
        `bad-config` error naming the key, so typos do not pass silently."""
        config = parse(ctx.config)
        unknown = sorted(key for key in config if key not in KEYS)
        if unknown:
            raise bad_config(f"unknown configuration key `{unknown[0]}`; known keys: {', '.join(KEYS)}")
        values = {key: whole_number(config, key, *bounds) for key, bounds in KEYS.items()}
        return cls(**values)


def parse(text: str) -> dict:
    """The configuration object; empty text counts as `{}`."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text, parse_int=parse_int, parse_constant=reject_constant)
    except ValueError as error:
        raise bad_config(f"configuration is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise bad_config(f"configuration must be a JSON object, got {kind(value)}")
    return value


def whole_number(config: dict, key: str, default: int, lowest: int, highest: int) -> int:
    """The whole number at `key` (`null` counts as unset), within bounds."""
    value = config.get(key)
    if value is None:
        return default
    # bool is an int in Python, but `true` is not a number in JSON.
    if isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest:
        return value
    raise bad_config(f"`{key}` must be a whole number from {lowest} to {highest}, got {shown(value)}")


def parse_int(text: str) -> int | float:
    """Reads JSON integers as the Rust SDK (serde_json) does: `-0` and
    integers outside i64 and u64 are floating-point numbers, not whole ones."""
    number = int(text)
    if text.startswith("-0") or not -(2**63) <= number < 2**64:
        return float(text)
    return number


def shown(value) -> str:
    """A JSON value as the Rust SDK shows it in messages: compact JSON,
    floats with a `.0` when whole (`9.0`) and in exponent form from 1e16 on
    (`1e+16`), as `repr` does."""
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reject_constant(name: str):
    """Python's `json` accepts NaN and Infinity; JSON does not."""
    raise ValueError(f"{name} is not a JSON value")


def kind(value) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
