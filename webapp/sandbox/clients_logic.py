"""Client rules shared by every route that takes client data (REFERENCE §2, §12.1).

``POST/PUT /clients``, the CSF upload, inline clients of invoices, payments and receipts and the
payment client patch all validate ClientInput the same way and run the same simulated SAT check,
so those rules live here, apart from the routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from webapp import catalogs

from .builders import ADDRESS_FIELDS, address_out, build_client
from .store import Store
from .validation import Checker, is_generic_rfc, rfc_person

DEFAULT_FLAGS = ("keep_full_legal_name", "issue_automatic_invoices", "issue_invoiceable_receipts")
TEXT_FIELDS = ("company", "phone")
# Fields whose change makes the SAT check stale (REFERENCE §2.5).
SAT_FIELDS = ("tax_id", "legal_name", "tax_system")
SEARCH_KEYS = ("tax_id", "email", "name", "legal_name")

_ISO3_RE = re.compile(r"^[A-Za-z]{3}$")
# Country names accepted on input (REFERENCE §1.11: a name or ISO-3). Any 3-letter code is taken
# as ISO-3; names outside this table are rejected with a hint to send the ISO-3 code.
COUNTRY_NAMES: dict[str, str] = {
    "mexico": "MEX",
    "méxico": "MEX",
    "estados unidos mexicanos": "MEX",
    "united states": "USA",
    "united states of america": "USA",
    "estados unidos": "USA",
    "us": "USA",
    "canada": "CAN",
    "canadá": "CAN",
    "spain": "ESP",
    "españa": "ESP",
    "guatemala": "GTM",
    "colombia": "COL",
    "argentina": "ARG",
    "chile": "CHL",
    "peru": "PER",
    "perú": "PER",
    "brazil": "BRA",
    "brasil": "BRA",
    "germany": "DEU",
    "alemania": "DEU",
    "france": "FRA",
    "francia": "FRA",
    "united kingdom": "GBR",
    "reino unido": "GBR",
    "italy": "ITA",
    "italia": "ITA",
    "china": "CHN",
    "japan": "JPN",
    "japón": "JPN",
    "costa rica": "CRI",
    "panama": "PAN",
    "panamá": "PAN",
    "ecuador": "ECU",
    "uruguay": "URY",
    "venezuela": "VEN",
    "el salvador": "SLV",
    "honduras": "HND",
    "nicaragua": "NIC",
    "belize": "BLZ",
    "belice": "BLZ",
    "cuba": "CUB",
}


def normalize_country(value: str) -> str | None:
    """ISO-3 code for a country name or code (``Mexico`` → ``MEX``); None when unknown."""
    text = value.strip()
    if not text:
        return None
    named = COUNTRY_NAMES.get(text.casefold())
    if named:
        return named
    if text.casefold() == "mx":
        return "MEX"
    return text.upper() if _ISO3_RE.match(text) else None


def check_address(
    check: Checker, body: dict[str, Any], name: str = "address"
) -> dict[str, Any] | None:
    """An Address object: every part text or null, ``zip`` 5 digits, ``country`` name or ISO-3.

    Returns only the keys sent (null kept, meaning "clear this part" on updates).
    """
    value = check.object(body, name)
    if value is None:
        return None
    sub = check.nested(name)
    out: dict[str, Any] = {}
    for key in ADDRESS_FIELDS:
        if key not in value:
            continue
        if value[key] is None:
            out[key] = None
        elif key == "zip":
            out[key] = sub.zip_code(value, "zip")
        elif key == "country":
            text = sub.string(value, "country")
            if text is not None:
                code = normalize_country(text)
                if code is None:
                    sub.add(
                        "country", f"'{text}' is not a country name or ISO-3 code (for example MEX)"
                    )
                out[key] = code
        else:
            out[key] = sub.string(value, key)
    return out


def _check_defaults(check: Checker, body: dict[str, Any]) -> dict[str, bool] | None:
    value = check.object(body, "defaults")
    if value is None:
        return None
    sub = check.nested("defaults")
    return {flag: sub.boolean(value, flag) for flag in DEFAULT_FLAGS if value.get(flag) is not None}


def validate_client_fields(
    check: Checker, body: dict[str, Any], *, partial: bool, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validated ClientInput fields (``search`` is left to the caller).

    With ``partial`` only the fields sent are returned and ``null`` means "clear"; otherwise
    ``name`` or ``legal_name`` is required. Cross-field rules (regime fits the RFC, use fits the
    regime) are checked on the result of applying the body to ``existing`` when given.
    Problems go into ``check``; the caller raises (so several sources can be reported at once).
    """
    out: dict[str, Any] = {}
    for name in ("name", "legal_name"):
        if name in body and body[name] is not None:
            value = check.string(body, name)
            if value is not None and not value:
                check.add(name, "must not be empty")
            elif value is not None:
                out[name] = value
        elif name in body and partial:
            if name == "name":
                check.add("name", "cannot be cleared: every client needs a name")
            else:
                out[name] = None
    if not partial and body.get("name") is None and body.get("legal_name") is None:
        check.add("name", "is required (send name or legal_name)", "missing_required_field")

    for name in TEXT_FIELDS:
        if name in body:
            out[name] = None if body[name] is None else (check.string(body, name) or None)
    if "email" in body:
        out["email"] = None if body["email"] is None else check.email(body, "email")
    if "bcc" in body:
        out["bcc"] = [] if body["bcc"] is None else (check.email_list(body, "bcc") or [])
    if "tax_id" in body:
        out["tax_id"] = None if body["tax_id"] is None else check.rfc(body, "tax_id")
    if "tax_system" in body:
        out["tax_system"] = (
            None
            if body["tax_system"] is None
            else check.catalogue(
                body, "tax_system", "tax_regimes", what="tax regime (c_RegimenFiscal code)"
            )
        )
    if "use" in body:
        out["use"] = (
            None
            if body["use"] is None
            else check.catalogue(body, "use", "cfdi_uses", what="CFDI use (c_UsoCFDI code)")
        )
    if "address" in body:
        out["address"] = None if body["address"] is None else check_address(check, body)
    if "metadata" in body:
        out["metadata"] = {} if body["metadata"] is None else check.object(body, "metadata")
    if "defaults" in body:
        out["defaults"] = {} if body["defaults"] is None else _check_defaults(check, body)

    _cross_check(check, body, out, existing or {})
    if not partial:
        out = {k: v for k, v in out.items() if v is not None}
    return out


