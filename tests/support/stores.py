"""The servers some tests run on besides SQLite and process memory: PostgreSQL and Redis.

``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` name them (``tools/test-services`` starts both;
``.ci/run`` does so and sets ``REQUIRE_POSTGRES=1`` / ``REQUIRE_REDIS=1``). Without them those
variants are skipped, saying so, unless required.
"""

from __future__ import annotations

import os

import pytest


def _server(variable: str, required: str, what: str) -> str:
    url = os.environ.get(variable)
    if url:
        return url
    message = f"{what} not configured: set {variable} (tools/test-services starts one)"
    if os.environ.get(required) == "1":
        pytest.fail(f"{message}, and {required}=1", pytrace=False)
    pytest.skip(message)


def _worker() -> int | None:
    """The number of this pytest-xdist worker (``gw3`` → 3), None in a plain run."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") else None


_created: set[str] = set()


def _postgres() -> str:
    """``TEST_DATABASE_URL`` for SQLAlchemy; under pytest-xdist each worker gets a database
    of its own beside it (``…_gw0``, created on first use), as tests empty theirs."""
    import sqlalchemy as sa

    from webapp.config import database_url

    url = database_url(_server("TEST_DATABASE_URL", "REQUIRE_POSTGRES", "PostgreSQL"), "")
    worker = _worker()
    if worker is None:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_gw{worker}"
    if name not in _created:
        engine = sa.create_engine(base, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                exists = connection.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not exists:
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        _created.add(name)
    return base.set(database=name).render_as_string(hide_password=False)


def postgres_url() -> str:
    """A PostgreSQL database emptied for this test (every table, type and migration gone)."""
    import sqlalchemy as sa

    url = _postgres()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


def postgres_migrated_url() -> str:
    """A PostgreSQL database at the latest migration with every table empty, for this test
    (migrated once per session, emptied per test: see :mod:`tests.support.migrated`)."""
    from tests.support import migrated

    url = _postgres()
    migrated.reset_postgres(url)
    return url


def redis_url() -> str:
    """A Redis database emptied for this test (under pytest-xdist, the worker's own)."""
    import redis

    url = _server("TEST_REDIS_URL", "REQUIRE_REDIS", "Redis")
    worker = _worker()
    if worker is not None:  # under pytest-xdist: a database number per worker (1, 2, …)
        assert worker < 15, "Redis has 16 databases: at most 15 workers (PYTEST_WORKERS)"
        from urllib.parse import urlsplit, urlunsplit

        url = urlunsplit(urlsplit(url)._replace(path=f"/{worker + 1}"))
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


def start_redis_server(folder) -> tuple[str, object]:
    """A Redis of the test's own on a free loopback port (to stop it mid-test): (url, process)."""
    import shutil
    import subprocess
    import time

    import redis

    from tests.support.processes import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message + ", and REQUIRE_REDIS=1", pytrace=False)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return url, process
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
