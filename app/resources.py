"""Where the SQL files live: inside the wheel when installed, else at the repository root."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def sql_dir(name: str) -> Path:
    """The `queries` or `migrations` folder the running code was built with."""
    packaged = _PACKAGE / "_sql" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
