"""Fixtures for the dashboard: the Flask app wired to the session sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from webapp import create_app


def make_app(api_url: str, key: str, **overrides) -> Flask:
    return create_app({"APP_ENV": "testing", "GIGSTACK_SANDBOX_URL": api_url,
                       "GIGSTACK_SANDBOX_KEY": key, "WTF_CSRF_ENABLED": True, **overrides})


@pytest.fixture
def app(sandbox, keys) -> Iterator[Flask]:
    application = make_app(sandbox.api_url, keys["partner_test"]["key"])
    yield application
    application.extensions["gigstack"].close()


@pytest.fixture
def client(app):
    return app.test_client()
