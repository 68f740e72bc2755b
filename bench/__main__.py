"""Entry point: `python -m bench [--scale small|full] [--out DIR]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from app.config import ConfigError, load_settings
from bench.runner import run_suite
from bench.scale import SCALES, scale_named

DEFAULT_OUT = Path(__file__).resolve().parent


def build_parser() -> argparse.ArgumentParser:
    """The suite's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Seed fresh databases (embedded PostgreSQL unless DATABASE_URL is set), measure "
        "the dashboard's reads, HTTP serving and rollup upkeep, and write "
        "<out>/results/latest.json and <out>/RESULTS.md.",
    )
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default="full",
        help="full: 2M tasks, ~15 min (the published figures); small: a smoke run under 2 min",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the suite; exit 1 when an area failed (the others' figures are still written)."""
    args = build_parser().parse_args(argv)
    try:
        database_url = load_settings().database_url
    except ConfigError as exc:
        print(f"python -m bench: error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_suite(scale_named(args.scale), args.out, database_url))


if __name__ == "__main__":
    sys.exit(main())
