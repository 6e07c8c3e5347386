"""What every test app would otherwise redo from scratch, done once per session.

Each app the suite builds has its own Jinja environment (so it compiled every template it
rendered again) and its own copy of the hashed, Brotli- and gzip-compressed static files.
Neither depends on the app: the compiled templates are shared through a Jinja bytecode cache
(keyed by template and checked against the source, so an edited template is compiled again),
and the static files are compressed once per content of ``static/`` and copied after.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from webapp import static_files


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates in process memory, for every app of the session."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = MemoryBytecodeCache()

_real_build = static_files.build
_built: dict[tuple, tuple[Path, dict[str, str]]] = {}


def _fingerprint(source: Path) -> tuple:
    return (
        str(source.resolve()),
        tuple(
            (p.relative_to(source).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(source.rglob("*"))
            if p.is_file()
        ),
    )


def _cached_build(source: Path, target: Path) -> dict[str, str]:
    """:func:`webapp.static_files.build`'s result, built once per content of ``source``."""
    key = _fingerprint(Path(source))
    if key not in _built:
        folder = Path(tempfile.mkdtemp(prefix="backoffice-static-cache-"))
        _built[key] = (folder, _real_build(source, folder))
    folder, manifest = _built[key]
    shutil.copytree(folder, target, dirs_exist_ok=True)
    return dict(manifest)


@contextmanager
def static_files_built_once() -> Iterator[None]:
    """While building an app: its static files come from the session's compressed copy."""
    with mock.patch.object(static_files, "build", _cached_build):
        yield


@atexit.register
def _clean_up() -> None:
    for folder, _ in _built.values():
        shutil.rmtree(folder, ignore_errors=True)
    _built.clear()
