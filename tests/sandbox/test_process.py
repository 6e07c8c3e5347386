"""The sandbox as a process: CLI, demo keys, deterministic seed, control endpoints, faults."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import requests

from webapp.sandbox.seed import seed
from webapp.sandbox.store import Clock, Store


def test_print_keys_lists_the_demo_keys():
    result = subprocess.run(
        [sys.executable, "-m", "webapp.sandbox", "--print-keys"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    keys = json.loads(result.stdout)
    assert set(keys) == {"partner_test", "partner_live", "outsider_test", "outsider_live"}
    assert keys["partner_test"]["livemode"] is False and keys["partner_live"]["livemode"] is True
    assert keys["partner_test"]["connect"] is True and keys["outsider_test"]["connect"] is False
    assert keys["partner_test"]["team"] == keys["partner_live"]["team"]
    assert keys["outsider_live"]["team"] != keys["partner_live"]["team"]


def test_seed_is_deterministic():
    def snapshot() -> str:
        store = seed(Store(clock=Clock(fixed=1_790_000_000)))
        state = {
            "teams": store.teams,
            "users": store.users,
            "keys": sorted(k.token for k in store.keys.values()),
            "objects": {kind: list(objs.values()) for kind, objs in store.objects.items()},
        }
        return json.dumps(state, sort_keys=True, default=str)

    assert snapshot() == snapshot()


def test_seed_has_partner_sub_teams_and_outsider(sandbox, keys):
    store = sandbox.store
    partner = store.teams[keys["partner_test"]["team"]]
    same_account = [t for t in store.teams.values() if t["_billing"] == partner["_billing"]]
    assert partner["_connect"] and len(same_account) - 1 >= 5
    assert store.teams[keys["outsider_test"]["team"]]["_billing"] != partner["_billing"]


def test_style_b_envelope_on_teams_list_and_errors(raw):
    body = raw.get("/teams").json()
    assert body["success"] is True and isinstance(body["timestamp"], int)
    assert body["timestamp"] > 10**12  # milliseconds
    body = raw.get("/webhooks/wh_nothere").json()
    assert body["success"] is False and body["error"] == "resource_not_found"


def test_hang_fault_holds_the_request(raw, faults):
    faults({"hangs": [{"method": "GET", "path": "/services", "seconds": 2, "times": 1}]})
    try:
        raw.get("/services", timeout=0.5)  # held for 2 s: no answer within 0.5 s
        raised = False
    except requests.Timeout:
        raised = True
    assert raised
    assert raw.get("/services").status_code == 200  # times: 1 — the next one is not held


def test_latency_and_error_rate(raw, faults):
    faults({"latency_ms": 150})
    started = time.monotonic()
    raw.get("/services")
    assert time.monotonic() - started >= 0.15
    faults({"error_rate": 1.0, "error_status": 500})
    response = raw.get("/services")
    assert response.status_code == 500
    assert response.json()["error"] == "internal_server_error"


def test_bad_fault_settings_are_refused(sandbox):
    response = requests.put(f"{sandbox.origin}/_sandbox/faults", json={"error_rate": 3}, timeout=5)
    assert response.status_code == 400
    assert "error_rate" in response.json()["message"]


def test_control_endpoints_absent_outside_test_mode():
    from webapp.sandbox import start_sandbox

    server = start_sandbox(test_mode=False)
    try:
        response = requests.get(f"{server.origin}/_sandbox/keys", timeout=5)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("application/json")
    finally:
        server.shutdown()


def test_frozen_clock_stamps_new_objects(raw, frozen_clock):
    now = frozen_clock(1_785_000_000)
    created = raw.post(
        "/services",
        json={
            "description": "Reloj",
            "unit_price": 1,
            "product_key": "84111506",
            "unit_key": "E48",
        },
    ).json()
    assert created["data"]["created_at"] == now


def test_an_unexpected_error_is_a_json_500_without_internals(keys):
    from webapp.sandbox import create_sandbox_app
    from webapp.sandbox.server import serve

    app = create_sandbox_app(test_mode=True)

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/v2/boom", "boom", boom)
    server = serve(app)
    try:
        token = app.config["SANDBOX_STORE"].key_by_name("partner_test").token
        response = requests.get(
            f"{server.api_url}/boom", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
    finally:
        server.shutdown()
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Internal server error", "error": "internal_server_error"}
    assert "secret internals" not in response.text
