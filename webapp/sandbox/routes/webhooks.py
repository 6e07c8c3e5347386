"""Webhooks: a team's endpoints for event notifications (REFERENCE §10).

Shared by test and live mode (team-scoped, stored with a private ``_team``). Every answer gets
the style-B ``success`` + ``timestamp`` extras from :mod:`..http`. ``created_at`` is in ms.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint

from webapp import catalogs

from ..context import caller
from ..http import created, deleted, json_body, paged, single
from ..paging import parse_list_params
from ..validation import Checker, choice_filter

bp = Blueprint("webhooks", __name__, url_prefix="/v2")

STATUSES = ("active", "inactive")
MAX_URL_LENGTH = 4096
MAX_EVENTS = 26
MAX_DESCRIPTION = 1000
# http:// is allowed only for these hosts, so tests can receive deliveries (REFERENCE §10.2).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(ch.isspace() for ch in url):
        return "must not contain spaces"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("https", "http") or not host:
        return "must be an absolute https:// URL"
    if parts.username is not None or parts.password is not None:
        return "must not contain credentials (user:password@)"
    if "#" in url:
        return "must not contain a fragment (#…)"
    if parts.scheme.lower() == "http" and host not in LOOPBACK_HOSTS:
        return "must use https:// (http:// is allowed only for localhost)"
    return None


def _events(check: Checker, body: dict[str, Any]) -> list[str] | None:
    """Event names: catalogue codes, aliases stored canonical, duplicates collapsed."""
    value = body.get("events")
    if value is None:
        check.add("events", "is required (a list of event names)", "missing_required_field")
        return None
    if not isinstance(value, list):
        check.add("events", "must be a list of event names")
        return None
    if len(value) > MAX_EVENTS:
        check.add("events", f"must have at most {MAX_EVENTS} events")
        return None
    out: list[str] = []
    for index, name in enumerate(value):
        if not isinstance(name, str):
            check.add(f"events[{index}]", "must be an event name (text)")
            continue
        code = catalogs.canonical("webhook_events", name.strip())
        if code is None:
            check.add(
                f"events[{index}]",
                f"'{name}' is not an event gigstack sends (see webhook_events.json)",
            )
        elif code not in out:
            out.append(code)
    return out


def _fields(
    body: dict[str, Any], *, partial: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validated WebhookInput (create) or WebhookUpdateInput (partial) fields."""
    check = Checker()
    out: dict[str, Any] = {}
    if not partial or "url" in body:
        url = check.string(body, "url", required=True)
        if url:
            problem = url_problem(url)
            if problem:
                check.add("url", problem)
            out["url"] = url
    if not partial or "events" in body:
        out["events"] = _events(check, body)
    if "description" in body:
        out["description"] = check.string(body, "description", max_length=MAX_DESCRIPTION)
    if not partial or "status" in body:
        if partial and body.get("status") is None:
            check.add("status", "must be active or inactive")
        elif body.get("status") is not None:
            status = body["status"]
            if status not in STATUSES:
                check.add("status", "must be active or inactive")
            out["status"] = status
        else:
            out["status"] = "active"
    sent = body.get("events")
    if isinstance(sent, list) and not sent:
        status = out.get("status") or (current or {}).get("status")
        if not partial:
            check.add("events", "must have at least 1 event", "missing_required_field")
        elif status != "inactive":
            check.add(
                "events",
                "may be empty only while the webhook is inactive (send status: inactive too)",
            )
    elif (
        partial
        and "events" not in body
        and out.get("status") == "active"
        and not (current or {}).get("events")
    ):
        check.add("status", "cannot be active with no events: subscribe to at least one")
    check.raise_if_any()
    return out


def _get(webhook_id: str) -> dict[str, Any]:
    return caller().object("webhooks", webhook_id, "Webhook")


@bp.get("/webhooks")
def list_webhooks():
    who = caller()
    params = parse_list_params(filters={"status": choice_filter("status", STATUSES)})
    if params.created_lte is not None:
        params.created_lte += 0.999  # created_at is ms: the whole last second counts
    wanted = params.filters.get("status")
    return paged(
        who.store.all("webhooks", who.team_id),
        params,
        "Webhooks retrieved successfully",
        created_of=lambda hook: hook["created_at"] / 1000,
        name_of=lambda hook: hook["url"],
        matches=lambda hook: wanted is None or hook["status"] == wanted,
    )


@bp.get("/webhooks/<webhook_id>")
def get_webhook(webhook_id: str):
    return single(_get(webhook_id), "Webhook retrieved successfully")


@bp.post("/webhooks")
def create_webhook():
    """No secret is generated or returned (REFERENCE §10.2, §13 #25)."""
    who = caller()
    fields = _fields(json_body(), partial=False)
    hook = {
        "id": who.store.new_id("wh_", 8),
        "url": fields["url"],
        "events": fields["events"],
        "status": fields["status"],
        "description": fields.get("description"),
        "owner": who.team["owner"],
        "created_at": who.store.clock.now_ms(),
        "_team": who.team_id,
    }
    who.store.add("webhooks", hook["id"], hook)
    return created(hook, "Webhook created successfully")


@bp.put("/webhooks/<webhook_id>")
def update_webhook(webhook_id: str):
    hook = _get(webhook_id)
    fields = _fields(json_body(), partial=True, current=hook)
    hook.update(fields)
    return single(hook, "Webhook updated successfully")


@bp.delete("/webhooks/<webhook_id>")
def delete_webhook(webhook_id: str):
    hook = _get(webhook_id)
    caller().drop("webhooks", hook)
    return deleted(hook, "Webhook deleted successfully")
