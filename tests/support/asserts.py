"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_api_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The response is the contract's error envelope with this status, code (and field)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    if field is not None:
        assert field in [d["field"] for d in body["details"]], body
    return body
