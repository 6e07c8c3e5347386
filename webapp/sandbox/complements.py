"""The taxes a payment complement carries (REFERENCE §12.3 PaymentComplementInfo).

SAT's Pagos 2.0 makes a P CFDI for a taxed invoice say which share of that invoice's taxes the
payment settles (``ImpuestosDR`` per paid invoice) and add them up in ``Pagos/Totales``;
accounting software reads the collected IVA from there. Both are worked out here from the paid
invoice's printed tax lines, so the API's ``payment_complement`` and the XML say the same.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from webapp.domain.money import ItemAmounts, compute_item, round2, to_decimal, to_number

__all__ = ["paid_taxes", "sat_totals", "tax_object"]

# Pagos/Totales names the transferred IVA by its rate
_IVA_RATES = {Decimal("0.16"): "16", Decimal("0.08"): "8", Decimal("0"): "0"}


def tax_object(item: dict[str, Any], amounts: ItemAmounts) -> str:
    """The item's c_ObjetoImp as the CFDI prints it: its ``taxability``, else 02 with taxes."""
    return str(item.get("taxability") or "").strip() or ("02" if amounts.taxes else "01")


def paid_taxes(invoice: dict[str, Any], amount_paid: Any) -> list[dict[str, Any]]:
    """The share ``amount_paid / total`` of the invoice's taxes, one entry per (type, factor,
    rate, withholding) of its lines that are tax object 02; ``[]`` when none is."""
    total = to_decimal(invoice.get("total"))
    if total <= 0:
        return []
    share = to_decimal(amount_paid) / total
    groups: dict[tuple[str, str, Decimal, bool], list[Decimal]] = {}
    for item in invoice.get("items") or []:
        if not isinstance(item, dict):
            continue
        amounts = compute_item(item)
        if tax_object(item, amounts) != "02":
            continue
        for line in amounts.taxes:
            sums = groups.setdefault(
                (line.kind, line.factor, line.rate, line.withholding), [Decimal(0), Decimal(0)]
            )
            sums[0] += line.base
            sums[1] += line.amount
    return [
        {
            "type": kind,
            "factor": factor,
            "rate": float(rate),
            "withholding": withholding,
            "base": to_number(base * share),
            "amount": to_number(amount * share),
        }
        for (kind, factor, rate, withholding), (base, amount) in groups.items()
    ]


def sat_totals(amount: Any, exchange_rate: Any, related: list[dict[str, Any]]) -> dict[str, float]:
    """``Pagos/Totales`` in MXN: withheld IVA/ISR/IEPS, transferred IVA base and tax per rate
    (and the exempt base), ``MontoTotalPagos``; only the keys that apply."""
    rate = to_decimal(exchange_rate) or Decimal(1)
    sums: dict[str, Decimal] = {}

    def add(key: str, value: Any) -> None:
        sums[key] = sums.get(key, Decimal(0)) + to_decimal(value)

    for row in related:
        for tax in row.get("taxes") or []:
            kind = tax["type"]
            if tax["withholding"]:
                add(f"TotalRetenciones{kind}", tax["amount"])
            elif kind == "IVA" and tax["factor"] == "Exento":
                add("TotalTrasladosBaseIVAExento", tax["base"])
            elif kind == "IVA" and to_decimal(tax["rate"]) in _IVA_RATES:
                suffix = _IVA_RATES[to_decimal(tax["rate"])]
                add(f"TotalTrasladosBaseIVA{suffix}", tax["base"])
                add(f"TotalTrasladosImpuestoIVA{suffix}", tax["amount"])
    out = {key: to_number(round2(value * rate)) for key, value in sums.items()}
    out["MontoTotalPagos"] = to_number(round2(to_decimal(amount) * rate))
    return out
