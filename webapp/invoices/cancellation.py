"""Cancelling an invoice: the SAT motives each explained, the substitute motive 01 names (a
valid invoice of the same client and type), the valid documents that still relate to it
(SAT refuses the cancellation while they stand), and what the form checks before any call."""

from __future__ import annotations

from typing import Any

from flask import request

from webapp import catalogs
from webapp.audit import Detail
from webapp.audit.details import (
    INVOICE_CANCELLED,
    INVOICE_CANCELLED_DESPITE,
    INVOICE_CANCELLED_SUBSTITUTE,
    INVOICE_CANCELLED_SUBSTITUTE_DESPITE,
)
from webapp.formatting import money
from webapp.i18n import gettext as _

from .forms import CancelForm
from .lookup import folio_of, kind_of


def motives() -> set[str]:
    return {m["code"] for m in catalogs.entries("cancellation_motives")}


def substitutes(client: Any, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """Valid invoices of the same client and type (not this one): what motive 01 can name.
    Upstream call: ``GET /invoices/{type}?status=valid&client_id=`` (a valid invoice only)."""
    client_id = (invoice.get("client") or {}).get("id")
    if invoice.get("status") != "valid" or not client_id:
        return []
    page = client.invoices.list(kind_of(invoice), status="valid", client_id=client_id, limit=100)
    return [inv for inv in page if inv.get("uuid") != invoice["uuid"]]


def cancel_form(substitutes: list[dict[str, Any]]) -> CancelForm:
    """The form with the motives and the substitutes to choose from; opened back from issuing
    the substitute (``?motive=01&substitute=``), those chosen."""
    form = CancelForm()
    form.motive.choices = [("", _("Choose a motive"))] + [
        (m["code"], f"{m['code']} — {m['name']}") for m in catalogs.entries("cancellation_motives")
    ]
    form.substitution_uuid.choices = [("", _("Choose the invoice that replaces it"))] + [
        (
            s["uuid"],
            f"{folio_of(s)} · {money(s.get('total'), s.get('currency') or 'MXN')} · "
            f"{s['uuid'][:8]}",
        )
        for s in substitutes
    ]
    if not form.is_submitted():
        if request.args.get("motive") in motives():
            form.motive.data = request.args["motive"]
        form.substitution_uuid.data = request.args.get("substitute") or ""
    return form


def checked(form: CancelForm, live: bool, folio: str, standing: list[dict[str, Any]]) -> bool:
    """The form's own checks, and the motive's: one from the list, 01 with its substitute,
    in live mode the series-folio typed, and — while valid documents still relate to it —
    the box that says the agent knows."""
    form.validate()
    if standing and not form.confirm_related.data:
        form.confirm_related.errors = [
            _("Tick the box: related documents are still valid and SAT may refuse this.")
        ]
    if form.motive.data not in motives():
        form.motive.errors = [*form.motive.errors, _("Choose a motive from the list.")]
    if form.motive.data == "01" and not form.substitution_uuid.data:
        form.substitution_uuid.errors = [
            _(
                "Motive 01 needs the invoice that replaces this "
                "one. Issue it first, then choose it here."
            )
        ]
    if live and (form.confirm_folio.data or "").strip().upper() != folio.upper():
        form.confirm_folio.errors = [_("Type %(folio)s to confirm.", folio=folio)]
    return not form.errors


def substitute_of(form: CancelForm) -> str | None:
    return form.substitution_uuid.data if form.motive.data == "01" else None


def cancel_detail(form: CancelForm, standing: list[dict[str, Any]]) -> Detail:
    """The audit row's detail: the motive, the substitute, the valid related documents the
    agent confirmed despite (the reason typed follows it, as typed)."""
    substitute = substitute_of(form)
    message = {
        (False, False): INVOICE_CANCELLED,
        (True, False): INVOICE_CANCELLED_SUBSTITUTE,
        (False, True): INVOICE_CANCELLED_DESPITE,
        (True, True): INVOICE_CANCELLED_SUBSTITUTE_DESPITE,
    }[bool(substitute), bool(standing)]
    return Detail(message, motive=form.motive.data, substitute=substitute, count=len(standing))
