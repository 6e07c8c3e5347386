"""Where the dashboard points: embedded sandbox without a key, never with one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.app.conftest import add_staff, sign_in
from webapp import create_app, database
from webapp.sandbox.keys import make_key
from webapp.sandbox.seed import seed
from webapp.sandbox.store import Clock, Store
from webapp.upstream import build_upstream


def test_without_key_an_embedded_sandbox_starts_and_answers():
    app = create_app({"APP_ENV": "testing"})
    upstream = app.extensions["gigstack"]
    try:
        assert upstream.is_sandbox and upstream.sandbox is not None
        assert upstream.base_url.startswith("http://127.0.0.1:")
        database.upgrade(app)
        add_staff(app, "viewer@staff.test")
        browser = app.test_client()
        assert sign_in(browser, "viewer@staff.test").status_code == 302
        html = browser.get("/teams/").get_data(as_text=True)
        assert "SANDBOX" in html and "Cumbre Digital" in html
    finally:
        upstream.close()


def test_with_a_key_the_sandbox_never_starts(monkeypatch):
    started = []
    monkeypatch.setattr("webapp.upstream.start_embedded_sandbox",
                        lambda *a, **k: started.append(1))
    key = make_key("team_real", True, "key_live_x")
    upstream = build_upstream({"GIGSTACK_API_KEY": key,
                               "GIGSTACK_API_URL": "https://api.gigstack.io/v2"})
    try:
        assert not started
        assert not upstream.is_sandbox and upstream.sandbox is None
        assert upstream.livemode
        assert key not in upstream.label
    finally:
        upstream.close()


def test_real_key_without_secret_key_is_refused():
    key = make_key("team_real", True, "key_live_x")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "development", "GIGSTACK_API_KEY": key, "SECRET_KEY": None})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_workers_share_one_sandbox_started_by_the_master(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIGSTACK_", "SANDBOX_", "SECRET_KEY"))}
    env.update(PORT=str(port), WEB_CONCURRENCY="2",
               DATABASE_URL=f"sqlite:///{tmp_path / 'backoffice.sqlite3'}")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    process = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "--bind",
                                f"127.0.0.1:{port}", "webapp:create_app()"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        # change state through the master's sandbox: every worker must see it
        master_sandbox = _master_sandbox_url(process)
        key = seed(Store(clock=Clock())).key_by_name("partner_test").token
        created = requests.post(f"{master_sandbox}/teams", timeout=10,
                                headers={"Authorization": f"Bearer {key}"},
                                json={"brand": {"alias": "Equipo Compartido"}})
        assert created.status_code == 201, created.text
        # the master prepared the database and the demo admin; sign in as a browser would
        browser = requests.Session()
        form = browser.get(f"http://127.0.0.1:{port}/sign-in", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed = browser.post(f"http://127.0.0.1:{port}/sign-in", timeout=10,
                              allow_redirects=False,
                              data={"csrf_token": token, "email": "admin@demo.gigstack.test",
                                    "password": "demo-gigstack-2026"})
        assert signed.status_code == 302, signed.text[:300]
        pages = [browser.get(f"http://127.0.0.1:{port}/teams/", timeout=10) for _ in range(8)]
        assert all(p.status_code == 200 and "SANDBOX" in p.text for p in pages)
        assert all("Equipo Compartido" in p.text for p in pages)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=20)


def _master_sandbox_url(process: subprocess.Popen) -> str:
    """Read gunicorn's log until the master says where its sandbox listens."""
    assert process.stderr is not None
    for line in iter(process.stderr.readline, b""):
        match = re.search(rb"sandbox for all workers at (\S+)", line)
        if match:
            return match.group(1).decode()
    raise AssertionError("gunicorn never logged its sandbox")
