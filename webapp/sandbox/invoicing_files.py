"""Signed, short-lived download links for invoice files (REFERENCE §11, §13 #45).

A link is ``<origin>/files/<token>?expires=<unix s>&signature=<hmac>``: the token names the
invoice and the file kind, the HMAC-SHA256 (key ``store.file_secret``) covers token and
expiry, so a link cannot be edited into another file or a longer life. No auth header is
needed: the link itself is the credential, hence the short life.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from .errors import ApiError
from .store import Store

FILE_KINDS = ("pdf", "xml")
LINK_SECONDS = 600


def _signature(store: Store, token: str, expires: int) -> str:
    message = f"{token}.{expires}".encode()
    return hmac.new(store.file_secret, message, hashlib.sha256).hexdigest()


def make_token(uuid: str, kind: str) -> str:
    raw = f"{uuid}:{kind}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def file_url(store: Store, origin: str, uuid: str, kind: str) -> str:
    """A fresh signed link to one file of the invoice ``uuid``."""
    token = make_token(uuid, kind)
    expires = store.clock.now() + LINK_SECONDS
    query = urlencode({"expires": expires, "signature": _signature(store, token, expires)})
    return f"{origin.rstrip('/')}/files/{token}?{query}"


def file_urls(
    store: Store, origin: str, invoice: dict[str, Any], kinds: tuple[str, ...] = FILE_KINDS
) -> dict[str, str]:
    """``{pdf?, xml?}`` links for ``invoice``."""
    return {kind: file_url(store, origin, invoice["uuid"], kind) for kind in kinds}


def open_link(
    store: Store, token: str, expires: str | None, signature: str | None
) -> tuple[str, str]:
    """``(uuid, kind)`` of a valid link; 403 when expired or tampered, 404 when unknown."""
    forbidden = ApiError(
        "forbidden", "This file link is invalid or has been altered; ask for a new one"
    )
    try:
        expires_at = int(expires or "")
    except ValueError:
        raise forbidden from None
    expected = _signature(store, token, expires_at)
    # compare_digest refuses non-ASCII text: such a signature is simply wrong
    if not signature or not signature.isascii() or not hmac.compare_digest(expected, signature):
        raise forbidden
    if store.clock.now() > expires_at:
        raise ApiError("forbidden", "This file link has expired; ask for a new one")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        uuid, kind = raw.rsplit(":", 1)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError("file_not_found", "File not found") from None
    if kind not in FILE_KINDS:
        raise ApiError("file_not_found", "File not found")
    return uuid, kind
