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


class ConfigError(SystemExit):
    """A setting that makes starting pointless: exits with its one-line message, no trace."""

    def __init__(self, message: str) -> None:
        super().__init__(f"configuration error: {message}")


def flag(raw: str) -> bool:
    """``1/true/yes/on`` (any case) is on; anything else is off."""
    return raw.strip().lower() in {"1", "true", "yes", "on"}


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
    "SANDBOX_TEAMS": (int, 0),
    "GIGSTACK_TIMEOUT_CONNECT": (float, 3.05),
    "GIGSTACK_TIMEOUT_READ": (float, 10.0),
    "GIGSTACK_BUDGET_SECONDS": (float, 20.0),
    # the back office's own tables (staff, audit); SQLite under instance/ when unset
    "DATABASE_URL": (str, None),
    # demo admin ensured by ``make run`` on the sandbox (never with a real key)
    "DEMO_ADMIN_EMAIL": (str, "admin@demo.gigstack.test"),
    "DEMO_ADMIN_PASSWORD": (str, "demo-gigstack-2026"),
    # shared state for several processes: sign-in throttle counts and every cache; unset =
    # per-process memory (fine for one dyno)
    "REDIS_URL": (str, None),
    # Heroku Data for Redis serves rediss:// with a self-signed certificate: encrypt, but do
    # not verify it (set by app.json; never needed for a Redis with a real certificate)
    "REDIS_TLS_SKIP_VERIFY": (flag, False),
    # where Flask-Limiter keeps its counters; defaults to REDIS_URL, else memory://
    "RATELIMIT_STORAGE_URI": (str, None),
    # behind a TLS-terminating router (Heroku): trust one hop of X-Forwarded-*
    "TRUST_PROXY_HOPS": (int, 0),
    # "json" (one object a line, production default) or "text" (development default)
    "LOG_FORMAT": (str, None),
    "LOG_LEVEL": (str, "INFO"),
    # production refuses SQLite (ephemeral disk); a throwaway benchmark may allow it
    "ALLOW_SQLITE": (flag, False),
    # pooled connections to gigstack per process: at least the server's threads per worker
    "GIGSTACK_POOL_MAXSIZE": (int, 32),
    # SAT wants a payment complement by this day of the month after the payment (REP monitor)
    "REP_DEADLINE_DAY": (int, 5),
    # how far back the REP monitor reads payments and complements
    "REP_LOOKBACK_DAYS": (int, 180),
    # background jobs (webapp/jobs): where the queue lives — redis://…, sqlite:///path or
    # memory:// — default REDIS_URL, else a SQLite file under instance/
    "JOBS_QUEUE_URL": (str, None),
    # gigstack calls a job keeps in flight per team, and started per second by all workers
    "JOBS_TEAM_CONCURRENCY": (int, 4),
    "JOBS_RATE_PER_SECOND": (float, 20.0),
    # a running job's lease: renewed every third of it; one not renewed is taken over
    "JOBS_LEASE_SECONDS": (float, 30.0),
    # a job paused on gigstack (breaker open, 429) this long in all ends as failed
    "JOBS_PAUSE_LIMIT_SECONDS": (float, 900.0),
    # files jobs make: kept this many days, then deleted by a periodic job
    "JOBS_FILES_DAYS": (int, 7),
    # files jobs make, on S3-compatible storage when a bucket is set (else under instance/)
    "FILES_S3_BUCKET": (str, None),
    "FILES_S3_ENDPOINT_URL": (str, None),
    "FILES_S3_REGION": (str, None),
    "FILES_S3_ACCESS_KEY_ID": (str, None),
    "FILES_S3_SECRET_ACCESS_KEY": (str, None),
    # the local folder of those files when no bucket is set (default instance/job-files)
    "FILES_DIR": (str, None),
    # this back office's address as gigstack reaches it (https://backoffice.example.com):
    # webhooks registered for the search index post to <it>/hooks/gigstack
    "PUBLIC_BASE_URL": (str, None),
}


