"""Webhook events: build the WebhookEvent body and POST it to subscribed endpoints.

Delivery runs on a small thread pool so a slow receiver never holds an API request
(REFERENCE §10.7). Every attempt is recorded in ``store.deliveries`` for tests.
"""

from __future__ import annotations

import ipaddress
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from .store import Store, public

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-webhooks")
DELIVERY_TIMEOUT = 5.0
MAX_RECORDED = 1000


def emit(
    store: Store, team_id: str, livemode: bool | None, event_type: str, obj: dict[str, Any]
) -> None:
    """Queue ``event_type`` about ``obj`` for every active webhook of the team subscribed."""
    hooks = [
        hook
        for hook in store.all("webhooks", team_id)
        if hook.get("status") == "active" and event_type in hook.get("events", ())
    ]
    if not hooks or store.extras.get("suppress_events"):
        return
    event = {
        "id": store.new_id("evt_"),
        "type": event_type,
        "event": event_type,
        "created": store.clock.now_ms(),
        "livemode": bool(livemode),
        "team": team_id,
        "data": {"object": public(obj)},
    }
    body = json.dumps(event, ensure_ascii=False).encode()
    for hook in hooks:
        _POOL.submit(_deliver, store, hook["id"], hook["url"], event["id"], event_type, body)


def is_loopback_url(url: str) -> bool:
    """The sandbox delivers only to this machine: it must never call out to the internet."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _deliver(
    store: Store, webhook_id: str, url: str, event_id: str, event_type: str, body: bytes
) -> None:
    record: dict[str, Any] = {
        "webhook": webhook_id,
        "url": url,
        "event": event_id,
        "type": event_type,
    }
    if not is_loopback_url(url):
        record.update(status=None, error="skipped: the sandbox delivers to loopback URLs only")
        with store.lock:
            store.deliveries.append(record)
            del store.deliveries[:-MAX_RECORDED]
        return
    try:
        response = requests.post(
            url,
            data=body,
            timeout=DELIVERY_TIMEOUT,
            headers={"Content-Type": "application/json", "User-Agent": "gigstack-sandbox-webhooks"},
        )
        record["status"] = response.status_code
    except requests.RequestException as exc:
        record["status"] = None
        record["error"] = type(exc).__name__
    with store.lock:
        store.deliveries.append(record)
        del store.deliveries[:-MAX_RECORDED]
