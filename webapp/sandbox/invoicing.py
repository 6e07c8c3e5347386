"""The invoicing domain: client and item references, the stamping rules, folios, cancellation.

Every CFDI the sandbox issues — from ``POST /invoices/income|egress``, payment automations,
receipts and the seed — goes through :func:`issue_invoice`, so the rules of REFERENCE §4
live in one place. Work is two-phase: references are *resolved* (validated, nothing
stored), then the invoice is issued, and only when every rule passed are new clients,
services, series and the invoice itself stored. A rejected request changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from webapp import catalogs
from webapp.domain.money import compute_totals, round2, to_number
from webapp.sat import rules

from . import complements, events
from .builders import build_client, build_series, build_service
from .clients_logic import match_clients, refresh_sat_status, validate_client_fields
from .context import Caller
from .documents import issuer_of, seal_of
from .errors import ApiError
from .store import Store
from .taxes import check_taxes
from .validation import PRODUCT_KEY_RE, ZIP_RE, Checker, is_generic_rfc, rfc_person

__all__ = [
    "ClientChoice",
    "ItemChoice",
    "cancel_invoice",
    "client_ref",
    "commit_client",
    "commit_items",
    "compute_totals",
    "find_invoice",
    "for_render",
    "issue_invoice",
    "issue_payment_complement",
    "resolve_client_ref",
    "resolve_items",
]

INVOICE_TYPES = ("I", "E", "P")
PUBLIC_RFC = "XAXX010101000"
PUBLIC_NAME = "PUBLICO EN GENERAL"
SERIES_SETTING = {"I": "income", "E": "credit_note", "P": "complements"}
VERIFY_BASE = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
# Where the (simulated) SAT cancellation acknowledgement lives; the form is inferred.
CANCELLATION_RECEIPT_BASE = "https://sandbox.gigstack.io/sat/cancellation-receipts"
EXPORTS_RE = re.compile(r"^0[1-4]$")
TAXABILITY = frozenset({"01", "02", "03", "04", "05", "06", "07", "08"})
CLIENT_SEARCH_KEYS = ("tax_id", "email", "name", "legal_name")
ITEM_SEARCH_KEYS = ("sku", "description", "product_key")
PAYMENT_ITEM = {
    "description": "Pago",
    "quantity": 1,
    "unit_price": 0,
    "product_key": "84111506",
    "unit_key": "ACT",
    "unit_name": "Actividad",
    "sku": None,
    "taxability": "01",
    "taxes": [],
    "discount": 0,
}
_FOLIOS = "invoicing.folios"  # store.extras key: (team, series id, livemode) -> used folios

# An item as returned by :func:`resolve_items`: the Item output object, plus a private
# ``_new_service`` (a Service to store on commit) when ``search.auto_create`` made one.
ItemChoice = dict[str, Any]


@dataclass
class ClientChoice:
    """A resolved ClientRefInput: the client and whether it still has to be stored."""

    client: dict[str, Any]
    is_new: bool
    committed: bool = False


# --------------------------------------------------------------------------- clients


def _by_id(who: Caller, sub: Checker, kind: str, obj_id: Any) -> dict[str, Any] | None:
    """The team's ``clients`` or ``services`` object ``obj_id``; reported on ``id`` if none."""
    found = (
        who.store.get(kind, obj_id, who.team_id, who.livemode) if isinstance(obj_id, str) else None
    )
    if found is None:
        sub.add("id", f"No {kind[:-1]} with id '{obj_id}' in this team")
    return found


def resolve_client_ref(
    who: Caller, value: Any, check: Checker, field: str = "client", *, required: bool = True
) -> ClientChoice | None:
    """Resolve a ClientRefInput (§12.1) without storing anything.

    ``{id}`` → that client (unknown → 400 on ``<field>.id``); inline with ``search`` → the one
    match, a new client when none matched and ``auto_create``, else 400; several → 409;
    inline without ``search`` → a new client. Call :func:`commit_client` once every check
    of the request passed.
    """
    message = "must be an object: {id} of a client or the client's data"
    if not check.given(value, field, required) or not check.is_a(value, dict, field, message):
        return None
    sub = check.nested(field)
    if value.get("id") is not None:
        client = _by_id(who, sub, "clients", value["id"])
        return None if client is None else ClientChoice(client, is_new=False)

    search = value.get("search")
    if search is not None:
        if not isinstance(search, dict):
            sub.add("search", "must be an object {on_key, on_value, auto_create}")
            return None
        ssub = sub.nested("search")
        on_key = search.get("on_key")
        if on_key is None:
            ssub.missing("on_key")
            return None
        if on_key not in CLIENT_SEARCH_KEYS:
            ssub.add("on_key", f"must be one of {', '.join(CLIENT_SEARCH_KEYS)}")
            return None
        on_value = search.get("on_value", value.get(on_key))
        if not isinstance(on_value, str) or not on_value.strip():
            ssub.add(
                "on_value", f"is required (or send the client's {on_key})", "missing_required_field"
            )
            return None
        auto_create = search.get("auto_create", False)
        if not isinstance(auto_create, bool):
            ssub.add("auto_create", "must be true or false")
            return None
        matches = match_clients(
            who.store.all("clients", who.team_id, who.livemode), on_key, on_value
        )
        if len(matches) > 1:
            raise ApiError(
                "resource_conflict",
                f"{len(matches)} clients match {on_key} '{on_value}'; send the client id instead",
            )
        if matches:
            return ClientChoice(matches[0], is_new=False)
        if not auto_create:
            ssub.add(
                "on_value",
                f"No client matches {on_key} '{on_value}' (set search.auto_create to create it)",
            )
            return None

    before = len(check.problems)
    fields = validate_client_fields(
        sub, {k: v for k, v in value.items() if k != "search"}, partial=False
    )
    if len(check.problems) > before or fields is None:
        return None
    return ClientChoice(_new_client(who, fields), is_new=True)


