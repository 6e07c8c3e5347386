"""Invoices: list, get, create (income / egress), search, send, cancel, file links (§4, §11.1).

The rules live in :mod:`..invoicing`; these views parse the request, call it and shape the
answer.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request

from webapp import catalogs

from .. import invoicing
from ..context import Caller, caller
from ..errors import ApiError, field_error, not_found
from ..http import checked_body, created, json_body, listed, paged, single
from ..idempotency import idempotent
from ..invoicing_files import FILE_KINDS, file_urls
from ..paging import client_name_of, parse_list_params, parse_search
from ..validation import Checker, choice_filter, enum_filter, passthrough

bp = Blueprint("invoices", __name__, url_prefix="/v2")

TYPE_BY_PATH = {"income": "I", "egress": "E", "payment": "P"}
_STATUS = enum_filter("invoice_statuses", "invoice status")
LIST_FILTERS = {
    "I": {
        "status": _STATUS,
        "client_id": passthrough,
        "series": passthrough,
        "payment_method": choice_filter("payment_method", ("PUE", "PPD")),
    },
    "P": {
        "invoice_id": passthrough,
        "status": _STATUS,
        "client_id": passthrough,
        "series": passthrough,
    },
}
LIST_FILTERS["E"] = LIST_FILTERS["I"]
SERIES_FOLIO = re.compile(r"^([^\s|\-0-9][^\s|]*?)-?([0-9]+)$")
OUTBOX_MAX = 500


def _get(who: Caller, uuid: str, kind: str | None = None) -> dict[str, Any]:
    invoice = invoicing.find_invoice(who, uuid, kind)
    if invoice is None:
        raise not_found("Invoice")
    return invoice


# --------------------------------------------------------------------------- lists


def _matches(kind: str, filters: dict[str, str]):
    status = filters.get("status")
    client_id = filters.get("client_id")
    series = filters.get("series")
    series = series.casefold() if series else None
    method = filters.get("payment_method")
    paid = filters.get("invoice_id")
    paid = paid.strip().upper() if paid else None

    def match(inv: dict[str, Any]) -> bool:
        if inv["invoice_type"] != kind:
            return False
        if status and inv["status"] != status:
            return False
        if client_id and (inv.get("client") or {}).get("id") != client_id:
            return False
        if series and str(inv.get("series") or "").casefold() != series:
            return False
        if method and inv.get("payment_method") != method:
            return False
        if paid:
            rows = (inv.get("payment_complement") or {}).get("related_invoices") or ()
            if not any(row.get("uuid") == paid for row in rows):
                return False
        return True

    return match


def _list(kind: str):
    who = caller()
    params = parse_list_params(filters=LIST_FILTERS[kind])
    invoices = who.store.all("invoices", who.team_id, who.livemode)
    return paged(
        invoices,
        params,
        "Invoices retrieved successfully",
        id_of=lambda inv: inv["uuid"],
        name_of=client_name_of,
        matches=_matches(kind, params.filters),
    )


@bp.get("/invoices/income")
def list_income():
    return _list("I")


@bp.get("/invoices/egress")
def list_egress():
    return _list("E")


@bp.get("/invoices/payment")
def list_payment_complements():
    return _list("P")


@bp.get("/invoices/<any(income, egress, payment):path_kind>/<uuid>")
def get_invoice(path_kind: str, uuid: str):
    invoice = _get(caller(), uuid, TYPE_BY_PATH[path_kind])
    return single(invoice, "Invoice retrieved successfully")


# --------------------------------------------------------------------------- search


@bp.get("/invoices/search")
def search_invoices():
    who = caller()
    q, limit = parse_search("is required")
    upper, folded = q.upper(), q.casefold()
    series_folio = SERIES_FOLIO.match(q)
    wanted = (
        (series_folio.group(1).casefold(), int(series_folio.group(2))) if series_folio else None
    )

    def match(inv: dict[str, Any]) -> bool:
        if inv["uuid"].startswith(upper):
            return True
        if (
            wanted
            and inv["folio_number"] == wanted[1]
            and str(inv["series"]).casefold() == wanted[0]
        ):
            return True
        return folded in inv.get("_search", "")

    found = [inv for inv in who.store.all("invoices", who.team_id, who.livemode) if match(inv)]
    found.sort(key=lambda inv: (inv["created_at"], inv["uuid"]), reverse=True)
    return listed(found, "Invoices retrieved successfully", limit)


# --------------------------------------------------------------------------- create


def _extra_fields(check: Checker, body: dict[str, Any]) -> dict[str, Any]:
    """Fields stored and echoed into the files but not ruled on (§12.3)."""
    extra: dict[str, Any] = {}
    exports = check.string(body, "exports")
    if exports is not None and not invoicing.EXPORTS_RE.match(exports):
        check.add("exports", f"'{exports}' is not a valid export code (01 to 04)")
    extra["exports"] = exports or "01"
    complements = check.array(body, "complements")
    for index, raw in enumerate(complements or []):
        if not isinstance(raw, dict) or not all(
            isinstance(raw.get(k), str | None) for k in ("type", "data")
        ):
            check.add(f"complements[{index}]", "must be an object {type, data} of text")
    extra["complements"] = complements or []
    extra["addenda"] = check.string(body, "addenda")
    extra["invoice_pdf_notes"] = check.string(body, "invoice_pdf_notes", max_length=2000)
    return extra


def _create(kind: str) -> Any:
    who = caller()
    body, check = checked_body()
    choice = invoicing.resolve_client_ref(who, body.get("client"), check)
    items = invoicing.resolve_items(who, body.get("items"), check)
    currency = check.string(body, "currency")
    exchange_rate = check.number(body, "exchange_rate", exclusive_minimum=0)
    use = check.string(body, "use")
    payment_method = check.string(body, "payment_method")
    payment_form = check.string(body, "payment_form")
    automation_type = check.catalogue(
        body, "automation_type", "automation_types", what="automation type"
    )
    folio_number = check.integer(body, "folio_number", minimum=1)
    send_email = check.boolean(body, "send_email")
    emails = check.email_list(body, "emails")
    metadata = check.object(body, "metadata")
    return_files = check.boolean(body, "return_files_urls")
    extra = _extra_fields(check, body)
    if choice is None:
        check.raise_if_any()
    invoice = invoicing.issue_invoice(
        who,
        invoice_type=kind,
        client=choice,
        items=items,
        payment_form=payment_form,
        payment_method=payment_method,
        use=use,
        currency=currency or "MXN",
        exchange_rate=exchange_rate,
        series=body.get("series"),
        folio_number=folio_number,
        related_documents=body.get("related_documents"),
        global_info=body.get("global"),
        metadata=metadata,
        automation_type=automation_type,
        extra=extra,
        check=check,
    )
    if send_email:
        _send(who, invoice, emails, automatic=True)
    data = invoice
    if return_files:
        data = {**invoice, "files": file_urls(who.store, request.host_url, invoice)}
    return created(data, "Invoice created successfully")


@bp.post("/invoices/income")
def create_income():
    body = json_body()
    return idempotent("invoices.income", body, lambda: _create("I"))


@bp.post("/invoices/egress")
def create_egress():
    body = json_body()
    return idempotent("invoices.egress", body, lambda: _create("E"))


# --------------------------------------------------------------------------- send


def _default_recipients(who: Caller, invoice: dict[str, Any]) -> list[str]:
    client_id = (invoice.get("client") or {}).get("id")
    client = who.store.get("clients", client_id or "", who.team_id, who.livemode)
    if client is not None:
        return [e for e in [client.get("email"), *(client.get("bcc") or [])] if e]
    return [e for e in [(invoice.get("client") or {}).get("email"), *invoice.get("_bcc", [])] if e]


def _send(
    who: Caller, invoice: dict[str, Any], emails: list[str] | None, *, automatic: bool = False
) -> list[str]:
    """Record the e-mail in the sandbox outbox (nothing leaves the machine)."""
    recipients = list(dict.fromkeys(emails if emails else _default_recipients(who, invoice)))
    settings = (who.team.get("settings") or {}).get("emails") or {}
    if automatic and (
        settings.get("avoid_invoice_emails")
        or (not who.livemode and settings.get("avoid_test_invoice_emails"))
    ):
        return recipients
    if recipients:
        outbox = who.store.extras.setdefault("outbox", [])
        outbox.append(
            {
                "kind": "invoice",
                "uuid": invoice["uuid"],
                "team": who.team_id,
                "livemode": who.livemode,
                "to": recipients,
                "attachments": [f"{invoice['uuid']}.pdf", f"{invoice['uuid']}.xml"],
                "at": who.store.clock.now(),
            }
        )
        del outbox[:-OUTBOX_MAX]
    return recipients


@bp.post("/invoices/<uuid>/send")
def send_invoice(uuid: str):
    who = caller()
    body = json_body()
    invoice = _get(who, uuid)
    check = Checker()
    emails = check.email_list(body, "emails")
    check.raise_if_any()
    recipients = emails or _default_recipients(who, invoice)
    if not recipients:
        raise field_error(
            "missing_required_field", "emails", "is required: the client has no e-mail address"
        )
    recipients = _send(who, invoice, recipients)
    return single(
        {
            "recipients": recipients,
            "attachments": [f"{invoice['uuid']}.pdf", f"{invoice['uuid']}.xml"],
        },
        "Invoice sent successfully",
    )


# --------------------------------------------------------------------------- cancel


@bp.delete("/invoices/<uuid>")
def cancel(uuid: str):
    who = caller()
    invoice = _get(who, uuid)
    body, check = checked_body()
    motive = check.catalogue(
        body, "motive", "cancellation_motives", required=True, what="cancellation motive (01 to 04)"
    )
    name = "substitution_uuid" if body.get("substitution_uuid") is not None else "replacement"
    before = len(check.problems)
    substitute = check.string(body, name)
    entry = catalogs.get("cancellation_motives", motive) if motive else None
    if entry and entry.get("requires_substitution_uuid"):
        if not substitute and len(check.problems) == before:
            check.add(
                "substitution_uuid",
                f"is required when motive is {motive}",
                "missing_required_field",
            )
        elif substitute:
            replacement = invoicing.find_invoice(who, substitute)
            if replacement is None or replacement["status"] != "valid":
                check.add(name, f"'{substitute}' is not a valid invoice of this team")
            elif replacement["uuid"] == invoice["uuid"]:
                check.add(name, "must be another invoice than the one being cancelled")
    else:
        substitute = None
    check.raise_if_any()
    if invoice["status"] == "cancelled":
        raise ApiError("resource_conflict", "The invoice is already cancelled")
    invoicing.cancel_invoice(who, invoice, motive, substitute)
    return single(invoice, "Invoice cancelled successfully")


# --------------------------------------------------------------------------- files


@bp.get("/invoices/<uuid>/files")
def invoice_files(uuid: str):
    who = caller()
    file_type = request.args.get("file_type")
    if file_type not in (None, "") and file_type not in FILE_KINDS:
        raise field_error("invalid_field_value", "file_type", "must be pdf or xml")
    invoice = _get(who, uuid)
    kinds = (file_type,) if file_type else FILE_KINDS
    return single(
        file_urls(who.store, request.host_url, invoice, kinds),
        "Invoice files retrieved successfully",
    )
