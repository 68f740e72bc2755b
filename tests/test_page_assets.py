"""GET / and /static/<version>/: the page, its versioned asset paths, cache headers, CSP and size budget."""

from __future__ import annotations

import gzip
import re

from app.page.assets import STATIC_DIR, asset_version
from tests.conftest import Client

# page.md: JS + CSS at most 150 KB gzipped.
ASSET_BUDGET_GZIP = 150_000


async def test_the_page_is_html_never_cached_with_a_strict_content_security_policy(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_every_asset_url_carries_the_version_and_exists(client: Client) -> None:
    html = (await client.get("/")).text
    assert "__ASSET_VERSION__" not in html
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert urls
    for url in urls:
        assert url.startswith(f"/static/{asset_version()}/")
        asset = await client.get(url)
        assert asset.status_code == 200, url
        directives = {d.strip() for d in asset.headers["cache-control"].split(",")}
        assert directives == {"public", "max-age=31536000"}


async def test_assets_are_sent_gzipped(client: Client) -> None:
    response = await client.get(f"/static/{asset_version()}/style.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (STATIC_DIR / "style.css").read_bytes()


async def test_modules_are_served_as_javascript(client: Client) -> None:
    response = await client.get(f"/static/{asset_version()}/app.js")
    assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}


async def test_an_unknown_asset_or_an_old_version_is_a_json_404(client: Client) -> None:
    for path in (f"/static/{asset_version()}/nope.js", "/static/0000000000000000/app.js", "/static/app.js"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "not found"}


async def test_head_of_the_page_works(client: Client) -> None:
    response = await client.head("/")
    assert response.status_code == 200
    assert response.content == b""


def test_the_page_references_no_other_origin() -> None:
    for path in [STATIC_DIR.parent / "index.html", *STATIC_DIR.rglob("*")]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path


def test_javascript_and_css_fit_the_size_budget() -> None:
    total = sum(
        len(gzip.compress(path.read_bytes(), compresslevel=9))
        for path in STATIC_DIR.rglob("*")
        if path.suffix in {".js", ".css"}
    )
    assert total <= ASSET_BUDGET_GZIP
