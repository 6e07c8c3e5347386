"""Invoice files: downloaded bytes, the filename the server suggests, and ZIP bundles.

gigstack hands out short-lived signed URLs for a CFDI's PDF and XML (REFERENCE §11) and has no
ZIP route (§13 #44), so the back office zips the two itself.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Download:
    """A downloaded file: its bytes, MIME type and the filename the server suggested."""

    content: bytes
    content_type: str
    filename: str | None

    def __repr__(self) -> str:
        return (
            f"Download(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.content)})"
        )


def filename_from(disposition: str | None, url: str = "") -> str | None:
    """Filename from ``Content-Disposition`` (``filename=`` or RFC 2231 ``filename*=``).

    Falls back to the URL's last path segment; path separators are neutralised so the name is
    safe to reuse when saving.
    """
    name: str | None = None
    if disposition:
        msg = Message()
        msg["content-disposition"] = disposition
        name = msg.get_filename()
    if not name and url:
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not name:
        return None
    return name.replace("/", "_").replace("\\", "_")


def safe_stem(text: str) -> str:
    """A string usable as a file name inside a ZIP (no separators, no odd characters)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text.strip()) or "file"


def build_zip(members: Mapping[str, bytes]) -> bytes:
    """ZIP (deflated) holding ``name → bytes``, in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
