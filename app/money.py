"""Money as integer ticks (1 tick = 1e-10 USD) until the one rounding to dollars on the wire."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

TICKS_PER_USD = 10**10
TICKS_PER_TOKEN_PER_USD_PER_MILLION = TICKS_PER_USD // 10**6
_MICRO_USD = Decimal("0.000001")


def whole_ticks(value: Decimal | int) -> int:
    """A tick sum from the database as an int; refuses a fraction, which would mean a bad price."""
    if isinstance(value, int):
        return value
    if value != value.to_integral_value():
        raise ValueError(f"a tick amount must be whole, got {value}")
    return int(value)


def usd(ticks: int) -> float:
    """Ticks in US dollars, rounded half-even to 6 decimals (exact in JSON up to $1e9)."""
    return float((Decimal(ticks).scaleb(-10)).quantize(_MICRO_USD, rounding=ROUND_HALF_EVEN))
