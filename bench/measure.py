"""Timing helpers: progress lines, p50 of repeated runs, medians."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Awaitable, Callable

_STARTED = time.perf_counter()


def elapsed_s() -> float:
    """Seconds since the suite started (module import)."""
    return time.perf_counter() - _STARTED


def log(message: str) -> None:
    """One progress line on stderr, stamped with the time since the start."""
    print(f"[{elapsed_s():7.1f}s] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    """The median; fails loudly on no values rather than reporting a made-up figure."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


async def time_ms(action: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds one awaited call takes."""
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000.0


async def p50_ms(action: Callable[[], Awaitable[object]], runs: int, warmup: int = 1) -> float:
    """Median milliseconds of `runs` calls after `warmup` untimed ones (caches, plans, pools)."""
    for _ in range(warmup):
        await action()
    return median([await time_ms(action) for _ in range(runs)])


async def side_by_side_p50_ms(
    first: Callable[[], Awaitable[object]],
    second: Callable[[], Awaitable[object]],
    runs: int,
    rounds: int = 5,
) -> tuple[float, float]:
    """Medians of `runs` calls of each action, timed in `rounds` alternating batches after one
    warm-up call each: on a machine whose speed drifts from minute to minute, both see it alike."""
    await first()
    await second()
    first_ms: list[float] = []
    second_ms: list[float] = []
    batch = max(1, runs // rounds)
    for _ in range(rounds):
        first_ms += [await time_ms(first) for _ in range(batch)]
        second_ms += [await time_ms(second) for _ in range(batch)]
    return median(first_ms), median(second_ms)
