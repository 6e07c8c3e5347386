"""Sandbox webhooks (REFERENCE §10): CRUD, URL and event rules, style-B envelopes, delivery."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

WEBHOOK_ID = re.compile(r"^wh_[A-Za-z0-9]{8}$")


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records every JSON POST it gets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                entry = {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(raw),
                }
                with receiver.cond:
                    receiver.received.append(entry)
                    receiver.cond.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait_for(self, predicate, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Bodies matching ``predicate``, waiting until at least one arrives (or timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [e["body"] for e in self.received if predicate(e["body"])]
                left = deadline - time.monotonic()
                if found or left <= 0:
                    return found
                self.cond.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _create(raw, **body: Any) -> dict[str, Any]:
    body.setdefault("url", "https://hooks.example.com/gigstack")
    body.setdefault("events", ["invoice.created"])
    response = raw.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _assert_style_b(body: dict[str, Any], success: bool) -> None:
    assert body["success"] is success
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 10**12


# --- list ---------------------------------------------------------------------------------


def test_list_is_style_b_with_seeded_hooks(raw):
    response = raw.get("/webhooks", params={"limit": 100})
    assert response.status_code == 200
    body = response.json()
    _assert_style_b(body, True)
    assert body["message"] == "Webhooks retrieved successfully"
    urls = {hook["url"] for hook in body["data"]}
    assert {
        "https://hooks.cumbredigital.mx/gigstack",
        "https://crm.cumbredigital.mx/webhooks/clientes",
    } <= urls
    for hook in body["data"]:
        assert WEBHOOK_ID.match(hook["id"])
        assert hook["created_at"] > 10**12  # ms
        assert "_team" not in hook


def test_list_filters_on_status(raw):
    inactive = _create(raw, status="inactive")
    body = raw.get("/webhooks", params={"status": "inactive", "limit": 100}).json()
    assert body["data"] and all(hook["status"] == "inactive" for hook in body["data"])
    assert inactive["id"] in {hook["id"] for hook in body["data"]}
    active = raw.get("/webhooks", params={"status": "active", "limit": 100}).json()
    assert inactive["id"] not in {hook["id"] for hook in active["data"]}


def test_list_rejects_unknown_status(raw):
    response = raw.get("/webhooks", params={"status": "paused"})
    assert response.status_code == 400
    body = response.json()
    _assert_style_b(body, False)
    assert body["error"] == "invalid_field_value"
    assert body["details"] == [{"field": "status", "message": "must be one of active, inactive"}]


def test_list_newest_first_and_by_url(raw, teams):
    team = {"team": teams["subs"][1]}
    first = raw.post(
        "/webhooks",
        params=team,
        json={"url": "https://b.example.com/x", "events": ["invoice.created"]},
    ).json()
    second = raw.post(
        "/webhooks",
        params=team,
        json={"url": "https://a.example.com/x", "events": ["invoice.created"]},
    ).json()
    listed = raw.get("/webhooks", params={**team, "limit": 100}).json()["data"]
    ids = [hook["id"] for hook in listed]
    assert ids.index(second["data"]["id"]) < ids.index(first["data"]["id"])
    by_url = raw.get(
        "/webhooks", params={**team, "order_by": "name", "sort": "asc", "limit": 100}
    ).json()["data"]
    urls = [hook["url"] for hook in by_url]
    assert urls == sorted(urls, key=str.casefold)


def test_list_created_filters_use_seconds(raw, teams, frozen_clock):
    now = frozen_clock(1790000000)
    team = {"team": teams["subs"][1]}
    made = raw.post(
        "/webhooks",
        params=team,
        json={"url": "https://c.example.com/x", "events": ["invoice.created"]},
    ).json()
    assert made["data"]["created_at"] == now * 1000
    within = raw.get("/webhooks", params={**team, "created[gte]": now, "created[lte]": now})
    assert made["data"]["id"] in {hook["id"] for hook in within.json()["data"]}
    after = raw.get("/webhooks", params={**team, "created[gte]": now + 1})
    assert made["data"]["id"] not in {hook["id"] for hook in after.json()["data"]}


# --- create -------------------------------------------------------------------------------


def test_create_returns_webhook_without_secret(raw, sandbox, teams, frozen_clock):
    now = frozen_clock()
    response = raw.post(
        "/webhooks",
        json={
            "url": "https://hooks.example.com/in",
            "events": [
                "payment.cancelled",
                "invoice.created",
                "payment.canceled",
                "invoice.cancelled",
            ],
            "description": "ERP",
        },
    )
    assert response.status_code == 201
    body = response.json()
    _assert_style_b(body, True)
    assert body["message"] == "Webhook created successfully"
    hook = body["data"]
    assert WEBHOOK_ID.match(hook["id"])
    assert hook == {
        "id": hook["id"],
        "url": "https://hooks.example.com/in",
        "events": ["payment.canceled", "invoice.created", "invoice.canceled"],
        "status": "active",
        "description": "ERP",
        "owner": sandbox.store.teams[teams["partner"]]["owner"],
        "created_at": now * 1000,
    }
    fetched = raw.get(f"/webhooks/{hook['id']}").json()
    _assert_style_b(fetched, True)
    assert fetched["message"] == "Webhook retrieved successfully"
    assert fetched["data"] == hook


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/hook",
        "http://127.0.0.1/hook",
        "http://[::1]:9000/hook",
        "https://example.com",
        "HTTPS://Example.com/path?x=1",
    ],
)
def test_create_accepts_https_and_loopback_http(raw, url):
    assert _create(raw, url=url)["url"] == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "must use https:// (http:// is allowed only for localhost)"),
        ("http://127.0.0.2/hook", "must use https:// (http:// is allowed only for localhost)"),
        ("ftp://example.com/hook", "must be an absolute https:// URL"),
        ("/relative/hook", "must be an absolute https:// URL"),
        ("example.com/hook", "must be an absolute https:// URL"),
        ("https://user:secret@example.com/hook", "must not contain credentials (user:password@)"),
        ("https://example.com/hook#part", "must not contain a fragment (#…)"),
        ("https://example.com/a b", "must not contain spaces"),
        ("https://example.com:99999/hook", "is not a valid URL"),
        ("https://example.com/" + "a" * 4077, "must be at most 4096 characters"),
    ],
)
def test_create_rejects_bad_urls(raw, url, message):
    before = raw.get("/webhooks").json()["total_results"]
    response = raw.post("/webhooks", json={"url": url, "events": ["invoice.created"]})
    assert response.status_code == 400
    body = response.json()
    _assert_style_b(body, False)
    assert body["error"] == "invalid_field_value"
    assert body["details"] == [{"field": "url", "message": message}]
    assert raw.get("/webhooks").json()["total_results"] == before


def test_url_of_exactly_4096_chars_is_accepted(raw):
    url = "https://example.com/" + "a" * (4096 - len("https://example.com/"))
    assert _create(raw, url=url)["url"] == url


def test_create_requires_url_and_events(raw):
    response = raw.post("/webhooks", json={})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert body["details"] == [
        {"field": "url", "message": "is required"},
        {"field": "events", "message": "is required (a list of event names)"},
    ]


@pytest.mark.parametrize(
    ("events", "code", "detail"),
    [
        (
            [],
            "missing_required_field",
            {"field": "events", "message": "must have at least 1 event"},
        ),
        (
            "invoice.created",
            "invalid_field_value",
            {"field": "events", "message": "must be a list of event names"},
        ),
        (
            ["invoice.created", "invoice.stamped"],
            "invalid_field_value",
            {
                "field": "events[1]",
                "message": "'invoice.stamped' is not an event gigstack sends"
                " (see webhook_events.json)",
            },
        ),
        (
            ["payment.failed"],
            "invalid_field_value",
            {
                "field": "events[0]",
                "message": "'payment.failed' is not an event gigstack sends"
                " (see webhook_events.json)",
            },
        ),
        (
            [7],
            "invalid_field_value",
            {"field": "events[0]", "message": "must be an event name (text)"},
        ),
        (
            ["invoice.created"] * 27,
            "invalid_field_value",
            {"field": "events", "message": "must have at most 26 events"},
        ),
    ],
)
def test_create_rejects_bad_events(raw, events, code, detail):
    response = raw.post("/webhooks", json={"url": "https://x.example.com", "events": events})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == code
    assert body["details"] == [detail]


def test_all_26_events_and_duplicates_collapse(raw):
    from webapp import catalogs

    names = [entry["code"] for entry in catalogs.entries("webhook_events")]
    assert len(names) == 26
    assert _create(raw, events=names)["events"] == names
    assert _create(raw, events=["customer.created", "customer.created"])["events"] == [
        "customer.created"
    ]


def test_create_checks_description_and_status(raw):
    response = raw.post(
        "/webhooks",
        json={
            "url": "https://x.example.com",
            "events": ["invoice.created"],
            "description": "d" * 1001,
            "status": "paused",
        },
    )
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"field": "description", "message": "must be at most 1000 characters"},
        {"field": "status", "message": "must be active or inactive"},
    ]
    assert _create(raw, description="d" * 1000)["description"] == "d" * 1000


def test_webhooks_are_team_scoped(raw, teams):
    own = _create(raw)
    other = raw.get(f"/webhooks/{own['id']}", params={"team": teams["subs"][0]})
    assert other.status_code == 404
    assert other.json()["message"] == "Webhook not found"
    _assert_style_b(other.json(), False)


def test_webhooks_are_shared_by_both_modes(raw, raw_live):
    hook = _create(raw)
    assert raw_live.get(f"/webhooks/{hook['id']}").json()["data"] == hook


# --- update / delete ----------------------------------------------------------------------


def test_update_is_partial(raw):
    hook = _create(raw, description="first", events=["invoice.created"])
    response = raw.put(
        f"/webhooks/{hook['id']}", json={"description": None, "events": ["receipt.created"]}
    )
    assert response.status_code == 200
    body = response.json()
    _assert_style_b(body, True)
    assert body["message"] == "Webhook updated successfully"
    assert body["data"] == {**hook, "description": None, "events": ["receipt.created"]}
    assert raw.get(f"/webhooks/{hook['id']}").json()["data"] == body["data"]


def test_update_rejects_bad_values_and_changes_nothing(raw):
    hook = _create(raw)
    response = raw.put(
        f"/webhooks/{hook['id']}",
        json={"url": "http://example.com", "status": None, "events": ["nope"]},
    )
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"field": "url", "message": "must use https:// (http:// is allowed only for localhost)"},
        {
            "field": "events[0]",
            "message": "'nope' is not an event gigstack sends (see webhook_events.json)",
        },
        {"field": "status", "message": "must be active or inactive"},
    ]
    assert raw.get(f"/webhooks/{hook['id']}").json()["data"] == hook


def test_empty_events_only_while_inactive(raw):
    hook = _create(raw)
    active = raw.put(f"/webhooks/{hook['id']}", json={"events": []})
    assert active.status_code == 400
    assert active.json()["details"] == [
        {
            "field": "events",
            "message": "may be empty only while the webhook is inactive"
            " (send status: inactive too)",
        }
    ]
    paused = raw.put(f"/webhooks/{hook['id']}", json={"events": [], "status": "inactive"})
    assert paused.status_code == 200
    assert paused.json()["data"]["events"] == []
    assert paused.json()["data"]["status"] == "inactive"
    reactivate = raw.put(f"/webhooks/{hook['id']}", json={"status": "active"})
    assert reactivate.status_code == 400
    assert reactivate.json()["details"] == [
        {"field": "status", "message": "cannot be active with no events: subscribe to at least one"}
    ]
    again = raw.put(
        f"/webhooks/{hook['id']}", json={"status": "active", "events": ["invoice.failed"]}
    )
    assert again.status_code == 200
    assert again.json()["data"]["status"] == "active"


def test_update_and_delete_unknown_is_404(raw):
    for response in (
        raw.put("/webhooks/wh_missing1", json={"status": "inactive"}),
        raw.delete("/webhooks/wh_missing1"),
        raw.get("/webhooks/wh_missing1"),
    ):
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "resource_not_found"
        _assert_style_b(body, False)


def test_delete_removes_the_webhook(raw):
    hook = _create(raw)
    response = raw.delete(f"/webhooks/{hook['id']}")
    assert response.status_code == 200
    body = response.json()
    _assert_style_b(body, True)
    assert body["message"] == "Webhook deleted successfully"
    assert body["data"] == {"id": hook["id"], "deleted": True}
    assert raw.get(f"/webhooks/{hook['id']}").status_code == 404
    assert raw.delete(f"/webhooks/{hook['id']}").status_code == 404


# --- delivery -----------------------------------------------------------------------------


def test_customer_created_is_delivered(raw, sandbox, teams, receiver):
    team = {"team": teams["subs"][2]}
    hook = raw.post(
        "/webhooks", params=team, json={"url": receiver.url, "events": ["customer.created"]}
    ).json()
    try:
        client = raw.post(
            "/clients",
            params=team,
            json={
                "name": "Entrega Webhook",
                "legal_name": "ENTREGA WEBHOOK",
                "tax_id": "EWE200101AB1",
                "tax_system": "601",
                "address": {"zip": "44100"},
            },
        ).json()["data"]
        got = receiver.wait_for(lambda b: b["data"]["object"]["id"] == client["id"])
        assert len(got) == 1
        event = got[0]
        assert re.match(r"^evt_[A-Za-z0-9]+$", event["id"])
        assert abs(event["created"] - time.time() * 1000) < 60_000  # ms
        assert event == {
            "id": event["id"],
            "type": "customer.created",
            "event": "customer.created",
            "created": event["created"],
            "livemode": False,
            "team": teams["subs"][2],
            "data": {"object": client},
        }
        assert receiver.received[0]["content_type"] == "application/json"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            records = requests.get(f"{sandbox.origin}/_sandbox/deliveries", timeout=5).json()
            mine = [r for r in records if r["event"] == event["id"]]
            if mine:
                break
            time.sleep(0.05)
        assert mine == [
            {
                "webhook": hook["data"]["id"],
                "url": receiver.url,
                "event": event["id"],
                "type": "customer.created",
                "status": 200,
            }
        ]
    finally:
        raw.delete(f"/webhooks/{hook['data']['id']}", params=team)


def test_inactive_or_unsubscribed_hooks_get_nothing(raw, teams, receiver):
    team = {"team": teams["subs"][3]}
    paused = raw.post(
        "/webhooks",
        params=team,
        json={"url": receiver.url, "events": ["customer.created"], "status": "inactive"},
    ).json()
    other = raw.post(
        "/webhooks", params=team, json={"url": receiver.url, "events": ["service.created"]}
    ).json()
    try:
        client = raw.post("/clients", params=team, json={"name": "Sin aviso"}).json()["data"]
        assert (
            receiver.wait_for(lambda b: b["data"]["object"]["id"] == client["id"], timeout=1.0)
            == []
        )
    finally:
        for hook in (paused, other):
            raw.delete(f"/webhooks/{hook['data']['id']}", params=team)
