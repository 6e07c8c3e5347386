"""Settings from the environment (12-factor): one class per mode, no secret defaulted.

``GIGSTACK_API_KEY`` decides where the dashboard points: with a key, the real API (or
``GIGSTACK_API_URL``); without one, the built-in sandbox with demo data. The environment is
read when an app is created, not at import time, so a value set later (e.g. by gunicorn's
master before it forks workers) is seen.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_API_URL = "https://api.gigstack.io/v2"

# name -> (type, default) of every setting that may come from the environment
ENVIRONMENT: dict[str, tuple[type, Any]] = {
    "SECRET_KEY": (str, None),
    "GIGSTACK_API_KEY": (str, None),
    "GIGSTACK_API_URL": (str, DEFAULT_API_URL),
    # a sandbox already running elsewhere (gunicorn's master, ``python -m webapp.sandbox``)
    "GIGSTACK_SANDBOX_URL": (str, None),
    "GIGSTACK_SANDBOX_KEY": (str, None),
    "SANDBOX_KEY_NAME": (str, "partner_test"),
    "SANDBOX_PORT": (int, 0),
    "SANDBOX_SCALE": (int, 1),
    "GIGSTACK_TIMEOUT_CONNECT": (float, 3.05),
    "GIGSTACK_TIMEOUT_READ": (float, 10.0),
    "GIGSTACK_BUDGET_SECONDS": (float, 20.0),
}


class Config:
    """Settings common to every mode (environment values are layered on top by :func:`load`)."""

    PAGE_SIZE = 25
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    TESTING = False
    READ_ENVIRONMENT = True


class DevelopmentConfig(Config):
    """``make run``: the sandbox by default, a throwaway secret key if none is set."""


class TestingConfig(Config):
    """Tests pass what they need explicitly; the developer's environment is ignored."""

    TESTING = True
    READ_ENVIRONMENT = False
    SECRET_KEY = "test-secret-key-not-for-production"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Typed settings from the environment; unset or empty variables take their default."""
    env = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name, (kind, default) in ENVIRONMENT.items():
        raw = env.get(name)
        settings[name] = kind(raw) if raw not in (None, "") else default
    return settings


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings for ``APP_ENV`` (default development) with ``overrides`` applied."""
    overrides = dict(overrides or {})
    env_name = overrides.pop("APP_ENV", None) or os.environ.get("APP_ENV") or "development"
    base = CONFIGS.get(env_name, DevelopmentConfig)
    defaults = {name: default for name, (_, default) in ENVIRONMENT.items()}
    settings = {**defaults, **{n: getattr(base, n) for n in dir(base) if n.isupper()}}
    if base.READ_ENVIRONMENT:
        settings.update(from_environment())
    settings["APP_ENV"] = env_name
    settings.update(overrides)
    return settings
