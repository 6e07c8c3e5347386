"""Finding an invoice by its UUID whatever its type (income, egress, payment complement), and
naming it by its type — the one place that says "Complemento de pago B-3", "Nota de crédito
NC-2" or "Factura F-6", and how its status reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, request

from webapp.api import api
from webapp.gigstack.errors import NotFound
from webapp.i18n import lazy_gettext as _l
from webapp.parallel import gather

KINDS = {"income": "I", "egress": "E", "payment": "P"}
KIND_OF_TYPE = {invoice_type: kind for kind, invoice_type in KINDS.items()}
# what a CFDI is called, by its type (an unknown type reads as an invoice)
TYPE_NAMES = {"I": _l("Invoice"), "E": _l("Credit note"), "P": _l("Payment complement")}
# SAT's words: a CFDI is in force (vigente) or cancelled
STATUSES = {"valid": (_l("In force"), "ok"), "cancelled": (_l("Cancelled"), "warn")}


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
    return str(TYPE_NAMES.get(invoice.get("invoice_type") or "I", TYPE_NAMES["I"]))


def document_name(invoice: dict[str, Any]) -> str:
    """The document as every page names it: its type and series-folio ("Complemento de pago
    B-3"; template filter ``document_name``)."""
    return f"{type_name(invoice)} {folio_of(invoice)}"


# SAT's answer to a cancellation (REFERENCE: InvoiceObject.cancellation_status; its values are
# inferred, so they live here and only here)
CANCELLATION_STATUSES = {
    "pending": _l("pending the receiver's acceptance"),
    "accepted": _l("accepted"),
    "rejected": _l("rejected by the receiver"),
}


def cancellation_status(invoice: dict[str, Any]) -> str:
    """SAT's answer to the cancellation in words ("" when there is none; an unknown value as
    gigstack sent it); template global ``cancellation_status``."""
    value = invoice.get("cancellation_status") or ""
    return str(CANCELLATION_STATUSES.get(value, value))


def invoice_status(invoice: dict[str, Any]) -> tuple[str, str]:
    """The status's words and its badge kind (template global ``invoice_status``)."""
    label, kind = STATUSES.get(invoice.get("status") or "", (invoice.get("status") or "—", ""))
    return str(label), kind or "neutral"
