"""The taxes editor: the usual Mexican tax set of a service as a few choices, and back.

IVA transferred (16 %, 8 % border region, 0 %, exento), IVA withheld (10.6667 %, 4 %, 16 %),
ISR withheld (10 %, 1.25 % RESICO) and IEPS at a rate (Tasa), plus "the price already includes
the transferred taxes". Rates come from the local ``taxes.json`` catalogue. Taxes the editor
cannot show (an IEPS Cuota, a second IVA…) are kept as they are unless the editor is changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from webapp import catalogs
from webapp.domain.money import compute_totals
from webapp.i18n import lazy_gettext as _l

NONE = ""
EXEMPT = "exento"


def _rates(code: str, kind: str) -> list[float]:
    return list((catalogs.get("taxes", code) or {}).get(kind) or [])


def _percent(rate: float) -> str:
    text = f"{Decimal(str(rate)) * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text} %"


def iva_choices() -> list[tuple[str, Any]]:
    return [
        (NONE, _l("No IVA")),
        *[(str(r), f"IVA {_percent(r)}") for r in _rates("IVA", "typical_transfer_rates")],
        (EXEMPT, _l("IVA exempt")),
    ]


def withholding_choices(code: str) -> list[tuple[str, Any]]:
    return [
        (NONE, _l("None")),
        *[(str(r), f"{code} {_percent(r)}") for r in _rates(code, "typical_withholding_rates")],
    ]


def offered_rate(code: str, kind: str, choice: str) -> float | None:
    """The catalogue's rate a choice names (``"0.16"`` → 0.16), None for anything else: a
    select's value comes from the browser, so it is looked up, never converted."""
    return next((rate for rate in _rates(code, kind) if str(rate) == choice), None)


def _tax(kind: str, rate: float, withholding: bool, inclusive: bool) -> dict[str, Any]:
    return {
        "type": kind,
        "rate": rate,
        "factor": "Tasa",
        "withholding": withholding,
        "inclusive": inclusive,
    }


def taxes_from_choices(
    iva: str, iva_withheld: str, isr_withheld: str, ieps: float | None, inclusive: bool
) -> list[dict[str, Any]]:
    """The Tax[] of ServiceInput for what the editor shows (a choice it does not offer is
    none: the form says so on its field)."""
    taxes: list[dict[str, Any]] = []
    transferred = offered_rate("IVA", "typical_transfer_rates", iva)
    if iva == EXEMPT:
        taxes.append(
            {"type": "IVA", "rate": 0, "factor": "Exento", "withholding": False, "inclusive": False}
        )
    elif transferred is not None:
        taxes.append(_tax("IVA", transferred, False, inclusive))
    if ieps:
        taxes.append(_tax("IEPS", round(ieps / 100, 6), False, inclusive))
    for code, choice in (("IVA", iva_withheld), ("ISR", isr_withheld)):
        withheld = offered_rate(code, "typical_withholding_rates", choice)
        if withheld is not None:
            taxes.append(_tax(code, withheld, True, False))
    return taxes


def choices_from_taxes(taxes: list[dict[str, Any]] | None) -> tuple[dict[str, Any], list]:
    """The editor's values for a service's taxes, and the taxes it cannot show (kept)."""
    values: dict[str, Any] = {
        "iva": NONE,
        "iva_withheld": NONE,
        "isr_withheld": NONE,
        "ieps": None,
        "inclusive": False,
    }
    others = []
    for tax in taxes or []:
        kind, factor = (tax.get("type") or "").upper(), tax.get("factor") or "Tasa"
        rate, withholding = tax.get("rate") or 0, bool(tax.get("withholding"))
        if kind == "IVA" and not withholding and values["iva"] == NONE and factor == "Exento":
            values["iva"] = EXEMPT
        elif (
            kind == "IVA"
            and not withholding
            and values["iva"] == NONE
            and factor == "Tasa"
            and rate in _rates("IVA", "typical_transfer_rates")
        ):
            values["iva"], values["inclusive"] = str(rate), bool(tax.get("inclusive"))
        elif (
            kind in ("IVA", "ISR")
            and withholding
            and values[withheld := f"{kind.lower()}_withheld"] == NONE
            and rate in _rates(kind, "typical_withholding_rates")
        ):
            values[withheld] = str(rate)
        elif kind == "IEPS" and not withholding and factor == "Tasa" and values["ieps"] is None:
            values["ieps"] = round(rate * 100, 4)
            values["inclusive"] = values["inclusive"] or bool(tax.get("inclusive"))
        else:
            others.append(tax)
    return values, others


def price_preview(unit_price: float | None, taxes: list[dict[str, Any]]) -> dict[str, float]:
    """One unit's subtotal, net taxes and total, with the contract's arithmetic (§1.10)."""
    return compute_totals([{"quantity": 1, "unit_price": unit_price or 0, "taxes": taxes}])
