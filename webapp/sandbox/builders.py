"""Constructors for stored objects, shared by the seed and the routes so both agree on shape.

Each returns the object in its output shape (REFERENCE §12) plus private ``_`` keys.
Validation is the routes' job; these only assemble.
"""

from __future__ import annotations

from typing import Any

from webapp.domain.address import ADDRESS_FIELDS

from .store import Store


def default_settings() -> dict[str, Any]:
    """A new team's TeamSettings (output form: ``periodicity`` as ``{label, value}``)."""
    return {
        "avoid_automations_on_currencies": [],
        "default_description": None,
        "taxes": [
            {
                "type": "IVA",
                "rate": 0.16,
                "factor": "Tasa",
                "withholding": False,
                "inclusive": False,
            }
        ],
        "taxes_usd": [],
        "withholding_taxes": [],
        "emails": {
            "invoices_bcc": [],
            "avoid_invoice_emails": False,
            "avoid_test_invoice_emails": True,
            "avoid_receipts_emails": False,
        },
        "override_item_description": None,
        "global_invoice_disabled": False,
        "complements": [],
        "uses_on_self_invoice_portal": [],
        "invoice_pdf_notes": None,
        "product_key": None,
        "unit_key": None,
        "use": "G03",
        "automate_complement_for_ppd_invoices": True,
        "customer_portal_id": None,
        "periodicity": {"label": "Mes", "value": "month"},
        "default_series": {},
    }


def build_team(
    store: Store,
    *,
    legal_name: str | None,
    alias: str | None,
    tax_id: str | None,
    tax_system: str | None,
    owner: str,
    billing: str,
    connect: bool = False,
    address: dict[str, Any] | None = None,
    created_at: int | None = None,
    support_email: str | None = None,
    support_phone: str | None = None,
    brand: dict[str, Any] | None = None,
    team_id: str | None = None,
) -> dict[str, Any]:
    now = store.clock.now() if created_at is None else created_at
    sat = {"completed": False, "connected_at": None, "csd_expires_at": None}
    team: dict[str, Any] = {
        "id": team_id or store.new_id("team_"),
        "legal_name": legal_name,
        "brand": {
            "alias": alias,
            "primary_color": "#1B2A4A",
            "secondary_color": "#F2B705",
            "logo": None,
            **(brand or {}),
        },
        "tax_id": tax_id,
        "tax_system": tax_system,
        "address": address_out(address or {}),
        "support_email": support_email,
        "support_phone": support_phone,
        "owner": owner,
        "created_at": now,
        "credit_limit": 500,
        "used_credits": 0,
        "credit_period_start": now * 1000,
        "sat": sat,
        "members": [],
        "integrations": {
            "sat": sat,
            "stripe": {"completed": False},
            "openpay": {"completed": False},
        },
        "settings": default_settings(),
        "_billing": billing,
        "_connect": connect,
        "_deleted": False,
    }
    store.teams[team["id"]] = team
    return team


def address_out(address: dict[str, Any]) -> dict[str, Any]:
    """Address in output form: known keys only, ``country`` as ISO-3 (``MEX``)."""
    out = {key: address[key] for key in ADDRESS_FIELDS if address.get(key) is not None}
    country = out.get("country")
    if isinstance(country, str) and country.strip().lower() in ("mexico", "méxico", "mx", "mex"):
        out["country"] = "MEX"
    return out


def build_user(
    store: Store,
    *,
    email: str,
    first_name: str,
    last_name: str,
    created_at: int | None = None,
    phone: str | None = None,
    company_role: str | None = None,
) -> dict[str, Any]:
    user = {
        "id": store.new_id("user_"),
        "email": email,
        "name": f"{first_name} {last_name}".strip(),
        "firstName": first_name,
        "lastName": last_name,
        "phone": phone,
        "company_role": company_role,
        "address": {},
        "created_at": store.clock.now() if created_at is None else created_at,
        "last_login": None,
    }
    store.users[user["id"]] = user
    return user


def add_member(team: dict[str, Any], user: dict[str, Any], role: str) -> None:
    """Add or re-role a member (TeamMember: id, email, role)."""
    for member in team["members"]:
        if member["id"] == user["id"]:
            member["role"] = role
            return
    team["members"].append({"id": user["id"], "email": user["email"], "role": role})


def build_series(
    store: Store,
    team_id: str,
    name: str,
    *,
    live: int = 0,
    test: int = 0,
    created_at: int | None = None,
) -> dict[str, Any]:
    series = {
        "id": store.new_id("ser_"),
        "series": name,
        "live": live,
        "test": test,
        "created_at": store.clock.now() if created_at is None else created_at,
    }
    store.series[team_id].append(series)
    return series


def build_client(
    store: Store,
    team_id: str,
    livemode: bool,
    fields: dict[str, Any],
    *,
    owner: str,
    created_at: int | None = None,
    origin: str = "api",
) -> dict[str, Any]:
    """A Client from already-validated ``fields`` (ClientInput names). Not yet stored."""
    client = {
        "id": store.new_id("client_"),
        "name": fields.get("name") or fields.get("legal_name"),
        "legal_name": fields.get("legal_name"),
        "company": fields.get("company"),
        "email": fields.get("email"),
        "phone": fields.get("phone"),
        "bcc": list(fields.get("bcc") or []),
        "tax_id": (fields.get("tax_id") or None) and fields["tax_id"].upper(),
        "tax_system": fields.get("tax_system"),
        "use": fields.get("use"),
        "address": address_out(fields.get("address") or {}),
        "metadata": dict(fields.get("metadata") or {}),
        "defaults": {
            "keep_full_legal_name": False,
            "issue_automatic_invoices": False,
            "issue_invoiceable_receipts": False,
            **(fields.get("defaults") or {}),
        },
        "is_valid": False,
        "efos": {"is_valid": True},
        "livemode": livemode,
        "created_at": store.clock.now() if created_at is None else created_at,
        "team": team_id,
        "owner": owner,
        "from": origin,
    }
    return client


def build_service(
    store: Store,
    team_id: str,
    livemode: bool,
    fields: dict[str, Any],
    *,
    created_at: int | None = None,
) -> dict[str, Any]:
    """A Service from already-validated ``fields``. Not yet stored."""
    return {
        "id": store.new_id("service_"),
        "description": fields["description"],
        "sku": fields.get("sku"),
        "product_key": fields["product_key"],
        "unit_key": fields["unit_key"],
        "unit_name": fields.get("unit_name"),
        "unit_price": fields["unit_price"],
        "taxes": list(fields.get("taxes") or []),
        "livemode": livemode,
        "team": team_id,
        "created_at": store.clock.now() if created_at is None else created_at,
    }
