"""Helpers of the tests that run the real server as a child process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the service reads from its environment: the parent's values must not leak into a child.
_SERVICE_PREFIXES = ("DATABASE_", "USAGE_DASHBOARD_", "ROLLUP_", "PROMETHEUS_")
_SERVICE_NAMES = {"HOST", "PORT", "WEB_CONCURRENCY", "LOG_FORMAT"}


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(*args: str, env: Mapping[str, str], stderr: int = subprocess.STDOUT) -> subprocess.Popen[str]:
    """`python -m app serve ARGS` with only the given service settings, its output unbuffered on a
    pipe, so a test waits for a line the server prints instead of sleeping."""
    child_env = {
        k: v for k, v in os.environ.items() if not k.startswith(_SERVICE_PREFIXES) and k not in _SERVICE_NAMES
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", *args],
        cwd=ROOT,
        env={**child_env, **env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