def _bad(check: Checker, body: dict[str, Any], name: str) -> bool:
    """Whether ``name`` was sent but already failed its own check (skip cross checks then)."""
    return (
        name in body
        and body[name] is not None
        and any(field == check.path(name) for _, field, _ in check.problems)
    )


def _cross_check(
    check: Checker, body: dict[str, Any], out: dict[str, Any], existing: dict[str, Any]
) -> None:
    if any(_bad(check, body, n) for n in ("tax_id", "tax_system", "use")):
        return
    rfc = out["tax_id"] if "tax_id" in out else existing.get("tax_id")
    regime = out["tax_system"] if "tax_system" in out else existing.get("tax_system")
    use = out["use"] if "use" in out else existing.get("use")
    if rfc and regime and ("tax_id" in out or "tax_system" in out):
        field = "tax_system" if "tax_system" in out else "tax_id"
        if is_generic_rfc(rfc):
            if regime != "616":
                check.add(
                    field,
                    f"the generic RFC {rfc} must use tax regime 616 (Sin "
                    f"obligaciones fiscales), not {regime}",
                )
        else:
            person = rfc_person(rfc) or ""
            if not catalogs.regime_fits_person(regime, person):
                kind = (
                    "a company (persona moral)"
                    if person == "moral"
                    else "a person (persona física)"
                )
                check.add(
                    field,
                    f"tax regime {regime} does not apply to {kind}: RFC {rfc} has "
                    f"{len(rfc)} characters",
                )
    if (
        use
        and regime
        and ("use" in out or "tax_system" in out)
        and not catalogs.use_allowed_for_regime(use, regime)
    ):
        field = "use" if "use" in out else "tax_system"
        check.add(field, f"CFDI use {use} is not allowed for tax regime {regime}")


def refresh_sat_status(client: dict[str, Any]) -> None:
    """Run the sandbox's SAT check (REFERENCE §2.7): sets ``is_valid`` and ``efos``."""
    from .seed import EFOS_RFCS, sat_check  # late: the seed imports modules that import us

    client["is_valid"] = sat_check(client)
    client["efos"] = {"is_valid": (client.get("tax_id") or "") not in EFOS_RFCS}


def new_client(
    store: Store, team_id: str, livemode: bool, fields: dict[str, Any], *, origin: str = "api"
) -> dict[str, Any]:
    """Build, SAT-check and store a client from validated fields; fires no event."""
    owner = store.teams[team_id]["owner"]
    client = build_client(store, team_id, livemode, fields, owner=owner, origin=origin)
    refresh_sat_status(client)
    store.add("clients", client["id"], client)
    return client


def apply_client_update(client: dict[str, Any], fields: dict[str, Any]) -> bool:
    """Apply validated partial ``fields`` (null clears; address and defaults merge key by key).

    Re-runs the SAT check when a field it depends on changed. Returns whether anything changed.
    """
    before = {k: client.get(k) for k in (*SAT_FIELDS, "address")}
    snapshot = repr(client)
    for name, value in fields.items():
        if name == "address":
            merged = {} if value is None else {**client.get("address", {}), **value}
            client["address"] = address_out(merged)
        elif name == "defaults":
            client["defaults"] = {**client.get("defaults", {}), **(value or {})}
        elif name == "metadata":
            client["metadata"] = dict(value or {})
        elif name == "bcc":
            client["bcc"] = list(value or [])
        elif name == "name":
            client["name"] = value
        else:
            client[name] = value
    if not client.get("name"):
        client["name"] = client.get("legal_name") or client["name"]
    zip_changed = (before["address"] or {}).get("zip") != client["address"].get("zip")
    if zip_changed or any(before[k] != client.get(k) for k in SAT_FIELDS):
        refresh_sat_status(client)
    return repr(client) != snapshot


def _folded(value: Any) -> str:
    return str(value or "").strip().casefold()


def match_clients(
    clients: Iterable[dict[str, Any]], on_key: str, on_value: str
) -> list[dict[str, Any]]:
    """Clients whose ``on_key`` equals ``on_value`` (trimmed, case-insensitive), oldest first."""
    wanted = _folded(on_value)
    return [client for client in clients if wanted and _folded(client.get(on_key)) == wanted]


def search_text_matches(client: dict[str, Any], query: str) -> bool:
    """``GET /clients/search``: case-insensitive substring of name, legal_name, email, tax_id."""
    needle = query.casefold()
    return any(
        needle in str(client.get(key) or "").casefold()
        for key in ("name", "legal_name", "email", "tax_id")
    )
