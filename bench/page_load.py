"""The page in headless Chromium: navigation to the last chart drawn, and the bytes it loads.

The page sets `body[data-state=ready]` once every card of the view is drawn (its charts
included), so the time to that state, measured from just before navigation, is the time a person
waits. Each run is a new browser context (no cache, no cookies but the session), as on a first
visit of the day.
"""

from __future__ import annotations

import gzip
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from playwright.async_api import Page, Response, async_playwright

from bench.http_load import HOST
from bench.measure import log
from tests.browser.live import CHROMIUM, CHROMIUM_ARGS

_READY_TIMEOUT_MS = 60_000
_ASSET_TYPES = {"script", "stylesheet"}


@dataclass(frozen=True)
class PageFigures:
    """p50 navigation-to-ready per window length, and the gzipped JS + CSS of one load."""

    ready_ms: dict[int, float]
    asset_bytes_gzip: int


async def _signed_in(page: Page, base: str, token: str) -> None:
    response = await page.request.post(
        f"{base}/auth/sign-in", data={"token": token}, headers={"Origin": base}
    )
    if response.status != 204:
        raise RuntimeError(f"sign-in answered {response.status}: {await response.text()}")


async def _time_to_ready(page: Page, url: str) -> float:
    started = time.perf_counter()
    await page.goto(url)
    await page.wait_for_selector("body[data-state=ready]", timeout=_READY_TIMEOUT_MS)
    return (time.perf_counter() - started) * 1000


async def measure_page(port: int, token: str, slug: str, days: tuple[int, ...], runs: int) -> PageFigures:
    """Times the page for each window (after one warm-up load) and weighs its assets."""
    base = f"http://{HOST}:{port}"
    ready: dict[int, float] = {}
    assets: dict[str, int] = {}

    async def weigh(response: Response) -> None:
        if response.request.resource_type in _ASSET_TYPES and response.ok:
            assets[response.url] = len(gzip.compress(await response.body(), compresslevel=9))

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for window in days:
                url = f"{base}/?{urlencode({'ws': slug, 'days': window, 'tz': 'UTC', 'tab': 'usage'})}"
                samples = []
                for run in range(runs + 1):
                    context = await browser.new_context(viewport={"width": 1280, "height": 900})
                    page = await context.new_page()
                    page.on("response", weigh)
                    await _signed_in(page, base, token)
                    elapsed = await _time_to_ready(page, url)
                    await context.close()
                    if run:  # the first load warms the server's pools and caches
                        samples.append(elapsed)
                ready[window] = statistics.median(samples)
                log(f"page_ms.{window} = {ready[window]:.0f} ms (p50 of {runs})")
        finally:
            await browser.close()
    return PageFigures(ready_ms=ready, asset_bytes_gzip=sum(assets.values()))
