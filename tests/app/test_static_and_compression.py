"""Static files under content-hashed names, cached forever and compressed ahead of time;
pages and fragments compressed on the way out."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli

from tests.support.paths import REPO_ROOT

STATIC = REPO_ROOT / "static"
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_pages_link_assets_by_content_hash(client):
    linked = assets(client.get("/sign-in").get_data(as_text=True))
    assert len(linked) == 4  # favicon, stylesheet, htmx, app.js
    for url in linked:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", url), url


def test_hashed_assets_are_immutable_and_identical_to_the_source(client):
    for url in assets(client.get("/sign-in").get_data(as_text=True)):
        answer = client.get(url)
        assert answer.status_code == 200, url
        cache_control = answer.headers["Cache-Control"]
        assert "immutable" in cache_control and "max-age=315360000" in cache_control, url
        plain = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", url.removeprefix("/static/"))
        assert answer.data == (STATIC / plain).read_bytes(), url
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_changed_file_gets_a_new_name(tmp_path):
    from webapp.static_files import build

    source = tmp_path / "static"
    (source / "css").mkdir(parents=True)
    (source / "css" / "app.css").write_text("body { color: black }" * 100)
    first = build(source, tmp_path / "one")["css/app.css"]
    (source / "css" / "app.css").write_text("body { color: navy }" * 100)
    second = build(source, tmp_path / "two")["css/app.css"]
    assert first != second and first.startswith("css/app.") and first.endswith(".css")
    # compressed ahead of time, next to the hashed copy
    assert {p.name for p in (tmp_path / "two" / "css").iterdir()} == {
        Path(second).name,
        Path(second).name + ".br",
        Path(second).name + ".gz",
    }


def test_assets_come_compressed_as_the_browser_asks(client):
    htmx = next(u for u in assets(client.get("/sign-in").get_data(as_text=True)) if "htmx" in u)
    source = (STATIC / "js" / "htmx-2.0.11.min.js").read_bytes()
    as_brotli = client.get(htmx, headers={"Accept-Encoding": "gzip, br"})
    assert as_brotli.headers["Content-Encoding"] == "br"
    assert brotli.decompress(as_brotli.data) == source
    as_gzip = client.get(htmx, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == source
    assert "Accept-Encoding" in as_gzip.headers["Vary"]


def test_plain_names_still_answer_with_a_short_cache(client):
    answer = client.get("/static/css/app.css")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "max-age=60, public"


def test_pages_and_fragments_are_compressed(admin):
    page = admin.get("/audit/", headers={"Accept-Encoding": "br, gzip"})
    assert page.headers["Content-Encoding"] == "br"
    assert "<html" in brotli.decompress(page.data).decode()
    htmx = {"HX-Request": "true"}
    assert len(admin.get("/team/options?q=a", headers=htmx).data) > 500  # worth compressing
    fragment = admin.get("/team/options?q=a", headers={**htmx, "Accept-Encoding": "gzip"})
    assert fragment.headers["Content-Encoding"] == "gzip"
    assert b"team-option" in gzip.decompress(fragment.data)
    plain = admin.get("/audit/")
    assert "Content-Encoding" not in plain.headers and b"<html" in plain.data