class Config:
    """Settings common to every mode (environment values are layered on top by :func:`load`)."""

    PAGE_SIZE = 25
    # uploads: a CSD pair (1 MiB a file at most) or a CSF PDF (5 MiB). Files up to this size
    # reach the form, which says on the field what the limit is; beyond it, a 413 page
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    TESTING = False
    READ_ENVIRONMENT = True
    # session cookie: HttpOnly, Lax, Secure whenever the request came over HTTPS
    # (webapp.auth.sessions); idle and absolute limits are enforced on the server as well
    SESSION_COOKIE_NAME = "backoffice_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_SECONDS = 30 * 60
    SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
    REMEMBER_COOKIE_DURATION = 0
    # CSRF is checked after sign-in (webapp.auth.setup), so an expired session on a POST is
    # sent to sign-in rather than refused as a stale form; a token lives as long as the session
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    # OWASP 2023: PBKDF2-HMAC-SHA256 with at least 600,000 iterations
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"
    SIGN_IN_LIMITS = "10 per minute;100 per hour"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "es_MX"
    BABEL_DEFAULT_TIMEZONE = "America/Mexico_City"
    LANGUAGES = {"es_MX": "Español", "en": "English"}
    # how long the list of teams the key reaches is reused before asking gigstack again
    TEAM_LIST_TTL_SECONDS = 60
    # sign-in throttling when Redis is unreachable: per-process counts instead (still
    # throttled, never a 500); a Redis that hangs is given up on quickly
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    REDIS_SOCKET_TIMEOUT_SECONDS = 0.5
    CACHE_KEY_PREFIX = "backoffice:"
    CACHE_DEFAULT_TIMEOUT = 300
    # responses: Brotli, else gzip; small ones are not worth it
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    COMPRESS_BR_LEVEL = 4
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = ["text/html", "text/csv", "application/json", "text/plain"]
    # all the gigstack calls of one web request together: under gunicorn's 25 s and the
    # router's 30 s, whatever the page does (each call also has GIGSTACK_BUDGET_SECONDS)
    PAGE_BUDGET_SECONDS = 22.0
    # /readyz: how long each dependency may take to answer
    READY_TIMEOUT_SECONDS = 2.0
    # gigstack's webhook events (webapp/search/hooks.py): per sender, the largest body, and
    # the time its re-read may take (gigstack waits 5 s for the answer)
    HOOKS_LIMITS = "1200 per minute"
    HOOKS_MAX_BYTES = 256 * 1024
    HOOKS_BUDGET_SECONDS = 4.0


class DevelopmentConfig(Config):
    """``make run``: the sandbox by default, a throwaway secret key if none is set."""


class TestingConfig(Config):
    """Tests pass what they need explicitly; the developer's environment is ignored."""

    TESTING = True
    READ_ENVIRONMENT = False
    SECRET_KEY = "test-secret-key-not-for-production"
    # a real hash, cheaper: the suite signs in hundreds of times
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    DATABASE_URL = "sqlite://"
    # jobs wait in this process's memory until a test runs them (tests/app/jobs.py)
    JOBS_QUEUE_URL = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    # Heroku-like routers terminate TLS and add one X-Forwarded-For/-Proto hop
    TRUST_PROXY_HOPS = 1


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Typed settings that are set (non-empty) in the environment; the rest keep their default."""
    env = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name, (kind, _default) in ENVIRONMENT.items():
        raw = env.get(name)
        if raw not in (None, ""):
            settings[name] = kind(raw)
    return settings


def database_url(url: str | None, instance_path: str) -> str:
    """SQLAlchemy URL: ``DATABASE_URL`` (Heroku's ``postgres://`` accepted) or instance SQLite."""
    if not url:
        return f"sqlite:///{os.path.join(instance_path, 'backoffice.sqlite3')}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings for ``APP_ENV`` (default development) with ``overrides`` applied."""
    overrides = dict(overrides or {})
    env_name = overrides.pop("APP_ENV", None) or os.environ.get("APP_ENV") or "development"
    if env_name not in CONFIGS:
        raise ConfigError(f"APP_ENV={env_name!r} is not one of {', '.join(CONFIGS)}")
    base = CONFIGS[env_name]
    defaults = {name: default for name, (_, default) in ENVIRONMENT.items()}
    settings = {**defaults, **{n: getattr(base, n) for n in dir(base) if n.isupper()}}
    if base.READ_ENVIRONMENT:
        settings.update(from_environment())
    settings["APP_ENV"] = env_name
    settings.update(overrides)
    return derive(settings)


def derive(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings that follow from others: one ``REDIS_URL`` moves throttle and caches to Redis."""
    redis_url = settings.get("REDIS_URL")
    timeout = settings["REDIS_SOCKET_TIMEOUT_SECONDS"]
    if not settings.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    if settings["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        settings.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                **redis_tls_options(settings["RATELIMIT_STORAGE_URI"], settings),
            },
        )
    # the Redis client itself is made (and pinged) by webapp.cache when the app is built
    settings.setdefault("CACHE_TYPE", "RedisCache" if redis_url else "SimpleCache")
    if not settings.get("LOG_FORMAT"):
        settings["LOG_FORMAT"] = "json" if settings["APP_ENV"] == "production" else "text"
    return settings


def redis_tls_options(url: str, settings: dict[str, Any]) -> dict[str, Any]:
    """redis-py options for ``REDIS_TLS_SKIP_VERIFY`` on a ``rediss://`` URL."""
    if url.startswith("rediss://") and settings.get("REDIS_TLS_SKIP_VERIFY"):
        return {"ssl_cert_reqs": "none"}
    return {}


def check(settings: dict[str, Any]) -> None:
    """Refuse to start on settings that cannot work (one line naming the setting)."""
    production = settings["APP_ENV"] == "production"
    if not settings.get("SECRET_KEY") and (production or settings.get("GIGSTACK_API_KEY")):
        raise ConfigError(
            "SECRET_KEY is not set; production and a real API key need one long random value "
            "shared by every process (e.g. `openssl rand -base64 48`)"
        )
    if (
        production
        and not settings.get("ALLOW_SQLITE")
        and not (settings.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))
    ):
        raise ConfigError(
            "DATABASE_URL must point at PostgreSQL in production (SQLite on an ephemeral disk "
            "loses every staff account and the audit log at each restart)"
        )
    if settings.get("LOG_FORMAT") not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT={settings.get('LOG_FORMAT')!r} is not json or text")
