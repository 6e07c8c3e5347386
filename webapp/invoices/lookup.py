"""Finding an invoice by its UUID whatever its type (income, egress, payment complement), and
naming it by its type — the one place that says "Complemento de pago B-3", "Nota de crédito
NC-2" or "Factura F-6", and how its status reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, request, url_for

from webapp.api import api
from webapp.gigstack.errors import NotFound
from webapp.labels import label
from webapp.parallel import gather

KINDS = {"income": "I", "egress": "E", "payment": "P"}
KIND_OF_TYPE = {invoice_type: kind for kind, invoice_type in KINDS.items()}
# a status's badge (its words are in the label table, webapp/labels.py)
STATUS_KINDS = {"valid": "ok", "cancelled": "warn"}


def find_invoice(uuid: str) -> dict[str, Any]:
    """The invoice with this UUID, whatever its type (the three gets run at once)."""
    return find_invoice_with(uuid)[0]


def find_invoice_with(
    uuid: str, *also: Callable[[], Any], kind: str | None = None
) -> tuple[dict[str, Any], list[Any]]:
    """The invoice, and the results of ``also`` — calls that do not need the invoice, run in
    the same round as the typed gets (one round trip instead of two). ``kind`` (income,
    egress, payment), when the link said it: one typed get instead of three."""
    client = api()
    kinds = [kind] if kind else list(KINDS)

    def get(kind: str):
        try:
            return client.invoices.get(uuid, kind)
        except NotFound:
            return None

    results = gather(*[lambda k=k: get(k) for k in kinds], *also)
    found = next((inv for inv in results[: len(kinds)] if inv), None)
    if found is None:
        abort(404)
    return found, results[len(kinds) :]


def kind_from_link() -> str | None:
    """The invoice's type as the link that led here says it (``?type=income|egress|payment``,
    put there by the page that knew it); None without one (an old bookmark). Any other value
    names no invoice: the not-found page."""
    kind = request.args.get("type")
    if kind is not None and kind not in KINDS:
        abort(404)
    return kind


def link_kind(invoice: dict[str, Any]) -> str | None:
    """The ``type`` a link to this invoice carries (template filter ``invoice_kind``): its
    detail then asks one typed get instead of three; None when the row does not say."""
    return KIND_OF_TYPE.get(invoice.get("invoice_type") or "")


def kind_of(invoice: dict[str, Any]) -> str:
    return link_kind(invoice) or "income"


def folio_of(invoice: dict[str, Any]) -> str:
    """``<series>-<folio>`` as the pages show it."""
    return f"{invoice.get('series') or ''}-{invoice.get('folio_number') or ''}"


def type_name(invoice: dict[str, Any]) -> str:
    """ "Factura", "Nota de crédito" or "Complemento de pago" (template filter
    ``document_type``)."""
    invoice_type = invoice.get("invoice_type")
    return label("invoice_type", invoice_type if invoice_type in KIND_OF_TYPE else "I")


def document_name(invoice: dict[str, Any]) -> str:
    """The document as every page names it: its type and series-folio ("Complemento de pago
    B-3"; template filter ``document_name``)."""
    return f"{type_name(invoice)} {folio_of(invoice)}"


def document_url(invoice: dict[str, Any]) -> str:
    """The document's page (its type in the link: one typed get)."""
    return url_for("invoices.show", uuid=invoice["uuid"], type=kind_of(invoice))


def cancellation_status(invoice: dict[str, Any]) -> str:
    """SAT's answer to the cancellation in words ("" when there is none; an unknown value as
    gigstack sent it); template global ``cancellation_status``."""
    return label("cancellation_status", invoice.get("cancellation_status"), empty="")


def invoice_status(invoice: dict[str, Any]) -> tuple[str, str]:
    """The status's words and its badge kind (template global ``invoice_status``)."""
    status = invoice.get("status")
    return label("invoice_status", status), STATUS_KINDS.get(status or "", "neutral")
