"""The sandbox's error type: one exception that knows its HTTP status and API error code.

Route code raises :class:`ApiError`; the app turns it into the contract's error envelope
(REFERENCE §1.7). Statuses per code live in one table so a correction is one line.
"""

from __future__ import annotations

from typing import Any

# REFERENCE §1.7 (HTTP column inferred except where the docs say otherwise).
STATUS_BY_CODE: dict[str, int] = {
    "invalid_request_body": 400,
    "missing_required_field": 400,
    "invalid_field_value": 400,
    "validation_failed": 400,
    "business_rule_violation": 400,
    "invalid_file_format": 400,
    "file_upload_error": 413,
    "unauthorized": 401,
    "invalid_token": 401,
    "forbidden": 403,
    "insufficient_permissions": 403,
    "operation_not_allowed": 403,
    "resource_not_found": 404,
    "file_not_found": 404,
    "resource_already_exists": 409,
    "resource_conflict": 409,
    "cfdi_service_error": 422,
    "rate_limit_exceeded": 429,
    "internal_server_error": 500,
    "database_error": 500,
    "data_integrity_error": 500,
    "external_service_error": 502,
    "payment_processor_error": 502,
    "service_unavailable": 503,
}

# A status the fault injector may be asked for, mapped to the code the API would send.
CODE_BY_STATUS: dict[int, str] = {
    400: "invalid_field_value",
    401: "invalid_token",
    403: "forbidden",
    404: "resource_not_found",
    405: "operation_not_allowed",
    409: "resource_conflict",
    413: "file_upload_error",
    422: "cfdi_service_error",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
    502: "external_service_error",
    503: "service_unavailable",
    504: "service_unavailable",
}


class ApiError(Exception):
    """An error answer of the API: status, code, display message and field details."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON error envelope; every 400 carries ``details`` (possibly empty)."""
        payload: dict[str, Any] = {"message": self.message, "error": self.code}
        if self.details is not None or self.status == 400:
            payload["details"] = list(self.details or [])
        return payload


def field_error(code: str, field: str, message: str) -> ApiError:
    """A single-field 400-class error whose ``details`` names the field."""
    return ApiError(code, f"{field}: {message}", details=[{"field": field, "message": message}])


def not_found(what: str) -> ApiError:
    """404 for an unknown id (the message names the resource, e.g. "Client not found")."""
    return ApiError("resource_not_found", f"{what} not found")


def conflict(message: str) -> ApiError:
    return ApiError("resource_conflict", message)
