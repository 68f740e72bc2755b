"""Price versions: parsing and checking them (CLI values, CSV files, the shipped table).

A price is USD per million tokens with at most four decimals, so ticks per token (price x 10^4)
are whole and every cost is exact. Nothing here touches the database: callers validate a whole
input first and write it in one statement, so bad input writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import msgspec

CSV_COLUMNS = ("key", "effective_from", "input", "output", "cache_read", "cache_write")
PRICE_COLUMNS = CSV_COLUMNS[2:]
SHIPPED_PRICES = Path(__file__).resolve().parent / "data" / "default_prices.csv"
EPOCH = datetime.date(1970, 1, 1)
_MAX_KEY_LENGTH = 200
_PRICE = re.compile(r"[0-9]+(\.[0-9]{1,4})?")
_TOO_PRECISE = re.compile(r"[0-9]+\.[0-9]{5,}")
_NEGATIVE = re.compile(r"-[0-9]+(\.[0-9]+)?")
# A sanity bound, far above any model's price: a larger figure is a typo (cents for dollars).
MAX_PRICE = Decimal(1_000_000)


class PriceError(ValueError):
    """Price input that cannot be stored; the message is one line."""


class PriceVersion(msgspec.Struct, frozen=True):
    """One version of one key's prices, in USD per million tokens, from effective_from on."""

    key: str
    effective_from: datetime.date
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal


class PriceListing(msgspec.Struct, frozen=True):
    """A version in force and where it comes from: "shipped" or "operator"."""

    version: PriceVersion
    source: str


def parse_key(text: str) -> str:
    """A price key as given: non-empty, no surrounding or control characters."""
    if not text or text != text.strip():
        raise PriceError(f"key must be non-empty without surrounding spaces, got {text!r}")
    if len(text) > _MAX_KEY_LENGTH or not text.isprintable():
        raise PriceError(f"key must be at most {_MAX_KEY_LENGTH} printable characters, got {text[:40]!r}")
    return text


def parse_date(text: str) -> datetime.date:
    """A UTC date written YYYY-MM-DD, not before 1970-01-01."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise PriceError(f"effective date must be a date (YYYY-MM-DD), got {text!r}") from None
    if day < EPOCH:
        raise PriceError(f"effective date must be 1970-01-01 or later, got {text}")
    return day


def parse_price(name: str, text: str) -> Decimal:
    """A price in USD per million tokens: a plain non-negative number with at most 4 decimals."""
    written = text.strip()
    if _NEGATIVE.fullmatch(written):
        raise PriceError(f"{name} must not be negative, got {written}")
    if _TOO_PRECISE.fullmatch(written):
        raise PriceError(f"{name} may have at most 4 decimals, got {written}")
    if not _PRICE.fullmatch(written):
        raise PriceError(f"{name} must be a number of USD per million tokens like 2.5, got {text!r}")
    value = Decimal(written)
    if value > MAX_PRICE:
        raise PriceError(f"{name} must be at most {MAX_PRICE} USD per million tokens, got {written}")
    return value


def price_version(key: str, effective_from: str, prices: dict[str, str]) -> PriceVersion:
    """A checked version from its text fields."""
    return PriceVersion(
        key=parse_key(key),
        effective_from=parse_date(effective_from),
        input=parse_price("input", prices["input"]),
        output=parse_price("output", prices["output"]),
        cache_read=parse_price("cache_read", prices["cache_read"]),
        cache_write=parse_price("cache_write", prices["cache_write"]),
    )


def parse_price_csv(text: str, source: str) -> list[PriceVersion]:
    """Every version of a CSV with the header key,effective_from,input,output,cache_read,cache_write.

    All or nothing: the first bad line raises, naming source and line.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise PriceError(f"{source}: empty file, expected the header {','.join(CSV_COLUMNS)}")
    names = [h.strip() for h in header]
    unknown = [n for n in names if n not in CSV_COLUMNS]
    missing = [c for c in CSV_COLUMNS if c not in names]
    if unknown or missing or len(names) != len(CSV_COLUMNS):
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if not problems:
            problems.append("a column appears twice")
        raise PriceError(f"{source}: {'; '.join(problems)}; expected the header {','.join(CSV_COLUMNS)}")
    versions: list[PriceVersion] = []
    seen: set[tuple[str, datetime.date]] = set()
    for line_number, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            raise PriceError(f"{source} line {line_number}: expected {len(names)} fields, got {len(fields)}")
        row = dict(zip(names, fields, strict=True))
        try:
            version = price_version(row["key"], row["effective_from"].strip(), row)
        except PriceError as exc:
            raise PriceError(f"{source} line {line_number}: {exc}") from None
        if (version.key, version.effective_from) in seen:
            raise PriceError(
                f"{source} line {line_number}: {version.key} from {version.effective_from} appears twice"
            )
        seen.add((version.key, version.effective_from))
        versions.append(version)
    return versions


def format_price_csv(versions: list[PriceVersion]) -> str:
    """The CSV that parse_price_csv reads back to the same versions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in versions:
        writer.writerow(
            [v.key, v.effective_from.isoformat(), *(format_price(getattr(v, c)) for c in PRICE_COLUMNS)]
        )
    return out.getvalue()


def shipped_prices() -> list[PriceVersion]:
    """The default table shipped in the package."""
    return parse_price_csv(SHIPPED_PRICES.read_text(encoding="utf-8"), SHIPPED_PRICES.name)


def format_price(value: Decimal) -> str:
    """A price without exponent or trailing zeros (3, 0.25, 3.125)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
