"""Clients: the team's customers, with their fiscal data for CFDI 4.0 (REFERENCE §2).

``POST /clients/{id}/stamp-pending-receipts`` (§2.9) lives in ``routes/receipts.py``.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, request

from ..clients_logic import (
    SEARCH_KEYS,
    apply_client_update,
    match_clients,
    new_client,
    refresh_sat_status,
    search_text_matches,
    validate_client_fields,
)
from ..context import caller
from ..errors import ApiError, conflict, field_error, not_found
from ..http import checked_body, created, deleted, json_body, listed, paged, single
from ..paging import parse_list_params, parse_search
from ..validation import Checker

bp = Blueprint("clients", __name__, url_prefix="/v2")

PORTAL_LINK_SECONDS = 5 * 86400  # REFERENCE §2.8


def _get(client_id: str) -> dict[str, Any]:
    return caller().object("clients", client_id, "Client")


def _emit(event_type: str, client: dict[str, Any]) -> None:
    caller().emit(event_type, client)


def _update(client: dict[str, Any], body: dict[str, Any]):
    """Apply the fields ``body`` sends but ``search`` to ``client`` (400 on an invalid one)."""
    sent = {key: value for key, value in body.items() if key != "search"}
    check = Checker()
    changes = validate_client_fields(check, sent, partial=True, existing=client)
    check.raise_if_any()
    apply_client_update(client, changes)
    _emit("customer.updated", client)
    return single(client, "Client updated successfully")


@bp.get("/clients")
def list_clients():
    who = caller()
    params = parse_list_params()
    clients = who.store.all("clients", who.team_id, who.livemode)
    return paged(clients, params, "Clients retrieved successfully")


@bp.get("/clients/search")
def search_clients():
    """Substring search; newest first; ``has_more`` but never ``next`` (REFERENCE §2.2)."""
    who = caller()
    query, limit = parse_search("is required (the text to search for)")
    # newest first; within one second, the later insert first (store order is insertion order)
    found = [
        c
        for c in reversed(who.store.all("clients", who.team_id, who.livemode))
        if search_text_matches(c, query)
    ]
    found.sort(key=lambda c: c["created_at"], reverse=True)
    return listed(found, "Clients retrieved successfully", limit)


@bp.get("/clients/<client_id>")
def get_client(client_id: str):
    return single(_get(client_id), "Client retrieved successfully")


def _check_search(
    check: Checker, body: dict[str, Any], fields: dict[str, Any]
) -> dict[str, Any] | None:
    """The upsert ``search`` object: ``{on_key, on_value (default: the body's), update}``."""
    spec = check.object(body, "search")
    if spec is None:
        return None
    sub = check.nested("search")
    on_key = sub.string(spec, "on_key", required=True)
    if on_key and on_key not in SEARCH_KEYS:
        sub.add("on_key", f"must be one of {', '.join(SEARCH_KEYS)}")
        on_key = None
    on_value = None
    if spec.get("on_value") is not None:
        on_value = sub.string(spec, "on_value")
        if on_value == "":
            sub.add("on_value", "must not be empty")
    elif on_key:
        on_value = fields.get(on_key)
        if not on_value:
            sub.add(
                "on_value", f"is required when the body has no {on_key}", "missing_required_field"
            )
    update = sub.boolean(spec, "update")
    return {"on_key": on_key, "on_value": on_value, "update": bool(update)}


@bp.post("/clients")
def create_client():
    """Create, or upsert with ``search`` (one match → 200, several → 409) (REFERENCE §2.4)."""
    who = caller()
    body, check = checked_body()
    fields = validate_client_fields(check, body, partial=False)
    search = _check_search(check, body, fields)
    check.raise_if_any()
    if search is not None:
        matches = match_clients(
            who.store.all("clients", who.team_id, who.livemode),
            search["on_key"],
            search["on_value"],
        )
        if len(matches) > 1:
            raise conflict(
                f"search matched {len(matches)} clients with {search['on_key']} "
                f"'{search['on_value']}': search on a key that is unique, such as "
                "tax_id, or use the client id"
            )
        if matches:
            client = matches[0]
            if not search["update"]:
                return single(client, "Client retrieved successfully")
            # Create semantics: null means "not sent", never "clear".
            return _update(client, {k: v for k, v in body.items() if v is not None})
    client = new_client(who.store, who.team_id, who.livemode, fields)
    _emit("customer.created", client)
    return created(client, "Client created successfully")


@bp.put("/clients/<client_id>")
def update_client(client_id: str):
    client = _get(client_id)
    return _update(client, json_body())


@bp.delete("/clients/<client_id>")
def delete_client(client_id: str):
    """Hard delete; documents keep their embedded client copy (REFERENCE §2.6)."""
    client = _get(client_id)
    caller().drop("clients", client, "customer.deleted")
    return deleted(client, "Client deleted successfully")


@bp.post("/clients/validate/<client_id>")
def validate_client(client_id: str):
    """Fresh SAT check; ``customer.updated`` only when the result changed (REFERENCE §2.7)."""
    json_body()  # none is needed; one that is not a JSON object is refused like anywhere
    client = _get(client_id)
    before = (client.get("is_valid"), dict(client.get("efos") or {}))
    refresh_sat_status(client)
    if (client["is_valid"], client["efos"]) != before:
        _emit("customer.updated", client)
    return single(client, "Client validated successfully")


@bp.post("/clients/customerportal")
def customer_portal():
    """A 5-day portal link for one client, by ``id`` or ``email``. The URL is a credential:
    it is returned once and never logged or stored (REFERENCE §2.8)."""
    who = caller()
    body, check = checked_body()
    client_id = check.string(body, "id")
    email = check.email(body, "email")
    check.raise_if_any()
    if not client_id and not email:
        raise field_error("missing_required_field", "id", "is required (send id or email)")
    if client_id:
        client = _get(client_id)
    else:
        matches = match_clients(
            who.store.all("clients", who.team_id, who.livemode), "email", email or ""
        )
        if not matches:
            raise not_found("Client")
        client = matches[-1]  # several clients may share an e-mail: the newest one
    token = secrets.token_urlsafe(32)
    url = f"{request.host_url}portal/{client['id']}?token={token}"
    return single(
        {"url": url, "expires_at": who.store.clock.now() + PORTAL_LINK_SECONDS},
        "Operation completed successfully",
    )


@bp.post("/clients/csf")
def upload_csf():
    """Create or update a client from a SAT CSF PDF (REFERENCE §2.10)."""
    from webapp.sat.csf import MAX_BYTES, CsfError, parse_csf

    who = caller()
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            "invalid_request_body", "Send the CSF as multipart/form-data with a part named file"
        )
    upload = request.files.get("file")
    if upload is None:
        raise field_error(
            "missing_required_field", "file", "is required (the Constancia de Situación Fiscal PDF)"
        )
    target = None
    client_id = request.args.get("client_id")
    if client_id:
        target = _get(client_id)
    data = upload.read(MAX_BYTES + 1)
    try:
        csf = parse_csf(data, max_bytes=MAX_BYTES)
    except CsfError as exc:
        raise ApiError(
            exc.code, exc.message, details=[{"field": "file", "message": exc.message}]
        ) from None
    if target is None:
        same_rfc = match_clients(
            who.store.all("clients", who.team_id, who.livemode), "tax_id", csf.rfc
        )
        target = same_rfc[0] if same_rfc else None
    fields = _csf_fields(csf, target)
    if target is None:
        client = new_client(who.store, who.team_id, who.livemode, fields)
        _emit("customer.created", client)
        return created(client, "Client created successfully")
    apply_client_update(target, fields)
    refresh_sat_status(target)
    _emit("customer.updated", target)
    return single(target, "Client updated successfully")


def _csf_fields(csf: Any, client: dict[str, Any] | None) -> dict[str, Any]:
    """Client fields a CSF sets: RFC, legal name, regime, address parts; ``name`` when empty."""
    from webapp import catalogs

    from ..validation import rfc_person

    fields: dict[str, Any] = {"tax_id": csf.rfc}
    if csf.name:
        fields["legal_name"] = csf.name
        if client is None or not client.get("name"):
            fields["name"] = csf.name
    if csf.regime_code:
        fields["tax_system"] = csf.regime_code
    elif (
        client is not None
        and client.get("tax_system")
        and not catalogs.regime_fits_person(client["tax_system"], rfc_person(csf.rfc) or "")
    ):
        fields["tax_system"] = None  # the old regime cannot belong to the new RFC
    address = {key: value for key, value in csf.address.items() if value}
    if address:
        fields["address"] = {"country": "MEX", **address}
    if client is None and not fields.get("name"):
        fields["name"] = csf.rfc
    return fields
