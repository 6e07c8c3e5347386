"""The dashboard as a Heroku-like platform runs it: gunicorn with gunicorn.conf.py, settings
from the environment, refusals in one line, one session key for every worker, JSON logs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import requests

from tests.support.processes import REPO_ROOT, clean_environment, gunicorn, run_to_exit
from webapp.sandbox.seed import seed
from webapp.sandbox.store import Clock, Store

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser_sign_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/sign-in", timeout=10).text
    signed = browser.post(
        f"{url}/sign-in",
        timeout=10,
        allow_redirects=False,
        data={"csrf_token": CSRF.search(form).group(1), "email": email, "password": password},
    )
    assert signed.status_code == 302, signed.text[:300]
    return browser


def test_workers_share_one_sandbox_started_by_the_master(tmp_path):
    with gunicorn(
        WEB_CONCURRENCY="2", DATABASE_URL=f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    ) as server:
        line = server.wait_for_line("sandbox for all workers at")
        master_sandbox = re.search(r"sandbox for all workers at (\S+)", line).group(1)
        # change state through the master's sandbox: every worker must see it
        key = seed(Store(clock=Clock())).key_by_name("partner_test").token
        created = requests.post(
            f"{master_sandbox}/teams",
            timeout=10,
            headers={"Authorization": f"Bearer {key}"},
            json={"brand": {"alias": "Equipo Compartido"}},
        )
        assert created.status_code == 201, created.text
        # the master prepared the database and the demo admin; sign in as a browser would
        browser = browser_sign_in(server.url, "admin@demo.gigstack.test", "demo-gigstack-2026")
        # the team's own page on every worker (the directory's list is a copy each worker
        # loaded at start, before this team existed: it shows within the list's TTL)
        team = created.json()["data"]["id"]
        pages = [browser.get(f"{server.url}/teams/{team}/", timeout=10) for _ in range(8)]
        assert all(p.status_code == 200 and "SANDBOX" in p.text for p in pages)
        assert all("Equipo Compartido" in p.text for p in pages)


def test_without_secret_key_every_worker_accepts_the_same_session(sandbox, keys, tmp_path):
    """With a sandbox already running (GIGSTACK_SANDBOX_URL) and no SECRET_KEY, the master
    makes one key for all workers; before, each worker invented its own."""
    database = f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
    from tests.app.conftest import add_staff, make_app

    setup = make_app(sandbox.api_url, keys["partner_test"]["key"], DATABASE_URL=database)
    add_staff(setup, "worker@staff.test", "viewer", password="a long password for workers")
    setup.extensions["gigstack"].close()
    with gunicorn(
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        DATABASE_URL=database,
        GIGSTACK_SANDBOX_URL=sandbox.api_url,
        GIGSTACK_SANDBOX_KEY=keys["partner_test"]["key"],
    ) as server:
        assert "SECRET_KEY is not set" in server.wait_for_line("SECRET_KEY")
        browser = browser_sign_in(server.url, "worker@staff.test", "a long password for workers")
        # one thread per worker and fresh connections: the requests spread over both workers
        answers = [
            requests.get(
                f"{server.url}/audit/", cookies=browser.cookies, timeout=10, allow_redirects=False
            )
            for _ in range(12)
        ]
        assert [a.status_code for a in answers] == [200] * 12


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        (
            {"APP_ENV": "production", "DATABASE_URL": "postgresql://u:p@127.0.0.1:9/db"},
            "SECRET_KEY",
        ),
        ({"APP_ENV": "production", "SECRET_KEY": "x" * 48}, "DATABASE_URL"),
        (
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 48,
                "DATABASE_URL": "sqlite:////tmp/backoffice.sqlite3",
            },
            "DATABASE_URL",
        ),
        (
            {
                "APP_ENV": "production",
                "SECRET_KEY": "x" * 48,
                "ALLOW_SQLITE": "1",
                "DATABASE_URL": "postgresql://u:p@127.0.0.1:9/db",
            },
            "DATABASE_URL",
        ),
        ({"SECRET_KEY": "x" * 48, "REDIS_URL": "redis://127.0.0.1:9/0"}, "REDIS_URL"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
    ],
    ids=["no-secret-key", "no-database", "sqlite", "database-down", "redis-down", "bad-env"],
)
def test_impossible_settings_stop_the_master_with_one_line(settings, names, tmp_path):
    settings.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_to_exit(**settings)
    assert result.returncode != 0
    printed = (result.stdout + result.stderr).strip()
    errors = [line for line in printed.splitlines() if line.startswith("configuration error:")]
    assert len(errors) == 1 and names in errors[0], printed
    assert "Traceback" not in printed
    assert "u:p@" not in printed and ":p@" not in printed  # no password from a URL


def test_production_logs_are_json_lines_with_the_request_id(sandbox, keys, tmp_path):
    with gunicorn(
        APP_ENV="production",
        SECRET_KEY="k" * 48,
        ALLOW_SQLITE="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'backoffice.sqlite3'}",
        GIGSTACK_SANDBOX_URL=sandbox.api_url,
        GIGSTACK_SANDBOX_KEY=keys["partner_test"]["key"],
    ) as server:
        answer = requests.get(
            f"{server.url}/sign-in", timeout=10, headers={"X-Request-ID": "req-from-router-0001"}
        )
        assert answer.headers["X-Request-ID"] == "req-from-router-0001"
        line = server.wait_for_line("req-from-router-0001")
        record = json.loads(line)
        assert record["request_id"] == "req-from-router-0001"
        assert record["http_path"] == "/sign-in" and record["http_status"] == 200
        assert record["level"] == "INFO" and "time" in record
        output = server.output()
    for printed in output.splitlines():
        assert printed.startswith("{") and json.loads(printed), printed
    assert keys["partner_test"]["key"] not in output


# what a worker needs only once a file is uploaded (a CSD's checks, a CSF's reading): a page
# that never sees one never pays their memory (~20 MB a worker)
UPLOAD_ONLY = ("cryptography.x509", "pypdf")


def test_a_built_app_has_not_loaded_what_only_uploads_need(tmp_path):
    script = (
        "import sys\n"
        "from webapp import create_app\n"
        "create_app()\n"
        f"print(sorted(m for m in sys.modules if m.startswith({UPLOAD_ONLY!r})))\n"
    )
    env = clean_environment(
        APP_ENV="production",
        SECRET_KEY="k" * 48,
        ALLOW_SQLITE="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GIGSTACK_SANDBOX_URL="http://127.0.0.1:9/v2",
        GIGSTACK_SANDBOX_KEY="sk_test_unused",
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip() == "[]"
