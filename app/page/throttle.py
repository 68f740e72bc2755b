"""Slows down repeated wrong tokens from one client (page.md: sign-in is rate limited).

Kept in process memory: each app process limits on its own, which bounds guessing to a few
attempts per second per client and process; a token has 256 random bits, so that is plenty.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

FREE_FAILURES = 5
"""Wrong tokens a client may send before it has to wait."""
FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 300.0
FORGET_AFTER_SECONDS = 900.0
"""A client with no failure for this long starts over."""
_MAX_CLIENTS = 10_000


class _Record:
    __slots__ = ("failures", "last_failure")

    def __init__(self, now: float) -> None:
        self.failures = 0
        self.last_failure = now


class SignInThrottle:
    """Counts wrong tokens per client; after FREE_FAILURES, each attempt waits a doubling delay."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def _record(self, client: str) -> _Record | None:
        record = self._records.get(client)
        if record is not None and self._clock() - record.last_failure > FORGET_AFTER_SECONDS:
            del self._records[client]
            return None
        return record

    def retry_after(self, client: str) -> int:
        """Whole seconds the client must wait before its next attempt; 0 when it may try now."""
        record = self._record(client)
        if record is None or record.failures < FREE_FAILURES:
            return 0
        delay = min(FIRST_DELAY_SECONDS * 2 ** (record.failures - FREE_FAILURES), MAX_DELAY_SECONDS)
        wait: int = math.ceil(record.last_failure + delay - self._clock())
        return max(0, wait)

    def failed(self, client: str) -> None:
        """Notes a wrong token from the client."""
        record = self._record(client) or _Record(self._clock())
        record.failures += 1
        record.last_failure = self._clock()
        self._records[client] = record
        self._records.move_to_end(client)
        while len(self._records) > _MAX_CLIENTS:
            self._records.popitem(last=False)

    def succeeded(self, client: str) -> None:
        """A right token clears the client's failures."""
        self._records.pop(client, None)
