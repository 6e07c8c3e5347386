"""Money and tax arithmetic of documents (REFERENCE §1.10), in one place.

The per-item computation lives in :func:`webapp.sandbox.documents.compute_item` (the XML must
add up to the invoice, so both use the very same function); this module sums items into the
document totals every response shows, with SAT's half-up rounding to cents.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .documents import ItemAmounts, compute_item

__all__ = ["ItemAmounts", "compute_item", "compute_totals", "round2", "to_decimal", "to_number"]

_CENT = Decimal("0.01")


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


def compute_totals(items: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Document totals ``{subtotal, discount, taxes, total}`` of Item objects.

    ``taxes`` is the net tax (transferred − withheld) so ``total = subtotal − discount +
    taxes``; each tax line is already rounded per item, as the CFDI writes it.
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
    subtotal = round2(importe)
    discount_r = round2(discount)
    taxes = round2(transferred - withheld)
    total = round2(subtotal - discount_r + taxes)
    return {
        "subtotal": to_number(subtotal),
        "discount": to_number(discount_r),
        "taxes": to_number(taxes),
        "total": to_number(total),
    }
