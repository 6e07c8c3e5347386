"""How an invoice relates to the others, both ways: the documents it names (its related
documents, the substitute it was cancelled for) and those that name it (its credit notes, the
complements that pay it, the cancelled invoices it substitutes), each with its status.

gigstack has no "documents related to X" route: the complements come from ``GET
/invoices/payment?invoice_id=``, the rest from the client's income and egress invoices (a
credit note or a substitute is always to the same client), the newest 100 of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webapp.api import api
from webapp.gigstack import GigstackError
from webapp.parallel import gather

from .lookup import kind_of

LISTED = 100  # the client's invoices of each type read to find the relations


@dataclass
class Relations:
    """One invoice's relations; ``unread``: some list failed, so what is shown may be short."""

    complements: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    replaces: list[dict[str, Any]] = field(default_factory=list)
    substitute: dict[str, Any] | None = None
    related: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    unread: bool = False

    def still_valid(self) -> list[dict[str, Any]]:
        """The credit notes and complements not cancelled: SAT refuses to cancel the invoice
        while they stand (unless the motive fits)."""
        return [d for d in (*self.credit_notes, *self.complements) if d.get("status") == "valid"]


def _or_none(call: Callable[[], Any]) -> Any:
    """A list that fails alone (the page says the relations may be short)."""
    try:
        return call()
    except GigstackError:
        return None


def complements_of(client: Any, uuid: str) -> list[dict[str, Any]] | None:
    """The complements paying ``uuid``; None when gigstack did not answer.
    Upstream call: ``GET /invoices/payment?invoice_id=``."""
    return _or_none(lambda: list(client.invoices.list("payment", invoice_id=uuid, limit=LISTED)))


def relations_of(
    invoice: dict[str, Any],
    complements: list[dict[str, Any]] | None = None,
    *also: Callable[[], Any],
) -> tuple[Relations, list[Any]]:
    """Everything related to ``invoice``, and the results of ``also`` (a view's own calls,
    made in the same round). Upstream calls, at once: the complements (unless given), the
    client's income invoices, (income) its egress invoices, ``also``; then the substitute
    when the lists do not hold it."""
    client, uuid = api(), invoice["uuid"]
    client_id = (invoice.get("client") or {}).get("id")
    is_income = invoice.get("invoice_type") == "I"

    def listed(kind: str) -> list[dict[str, Any]] | None:
        if not client_id:
            return []
        return _or_none(lambda: list(client.invoices.list(kind, client_id=client_id, limit=LISTED)))

    wanted = invoice.get("substitution_uuid")
    income, egress, paying, *extra = gather(
        lambda: listed("income"),
        lambda: listed("egress") if is_income else [],
        lambda: (
            complements
            if complements is not None
            else (complements_of(client, uuid) if is_income else [])
        ),
        *also,
    )
    known = {d["uuid"].upper(): d for d in [*(income or []), *(egress or [])]}
    substitute = known.get((wanted or "").upper())
    if wanted and substitute is None:
        substitute = _or_none(lambda: client.invoices.get(wanted, kind_of(invoice)))
    related = [
        (group.get("relationship") or "", doc, known.get(str(doc).upper()))
        for group in invoice.get("related_documents") or []
        for doc in group.get("documents") or []
    ]
    named = {doc.upper() for _, doc, _ in related}
    found = Relations(
        complements=paying or [],
        credit_notes=[d for d in egress or [] if _names(d, uuid)],
        replaces=[
            d
            for d in income or []
            if (d.get("substitution_uuid") or "").upper() == uuid.upper()
            and d["uuid"].upper() not in named
        ],
        substitute=substitute,
        related=related,
        unread=None in (income, egress, paying),
    )
    return found, extra


def _names(document: dict[str, Any], uuid: str) -> bool:
    """Whether ``document`` relates to ``uuid`` (any relationship)."""
    return any(
        str(doc).upper() == uuid.upper()
        for group in document.get("related_documents") or []
        for doc in group.get("documents") or []
    )
