"""A real server process (`python -m app serve`) and a headless Chromium, for tests and screenshots."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
# these machines' closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Readiness: /healthz is polled at most this many times, waiting for the process between polls.
_READY_ATTEMPTS = 300
_POLL_WAIT_SECONDS = 0.1


@dataclass(frozen=True)
class LiveServer:
    """A running `serve` process: its base URL and the database it reads."""

    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _wait_until_healthy(server: LiveServer) -> None:
    """Polls GET /healthz until it answers 200; fails with the server's log if it never does."""
    for _ in range(_READY_ATTEMPTS):
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            code = server.process.wait(timeout=_POLL_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"serve exited with {code} before it was ready:\n{_log_tail(server.log)}")
    raise RuntimeError(f"serve did not become healthy:\n{_log_tail(server.log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (it and its granian workers), SIGKILL if stuck."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def live_server(database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`python -m app serve` on a free port of 127.0.0.1 for database_url, stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "USAGE_DASHBOARD_ROLLUP_SCHEDULER": "off",
        **(extra_env or {}),
    }
    log = Path(tempfile.mkstemp(prefix="usage-dashboard-serve-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), "--host", "127.0.0.1"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, process, log)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        _stop(process)
        log.unlink(missing_ok=True)


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless (never a browser Playwright downloads)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
