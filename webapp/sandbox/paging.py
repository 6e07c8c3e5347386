"""List parameters and keyset pagination (REFERENCE §1.8).

Cursors are opaque tokens over the sort key ``(value, id)`` of the last item served, bound to
a fingerprint of the filters and sort, so inserts never shift pages and a cursor reused with
other filters is rejected.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request

from .errors import field_error

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
SEARCH_MAX_CHARS = 200


@dataclass
class ListParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    sort: str = "desc"
    order_by: str = "timestamp"
    created_gte: int | None = None
    created_lte: int | None = None
    filters: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        state = [
            self.sort,
            self.order_by,
            self.created_gte,
            self.created_lte,
            sorted(self.filters.items()),
        ]
        return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:16]


def parse_limit(raw: str | None) -> int:
    """``limit`` 1–100, default 10; anything else → 400 naming ``limit``."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise field_error(
            "invalid_field_value", "limit", "must be a whole number from 1 to 100"
        ) from None
    if not 1 <= value <= MAX_LIMIT:
        raise field_error("invalid_field_value", "limit", "must be from 1 to 100")
    return value


def parse_search(missing: str) -> tuple[str, int]:
    """A search's ``q`` (stripped, 1–200 characters; ``missing`` is the message when absent)
    and ``limit``."""
    query = (request.args.get("q") or "").strip()
    if not query:
        raise field_error("missing_required_field", "q", missing)
    if len(query) > SEARCH_MAX_CHARS:
        raise field_error(
            "invalid_field_value", "q", f"must be at most {SEARCH_MAX_CHARS} characters"
        )
    return query, parse_limit(request.args.get("limit"))


def _parse_int(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise field_error("invalid_field_value", name, "must be a Unix time in seconds") from None


def parse_list_params(filters: Mapping[str, Callable[[str], str]] | None = None) -> ListParams:
    """Read the common list query plus per-resource ``filters``.

    ``filters`` maps a query name to a normaliser that returns the canonical value or raises
    an :class:`ApiError` (a value outside the enum → 400).
    """
    args = request.args
    params = ListParams(limit=parse_limit(args.get("limit")), cursor=args.get("next") or None)
    sort = args.get("sort") or "desc"
    if sort not in ("asc", "desc"):
        raise field_error("invalid_field_value", "sort", "must be asc or desc")
    order_by = args.get("order_by") or "timestamp"
    if order_by not in ("timestamp", "name"):
        raise field_error("invalid_field_value", "order_by", "must be timestamp or name")
    params.sort, params.order_by = sort, order_by
    params.created_gte = _parse_int("created[gte]")
    params.created_lte = _parse_int("created[lte]")
    for name, normalise in (filters or {}).items():
        raw = args.get(name)
        if raw not in (None, ""):
            params.filters[name] = normalise(raw)
    return params


def _encode(key: list[Any], fingerprint: str) -> str:
    raw = json.dumps({"k": key, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(cursor: str, fingerprint: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        state = json.loads(raw)
        key, fp = state["k"], state["f"]
        if not isinstance(key, list) or len(key) not in (2, 3):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise field_error("invalid_field_value", "next", "is not a valid cursor") from None
    if fp != fingerprint:
        raise field_error(
            "invalid_field_value", "next", "belongs to a list with other filters or sort"
        )
    return key


def paginate(
    items: Iterable[dict[str, Any]],
    params: ListParams,
    *,
    id_of: Callable[[dict[str, Any]], str] = lambda obj: obj["id"],
    created_of: Callable[[dict[str, Any]], int] = lambda obj: obj["created_at"],
    name_of: Callable[[dict[str, Any]], str] = lambda obj: str(obj.get("name") or ""),
    matches: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[list[dict[str, Any]], bool, int, str | None]:
    """Filter, sort and cut one page: ``(page, has_more, total_results, next)``."""
    selected = []
    for obj in items:
        created = created_of(obj)
        if params.created_gte is not None and created < params.created_gte:
            continue
        if params.created_lte is not None and created > params.created_lte:
            continue
        if matches is not None and not matches(obj):
            continue
        selected.append(obj)

    if params.order_by == "name":

        def sort_key(obj: dict[str, Any]) -> list[Any]:
            return [name_of(obj).casefold(), id_of(obj)]
    else:

        def sort_key(obj: dict[str, Any]) -> list[Any]:
            # insertion order (``_seq``) orders objects created within the same second
            return [created_of(obj), obj.get("_seq", 0), id_of(obj)]

    keyed = sorted(((sort_key(obj), obj) for obj in selected), key=lambda pair: pair[0])
    if params.sort == "desc":
        keyed.reverse()
    total = len(keyed)
    start = 0
    fingerprint = params.fingerprint()
    if params.cursor:
        after = _decode(params.cursor, fingerprint)
        keys = [pair[0] for pair in keyed]
        if params.sort == "asc":
            start = bisect.bisect_right(keys, after)
        else:
            # keys are descending: find the first key strictly smaller than the cursor
            negated = [_Reverse(k) for k in keys]
            start = bisect.bisect_right(negated, _Reverse(after))
    page = keyed[start : start + params.limit]
    has_more = start + params.limit < total
    next_cursor = _encode(page[-1][0], fingerprint) if has_more and page else None
    return [obj for _, obj in page], has_more, total, next_cursor


def client_name_of(document: dict[str, Any]) -> str:
    """``order_by=name`` for documents (invoices, payments, receipts): the client's name."""
    client = document.get("client") or {}
    return str(client.get("name") or client.get("legal_name") or "")


class _Reverse:
    """Inverts ordering so bisect works on a descending list."""

    __slots__ = ("key",)

    def __init__(self, key: list[Any]) -> None:
        self.key = key

    def __lt__(self, other: _Reverse) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and other.key == self.key
