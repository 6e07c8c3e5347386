"""Client library for the gigstack e-invoicing API v2 (no Flask; usable from a plain script).

    from webapp.gigstack import GigstackClient, NotFound

    with GigstackClient(key, base_url) as api:
        for client in api.clients.iter(limit=100):
            ...
        scoped = api.for_team("team_abc")          # gigstack Connect
        page = scoped.invoices.list("income", status="valid")

Calls return plain Python objects (dicts, lists, :class:`Page`, str, bytes) with times as
aware UTC datetimes, and raise the typed errors below. See DESIGN.md, "The gigstack client".
"""

from __future__ import annotations

import uuid as _uuid

from .breaker import CircuitBreaker
from .client import DEFAULT_BASE_URL, DEFAULT_BUDGET, DEFAULT_TIMEOUT, GigstackClient, TeamScope
from .errors import (
    CfdiRejected,
    CircuitOpen,
    Conflict,
    ConnectionFailed,
    Forbidden,
    GigstackError,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
    ValidationError,
    parse_error,
)
from .files import Download
from .keys import KeyInfo, decode_key
from .pagination import DEFAULT_MAX_PAGES, Page, iter_items, iter_pages
from .resources import CSF_UPLOAD_PATH, normalize_invoice, normalize_receipt
from .retry import RetryPolicy, is_retry_safe
from .timestamps import MEXICO_CITY, format_local, normalize_times, to_datetime, to_local


def new_idempotency_key() -> str:
    """A fresh key for a create form: render it once, resubmits then cannot double-create."""
    return _uuid.uuid4().hex


__all__ = [
    "CSF_UPLOAD_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_TIMEOUT",
    "MEXICO_CITY",
    "CfdiRejected",
    "CircuitBreaker",
    "CircuitOpen",
    "Conflict",
    "ConnectionFailed",
    "Download",
    "Forbidden",
    "GigstackClient",
    "GigstackError",
    "KeyInfo",
    "NotFound",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "TeamScope",
    "Timeout",
    "Unauthorized",
    "Unavailable",
    "ValidationError",
    "decode_key",
    "format_local",
    "is_retry_safe",
    "iter_items",
    "iter_pages",
    "new_idempotency_key",
    "normalize_invoice",
    "normalize_receipt",
    "normalize_times",
    "parse_error",
    "to_datetime",
    "to_local",
]
