"""The page's files, shipped in the package, and the version stamped into their URLs."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PAGE_DIR = Path(__file__).parent
STATIC_DIR = PAGE_DIR / "static"
_VERSION_MARK = "__ASSET_VERSION__"


@cache
def asset_version() -> str:
    """A digest of every static file: asset paths carry it, so a release never meets a cached old file."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def index_html() -> bytes:
    """index.html with the asset version in every asset path."""
    text = (PAGE_DIR / "index.html").read_text(encoding="utf-8")
    return text.replace(_VERSION_MARK, asset_version()).encode()
