"""Time values from the gigstack API, made uniform.

The API mostly sends Unix seconds, but some fields are milliseconds, older data carries ISO
strings and Firestore-style ``{_seconds}`` objects (REFERENCE §1.9, §13 #11). Views should never
care: everything the client returns holds aware UTC ``datetime`` objects instead, and
:func:`to_local` turns them into Mexico City time for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

MEXICO_CITY = ZoneInfo("America/Mexico_City")

#: Numbers above this are milliseconds (10^12 s is the year 33658; 10^12 ms is 2001).
MS_THRESHOLD = 10**12

#: Field names converted wherever they appear in a response object.
TIME_FIELDS: frozenset[str] = frozenset(
    {
        "created_at",
        "succeeded_at",
        "stamp_at",
        "connected_at",
        "csd_expires_at",
        "last_login",
        "expires_at",
        "cancelled_at",
        "invoiced_at",
        "paid_at",
        "created",
        "validUntil",
        "credit_period_start",
        "timestamp",
    }
)

#: Subtrees holding the caller's own free-form data: their keys are not API fields.
OPAQUE_FIELDS: frozenset[str] = frozenset({"metadata"})

#: Subtrees whose schema has no time in it, not walked: a user's ``teams`` (UserTeam: id, name,
#: role) is one entry per team, 5,000 for a partner's owner.
UNTIMED_FIELDS: frozenset[str] = frozenset({"teams"})

_NOT_WALKED = OPAQUE_FIELDS | UNTIMED_FIELDS


def to_datetime(value: Any) -> datetime | None:
    """Turn any time form the API uses into an aware UTC datetime.

    Accepts Unix seconds or milliseconds (int, float or digit string), ISO-8601 strings (naive
    ones are taken as UTC), ``{"_seconds": …}`` / ``{"seconds": …}`` objects (with optional
    nanoseconds) and datetimes. ``None`` and ``""`` give ``None``. Anything else raises
    ``ValueError`` so callers can decide whether to keep the raw value.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int | float):
        return _from_number(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return _from_number(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not a recognised time string: {value!r}") from exc
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, Mapping):
        for key in ("_seconds", "seconds"):
            if key in value:
                seconds = float(value[key])
                nanos = value.get("_nanoseconds", value.get("nanoseconds", 0)) or 0
                return _from_number(seconds + float(nanos) / 1e9, allow_ms=False)
        raise ValueError("a time object needs _seconds or seconds")
    raise ValueError(f"unsupported time value of type {type(value).__name__}")


def _from_number(number: float, *, allow_ms: bool = True) -> datetime:
    if not math.isfinite(number):
        raise ValueError("time must be a finite number")
    if allow_ms and abs(number) > MS_THRESHOLD:
        number = number / 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"time out of range: {number}") from exc


def normalize_times(obj: Any, fields: Iterable[str] = TIME_FIELDS) -> Any:
    """Return a copy of ``obj`` with every known time field turned into a datetime.

    Walks dicts and lists recursively. Values that cannot be parsed are kept as they are: one
    odd field should not break a whole page. ``metadata`` subtrees are left alone.
    """
    names = fields if isinstance(fields, frozenset) else frozenset(fields)
    return _walk(obj, names)


def _walk(obj: Any, names: frozenset[str]) -> Any:
    # called for every object of every response: a shallow copy in C, then only the keys
    # that need work are touched (exact types: what a JSON decoder returns)
    if isinstance(obj, list):
        return [_walk(item, names) if type(item) in _CONTAINERS else item for item in obj]
    if not isinstance(obj, dict):
        return obj
    out = obj.copy()
    for key, value in obj.items():
        kind = type(value)
        if key in names and kind is not list and kind is not bool:
            try:
                out[key] = to_datetime(value)
            except (ValueError, TypeError):
                if kind is dict:
                    out[key] = _walk(value, names)
        elif kind in _CONTAINERS and key not in _NOT_WALKED:
            out[key] = _walk(value, names)
    return out


_CONTAINERS = frozenset({dict, list})


def to_unix_seconds(value: datetime | date | int | float) -> int:
    """Express a query bound (``created[gte]``…) as integer Unix seconds.

    Naive datetimes are taken as UTC; a plain ``date`` means its midnight in Mexico City, the
    calendar the API's users think in.
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return int(aware.timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, time.min, tzinfo=MEXICO_CITY).timestamp())
    if isinstance(value, int | float):
        number = float(value)
        return int(number / 1000 if abs(number) > MS_THRESHOLD else number)
    raise TypeError(f"cannot use {type(value).__name__} as a time bound")


def to_local(value: Any, tz: ZoneInfo = MEXICO_CITY) -> datetime | None:
    """A time in America/Mexico_City (or ``tz``); any form :func:`to_datetime` accepts."""
    moment = to_datetime(value)
    return None if moment is None else moment.astimezone(tz)


def format_local(value: Any, fmt: str = "%Y-%m-%d %H:%M", tz: ZoneInfo = MEXICO_CITY) -> str:
    """Format a time for people in Mexico City; ``""`` for a missing or unreadable value."""
    try:
        moment = to_local(value, tz)
    except (ValueError, TypeError):
        return ""
    return "" if moment is None else moment.strftime(fmt)
