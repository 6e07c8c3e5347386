"""Helpers for the ``webapp.sat`` tests: where the shared SAT test files live, and loading them.

``shared/`` is a sibling of the repository root (``<root>/../shared``); it is located relative
to this file so the tests run wherever the two checkouts sit side by side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "12345678a"
# The two *_valid certificates run 2023-05-18 → 2027-05-17/18: freeze the clock inside that.
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def shared_dir() -> Path:
    """The ``shared`` directory next to the repository root."""
    return (REPO_ROOT / ".." / "shared").resolve()


def sat_certs_dir() -> Path:
    """``shared/sat-test-certs``; skips (visibly, see ``-ra``) when the checkout lacks it."""
    path = shared_dir() / "sat-test-certs"
    if not path.is_dir():
        pytest.skip(f"SAT test certificates not found at {path}")
    return path


@cache
def sat_file(name: str) -> bytes:
    """Bytes of one file in ``shared/sat-test-certs``, e.g. ``csd_moral_EKU9003173C9_valid.cer``."""
    return (sat_certs_dir() / name).read_bytes()


def pair(stem: str) -> tuple[bytes, bytes]:
    """(.cer, .key) bytes of one shared pair, by file stem."""
    return sat_file(f"{stem}.cer"), sat_file(f"{stem}.key")