def _new_client(who: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    """Built and SAT-checked like ``POST /clients`` does, but not stored yet."""
    client = build_client(who.store, who.team_id, who.livemode, fields, owner=_owner(who))
    refresh_sat_status(client)
    return client


def commit_client(who: Caller, choice: ClientChoice | None) -> dict[str, Any] | None:
    """Store a newly resolved client (once) and fire ``customer.created``."""
    if choice is None:
        return None
    if choice.is_new and not choice.committed:
        who.store.add("clients", choice.client["id"], choice.client)
        who.emit("customer.created", choice.client)
    choice.committed = True
    return choice.client


def client_ref(client: dict[str, Any]) -> dict[str, Any]:
    """The ClientRef snapshot embedded in documents (§12.1)."""
    return {key: client.get(key) for key in ("id", "name", "legal_name", "email", "tax_id")}


# --------------------------------------------------------------------------- items


def resolve_items(
    who: Caller, value: Any, check: Checker, field: str = "items", *, team_defaults: bool = True
) -> list[ItemChoice]:
    """Validate ItemInput[] (§12.2) into Item objects; services to create ride along.

    With ``team_defaults`` an inline item lacking ``description``, ``product_key``,
    ``unit_key`` or ``unit_name`` takes the team's settings (``default_description``,
    ``product_key``, ``unit_key``, ``unit_name``) when those are set.
    """
    if value is None:
        check.missing(field)
        return []
    if isinstance(value, list) and not value:
        check.add(field, "must have at least 1 item", "missing_required_field")
        return []
    settings = (who.team.get("settings") or {}) if team_defaults else {}
    out = []
    for _, raw, sub in check.each_object(
        value, field, list_message="must be a list of items", item_message="must be an item object"
    ):
        item = _resolve_item(who, raw, sub, settings)
        if item is not None:
            out.append(item)
    return out


def _find_service(
    who: Caller, raw: dict[str, Any], sub: Checker
) -> tuple[dict[str, Any] | None, bool, bool]:
    """``(service, auto_create, failed)`` for an item's ``id`` or ``search``."""
    if raw.get("id") is not None:
        service = _by_id(who, sub, "services", raw["id"])
        return service, False, service is None
    search = raw.get("search")
    if search is None:
        return None, False, False
    if not isinstance(search, dict):
        sub.add("search", "must be an object {on_key, on_value, auto_create}")
        return None, False, True
    ssub = sub.nested("search")
    on_key, on_value = search.get("on_key"), search.get("on_value")
    auto_create = search.get("auto_create", False)
    failed = False
    if on_key is None:
        ssub.missing("on_key")
        failed = True
    elif on_key not in ITEM_SEARCH_KEYS:
        ssub.add("on_key", f"must be one of {', '.join(ITEM_SEARCH_KEYS)}")
        failed = True
    if not isinstance(on_value, str) or not on_value.strip():
        ssub.missing("on_value")
        failed = True
    if not isinstance(auto_create, bool):
        ssub.add("auto_create", "must be true or false")
        failed = True
    if failed:
        return None, False, True
    wanted = on_value.strip().casefold()
    # Several matches: the oldest wins (product keys are shared by many services).
    for service in who.store.all("services", who.team_id, who.livemode):
        if str(service.get(on_key) or "").strip().casefold() == wanted:
            return service, False, False
    if not auto_create:
        ssub.add(
            "on_value",
            f"No service matches {on_key} '{on_value}' (set search.auto_create to create it)",
        )
        return None, False, True
    return None, True, False


def _resolve_item(
    who: Caller, raw: dict[str, Any], sub: Checker, settings: dict[str, Any]
) -> ItemChoice | None:
    before = len(sub.problems)
    service, auto_create, failed = _find_service(who, raw, sub)
    if failed:
        return None
    base = service or {}
    inline = service is None

    def pick(name: str, default_setting: str | None = None) -> Any:
        if raw.get(name) is not None:
            return raw[name]
        if base.get(name) is not None:
            return base[name]
        if inline and default_setting and settings.get(default_setting):
            return settings[default_setting]
        return None

    merged = {
        "description": pick("description", "default_description"),
        "unit_price": pick("unit_price"),
        "product_key": pick("product_key", "product_key"),
        "unit_key": pick("unit_key", "unit_key"),
        "unit_name": pick("unit_name", "unit_name"),
        "sku": pick("sku"),
    }
    description = sub.string(merged, "description", required=True, max_length=1000)
    unit_price = sub.number(merged, "unit_price", required=True, minimum=0)
    product_key = sub.string(merged, "product_key", required=True)
    if product_key and not PRODUCT_KEY_RE.match(product_key):
        sub.add("product_key", f"'{product_key}' is not a valid SAT product key (8 digits)")
    unit_key = sub.string(merged, "unit_key", required=True, max_length=3)
    unit_name = sub.string(merged, "unit_name", max_length=255)
    sku = sub.string(merged, "sku", max_length=255)
    quantity = sub.number(raw, "quantity", exclusive_minimum=0)
    quantity = 1 if raw.get("quantity") is None else quantity
    discount = sub.number(raw, "discount", minimum=0) or 0
    if "taxes" in raw and raw["taxes"] is not None:
        taxes = check_taxes(sub, raw["taxes"], "taxes")
    else:
        taxes = [dict(t) for t in base.get("taxes") or []]
    taxability = raw.get("taxability")
    if taxability is None:
        taxability = rules.default_taxability(taxes)
    elif not isinstance(taxability, str) or taxability not in TAXABILITY:
        sub.add("taxability", f"'{taxability}' is not a valid taxability code (01 to 08)")
    third_party = _third_party(sub, raw.get("third_party"))
    if (
        isinstance(quantity, int | float)
        and isinstance(unit_price, int | float)
        and discount
        and not any(t.get("inclusive") for t in taxes)
        and round2(discount) > round2(quantity * unit_price)
    ):
        sub.add("discount", "must not exceed the line amount (quantity × unit_price)")
    if len(sub.problems) > before:
        return None
    item: ItemChoice = {
        "id": who.store.new_id("item_"),
        "service": service["id"] if service else None,
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "product_key": product_key,
        "unit_key": unit_key,
        "unit_name": unit_name,
        "sku": sku,
        "taxability": taxability,
        "taxes": taxes,
        "discount": discount,
    }
    if third_party:
        item["third_party"] = third_party
    if auto_create:
        new = build_service(
            who.store,
            who.team_id,
            who.livemode,
            {
                "description": description,
                "unit_price": unit_price,
                "product_key": product_key,
                "unit_key": unit_key,
                "unit_name": unit_name,
                "sku": sku,
                "taxes": taxes,
            },
        )
        item["service"] = new["id"]
        item["_new_service"] = new
    return item


def _third_party(sub: Checker, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        sub.add("third_party", "must be an object {tax_id, legal_name, tax_system, zip}")
        return None
    tp = sub.nested("third_party")
    before = len(sub.problems)
    tax_id = tp.rfc(value, "tax_id")
    if tax_id is None and not value.get("tax_id"):
        tp.missing("tax_id")
    legal_name = tp.string(value, "legal_name", required=True, max_length=300)
    tax_system = tp.catalogue(value, "tax_system", "tax_regimes", required=True, what="tax regime")
    zip_code = tp.zip_code(value, "zip")
    if zip_code is None and not value.get("zip"):
        tp.missing("zip")
    if len(sub.problems) > before:
        return None
    return {"tax_id": tax_id, "legal_name": legal_name, "tax_system": tax_system, "zip": zip_code}


def commit_items(who: Caller, items: list[ItemChoice]) -> list[dict[str, Any]]:
    """Store the services ``search.auto_create`` asked for (``service.created``)."""
    for item in items:
        new = item.pop("_new_service", None)
        if new is not None and new["id"] not in who.store.objects["services"]:
            who.store.add("services", new["id"], new)
            who.emit("service.created", new)
    return items


# --------------------------------------------------------------------------- stamping rules


def _pac_rules(
    check: Checker,
    kind: str,
    receiver: dict[str, Any],
    items: list[dict[str, Any]],
    currency: str,
    global_out: dict[str, Any] | None,
    extra: dict[str, Any],
    folio: Any,
) -> None:
    """What a PAC refuses (:mod:`webapp.sat.rules`, which the dashboard's pre-stamp report
    runs too), on the field; a P CFDI's concept, amounts and currency are SAT's fixed ones."""
    body: dict[str, Any] = {"folio_number": folio}
    if kind != "P":
        body |= {
            "items": items,
            "currency": currency,
            "global": global_out,
            "exports": extra.get("exports"),
            "complements": extra.get("complements"),
        }
    for problem in rules.invoice_problems(body, receiver):
        check.add(problem.field, problem.text)


def _foreign_snapshot(receiver: dict[str, Any]) -> dict[str, str]:
    """A foreign receiver's ResidenciaFiscal and NumRegIdTrib, as the XML prints them."""
    foreign = rules.foreign_receiver(receiver)
    return {"country": foreign["country"], "foreign_tax_id": foreign["tax_id"]} if foreign else {}


def _owner(who: Caller) -> str:
    return who.team.get("owner") or ""


def _receiver_rules(check: Checker, client: dict[str, Any]) -> None:
    """Receiver completeness (§4): tax_id, legal_name, tax_system, address.zip."""
    sub = check.nested("client")
    if not client.get("tax_id"):
        sub.add("tax_id", "is required to invoice this client", "missing_required_field")
    if not client.get("legal_name"):
        sub.add("legal_name", "is required to invoice this client", "missing_required_field")
    if not client.get("tax_system"):
        sub.add("tax_system", "is required to invoice this client", "missing_required_field")
    if not (client.get("address") or {}).get("zip"):
        sub.add("address.zip", "is required to invoice this client", "missing_required_field")


def _default_use(kind: str, client: dict[str, Any]) -> str:
    if kind == "P":
        return "CP01"
    if is_generic_rfc(client.get("tax_id")):
        return "S01"
    if kind == "E":
        return "G02"
    return client.get("use") or "G03"


def _payment_rules(check: Checker, method: str | None, form: str | None) -> tuple[str, str | None]:
    method = method or "PUE"
    if method not in catalogs.codes("payment_methods"):
        check.add("payment_method", f"'{method}' is not a valid payment method (PUE or PPD)")
        return method, form
    if form is not None and catalogs.get("payment_forms", form) is None:
        check.add("payment_form", f"'{form}' is not a valid payment form")
        return method, form
    if method == "PPD":
        if form is None:
            form = "99"
        elif form != "99":
            check.add(
                "payment_form",
                "must be 99 (to be defined) when payment_method is PPD",
                "business_rule_violation",
            )
    elif form is None:
        check.add(
            "payment_form", "is required when payment_method is PUE", "missing_required_field"
        )
    elif form == "99":
        check.add(
            "payment_form",
            "99 (to be defined) is only allowed with payment_method PPD",
            "business_rule_violation",
        )
    return method, form


def _related_rules(who: Caller, check: Checker, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    out = []
    for _, raw, sub in check.each_object(
        value,
        "related_documents",
        list_message="must be a list of {relationship, documents}",
        item_message="must be an object {relationship, documents}",
    ):
        relationship = sub.catalogue(
            raw, "relationship", "invoice_relationships", required=True, what="relationship code"
        )
        if relationship and not catalogs.get("invoice_relationships", relationship).get(
            "cfdi40_valid"
        ):
            sub.add("relationship", f"'{relationship}' is not valid in CFDI 4.0 (use 01 to 07)")
            relationship = None
        documents = sub.array(raw, "documents", required=True, min_items=1)
        uuids = []
        for j, doc in enumerate(documents or []):
            if (
                not isinstance(doc, str)
                or who.store.get("invoices", doc.strip().upper(), who.team_id, who.livemode) is None
            ):
                sub.add(f"documents[{j}]", f"No invoice with uuid '{doc}' in this team")
                continue
            uuids.append(doc.strip().upper())
        if relationship and documents and len(uuids) == len(documents):
            out.append({"relationship": relationship, "documents": uuids})
    return out


def _generic_rules(
    check: Checker, client: dict[str, Any], use: str | None, kind: str, value: Any
) -> dict[str, Any] | None:
    """XAXX010101000 ⇒ regime 616 and use S01; PUBLICO EN GENERAL ⇒ ``global`` (§4)."""
    rfc = client.get("tax_id")
    is_global = (
        rfc == PUBLIC_RFC
        and str(client.get("legal_name") or "").strip().upper() == PUBLIC_NAME
        and kind != "P"
    )
    if rfc == PUBLIC_RFC:
        if client.get("tax_system") and client.get("tax_system") != "616":
            check.add("client.tax_system", "must be 616 for the receiver XAXX010101000")
        if kind != "P" and use and use != "S01":
            check.add("use", "must be S01 for the receiver XAXX010101000")
    if value is None:
        if is_global:
            check.add(
                "global",
                "is required for a global invoice to PUBLICO EN GENERAL "
                "(periodicity, months, year)",
                "missing_required_field",
            )
        return None
    if not isinstance(value, dict):
        check.add("global", "must be an object {periodicity, months, year}")
        return None
    if not is_global:
        check.add(
            "global",
            "is only allowed on a global invoice (receiver XAXX010101000, PUBLICO EN GENERAL)",
        )
        return None
    sub = check.nested("global")
    periodicity = sub.catalogue(
        value, "periodicity", "periodicities", required=True, what="periodicity (01 to 05)"
    )
    months = sub.catalogue(
        value, "months", "months_bimesters", required=True, what="month or bimester code (01 to 18)"
    )
    year = sub.integer(value, "year", required=True, minimum=2022, maximum=2100)
    if periodicity and months and year:
        return {"periodicity": periodicity, "months": months, "year": year}
    return None


def _complement_rules(
    who: Caller, check: Checker, value: Any
) -> tuple[dict[str, Any] | None, list[tuple[dict[str, Any], float]]]:
    """Validate a type-P ``payment_complement``; returns it normalised and its PPD targets."""
    if not isinstance(value, dict):
        check.add(
            "payment_complement", "is required for a payment complement", "missing_required_field"
        )
        return None, []
    sub = check.nested("payment_complement")
    form = sub.catalogue(value, "payment_form", "payment_forms", required=True, what="payment form")
    if form == "99":
        sub.add(
            "payment_form",
            "99 (to be defined) is not a way money arrives",
            "business_rule_violation",
        )
    currency = str(value.get("currency") or "MXN").upper()
    related = sub.array(value, "related_invoices", required=True, min_items=1) or []
    targets: list[tuple[dict[str, Any], float]] = []
    rows = []
    for index, raw in enumerate(related):
        rsub = sub.nested(f"related_invoices[{index}]")
        if not isinstance(raw, dict):
            rsub.missing("uuid")
            continue
        uuid = str(raw.get("uuid") or "").strip().upper()
        paid = rsub.number(raw, "amount_paid", required=True, exclusive_minimum=0)
        target = who.store.get("invoices", uuid, who.team_id, who.livemode) if uuid else None
        if target is None:
            rsub.add("uuid", f"No invoice with uuid '{raw.get('uuid')}' in this team")
            continue
        if target["invoice_type"] != "I" or target.get("payment_method") != "PPD":
            rsub.add("uuid", "is not a PPD income invoice", "business_rule_violation")
            continue
        if target["status"] != "valid":
            rsub.add("uuid", "is cancelled", "business_rule_violation")
            continue
        balance = target.get("last_balance") or 0
        if paid is None:
            continue
        if round2(paid) > round2(balance):
            rsub.add(
                "amount_paid",
                f"must not exceed the outstanding balance {balance:.2f}",
                "business_rule_violation",
            )
            continue
        targets.append((target, paid))
        rows.append(
            {
                "uuid": target["uuid"],
                "series": target["series"],
                "folio_number": target["folio_number"],
                "installment": int(target.get("payment_complements") or 0) + 1,
                "previous_balance": to_number(balance),
                "amount_paid": to_number(paid),
                "outstanding_balance": to_number(round2(balance) - round2(paid)),
                "taxes": complements.paid_taxes(target, paid),
            }
        )
    amount = value.get("amount")
    if amount is None:
        amount = sum(p for _, p in targets)
    exchange_rate = value.get("exchange_rate") or 1
    out = {
        "payment_id": value.get("payment_id"),
        "payment_form": form,
        "currency": currency,
        "exchange_rate": exchange_rate,
        "amount": to_number(amount),
        "paid_at": value.get("paid_at"),
        "related_invoices": rows,
        "totals": complements.sat_totals(amount, exchange_rate, rows),
    }
    return out, targets


# --------------------------------------------------------------------------- series / folio


def _folio_index(store: Store) -> dict[tuple[str, str, bool], set[int]]:
    return store.extras.setdefault(_FOLIOS, {})


def _find_series(store: Store, team_id: str, name: str) -> dict[str, Any] | None:
    series = store.series.get(team_id) or []
    for entry in series:
        if entry["series"] == name:
            return entry
    folded = name.casefold()
    return next((s for s in series if s["series"].casefold() == folded), None)


def _resolve_series(
    who: Caller, kind: str, name: Any, check: Checker
) -> tuple[dict[str, Any] | None, str]:
    """``(series or None when it must be created, name)`` per §4 "Folio assignment"."""
    store = who.store
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 25 or "|" in name:
            check.add("series", "must be 1 to 25 characters without '|'")
            return None, ""
        found = _find_series(store, who.team_id, name.strip())
        if found is None:
            check.add("series", f"'{name.strip()}' is not a series of this team")
            return None, ""
        return found, found["series"]
    defaults = (who.team.get("settings") or {}).get("default_series") or {}
    preferred = (defaults.get(SERIES_SETTING[kind]) or {}).get("serie")
    if preferred:
        found = _find_series(store, who.team_id, preferred)
        if found is not None:
            return found, found["series"]
    series = store.series.get(who.team_id) or []
    if series:
        oldest = min(series, key=lambda s: s.get("created_at") or 0)
        return oldest, oldest["series"]
    return None, "A"


def _assign_folio(who: Caller, series: dict[str, Any] | None, folio: int | None) -> int:
    """The folio to use; 409 when an explicit one is taken. Nothing is changed here."""
    mode = "live" if who.livemode else "test"
    if series is None:
        return folio or 1
    used = _folio_index(who.store).get((who.team_id, series["id"], who.livemode), set())
    if folio is not None:
        if folio in used:
            raise ApiError(
                "resource_already_exists",
                f"Folio {folio} is already used in series {series['series']}",
                details=[
                    {
                        "field": "folio_number",
                        "message": f"{folio} is already used in series {series['series']}",
                    }
                ],
            )
        return folio
    candidate = int(series.get(mode) or 0) + 1
    while candidate in used:
        candidate += 1
    return candidate


def _take_folio(
    who: Caller, series: dict[str, Any] | None, name: str, folio: int, at: int
) -> dict[str, Any]:
    mode = "live" if who.livemode else "test"
    if series is None:
        series = build_series(who.store, who.team_id, name, created_at=at)
    series[mode] = max(int(series.get(mode) or 0), folio)
    _folio_index(who.store).setdefault((who.team_id, series["id"], who.livemode), set()).add(folio)
    return series


# --------------------------------------------------------------------------- issue


def verification_url(uuid: str, issuer_rfc: str, receiver_rfc: str, total: Any, sello: str) -> str:
    """SAT's verifier link, built the documented way (§12.3)."""
    query = urlencode(
        {
            "id": uuid,
            "re": issuer_rfc,
            "rr": receiver_rfc,
            "tt": f"{round2(total):.2f}",
            "fe": sello[-8:],
        }
    )
    return f"{VERIFY_BASE}?{query}"


def _sat_problems(client: dict[str, Any]) -> list[dict[str, str]]:
    """Why SAT would reject this receiver (for the 422 details)."""
    rfc = client.get("tax_id") or ""
    details = []
    person = rfc_person(rfc)
    if not is_generic_rfc(rfc) and person is None:
        details.append({"field": "client.tax_id", "message": f"'{rfc}' is not registered at SAT"})
    regime = client.get("tax_system") or ""
    if person and regime and not catalogs.regime_fits_person(regime, person):
        kind = "a company" if person == "moral" else "a person"
        details.append(
            {
                "field": "client.tax_system",
                "message": f"tax regime {regime} does not apply to {kind} (RFC {rfc})",
            }
        )
    if not ZIP_RE.match((client.get("address") or {}).get("zip") or ""):
        details.append(
            {
                "field": "client.address.zip",
                "message": "does not match the postal code registered at SAT",
            }
        )
    return details or [
        {
            "field": "client",
            "message": "the receiver's RFC, legal name, tax "
            "regime or postal code do not match SAT records",
        }
    ]


def issue_invoice(
    who: Caller,
    *,
    invoice_type: str,
    client: dict[str, Any] | ClientChoice,
    items: list[dict[str, Any]],
    payment_form: str | None,
    payment_method: str | None,
    use: str | None,
    currency: str = "MXN",
    exchange_rate: float | None = 1,
    series: str | None = None,
    folio_number: int | None = None,
    related_documents: list | None = None,
    global_info: dict | None = None,
    metadata: dict | None = None,
    automation_type: str | None = None,
    payment_complement: dict | None = None,
    extra: dict | None = None,
    check: Checker | None = None,
    at: int | None = None,
) -> dict[str, Any]:
    """Stamp one CFDI per REFERENCE §4 and store it; raise and change nothing on any rule.

    ``client`` is a stored client dict or a :class:`ClientChoice` (a new client is stored
    only once the invoice passed). ``items`` are Item objects from :func:`resolve_items`
    (ignored for type P, which gets SAT's fixed ``Pago`` line). ``check`` carries the
    caller's own field problems so all are reported together. ``extra`` holds what is
    stored but not ruled on: ``exports``, ``complements``, ``addenda``,
    ``invoice_pdf_notes``. ``at`` dates the invoice (seed data); default now.
    """
    store = who.store
    check = check if check is not None else Checker()
    choice = client if isinstance(client, ClientChoice) else ClientChoice(client, is_new=False)
    receiver = choice.client or {}
    kind = str(invoice_type).upper()
    if kind not in INVOICE_TYPES:
        raise ValueError(f"unknown invoice type {invoice_type!r}")
    extra = dict(extra or {})
    now = store.clock.now() if at is None else at

    _receiver_rules(check, receiver)
    complement, targets = None, []
    if kind == "P":
        use, payment_form, payment_method = "CP01", None, None
        currency, exchange_rate = "XXX", 1
        complement, targets = _complement_rules(who, check, payment_complement)
    else:
        if use is None:
            use = _default_use(kind, receiver)
        if catalogs.get("cfdi_uses", use) is None:
            check.add("use", f"'{use}' is not a valid CFDI use")
        elif (
            use != "P01"
            and receiver.get("tax_id") != PUBLIC_RFC
            and receiver.get("tax_system")
            and not catalogs.use_allowed_for_regime(use, receiver["tax_system"])
        ):
            check.add(
                "use",
                f"'{use}' is not allowed for the receiver's tax regime {receiver['tax_system']}",
            )
        payment_method, payment_form = _payment_rules(check, payment_method, payment_form)
        if not items and not any(
            f == "items" or f.startswith("items[") for _, f, _ in check.problems
        ):
            check.add("items", "must have at least 1 item", "missing_required_field")
        currency = (currency or "MXN").upper()
        if currency == "MXN":
            exchange_rate = 1
        elif exchange_rate is None:
            check.add(
                "exchange_rate",
                f"is required when currency is {currency}",
                "missing_required_field",
            )
        elif (
            isinstance(exchange_rate, bool)
            or not isinstance(exchange_rate, int | float)
            or exchange_rate <= 0
        ):
            check.add("exchange_rate", "must be > 0")
    related = _related_rules(who, check, related_documents)
    global_out = _generic_rules(check, receiver, use, kind, global_info)
    series_obj, series_name = _resolve_series(who, kind, series, check)
    if folio_number is not None and (
        isinstance(folio_number, bool) or not isinstance(folio_number, int) or folio_number < 1
    ):
        check.add("folio_number", "must be a whole number >= 1")
    _pac_rules(check, kind, receiver, items, currency, global_out, extra, folio_number)
    check.raise_if_any()

    if who.livemode and not (who.team.get("sat") or {}).get("completed"):
        raise ApiError(
            "business_rule_violation",
            "Live invoices need the team's CSD: upload it (sat.completed is false) "
            "or use a test key",
        )
    folio = _assign_folio(who, series_obj, folio_number)
    if len(str(folio)) > rules.MAX_FOLIO_DIGITS:  # the series' counter ran out of folios
        _pac_rules(check, kind, receiver, items, currency, global_out, extra, folio)
        check.raise_if_any()

    if kind == "P":
        line_items = [{"id": store.new_id("item_"), "service": None, **PAYMENT_ITEM}]
        totals = {"subtotal": 0, "discount": 0, "taxes": 0, "total": 0}
        complement["paid_at"] = complement.get("paid_at") or now
    else:
        line_items = [{k: v for k, v in item.items() if k != "_new_service"} for item in items]
        totals = compute_totals(line_items)

    if not receiver.get("is_valid", True) or store.extras.get("pac_down"):
        error = (
            ApiError(
                "external_service_error",
                "The PAC (stamping service) is unreachable; try again later",
            )
            if store.extras.get("pac_down")
            else ApiError(
                "cfdi_service_error",
                "SAT rejected the CFDI: the receiver's data do not match SAT records",
                details=_sat_problems(receiver),
            )
        )
        failed = {
            "invoice_type": kind,
            "status": "failed",
            "client": client_ref(receiver),
            "currency": currency,
            **totals,
            "series": series_name,
            "livemode": who.livemode,
            "team": who.team_id,
            "created_at": now,
            "error": {"code": error.code, "message": error.message},
        }
        events.emit(store, who.team_id, who.livemode, "invoice.failed", failed)
        raise error

    # ---- every rule passed: from here on, store.
    uuid = store.new_uuid()
    commit_client(who, choice)
    commit_items(who, items)
    series_obj = _take_folio(who, series_obj, series_name, folio, now)
    invoice: dict[str, Any] = {
        "uuid": uuid,
        "invoice_type": kind,
        "status": "valid",
        "client": client_ref(receiver),
        "currency": currency,
        "exchange_rate": exchange_rate,
        **totals,
        "series": series_obj["series"],
        "folio_number": folio,
        "payment_form": payment_form,
        "payment_method": payment_method,
        "use": use,
        "exports": extra.pop("exports", None) or "01",
        "items": line_items,
        "related_documents": related,
        "global": global_out,
        "verification_url": None,  # with the seal, on first read (seal_invoice)
        "stamp": {"stamp_at": now, "sello": None},
        "cancellation_status": None,
        "cancellation_motive": None,
        "substitution_uuid": None,
        "cancelled_at": None,
        "cancellation_receipt": None,
        "last_balance": totals["total"] if payment_method == "PPD" else None,
        "payment_complements": 0,
        "payment_complement": complement,
        "automation_type": automation_type,
        "metadata": dict(metadata or {}),
        "livemode": who.livemode,
        "team": who.team_id,
        "owner": _owner(who),
        "created_at": now,
        "_receiver": {
            "tax_system": receiver.get("tax_system"),
            "zip": (receiver.get("address") or {}).get("zip"),
            "use": use,
            **_foreign_snapshot(receiver),
        },
        "_bcc": list(receiver.get("bcc") or []),
        "_search": " ".join(
            str(receiver.get(k) or "") for k in ("name", "legal_name", "tax_id")
        ).casefold(),
        "_extra": extra,
        "_issuer": issuer_of(who.team),
        "_on_read": seal_invoice,
    }
    store.add("invoices", uuid, invoice)
    for target, paid in targets:
        target["last_balance"] = to_number(round2(target.get("last_balance") or 0) - round2(paid))
        target["payment_complements"] = int(target.get("payment_complements") or 0) + 1
    if who.livemode:
        who.team["used_credits"] = (who.team.get("used_credits") or 0) + 1
    events.emit(store, who.team_id, who.livemode, "invoice.created", invoice)
    return invoice


def issue_payment_complement(
    who: Caller,
    *,
    payment: dict[str, Any],
    ppd_invoice: dict[str, Any],
    amount: float,
    at: int | None = None,
) -> dict[str, Any]:
    """A type-P CFDI paying ``amount`` of ``ppd_invoice`` with ``payment``'s money (§4.8)."""
    client = who.store.get(
        "clients", (ppd_invoice.get("client") or {}).get("id") or "", who.team_id, who.livemode
    )
    if client is None:  # deleted since: rebuild the receiver from the invoice's snapshot
        snap = ppd_invoice.get("_receiver") or {}
        client = {
            **ppd_invoice["client"],
            "tax_system": snap.get("tax_system"),
            "address": {"zip": snap.get("zip"), "country": snap.get("country")},
            "metadata": {rules.FOREIGN_TAX_ID: snap.get("foreign_tax_id")},
            "is_valid": True,
            "bcc": [],
        }
    return issue_invoice(
        who,
        invoice_type="P",
        client=client,
        items=[],
        payment_form=None,
        payment_method=None,
        use="CP01",
        payment_complement={
            "payment_id": payment.get("id"),
            "payment_form": payment.get("payment_form"),
            "currency": payment.get("currency") or ppd_invoice.get("currency") or "MXN",
            "exchange_rate": payment.get("exchange_rate") or 1,
            "amount": amount,
            "paid_at": payment.get("succeeded_at") or at,
            "related_invoices": [{"uuid": ppd_invoice["uuid"], "amount_paid": amount}],
        },
        at=at,
    )


# --------------------------------------------------------------------------- read / cancel


def find_invoice(who: Caller, uuid: str, invoice_type: str | None = None) -> dict[str, Any] | None:
    """The invoice of this team and mode (uuid case-insensitive), optionally of one type."""
    invoice = who.store.get("invoices", (uuid or "").strip().upper(), who.team_id, who.livemode)
    if invoice is None or (invoice_type and invoice["invoice_type"] != invoice_type):
        return None
    return invoice


def seal_invoice(invoice: dict[str, Any]) -> None:
    """``stamp.sello`` and the verifier link, which ends with it: signing SAT's cadena original
    costs ~1 ms, so it happens when the invoice is first read, not for every seeded one."""
    issuer = invoice["_issuer"]
    sello = seal_of(for_render(invoice), {})
    invoice["stamp"]["sello"] = sello
    invoice["verification_url"] = verification_url(
        invoice["uuid"],
        issuer["rfc"],
        (invoice.get("client") or {}).get("tax_id") or "",
        invoice["total"],
        sello,
    )


def for_render(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as :mod:`.documents` reads it (receiver and emitter as stamped, PDF notes)."""
    extra = invoice.get("_extra") or {}
    out = {**invoice, "receiver": invoice.get("_receiver") or {}}
    if invoice.get("_issuer"):
        out["issuer"] = invoice["_issuer"]
    if extra.get("invoice_pdf_notes"):
        out["invoice_pdf_notes"] = extra["invoice_pdf_notes"]
    return out


def cancel_invoice(
    who: Caller,
    invoice: dict[str, Any],
    motive: str,
    substitution_uuid: str | None,
    *,
    at: int | None = None,
) -> dict[str, Any]:
    """Cancel at (simulated) SAT: accepted at once; a complement gives its payments back."""
    if invoice["status"] == "cancelled":
        raise ApiError("resource_conflict", "The invoice is already cancelled")
    now = who.store.clock.now() if at is None else at
    if invoice["invoice_type"] == "P":
        for row in (invoice.get("payment_complement") or {}).get("related_invoices") or []:
            target = who.store.get("invoices", row["uuid"], who.team_id, who.livemode)
            if target is None:
                continue
            target["last_balance"] = to_number(
                round2(target.get("last_balance") or 0) + round2(row["amount_paid"])
            )
            target["payment_complements"] = max(0, int(target.get("payment_complements") or 0) - 1)
    invoice.update(
        status="cancelled",
        cancellation_status="accepted",
        cancellation_motive=motive,
        substitution_uuid=substitution_uuid.upper() if substitution_uuid else None,
        cancelled_at=now,
        cancellation_receipt=f"{CANCELLATION_RECEIPT_BASE}/{invoice['uuid']}.xml",
    )
    who.emit("invoice.canceled", invoice)
    return invoice
