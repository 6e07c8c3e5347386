"""Validate the sandbox's traffic against ``shared/gigstack-api/openapi.yaml`` (openapi-core).

A WSGI middleware sees every request and response of the sandbox over real HTTP. Every
response is validated; a request is validated when it was sent by our client library (its
User-Agent starts with ``gigstack-backoffice``) — tests that send deliberately bad requests
with plain ``requests`` are checked on the response side only.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request, Response

from .paths import OPENAPI_PATH

CLIENT_AGENT_PREFIX = "gigstack-backoffice"
# Unknown routes and methods have no schema to check against (their JSON shape is asserted
# by the tests that send them).
OUTSIDE_CONTRACT = frozenset({"PathNotFound", "OperationNotFound"})


@cache
def contract() -> OpenAPI:
    return OpenAPI.from_file_path(str(OPENAPI_PATH))


class ContractRecorder:
    """Collects contract violations; tests fail on any (see conftest)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.violations: list[str] = []
        self.checked = 0

    def take(self) -> list[str]:
        with self.lock:
            found, self.violations = self.violations, []
            return found

    def add(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)


class ContractMiddleware:
    """Buffers each response, validates it, then passes it on unchanged."""

    def __init__(self, app: Any, recorder: ContractRecorder) -> None:
        self.app = app
        self.recorder = recorder

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not (path.startswith("/v2") or path.startswith("/files/")):
            return self.app(environ, start_response)
        request = Request(environ)
        body = request.get_data(cache=True)  # read once: the validator and the app both need it
        environ["wsgi.input"] = io.BytesIO(body)
        response = Response.from_app(self.app, environ)
        self._check(request, response)
        return response(environ, start_response)

    def _check(self, request: Request, response: Response) -> None:
        spec = contract()
        openapi_request = WerkzeugOpenAPIRequest(request)
        label = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
        if request.headers.get("User-Agent", "").startswith(CLIENT_AGENT_PREFIX):
            errors = [
                _describe(e)
                for e in spec.iter_request_errors(openapi_request)
                if type(e).__name__ not in OUTSIDE_CONTRACT and not _binary_parts_only(e)
            ]
            if errors:
                self.recorder.add(f"request {label}: {_explain(errors)}")
        skipped = set(OUTSIDE_CONTRACT)
        if response.mimetype != "application/json":
            # openapi-core 0.23 cannot check file bodies against `type: string` +
            # `contentMediaType` (it wants `format: binary`); status and headers are still
            # checked, and the file tests assert the bytes themselves.
            skipped.add("InvalidData")
        errors = [
            _describe(e)
            for e in spec.iter_response_errors(openapi_request, WerkzeugOpenAPIResponse(response))
            if type(e).__name__ not in skipped
        ]
        if errors:
            body = response.get_data()[:400]
            self.recorder.add(f"response {label}: {_explain(errors)} body={body!r}")
        with self.recorder.lock:
            self.recorder.checked += 1


def _binary_parts_only(error: Exception) -> bool:
    """True when the only complaint is a multipart file part (bytes) "not of type 'string'".

    openapi-core 0.23 reads file parts as bytes and cannot match them to OpenAPI 3.1's
    `type: string` + `contentMediaType` (the request-side twin of the skip in `_check`). A
    body with any other problem is still reported in full.
    """
    found: list[Any] = []
    cause = error.__cause__ or error.__context__
    while cause is not None:
        found.extend(getattr(cause, "schema_errors", None) or [])
        cause = cause.__cause__ or cause.__context__
    return bool(found) and all(
        e.validator == "type" and isinstance(e.instance, bytes) for e in found
    )


def _describe(error: Exception) -> str:
    """openapi-core wraps the useful part (schema errors) in causes; dig them out."""
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts.extend(
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in schema_errors
            )
        else:
            parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return " | ".join(parts)


def _explain(errors: list[str]) -> str:
    return "; ".join(errors)[:2000]
