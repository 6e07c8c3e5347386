"""What a payment complement (type P) says, in words: its paid invoices' taxes and SAT's
Pagos/Totales (REFERENCE §12.3 PaymentComplementInfo). A P CFDI's own totals are 0 and its one
item is SAT's fixed "Pago": the money is in its ``payment_complement``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from webapp.formatting import money
from webapp.i18n import gettext as _
from webapp.i18n import lazy_gettext as _l

# SAT's Pagos/Totales attributes, in SAT's order
TOTAL_LABELS = {
    "TotalRetencionesIVA": _l("IVA withheld"),
    "TotalRetencionesISR": _l("ISR withheld"),
    "TotalRetencionesIEPS": _l("IEPS withheld"),
    "TotalTrasladosBaseIVA16": _l("Base of IVA 16 %"),
    "TotalTrasladosImpuestoIVA16": _l("IVA 16 %"),
    "TotalTrasladosBaseIVA8": _l("Base of IVA 8 %"),
    "TotalTrasladosImpuestoIVA8": _l("IVA 8 %"),
    "TotalTrasladosBaseIVA0": _l("Base of IVA 0 %"),
    "TotalTrasladosImpuestoIVA0": _l("IVA 0 %"),
    "TotalTrasladosBaseIVAExento": _l("Base exempt from IVA"),
    "MontoTotalPagos": _l("Total of the payments (MXN)"),
}


def _percent(rate: Any) -> str:
    text = f"{Decimal(str(rate or 0)) * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text} %"


def tax_name(tax: dict[str, Any]) -> str:
    """ "IVA 16 %", "ISR withheld 10 %", "IVA exempt", "IEPS 1.5 per unit"."""
    kind = str(tax.get("type") or "")
    if tax.get("factor") == "Exento":
        return _("%(tax)s exempt", tax=kind)
    rate = (
        _("%(rate)s per unit", rate=tax.get("rate"))
        if tax.get("factor") == "Cuota"
        else _percent(tax.get("rate"))
    )
    if tax.get("withholding"):
        return _("%(tax)s withheld %(rate)s", tax=kind, rate=rate)
    return f"{kind} {rate}"


def sat_totals(info: dict[str, Any]) -> list[tuple[str, str]]:
    """The complement's ``totals`` as (words, amount in MXN) for a facts list, in SAT's
    order; a key this table does not know is shown under SAT's own name."""
    totals = info.get("totals") or {}
    known = [(str(label), key) for key, label in TOTAL_LABELS.items() if key in totals]
    unknown = [(key, key) for key in totals if key not in TOTAL_LABELS]
    return [(label, money(totals[key], "MXN")) for label, key in known + unknown]
