"""Keep secrets out of log lines.

Log lines name the call (method, path, status, duration), never headers, file bytes or
passwords. Query strings and request bodies pass through :func:`redact` first, which masks any
field whose name says it is a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

MASK = "***"

#: Field names (lower-cased) whose values are credentials.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "password",
        "keypass",
        "key",
        "cert",
        "api_key",
        "apikey",
        "authorization",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "signature",
        "sello",
    }
)


def is_secret_field(name: str) -> bool:
    """True for names like ``password``, ``keyPass``, ``api_key``, ``signature``."""
    return name.lower() in SECRET_FIELDS


def redact(value: Any) -> Any:
    """Copy of a query/body structure with credential fields replaced by ``***``."""
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_field(k) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def describe_query(params: Mapping[str, Any] | None) -> str:
    """``?a=1&b=***`` for a log line (empty when there are no parameters)."""
    if not params:
        return ""
    safe = redact(dict(params))
    return "?" + "&".join(f"{k}={v}" for k, v in safe.items())


def describe_url(url: str) -> str:
    """Scheme, host and path of a (signed) URL, without its query: the signature stays out."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def describe_multipart(files: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> str:
    """Part names and sizes of an upload, never their contents."""
    described: list[str] = []
    for name, part in (files or {}).items():
        content = part[1] if isinstance(part, tuple) and len(part) > 1 else part
        size = len(content) if isinstance(content, bytes | bytearray) else "?"
        described.append(f"{name}=<{size} bytes>")
    for name in data or {}:
        described.append(f"{name}={MASK}")
    return ", ".join(described)
