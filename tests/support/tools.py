"""External tools some tests need: skip locally when absent, fail in CI (REQUIRE_PDF_TOOLS=1)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str, package: str = "poppler-utils") -> str:
    """Path of ``name``; skips the test when missing, unless CI said the tool is mandatory."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} ({package}) is not installed"
    if os.environ.get("REQUIRE_PDF_TOOLS") == "1":
        pytest.fail(message + " and REQUIRE_PDF_TOOLS=1", pytrace=False)
    pytest.skip(message)
