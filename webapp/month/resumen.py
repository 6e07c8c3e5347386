"""``resumen.csv``: one row per CFDI of the month, and the totals the note states.

Rows are made from each document's XML summary (:mod:`.cfdi`) plus what gigstack says of it
now (status, cancellation). Written with the project's CSV rules (:mod:`webapp.exports`):
UTF-8 with a BOM, formula-safe cells. Column titles are in the job's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from webapp import catalogs
from webapp.i18n import gettext as _

from .cfdi import TAX_COLUMNS

# what each column holds (the CSV's titles are their translations: :func:`header`)
COLUMNS = (
    "type",
    "series_folio",
    "uuid",
    "issued_at",
    "stamped_at",
    "receiver_rfc",
    "receiver_name",
    "subtotal",
    "discount",
    *TAX_COLUMNS,
    "total",
    "currency",
    "exchange_rate",
    "payment_method",
    "payment_form",
    "payments_total",
    "status",
    "cancelled_at",
    "cancellation_motive",
    "related",
)


def titles() -> dict[str, str]:
    """Column → its title in the current language."""
    return {
        "type": _("Type"),
        "series_folio": _("Series-folio"),
        "uuid": "UUID",
        "issued_at": _("Issued"),
        "stamped_at": _("Stamped"),
        "receiver_rfc": _("Receiver RFC"),
        "receiver_name": _("Receiver name"),
        "subtotal": _("Subtotal"),
        "discount": _("Discount"),
        "iva_transferred": _("IVA transferred"),
        "ieps_transferred": _("IEPS transferred"),
        "isr_withheld": _("ISR withheld"),
        "iva_withheld": _("IVA withheld"),
        "ieps_withheld": _("IEPS withheld"),
        "total": _("Total"),
        "currency": _("Currency"),
        "exchange_rate": _("Exchange rate"),
        "payment_method": _("Payment method"),
        "payment_form": _("Payment form"),
        "payments_total": _("Amount paid (complement)"),
        "status": _("Status"),
        "cancelled_at": _("Cancelled on"),
        "cancellation_motive": _("Cancellation motive"),
        "related": _("Related UUIDs"),
    }


def header() -> list[str]:
    named = titles()
    return [named[column] for column in COLUMNS]


def type_label(code: str) -> str:
    names = {"I": _("Income"), "E": _("Egress"), "P": _("Payment complement")}
    return f"{names[code]} ({code})" if code in names else code


def status_label(status: str) -> str:
    return {"valid": _("Valid (in force)"), "cancelled": _("Cancelled")}.get(status, status)


def row(cfdi: dict[str, Any], listed: dict[str, Any]) -> list[Any]:
    """One CSV row: the XML's summary ``cfdi`` and gigstack's listing ``listed`` of it."""
    folio = "-".join(part for part in (cfdi["series"], cfdi["folio"]) if part)
    values = {
        **cfdi,
        **cfdi["taxes"],
        "type": type_label(cfdi["type"]),
        "series_folio": folio,
        "related": " ".join(cfdi["related"]),
        "status": status_label(listed.get("status") or ""),
        "cancelled_at": listed.get("cancelled_at") or "",
        "cancellation_motive": catalogs.label("cancellation_motives", listed.get("motive")),
    }
    return [values.get(column, "") for column in COLUMNS]


@dataclass
class Sums:
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


# the amounts the note totals, per type of CFDI and currency
SUMMED = ("subtotal", "discount", *TAX_COLUMNS, "total", "payments_total")


class Totals:
    """Sums of the rows written, per (type, currency): what the note states and what a
    reader can check against the documents."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], Sums] = defaultdict(Sums)

    def add(self, cfdi: dict[str, Any]) -> None:
        sums = self.groups[(cfdi["type"], cfdi["currency"])]
        sums.count += 1
        for name in SUMMED:
            value = cfdi["taxes"].get(name) if name in TAX_COLUMNS else cfdi.get(name)
            if value:
                sums.amounts[name] += Decimal(value)

    def lines(self) -> Iterator[str]:
        """``Ingreso (I), MXN: 120 CFDI; subtotal 1,000.00; … total 1,160.00`` per group."""
        named = titles()
        for (code, currency), sums in sorted(self.groups.items()):
            amounts = "; ".join(
                f"{named[name]} {sums.amounts[name]:,.2f}"
                for name in SUMMED
                if sums.amounts.get(name)
            )
            yield _(
                "%(type)s, %(currency)s: %(count)s CFDI; %(amounts)s",
                type=type_label(code),
                currency=currency,
                count=sums.count,
                amounts=amounts or "0",
            )


def rows(results: Iterable[dict[str, Any]], totals: Totals) -> Iterator[list[Any]]:
    """The rows of the items that have their XML, in the job's order (``totals`` adds up)."""
    for result in results:
        cfdi = (result.get("data") or {}).get("cfdi")
        if cfdi:
            totals.add(cfdi)
            yield row(cfdi, result["data"])
