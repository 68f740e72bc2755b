"""Where the test PostgreSQL comes from: TEST_DATABASE_URL, else Docker, else embedded."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.db.embedded import start_embedded

_DOCKER_SOCKET = Path("/var/run/docker.sock")


def _docker_answers() -> bool:
    """True when a Docker engine answers on its socket (probing avoids testcontainers' warnings)."""
    if not _DOCKER_SOCKET.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(_DOCKER_SOCKET))
            sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"OK" in sock.recv(1024)
    except OSError:
        return False


@contextmanager
def server_url() -> Iterator[str]:
    """A conninfo for a server where tests may create and drop databases."""
    explicit = os.environ.get("TEST_DATABASE_URL", "").strip()
    if explicit:
        yield explicit
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    # The server deletes its data directory when the test process exits (cleanup_mode).
    yield start_embedded(Path(tempfile.mkdtemp(prefix="usage-dashboard-tests-")), cleanup="delete")
