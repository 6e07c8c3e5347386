"""What a PAC refuses in a CFDI 4.0 that an API body can already show, in one place.

The sandbox refuses an invoice with these before stamping it (400 on the field), and the
dashboard's pre-stamp report runs the very same rules on the body it is about to send, so an
operator hears it before the API does. Each :class:`Problem` names the API field and carries an
English message with ``%(name)s`` values: the sandbox prints it, the dashboard translates it
(the messages are marked with :func:`N_` for its catalogue). Pure: no Flask, no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from webapp.catalogs import sat
from webapp.domain.money import compute_item

__all__ = [
    "FOREIGN_RFC",
    "FOREIGN_TAX_ID",
    "MAX_FOLIO_DIGITS",
    "Problem",
    "default_taxability",
    "document_problems",
    "foreign_receiver",
    "invoice_problems",
    "item_problems",
    "receiver_problems",
]


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, which pybabel extracts
    """Marks ``message`` for the dashboard's catalogue; the text itself is unchanged."""
    return message


FOREIGN_RFC = "XEXX010101000"
# Where a foreign client's tax registration number (NumRegIdTrib) is kept: the contract has no
# field for it, so it is this key of the client's ``metadata``. Inferred; change it here.
FOREIGN_TAX_ID = "foreign_tax_id"
MAX_FOLIO_DIGITS = 40  # cfdv40: Folio is 1 to 40 characters
MAX_FOREIGN_TAX_ID = 40  # cfdv40: NumRegIdTrib is 1 to 40 characters
# c_ObjetoImp: 02 must carry the item's taxes; these must carry none
TAXED = "02"
UNTAXED = frozenset({"01", "03", "04"})
BIMONTHLY = "05"  # c_Periodicidad: bimestral, the only one whose Meses are 13 to 18
FOREIGN_TRADE_EXPORT = "02"  # c_Exportacion: definitive (A1), needs Comercio Exterior
# what names the Comercio Exterior complement in ``complements[].type`` (inferred)
FOREIGN_TRADE_TYPES = frozenset({"cce", "cce20", "comercioexterior", "comercio_exterior"})
CADENA_SEPARATOR = "|"  # SAT's cadena original separates fields with it
# an item's texts a cadena original holds, with what is said when one holds its separator
TEXT_FIELDS = {
    "description": N_("the description must not contain '|' (SAT's separator)"),
    "unit_name": N_("the unit name must not contain '|' (SAT's separator)"),
    "sku": N_("the SKU must not contain '|' (SAT's separator)"),
}


@dataclass(frozen=True)
class Problem:
    """One refusal: the API ``field`` path and why (``message % values``)."""

    field: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    item: int | None = None  # the item's index when the problem is in one

    @property
    def text(self) -> str:
        return self.message % self.values if self.values else self.message


def default_taxability(taxes: list[Any] | None) -> str:
    """The c_ObjetoImp of an item that names none: 02 with taxes, else 01."""
    return TAXED if taxes else "01"


def foreign_receiver(client: dict[str, Any] | None) -> dict[str, str] | None:
    """``{country, tax_id}`` (ResidenciaFiscal, NumRegIdTrib) of a foreign receiver
    (RFC XEXX010101000): the client's address country and its registration number; None for
    any other receiver."""
    client = client or {}
    if str(client.get("tax_id") or "").strip().upper() != FOREIGN_RFC:
        return None
    metadata = client.get("metadata") if isinstance(client.get("metadata"), dict) else {}
    return {
        "country": str((client.get("address") or {}).get("country") or "").strip().upper(),
        "tax_id": str(metadata.get(FOREIGN_TAX_ID) or "").strip(),
    }


def _tax_problems(index: int, item: dict[str, Any]) -> Iterable[Problem]:
    taxes = [t for t in item.get("taxes") or [] if isinstance(t, dict)]
    path = f"items[{index}].taxes"
    for number, tax in enumerate(taxes):
        kind, factor = str(tax.get("type") or "").upper(), tax.get("factor") or "Tasa"
        if factor == "Exento" or kind not in ("IVA", "ISR", "IEPS"):
            continue
        if not sat.rate_allowed(kind, factor, tax.get("rate"), bool(tax.get("withholding"))):
            message = (
                N_("%(rate)s is not a rate of SAT's catalogue (c_TasaOCuota) for %(tax)s withheld")
                if tax.get("withholding")
                else N_(
                    "%(rate)s is not a rate of SAT's catalogue (c_TasaOCuota) for %(tax)s "
                    "transferred"
                )
            )
            values = {"rate": tax.get("rate"), "tax": f"{kind} {factor}"}
            yield Problem(f"{path}[{number}].rate", message, values, index)
    if any((t.get("factor") or "Tasa") != "Cuota" for t in taxes) and compute_item(item).base <= 0:
        yield Problem(
            path, N_("a tax needs a base above 0 (quantity × unit price − discount)"), item=index
        )
    taxability = str(item.get("taxability") or default_taxability(taxes))
    if taxability == TAXED and not taxes:
        yield Problem(
            f"items[{index}].taxability", N_("tax object 02 needs the item's taxes"), item=index
        )
    elif taxability in UNTAXED and taxes:
        yield Problem(
            f"items[{index}].taxability",
            N_("tax object %(code)s carries no taxes: leave them out, or use 02"),
            {"code": taxability},
            index,
        )


