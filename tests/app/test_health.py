"""/healthz and /readyz: for the platform, without sign-in, revealing nothing."""

from __future__ import annotations

from tests.app.conftest import make_app
from tests.support.processes import free_port


def test_ready_when_the_database_and_gigstack_answer(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "checks": {"database": True, "gigstack": True}}
    assert "Set-Cookie" not in answer.headers


def test_not_ready_when_gigstack_does_not_answer(keys):
    app = make_app(
        f"http://127.0.0.1:{free_port()}/v2", keys["partner_test"]["key"], READY_TIMEOUT_SECONDS=0.5
    )
    try:
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json() == {
            "status": "not ready",
            "checks": {"database": True, "gigstack": False},
        }
        assert "127.0.0.1" not in answer.get_data(as_text=True)
    finally:
        app.extensions["gigstack"].close()


def test_not_ready_when_the_key_is_refused(sandbox):
    app = make_app(sandbox.api_url, "sk_test_not_a_real_key")
    try:
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["checks"]["gigstack"] is False
        assert "sk_test_not_a_real_key" not in answer.get_data(as_text=True)
    finally:
        app.extensions["gigstack"].close()


def test_liveness_needs_nothing_but_the_process(keys):
    app = make_app(f"http://127.0.0.1:{free_port()}/v2", keys["partner_test"]["key"])
    try:
        answer = app.test_client().get("/healthz")
        assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
        assert "Set-Cookie" not in answer.headers
    finally:
        app.extensions["gigstack"].close()
