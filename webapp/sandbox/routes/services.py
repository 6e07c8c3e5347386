"""Services: the product/service catalogue used by items (REFERENCE §3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..builders import build_service
from ..context import caller
from ..http import created, deleted, json_body, paged, single
from ..paging import parse_list_params
from ..taxes import check_taxes
from ..validation import PRODUCT_KEY_RE, Checker

bp = Blueprint("services", __name__, url_prefix="/v2")


def _fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated ServiceInput fields (only those sent when ``partial``)."""
    check = Checker()
    out: dict[str, Any] = {}
    required = not partial
    if required or "description" in body:
        out["description"] = check.string(body, "description", required=True, max_length=1000)
    if required or "unit_price" in body:
        out["unit_price"] = check.number(body, "unit_price", required=True, minimum=0)
    if required or "product_key" in body:
        key = check.string(body, "product_key", required=True)
        if key and not PRODUCT_KEY_RE.match(key):
            check.add("product_key", f"'{key}' is not a valid SAT product key (8 digits)")
        out["product_key"] = key
    if required or "unit_key" in body:
        out["unit_key"] = check.string(body, "unit_key", required=True, max_length=3)
    for name in ("unit_name", "sku"):
        if name in body:
            out[name] = check.string(body, name, max_length=255)
    if "taxes" in body:
        out["taxes"] = check_taxes(check, body.get("taxes"), "taxes")
    check.raise_if_any()
    return out


def _get(service_id: str) -> dict[str, Any]:
    return caller().object("services", service_id, "Service")


@bp.get("/services")
def list_services():
    who = caller()
    params = parse_list_params()
    services = who.store.all("services", who.team_id, who.livemode)
    message = "Services retrieved successfully"
    return paged(services, params, message, name_of=lambda s: s["description"])


@bp.get("/services/<service_id>")
def get_service(service_id: str):
    return single(_get(service_id), "Service retrieved successfully")


@bp.post("/services")
def create_service():
    who = caller()
    fields = _fields(json_body(), partial=False)
    service = build_service(who.store, who.team_id, who.livemode, fields)
    who.store.add("services", service["id"], service)
    who.emit("service.created", service)
    return created(service, "Service created successfully")


@bp.put("/services/<service_id>")
def update_service(service_id: str):
    service = _get(service_id)
    service.update(_fields(json_body(), partial=True))
    caller().emit("service.updated", service)
    return single(service, "Service updated successfully")


@bp.delete("/services/<service_id>")
def delete_service(service_id: str):
    service = _get(service_id)
    caller().drop("services", service, "service.deleted")
    return deleted(service, "Service deleted successfully")
