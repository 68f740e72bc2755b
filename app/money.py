"""Money as integer ticks (1 tick = 1e-10 USD) until the one rounding to dollars on the wire."""

from __future__ import annotations

TICKS_PER_USD = 10**10
TICKS_PER_MICRO_USD = TICKS_PER_USD // 10**6


def whole_ticks(text: str) -> int:
    """A tick sum the database sent as the text of a whole number, as an int; refuses a
    fraction, which would mean a bad price."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"a tick amount must be whole, got {text}") from None


def usd(ticks: int) -> float:
    """Ticks in US dollars, rounded half-even to 6 decimals (exact in JSON up to $1e9).

    Integer arithmetic, then one correctly rounded division: the float nearest to the rounded
    decimal, as float(Decimal) would give, at a fraction of its cost per row.
    """
    micro, rest = divmod(ticks, TICKS_PER_MICRO_USD)
    if rest > TICKS_PER_MICRO_USD // 2 or (rest == TICKS_PER_MICRO_USD // 2 and micro % 2 == 1):
        micro += 1
    return micro / 1_000_000
