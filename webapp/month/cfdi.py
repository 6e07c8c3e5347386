"""Reading a stamped CFDI 4.0 XML: what a summary row needs, as its issuer wrote it.

The summary comes from the XML itself (the fiscal document), not from gigstack's JSON about
it, so the accountant's totals are the documents' own. Amounts stay ``Decimal`` strings.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

CFDI = "{http://www.sat.gob.mx/cfd/4}"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}"
PAGOS = "{http://www.sat.gob.mx/Pagos20}"
# SAT's tax codes (c_Impuesto) → the summary's names
TAX_NAMES = {"001": "isr", "002": "iva", "003": "ieps"}
# the summary's tax columns: transferred, then withheld
TAX_COLUMNS = (
    "iva_transferred",
    "ieps_transferred",
    "isr_withheld",
    "iva_withheld",
    "ieps_withheld",
)


class UnreadableCfdi(ValueError):
    """Not a CFDI 4.0 this reader understands (say which part is missing)."""


@dataclass
class CfdiSummary:
    type: str
    series: str
    folio: str
    uuid: str
    issued_at: str
    stamped_at: str
    issuer_rfc: str
    receiver_rfc: str
    receiver_name: str
    subtotal: str
    discount: str
    total: str
    currency: str
    exchange_rate: str
    payment_method: str
    payment_form: str
    taxes: dict[str, str] = field(default_factory=dict)
    payments_total: str = ""
    related: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _amount(value: str | None) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(Decimal(value))
    except InvalidOperation:
        raise UnreadableCfdi(f"not an amount: {value!r}") from None


def _taxes(root: ET.Element) -> dict[str, str]:
    """The document-level taxes (``cfdi:Impuestos`` under the root), summed by tax."""
    sums = dict.fromkeys(TAX_COLUMNS, Decimal(0))
    taxes = root.find(f"{CFDI}Impuestos")
    if taxes is not None:
        for line in taxes.iter(f"{CFDI}Traslado"):
            name = TAX_NAMES.get(line.get("Impuesto", ""))
            if name and f"{name}_transferred" in sums:
                sums[f"{name}_transferred"] += Decimal(line.get("Importe") or "0")
        for line in taxes.iter(f"{CFDI}Retencion"):
            name = TAX_NAMES.get(line.get("Impuesto", ""))
            if name:
                sums[f"{name}_withheld"] += Decimal(line.get("Importe") or "0")
    return {name: (str(value) if value else "") for name, value in sums.items()}


def read_cfdi(content: bytes) -> CfdiSummary:
    """The summary of one CFDI's XML; :class:`UnreadableCfdi` when it is not one."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise UnreadableCfdi(f"not XML ({exc})") from None
    if root.tag != f"{CFDI}Comprobante":
        raise UnreadableCfdi("no cfdi:Comprobante")
    stamp = root.find(f"{CFDI}Complemento/{TFD}TimbreFiscalDigital")
    if stamp is None or not stamp.get("UUID"):
        raise UnreadableCfdi("no TimbreFiscalDigital (not stamped)")
    issuer = root.find(f"{CFDI}Emisor")
    receiver = root.find(f"{CFDI}Receptor")
    related = [
        node.get("UUID", "").upper()
        for node in root.iter(f"{CFDI}CfdiRelacionado")
        if node.get("UUID")
    ]
    related += [
        node.get("IdDocumento", "").upper()
        for node in root.iter(f"{PAGOS}DoctoRelacionado")
        if node.get("IdDocumento")
    ]
    payments = root.find(f"{CFDI}Complemento/{PAGOS}Pagos/{PAGOS}Totales")
    return CfdiSummary(
        type=root.get("TipoDeComprobante", ""),
        series=root.get("Serie", ""),
        folio=root.get("Folio", ""),
        uuid=stamp.get("UUID", "").upper(),
        issued_at=root.get("Fecha", ""),
        stamped_at=stamp.get("FechaTimbrado", ""),
        issuer_rfc=issuer.get("Rfc", "") if issuer is not None else "",
        receiver_rfc=receiver.get("Rfc", "") if receiver is not None else "",
        receiver_name=receiver.get("Nombre", "") if receiver is not None else "",
        subtotal=_amount(root.get("SubTotal")),
        discount=_amount(root.get("Descuento")),
        total=_amount(root.get("Total")),
        currency=root.get("Moneda", ""),
        exchange_rate=root.get("TipoCambio", ""),
        payment_method=root.get("MetodoPago", ""),
        payment_form=root.get("FormaPago", ""),
        taxes=_taxes(root),
        payments_total=_amount(payments.get("MontoTotalPagos")) if payments is not None else "",
        related=list(dict.fromkeys(related)),
    )
