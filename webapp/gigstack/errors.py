"""One exception hierarchy for everything that can go wrong talking to gigstack.

Views catch these instead of looking at HTTP statuses or envelopes: ``ValidationError`` puts
messages next to form fields, ``NotFound`` becomes a 404 page, ``Unavailable`` a "try again"
banner. :func:`parse_error` turns any error response — including the odd shapes the official
CLI learnt to cope with (REFERENCE §1.7) — into the right class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

Detail = dict[str, str]

# an API error code (``invalid_field_value``); anything else in ``error`` is a sentence
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


class GigstackError(Exception):
    """Base of every client error.

    ``code`` is an ApiErrorCode (or one derived from the HTTP status), ``status`` the HTTP status
    (None when no response arrived), ``details`` a list of ``{field, message}`` and
    ``retry_after`` the seconds the server asked us to wait, if any.
    """

    default_code = "api_error"

    def __init_subclass__(cls, code: str | None = None, **kwargs: Any) -> None:
        """``class NotFound(GigstackError, code="resource_not_found")``: the code it carries
        when the server names none."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.default_code = code

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[Detail] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status
        self.details: list[Detail] = list(details or [])
        self.retry_after = retry_after

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Messages per request field (``""`` collects the ones that name no field)."""
        out: dict[str, list[str]] = {}
        for detail in self.details:
            out.setdefault(detail.get("field") or "", []).append(detail.get("message") or "")
        return out

    def scrub(self, secret: str) -> None:
        """Remove a secret the server may have echoed back — in the message, the code (an
        ``error`` string becomes the code) or any detail — so it never reaches a log or page."""
        if not secret:
            return
        self.message = self.message.replace(secret, "***")
        self.code = self.code.replace(secret, "***")
        self.args = (self.message,)
        self.details = [
            {k: v.replace(secret, "***") if isinstance(v, str) else v for k, v in d.items()}
            for d in self.details
        ]

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{self.message} ({self.code}, {where})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, "
            f"status={self.status!r}, retry_after={self.retry_after!r})"
        )


class Unauthorized(GigstackError, code="unauthorized"):
    """401: the key is missing, malformed, unknown or revoked."""


class Forbidden(GigstackError, code="forbidden"):
    """403: Connect target not allowed, role too weak, or a file link expired."""


class NotFound(GigstackError, code="resource_not_found"):
    """404: unknown id or route, or an object of another team or mode."""


class ValidationError(GigstackError, code="validation_failed"):
    """400/413/422: the request was understood but refused; see ``field_errors``."""


class CfdiRejected(ValidationError, code="cfdi_service_error"):
    """422: the PAC/SAT rejected the CFDI (e.g. receiver data do not match SAT records)."""


class Conflict(GigstackError, code="resource_conflict"):
    """409: duplicate or state conflict (already cancelled, idempotency key reused…)."""


class RateLimited(GigstackError, code="rate_limit_exceeded"):
    """429: slow down; ``retry_after`` says for how long when the server told us."""


class Unavailable(GigstackError, code="service_unavailable"):
    """5xx or no usable answer: gigstack (or SAT/PAC behind it) is down for now."""


class CircuitOpen(Unavailable, code="circuit_open"):
    """Raised without calling out: recent calls failed, so we wait out a cooldown."""


class Timeout(Unavailable, code="timeout"):
    """The server did not answer within the timeout or the call's time budget."""


class ConnectionFailed(Unavailable, code="connection_failed"):
    """No connection could be made (refused, DNS, reset)."""


#: ApiErrorCode → class (REFERENCE §1.7). Unknown codes fall back to the status table.
CODE_CLASSES: dict[str, type[GigstackError]] = {
    "invalid_request_body": ValidationError,
    "missing_required_field": ValidationError,
    "invalid_field_value": ValidationError,
    "validation_failed": ValidationError,
    "business_rule_violation": ValidationError,
    "invalid_file_format": ValidationError,
    "file_upload_error": ValidationError,
    "unauthorized": Unauthorized,
    "invalid_token": Unauthorized,
    "forbidden": Forbidden,
    "insufficient_permissions": Forbidden,
    "operation_not_allowed": Forbidden,
    "resource_not_found": NotFound,
    "file_not_found": NotFound,
    "resource_already_exists": Conflict,
    "resource_conflict": Conflict,
    "cfdi_service_error": CfdiRejected,
    "rate_limit_exceeded": RateLimited,
    "internal_server_error": Unavailable,
    "database_error": Unavailable,
    "data_integrity_error": Unavailable,
    "external_service_error": Unavailable,
    "payment_processor_error": Unavailable,
    "service_unavailable": Unavailable,
}