def item_problems(items: list[dict[str, Any]]) -> list[Problem]:
    """SAT keys, text a cadena original can hold, taxes a PAC accepts, of each item."""
    found: list[Problem] = []
    for index, item in enumerate(items):
        product, unit = item.get("product_key"), item.get("unit_key")
        if sat.product_key(product) is None:
            found.append(
                Problem(
                    f"items[{index}].product_key",
                    N_("%(key)s is not a product key of SAT's catalogue (c_ClaveProdServ)"),
                    {"key": product or "—"},
                    index,
                )
            )
        if sat.unit_key(unit) is None:
            found.append(
                Problem(
                    f"items[{index}].unit_key",
                    N_("%(key)s is not a unit key of SAT's catalogue (c_ClaveUnidad)"),
                    {"key": unit or "—"},
                    index,
                )
            )
        for name, message in TEXT_FIELDS.items():
            if CADENA_SEPARATOR in str(item.get(name) or ""):
                found.append(Problem(f"items[{index}].{name}", message, item=index))
        found += _tax_problems(index, item)
    return found


def _global_problems(value: Any) -> Iterable[Problem]:
    if not isinstance(value, dict) or not value.get("periodicity") or not value.get("months"):
        return
    periodicity, months = str(value["periodicity"]), str(value["months"])
    if (periodicity == BIMONTHLY) != (months.isdigit() and int(months) >= 13):
        yield Problem(
            "global.months",
            N_(
                "%(months)s does not go with periodicity %(periodicity)s (13 to 18 are bimesters, "
                "only with 05)"
            ),
            {"months": months, "periodicity": periodicity},
        )


def _has_foreign_trade(complements: Any) -> bool:
    for entry in complements or []:
        if not isinstance(entry, dict):
            continue
        kind = str(entry.get("type") or "").casefold().replace(" ", "").replace("-", "_")
        if kind in FOREIGN_TRADE_TYPES or "ComercioExterior" in str(entry.get("data") or ""):
            return True
    return False


def receiver_problems(client: dict[str, Any] | None) -> Iterable[Problem]:
    """A foreign receiver's ResidenciaFiscal and NumRegIdTrib, on every kind of CFDI."""
    foreign = foreign_receiver(client)
    if foreign is None:
        return
    country = foreign["country"]
    if not country or country == "MEX" or sat.country(country) is None:
        yield Problem(
            "client.address.country",
            N_(
                "a foreign receiver (XEXX010101000) needs its country of residence (c_Pais, not "
                "MEX)"
            ),
        )
    if not foreign["tax_id"] or len(foreign["tax_id"]) > MAX_FOREIGN_TAX_ID:
        yield Problem(
            f"client.metadata.{FOREIGN_TAX_ID}",
            N_(
                "a foreign receiver (XEXX010101000) needs its tax registration number (1 to 40 "
                "characters)"
            ),
        )


def invoice_problems(invoice: dict[str, Any], client: dict[str, Any] | None) -> list[Problem]:
    """Every rule of this module for an income or egress invoice body (API names: ``items``,
    ``currency``, ``global``, ``exports``, ``complements``, ``folio_number``) to ``client``."""
    items = [i for i in invoice.get("items") or [] if isinstance(i, dict)]
    return item_problems(items) + document_problems(invoice, client)


def document_problems(invoice: dict[str, Any], client: dict[str, Any] | None) -> list[Problem]:
    """:func:`invoice_problems` but the items'."""
    found: list[Problem] = []
    currency = str(invoice.get("currency") or "MXN").upper()
    if currency == "XXX" or sat.currency(currency) is None:
        found.append(
            Problem(
                "currency",
                N_("%(code)s is not a currency of SAT's catalogue (c_Moneda)"),
                {"code": currency},
            )
        )
    found += _global_problems(invoice.get("global"))
    if invoice.get("exports") == FOREIGN_TRADE_EXPORT and not _has_foreign_trade(
        invoice.get("complements")
    ):
        found.append(
            Problem(
                "exports",
                N_("02 (definitive export) needs the foreign trade complement (Comercio Exterior)"),
            )
        )
    folio = invoice.get("folio_number")
    if folio is not None and len(str(folio)) > MAX_FOLIO_DIGITS:
        found.append(
            Problem(
                "folio_number",
                N_("the folio must have at most %(digits)s digits"),
                {"digits": MAX_FOLIO_DIGITS},
            )
        )
    found += receiver_problems(client)
    return found
