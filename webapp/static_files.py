"""Static files: served by WhiteNoise ahead of Flask, under content-hashed names, compressed
ahead of time and cached by browsers forever (``immutable``).

When a process starts, each file of ``static/`` is copied once to a temporary folder as
``name.<hash>.ext`` plus its Brotli and gzip variants (WhiteNoise's own compressor), and
``url_for('static', …)`` hands out the hashed name, so a changed file is a new URL and nothing
is ever revalidated. The plain names stay served with a short max-age, for anything that
links to them directly.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from webapp.security import baseline_headers

HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PLAIN_MAX_AGE = 60


def hashed_name(relative: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.<12 hex of its SHA-256>.css``."""
    path = Path(relative)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return path.with_name(f"{path.stem}.{digest}{path.suffix}").as_posix()


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy ``source`` into ``target`` under hashed names, compressed; plain → hashed name."""
    manifest: dict[str, str] = {}
    compressor = Compressor(quiet=True)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source).as_posix()
        content = path.read_bytes()
        manifest[relative] = hashed_name(relative, content)
        copy = target / manifest[relative]
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(content)
        if compressor.should_compress(copy.name):
            compressor.compress(str(copy))
    return manifest


class _SecureWhiteNoise(WhiteNoise):
    """WhiteNoise whose files carry the same security headers as every page."""

    def serve(self, static_file: Any, environ: dict, start_response: Any) -> Any:
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list, exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *baseline_headers(secure).items()], exc_info)

        return WhiteNoise.serve(static_file, environ, start)


def init_app(app: Flask) -> None:
    source = Path(app.static_folder or "static")
    target = Path(tempfile.mkdtemp(prefix="backoffice-static-"))
    atexit.register(shutil.rmtree, target, True)
    manifest = build(source, target)
    served = _SecureWhiteNoise(
        app.wsgi_app,
        max_age=PLAIN_MAX_AGE,
        immutable_file_test=lambda _path, url: bool(HASHED_NAME.search(url)),
    )
    served.add_files(str(source), prefix=app.static_url_path)
    served.add_files(str(target), prefix=app.static_url_path)
    app.wsgi_app = served
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def hashed_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