#: HTTP status → (class, code used when the body names none).
STATUS_CLASSES: dict[int, tuple[type[GigstackError], str]] = {
    400: (ValidationError, "invalid_request_body"),
    401: (Unauthorized, "unauthorized"),
    403: (Forbidden, "forbidden"),
    404: (NotFound, "resource_not_found"),
    405: (Forbidden, "operation_not_allowed"),
    409: (Conflict, "resource_conflict"),
    413: (ValidationError, "file_upload_error"),
    422: (CfdiRejected, "cfdi_service_error"),
    429: (RateLimited, "rate_limit_exceeded"),
    500: (Unavailable, "internal_server_error"),
    502: (Unavailable, "external_service_error"),
    503: (Unavailable, "service_unavailable"),
    504: (Unavailable, "service_unavailable"),
}


def class_for_status(status: int) -> tuple[type[GigstackError], str]:
    """The error class and fallback code for an HTTP status."""
    if status in STATUS_CLASSES:
        return STATUS_CLASSES[status]
    if status >= 500:
        return Unavailable, "service_unavailable"
    return GigstackError, f"http_{status}"


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date); None if absent/bad."""
    if not headers:
        return None
    raw = None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value
            break
    if raw is None:
        return None
    raw = str(raw).strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _decode_body(body: Any) -> Any:
    if isinstance(body, bytes | bytearray):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(body, str):
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None
    return body


def _normalize_details(raw: Any) -> list[Detail]:
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, str):
        return [{"field": "", "message": raw}]
    if isinstance(raw, Mapping):
        raw = [raw]
    out: list[Detail] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                field = item.get("field") or item.get("path") or item.get("param") or ""
                message = item.get("message") or item.get("msg") or ""
                out.append({"field": str(field), "message": str(message)})
            elif item is not None:
                out.append({"field": "", "message": str(item)})
    return out


def parse_error(
    status: int, body: Any = None, headers: Mapping[str, str] | None = None
) -> GigstackError:
    """Build the typed error for a failed response (REFERENCE §1.7).

    ``body`` may be bytes, text or already-decoded JSON. code = ``error`` if a string, else
    ``error.code``; text = ``error.message`` ?? ``message`` ?? ``"API error <status>"``;
    details = ``details`` ?? ``error.details``. Known codes pick the class; unknown ones are
    mapped by status. Also used for ``success: false`` on a 2xx.
    """
    data = _decode_body(body)
    code: str | None = None
    message: str | None = None
    raw_details: Any = None
    field: Any = None
    if isinstance(data, Mapping):
        error = data.get("error")
        if isinstance(error, str) and error:
            if CODE_SHAPE.fullmatch(error):
                code = error
            else:  # a human sentence, not a code: it is what the user should read
                message = error
        elif isinstance(error, Mapping):
            err_code = error.get("code")
            code = str(err_code) if err_code else None
            err_msg = error.get("message")
            message = str(err_msg) if err_msg else None
            raw_details = error.get("details")
            field = error.get("field")
        top_msg = data.get("message")
        if message is None and isinstance(top_msg, str) and top_msg:
            message = top_msg
        if data.get("details") is not None:
            raw_details = data.get("details")
        if field is None:
            field = data.get("field")
        if isinstance(data.get("code"), str) and code is None:
            code = data["code"]

    status_cls, status_code = class_for_status(status)
    if 200 <= status < 300:
        status_cls, status_code = GigstackError, "api_error"
    cls = CODE_CLASSES.get(code or "", status_cls)
    if status == 422 and issubclass(cls, ValidationError):
        cls = CfdiRejected
    details = _normalize_details(raw_details)
    if isinstance(field, str) and field and not any(d["field"] == field for d in details):
        # a field named beside the message lands on that field, like ``details`` do
        details.append({"field": field, "message": message or ""})
    return cls(
        message or f"API error {status}",
        code=code or status_code,
        status=status,
        details=details,
        retry_after=parse_retry_after(headers),
    )
