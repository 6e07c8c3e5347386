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
from webapp.panels import Panel, panel
from webapp.parallel import gather

from .lookup import kind_of

LISTED = 100  # the client's invoices of each type read to find the relations


@dataclass
class Relations:
    """One invoice's relations; ``failure``: a list gigstack did not give (the first), so what
    is shown may be short, and ``unread_lists`` names them (``income``, ``egress``,
    ``complements``, ``substitute``): their sections say so instead of "none"."""

    complements: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    replaces: list[dict[str, Any]] = field(default_factory=list)
    substitute: dict[str, Any] | None = None
    related: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    failure: Panel[Any] | None = None
    unread_lists: frozenset[str] = frozenset()

    @property
    def unread(self) -> bool:
        return self.failure is not None

    def still_valid(self) -> list[dict[str, Any]]:
        """The credit notes and complements not cancelled: SAT refuses to cancel the invoice
        while they stand (unless the motive fits)."""
        return [d for d in (*self.credit_notes, *self.complements) if d.get("status") == "valid"]


def complements_of(client: Any, uuid: str) -> Panel[list[dict[str, Any]]]:
    """The complements paying ``uuid``, as a panel (it fails alone).
    Upstream call: ``GET /invoices/payment?invoice_id=``."""
    return panel(lambda: list(client.invoices.list("payment", invoice_id=uuid, limit=LISTED)))


def relations_of(
    invoice: dict[str, Any],
    complements: Panel[list[dict[str, Any]]] | None = None,
    *also: Callable[[], Any],
) -> tuple[Relations, list[Any]]:
    """Everything related to ``invoice``, and the results of ``also`` (a view's own calls,
    made in the same round). Upstream calls, at once: the complements (unless given), the
    client's income invoices, (income) its egress invoices, ``also``; then the substitute
    when the lists do not hold it."""
    client, uuid = api(), invoice["uuid"]
    client_id = (invoice.get("client") or {}).get("id")
    is_income = invoice.get("invoice_type") == "I"

    def listed(kind: str) -> Panel[list[dict[str, Any]]]:
        if not client_id:
            return Panel([])
        return panel(lambda: list(client.invoices.list(kind, client_id=client_id, limit=LISTED)))

    wanted = invoice.get("substitution_uuid")
    income, egress, paying, *extra = gather(
        lambda: listed("income"),
        lambda: listed("egress") if is_income else Panel([]),
        lambda: (
            complements
            if complements is not None
            else (complements_of(client, uuid) if is_income else Panel([]))
        ),
        *also,
    )
    lists = {"income": income, "egress": egress, "complements": paying}
    known = {d["uuid"].upper(): d for d in [*(income.value or []), *(egress.value or [])]}
    substitute = known.get((wanted or "").upper())
    if wanted and substitute is None:
        lists["substitute"] = panel(lambda: client.invoices.get(wanted, kind_of(invoice)))
        substitute = lists["substitute"].value
    failed = {name: found for name, found in lists.items() if found.failed}
    related = [
        (group.get("relationship") or "", doc, known.get(str(doc).upper()))
        for group in invoice.get("related_documents") or []
        for doc in group.get("documents") or []
    ]
    named = {doc.upper() for _, doc, _ in related}
    found = Relations(
        complements=paying.value or [],
        credit_notes=[d for d in egress.value or [] if _names(d, uuid)],
        replaces=[
            d
            for d in income.value or []
            if (d.get("substitution_uuid") or "").upper() == uuid.upper()
            and d["uuid"].upper() not in named
        ],
        substitute=substitute,
        related=related,
        failure=next(iter(failed.values()), None),
        unread_lists=frozenset(failed),
    )
    return found, extra


def _names(document: dict[str, Any], uuid: str) -> bool:
    """Whether ``document`` relates to ``uuid`` (any relationship)."""
    return any(
        str(doc).upper() == uuid.upper()
        for group in document.get("related_documents") or []
        for doc in group.get("documents") or []
    )
