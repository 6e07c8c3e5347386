"""Settings from the environment (12-factor): one class per mode, no secret defaulted.

``GIGSTACK_API_KEY`` decides where the dashboard points: with a key, the real API (or
``GIGSTACK_API_URL``); without one, the built-in sandbox with demo data.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_API_URL = "https://api.gigstack.io/v2"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    """Settings common to every mode."""

    SECRET_KEY: str | None = _env("SECRET_KEY")
    GIGSTACK_API_KEY: str | None = _env("GIGSTACK_API_KEY")
    GIGSTACK_API_URL: str = _env("GIGSTACK_API_URL", DEFAULT_API_URL) or DEFAULT_API_URL
    # A sandbox already running elsewhere (gunicorn's master, ``python -m webapp.sandbox``).
    GIGSTACK_SANDBOX_URL: str | None = _env("GIGSTACK_SANDBOX_URL")
    GIGSTACK_SANDBOX_KEY: str | None = _env("GIGSTACK_SANDBOX_KEY")
    SANDBOX_KEY_NAME: str = _env("SANDBOX_KEY_NAME", "partner_test") or "partner_test"
    SANDBOX_PORT: int = int(_env("SANDBOX_PORT", "0") or 0)
    SANDBOX_SCALE: int = int(_env("SANDBOX_SCALE", "1") or 1)
    GIGSTACK_TIMEOUT_CONNECT: float = float(_env("GIGSTACK_TIMEOUT_CONNECT", "3.05") or 3.05)
    GIGSTACK_TIMEOUT_READ: float = float(_env("GIGSTACK_TIMEOUT_READ", "10") or 10)
    GIGSTACK_BUDGET_SECONDS: float = float(_env("GIGSTACK_BUDGET_SECONDS", "20") or 20)
    PAGE_SIZE: int = 25
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    TESTING = False


class DevelopmentConfig(Config):
    """``make run``: the sandbox by default, a throwaway secret key if none is set."""


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    GIGSTACK_API_KEY = None
    GIGSTACK_SANDBOX_URL = None
    GIGSTACK_SANDBOX_KEY = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings for ``APP_ENV`` (default development) with ``overrides`` applied."""
    overrides = dict(overrides or {})
    env = overrides.pop("APP_ENV", None) or _env("APP_ENV", "development")
    base = CONFIGS.get(env or "development", DevelopmentConfig)
    settings = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    settings["APP_ENV"] = env
    settings.update(overrides)
    return settings
