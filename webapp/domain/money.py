"""Money and tax arithmetic of documents (REFERENCE §1.10), in one place.

:func:`compute_item` works out one item's CFDI numbers, each printed amount (Importe, Base,
each tax) rounded once, per line; :func:`compute_totals` adds up those printed amounts into the
document totals every response shows — SAT (and a PAC) checks that SubTotal is the sum of the
lines' Importe, so the document never rounds a sum of unrounded lines. The sandbox writes its
XML with the very same function, and the dashboard previews totals with it before sending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from webapp import catalogs

__all__ = [
    "ItemAmounts",
    "TaxLine",
    "compute_item",
    "compute_totals",
    "round2",
    "to_decimal",
    "to_number",
]

_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a JSON number (via ``str`` so 0.1 stays 0.1); bad input is 0."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def round2(value: Any) -> Decimal:
    """Half-up to two decimals (SAT practice): 0.125 → 0.13, 2.675 → 2.68."""
    return to_decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def to_number(value: Any) -> float:
    """A rounded amount as a JSON number (``-0.0`` never appears)."""
    out = float(round2(value))
    return out + 0.0 if out else 0.0


def _text(value: Any) -> str:
    """Stripped string, '' for None."""
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class TaxLine:
    """One computed tax of one item (a CFDI Traslado or Retencion)."""

    kind: str  # IVA / ISR / IEPS
    sat_code: str  # 002 / 001 / 003
    factor: str  # Tasa / Cuota / Exento
    rate: Decimal
    base: Decimal
    amount: Decimal  # 0 for Exento
    withholding: bool


@dataclass(frozen=True)
class ItemAmounts:
    """An item's CFDI numbers per REFERENCE §1.10."""

    quantity: Decimal
    unit_value: Decimal  # excludes inclusive taxes; unrounded
    importe: Decimal  # round2(quantity × unit_value): the line's printed Importe
    discount: Decimal  # rounded
    base: Decimal  # importe − discount: the printed Base of each tax
    taxes: tuple[TaxLine, ...] = field(default_factory=tuple)

    @property
    def transfers(self) -> tuple[TaxLine, ...]:
        return tuple(t for t in self.taxes if not t.withholding)

    @property
    def withholdings(self) -> tuple[TaxLine, ...]:
        return tuple(t for t in self.taxes if t.withholding)


def _tax_code(kind: str) -> str:
    entry = catalogs.get("taxes", kind)
    return entry["sat_code"] if entry else kind


def _norm_factor(value: Any) -> str:
    factor = _text(value).capitalize() or "Tasa"
    return factor if factor in {"Tasa", "Cuota", "Exento"} else "Tasa"


def _adds_to_iva_base(tax: dict[str, Any]) -> bool:
    """An IEPS transferred at a rate or a quota: part of the value IVA is worked out on."""
    return (
        _text(tax.get("type")).upper() == "IEPS"
        and not tax.get("withholding")
        and _norm_factor(tax.get("factor")) != "Exento"
    )


def compute_item(item: dict[str, Any]) -> ItemAmounts:
    """Per-item amounts: the numbers of the item's CFDI Concepto and of its taxes.

    IVA's base is the line's base plus the IEPS transferred on it: LIVA art. 12 (goods) and
    art. 18 (services) count every tax but IVA itself in the value IVA is paid on, so a
    beverage of 100 with IEPS 26.5 % pays IVA on 126.50. An inclusive price holds both, the
    IVA on the IEPS too."""
    quantity = Decimal(1) if item.get("quantity") is None else to_decimal(item.get("quantity"))
    taxes = [t for t in item.get("taxes") or [] if isinstance(t, dict)]
    rated = [t for t in taxes if _norm_factor(t.get("factor")) == "Tasa"]
    ieps_rate = sum((to_decimal(t.get("rate")) for t in rated if _adds_to_iva_base(t)), _ZERO)
    inclusive = sum(
        (
            to_decimal(t.get("rate"))
            * (1 + ieps_rate if _text(t.get("type")).upper() == "IVA" else 1)
            for t in rated
            if t.get("inclusive") and not t.get("withholding")
        ),
        _ZERO,
    )
    unit_price = to_decimal(item.get("unit_price"))
    unit_value = unit_price / (1 + inclusive) if inclusive else unit_price
    importe = round2(quantity * unit_value)
    discount = round2(item.get("discount"))
    base = importe - discount
    ieps = sum(
        (
            round2(quantity * to_decimal(t.get("rate")))
            if _norm_factor(t.get("factor")) == "Cuota"
            else round2(base * to_decimal(t.get("rate")))
            for t in taxes
            if _adds_to_iva_base(t)
        ),
        _ZERO,
    )
    lines = []
    for tax in taxes:
        kind = _text(tax.get("type")).upper() or "IVA"
        factor = _norm_factor(tax.get("factor"))
        rate = to_decimal(tax.get("rate"))
        value = base + ieps if kind == "IVA" else base
        if factor == "Exento":
            amount, tax_base = _ZERO, value
        elif factor == "Cuota":
            # IEPS per unit: the base is the number of units, the amount quantity × quota.
            amount, tax_base = round2(quantity * rate), quantity
        else:
            amount, tax_base = round2(value * rate), value
        lines.append(
            TaxLine(
                kind, _tax_code(kind), factor, rate, tax_base, amount, bool(tax.get("withholding"))
            )
        )
    return ItemAmounts(quantity, unit_value, importe, discount, base, tuple(lines))


def compute_totals(items: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Document totals ``{subtotal, discount, taxes, total}`` of Item objects.

    Sums of the printed line amounts (§1.10): ``subtotal`` = Σ Importe, ``discount`` = Σ
    discounts, ``taxes`` the net tax (transferred − withheld) so ``total = subtotal −
    discount + taxes``.
    """
    importe = Decimal(0)
    discount = Decimal(0)
    transferred = Decimal(0)
    withheld = Decimal(0)
    for item in items:
        amounts = compute_item(item)
        importe += amounts.importe
        discount += amounts.discount
        for line in amounts.taxes:
            if line.withholding:
                withheld += line.amount
            elif line.factor != "Exento":
                transferred += line.amount
    taxes = transferred - withheld
    total = importe - discount + taxes
    return {
        "subtotal": to_number(importe),
        "discount": to_number(discount),
        "taxes": to_number(taxes),
        "total": to_number(total),
    }
