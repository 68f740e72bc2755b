"""Screenshots of the page for the README: both tabs, light and dark, desktop and phone.

Run: `.venv/bin/python -m tests.browser.screenshots` (writes docs/screenshots/*.png). It starts a
PostgreSQL as the tests do (TEST_DATABASE_URL, else Docker, else embedded), seeds the demo
workspace with the CLI (`seed`, `token create --role owner`), serves the app, and drives
Debian's Chromium.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import psycopg
from playwright.sync_api import Browser, ViewportSize, sync_playwright
from psycopg.conninfo import make_conninfo

from app.db.migrate import Runner
from tests.browser.figures import View
from tests.browser.live import REPO, launch_chromium, live_server
from tests.browser.pages import sign_in_with_cookie, wait_view
from tests.databases import server_url

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 360, "height": 800},
}
SCHEMES: tuple[Literal["light"], Literal["dark"]] = ("light", "dark")
TABS = ("usage", "errors")
DEMO = "demo"


def _cli(database_url: str, *args: str) -> str:
    """Runs `python -m app ARGS` on the database and returns its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"usage-dashboard {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _demo_database(admin_url: str) -> str:
    """A new migrated database with the demo workspace; returns its conninfo."""
    name = f"ud_screenshots_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(admin_url, dbname=name)
    Runner(url).up()
    _cli(url, "seed", "--workspace", DEMO, "--days", "365")
    return url


def _shoot(browser: Browser, base_url: str, token: str, out: Path, days: int) -> list[Path]:
    written = []
    for scheme in SCHEMES:
        for size, viewport in SIZES.items():
            context = browser.new_context(
                base_url=base_url,
                viewport=viewport,
                color_scheme=scheme,
                locale="en-US",
                timezone_id="UTC",
                is_mobile=size == "phone",
                has_touch=size == "phone",
            )
            try:
                sign_in_with_cookie(context, base_url, token)
                page = context.new_page()
                for tab in TABS:
                    view = View(DEMO, days=days, tz="UTC", tab=tab)
                    page.goto(view.path())
                    wait_view(page, view)
                    path = out / f"{tab}-{scheme}-{size}.png"
                    page.screenshot(path=str(path), full_page=True, animations="disabled")
                    written.append(path)
            finally:
                context.close()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--days", type=int, default=30, help="the period shown (default 30)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with server_url() as admin_url:
        database_url = _demo_database(admin_url)
        try:
            token = (
                _cli(
                    database_url,
                    "token",
                    "create",
                    "--email",
                    "demo@example.com",
                    "--workspace",
                    DEMO,
                    "--role",
                    "owner",
                )
                .strip()
                .splitlines()[-1]
            )
            with live_server(database_url) as server, sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    written = _shoot(browser, server.base_url, token, args.out, args.days)
                finally:
                    browser.close()
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for path in written:
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
