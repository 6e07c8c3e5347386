"""Render an issued sandbox invoice as a CFDI 4.0 XML and as a printable PDF.

The real gigstack API hands out the stamped XML and a PDF representation; the sandbox must do
the same (REFERENCE §11) so the back office can preview, download and e-mail files without a
PAC. Both renderers are pure functions of ``(invoice, team)``: same input, same bytes.

``Sello`` is the RSA-SHA256 signature of SAT's cadena original (:mod:`webapp.sat.cadena`) with
the team's CSD, or with a self-signed certificate of its own (:mod:`.seals`); the timbre is the
sandbox PAC's, sealed the same way, and its ``UUID`` equals the invoice ``uuid``.

Keys read from ``invoice`` (Invoice schema, REFERENCE §12.3; every key optional unless noted):
    uuid (needed), invoice_type (I/E/P), status, currency, exchange_rate, subtotal, discount,
    taxes, total, series, folio_number, payment_form, payment_method, use, exports,
    created_at, livemode, verification_url, stamp{stamp_at, sello},
    client{name, legal_name, email, tax_id, tax_system?, zip?, address{zip}?},
    receiver{tax_system, zip, use} (optional override of the receiver's fiscal data: ClientRef
    officially lacks regime and zip),
    items[]{description, quantity, unit_price, product_key, unit_key, unit_name, sku,
    taxability, discount, taxes[]{type, rate, factor, inclusive, withholding}, third_party},
    related_documents[]{relationship, documents[]}, global{periodicity, months, year},
    issuer{rfc, name, regime, zip, signer} (the emitter as it was at the stamp, see
    :func:`issuer_of`; else it is read from ``team``),
    cancellation_status, cancellation_motive, substitution_uuid, cancelled_at,
    payment_complement{payment_form, currency, exchange_rate, amount, paid_at,
    related_invoices[]{uuid, series, folio_number, installment, previous_balance,
    amount_paid, outstanding_balance, currency?}},
    invoice_pdf_notes (or metadata.invoice_pdf_notes).

Keys read from ``team`` (Team schema, §12.6): id, legal_name, brand.alias, tax_id, tax_system,
address.zip, settings.invoice_pdf_notes.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from webapp import catalogs
from webapp.catalogs import sat as sat_catalogs
from webapp.domain.money import ItemAmounts, TaxLine, compute_item
from webapp.domain.rfc import GENERIC_RFCS
from webapp.sat.cadena import cadena_original, tfd_cadena_original

from .complements import tax_object
from .seals import Signer, sandbox_signer
from .words import amount_in_words

__all__ = [
    "CFDI_NS",
    "PAGOS_NS",
    "TFD_NS",
    "XSI_NS",
    "issuer_of",
    "money",
    "render_invoice_pdf",
    "render_invoice_xml",
    "seal_of",
]

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
PAGOS_NS = "http://www.sat.gob.mx/Pagos20"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

CFDI_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
TFD_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
PAGOS_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"

# Prefixes SAT tooling expects to see; registration is global but idempotent for these URIs.
for _prefix, _uri in (("cfdi", CFDI_NS), ("tfd", TFD_NS), ("pago20", PAGOS_NS), ("xsi", XSI_NS)):
    ET.register_namespace(_prefix, _uri)

#: Fake PAC RFC (SAT's own test RFC: well-formed, obviously not a real certifier).
RFC_PROV_CERTIF = "SAT970701NN3"
PAC_NAME = "gigstack sandbox PAC"
DEFAULT_ISSUER_REGIME = "601"
DEFAULT_RECEIVER_REGIME = "616"
DEFAULT_ZIP = "00000"
VERIFY_BASE = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"

TITLES = {"I": "Factura", "E": "Nota de crédito", "P": "Complemento de pago"}
_TYPE_ALIASES = {
    "I": "I",
    "INCOME": "I",
    "INGRESO": "I",
    "E": "E",
    "EGRESS": "E",
    "EGRESO": "E",
    "P": "P",
    "PAYMENT": "P",
    "PAGO": "P",
}

_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")
_ZERO = Decimal(0)


# --------------------------------------------------------------------------- numbers


def _dec(value: Any) -> Decimal:
    """Decimal from a JSON number or string; via ``str`` so 0.1 stays 0.1, bad input is 0."""
    if value is None or isinstance(value, bool):
        return _ZERO
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return _ZERO


def _round2(value: Decimal) -> Decimal:
    """SAT/§1.10 rounding: half-up to cents."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _fmt2(value: Any) -> str:
    """Amount with exactly two decimals (``-0.00`` never appears)."""
    out = _round2(_dec(value))
    return f"{out + 0:.2f}" if out else "0.00"


def _fmt6(value: Any) -> str:
    """Rate / quota with exactly six decimals, as c_TasaOCuota is written."""
    return f"{_dec(value).quantize(_MICRO, rounding=ROUND_HALF_UP):.6f}"


def _fmt_upto6(value: Any, min_places: int = 0) -> str:
    """Quantity, unit value or exchange rate: up to six decimals, no trailing zeros."""
    q = _dec(value).quantize(_MICRO, rounding=ROUND_HALF_UP)
    text = f"{q:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    frac = frac.ljust(min_places, "0")
    return f"{whole}.{frac}" if frac else whole


def money(value: Any, currency: str | None = None) -> str:
    """Display money as ``$1,160.00`` (``$1,160.00 MXN`` with a currency); negatives ``-$``."""
    amount = _round2(_dec(value))
    sign = "-" if amount < 0 else ""
    text = f"{sign}${abs(amount):,.2f}"
    return f"{text} {currency}" if currency else text


# --------------------------------------------------------------------------- dates


def _mx_tz() -> dt.tzinfo:
    """America/Mexico_City; a fixed UTC-6 if the host has no tz database (no DST since 2022)."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Mexico_City")
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError or a missing module
        return dt.timezone(dt.timedelta(hours=-6))


_MX = _mx_tz()


def _to_datetime(value: Any) -> dt.datetime | None:
    """Any timestamp the API may hand us (s, ms, ISO, ``{_seconds}``) as an aware datetime."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict):
        value = value.get("_seconds", value.get("seconds"))
        return _to_datetime(value)
    if isinstance(value, int | float | Decimal):
        seconds = float(value)
        if seconds > 1e12:
            seconds /= 1000
        return dt.datetime.fromtimestamp(int(seconds), dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_MX)
    return None


def _sat_datetime(value: Any, zone: dt.tzinfo = _MX) -> str:
    """SAT's date form: local time of ``zone`` (Mexico City's unless told), ISO, no offset
    (e.g. 2024-05-01T10:00:00)."""
    moment = _to_datetime(value) or dt.datetime.fromtimestamp(0, dt.UTC)
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def _place_zone(postal_code: str) -> dt.tzinfo:
    """The time zone of a place of issue (LugarExpedicion), from SAT's c_CodigoPostal: a
    CFDI's ``Fecha`` is its local time; Mexico City's for a code SAT does not list."""
    entry = sat_catalogs.postal_code(postal_code)
    if entry is None:
        return _MX
    try:
        return ZoneInfo(entry.time_zone)
    except ZoneInfoNotFoundError:
        return _MX


def _display_datetime(value: Any) -> str:
    """Date for the PDF; empty when unknown."""
    moment = _to_datetime(value)
    if moment is None:
        return ""
    return moment.astimezone(_MX).strftime("%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- invoice facts


def _s(value: Any) -> str:
    """Stripped string, '' for None."""
    return "" if value is None else str(value).strip()


def _invoice_type(invoice: dict[str, Any]) -> str:
    """Normalised I/E/P (income when unknown: the most common and least surprising)."""
    return _TYPE_ALIASES.get(_s(invoice.get("invoice_type")).upper(), "I")


def _stamp(invoice: dict[str, Any]) -> dict[str, Any]:
    stamp = invoice.get("stamp")
    return stamp if isinstance(stamp, dict) else {}


def _stamp_time(invoice: dict[str, Any]) -> Any:
    """Stamp moment, falling back to creation (both are the same instant in the sandbox)."""
    return _stamp(invoice).get("stamp_at") or invoice.get("created_at")


def issuer_of(team: dict[str, Any]) -> dict[str, Any]:
    """Emisor data and its signer (the uploaded CSD's, else a sandbox certificate), with
    fallbacks so a half-configured test team still renders. Kept with an invoice at its stamp,
    because what was sealed must not change when the team does."""
    brand = team.get("brand") if isinstance(team.get("brand"), dict) else {}
    address = team.get("address") if isinstance(team.get("address"), dict) else {}
    rfc = _s(team.get("tax_id")).upper() or "AAA010101AAA"
    name = _s(team.get("legal_name")) or _s(brand.get("alias")) or _s(team.get("id"))
    signer = team.get("_csd")
    return {
        "rfc": rfc,
        "name": name,
        "regime": _s(team.get("tax_system")) or DEFAULT_ISSUER_REGIME,
        "zip": _s(address.get("zip")) or DEFAULT_ZIP,
        "signer": signer if isinstance(signer, Signer) else sandbox_signer(rfc, name),
    }


def _issuer(team: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    """The emitter frozen at the stamp when the invoice has it, else the team as it is."""
    frozen = invoice.get("issuer")
    return frozen if isinstance(frozen, dict) and frozen.get("signer") else issuer_of(team)


def _receiver(invoice: dict[str, Any], issuer_zip: str) -> dict[str, str]:
    """Receptor data: ``invoice.receiver`` overrides, then the client snapshot, then defaults."""
    client = invoice.get("client") if isinstance(invoice.get("client"), dict) else {}
    extra = invoice.get("receiver") if isinstance(invoice.get("receiver"), dict) else {}
    address = client.get("address") if isinstance(client.get("address"), dict) else {}
    rfc = _s(client.get("tax_id")).upper() or "XAXX010101000"
    zip_code = _s(extra.get("zip")) or _s(client.get("zip")) or _s(address.get("zip"))
    if rfc in GENERIC_RFCS:
        # SAT: for the generic RFCs DomicilioFiscalReceptor must equal LugarExpedicion.
        zip_code = issuer_zip
    is_payment = _invoice_type(invoice) == "P"
    return {
        "rfc": rfc,
        # Nombre is required by cfdv40: fall back to SAT's wording for the generic RFC.
        "name": _s(client.get("legal_name"))
        or _s(client.get("name"))
        or ("PUBLICO EN GENERAL" if rfc == "XAXX010101000" else rfc),
        "email": _s(client.get("email")),
        "zip": zip_code or DEFAULT_ZIP,
        "regime": _s(extra.get("tax_system"))
        or _s(client.get("tax_system"))
        or DEFAULT_RECEIVER_REGIME,
        "use": _s(extra.get("use")) or _s(invoice.get("use")) or ("CP01" if is_payment else "G03"),
        # a foreign receiver's (XEXX010101000) country and tax registration number
        "country": _s(extra.get("country")) if rfc == "XEXX010101000" else "",
        "foreign_tax_id": _s(extra.get("foreign_tax_id")) if rfc == "XEXX010101000" else "",
    }


def _series_folio(invoice: dict[str, Any]) -> str:
    """``A-123`` as printed and searched (§4.9); either part may be missing."""
    series, folio = _s(invoice.get("series")), _s(invoice.get("folio_number"))
    return "-".join(part for part in (series, folio) if part)


def _verification_url(
    invoice: dict[str, Any], issuer: dict[str, Any], rfc_receiver: str, sello: str
) -> str:
    """The stored URL, or SAT's verifier link built the documented way (§12.3)."""
    url = _s(invoice.get("verification_url"))
    if url:
        return url
    query = urlencode(
        {
            "id": _s(invoice.get("uuid")).upper(),
            "re": issuer["rfc"],
            "rr": rfc_receiver,
            "tt": str(_round2(_dec(invoice.get("total")))),
            "fe": sello[-8:],
        }
    )
    return f"{VERIFY_BASE}?{query}"


# --------------------------------------------------------------------------- tax totals


@dataclass
class _TaxTotals:
    """Document-level tax sums, grouped as cfdv40 wants them."""

    transfers: dict[tuple[str, str, Decimal], list[Decimal]] = field(default_factory=dict)
    withholdings: dict[tuple[str, str, Decimal], Decimal] = field(default_factory=dict)

    def add(self, line: TaxLine) -> None:
        key = (line.sat_code, line.factor, line.rate)
        if line.withholding:
            self.withholdings[key] = self.withholdings.get(key, _ZERO) + line.amount
        else:
            sums = self.transfers.setdefault(key, [_ZERO, _ZERO])
            sums[0] += line.base
            sums[1] += line.amount

    @property
    def transferred(self) -> Decimal:
        return sum((v[1] for k, v in self.transfers.items() if k[1] != "Exento"), _ZERO)

    @property
    def withheld(self) -> Decimal:
        return sum(self.withholdings.values(), _ZERO)

    def withheld_by_tax(self) -> dict[str, Decimal]:
        """cfdv40 document-level Retencion carries only Impuesto + Importe."""
        out: dict[str, Decimal] = {}
        for (code, _factor, _rate), amount in self.withholdings.items():
            out[code] = out.get(code, _ZERO) + amount
        return out


def _tax_totals(computed: Iterable[ItemAmounts]) -> _TaxTotals:
    totals = _TaxTotals()
    for amounts in computed:
        for line in amounts.taxes:
            totals.add(line)
    return totals


def _items(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in invoice.get("items") or [] if isinstance(i, dict)]


# --------------------------------------------------------------------------- XML


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(
    parent: ET.Element, tag: str, attrs: dict[str, str | None], ns: str = CFDI_NS
) -> ET.Element:
    """Child element with the non-empty attributes, in the given order."""
    kept = {k: v for k, v in attrs.items() if v not in (None, "")}
    return ET.SubElement(parent, _q(ns, tag), kept)


def _fmt_unit_value(value: Decimal) -> str:
    """Two decimals when exact, else up to six (inclusive-tax prices rarely divide evenly)."""
    return _fmt2(value) if value == _round2(value) else _fmt_upto6(value, 2)


def _concept(parent: ET.Element, item: dict[str, Any], amounts: ItemAmounts) -> None:
    taxes = amounts.taxes
    objeto = tax_object(item, amounts)
    node = _sub(
        parent,
        "Concepto",
        {
            "ClaveProdServ": _s(item.get("product_key")) or "01010101",
            "NoIdentificacion": _s(item.get("sku")),
            "Cantidad": _fmt_upto6(amounts.quantity),
            "ClaveUnidad": _s(item.get("unit_key")) or "E48",
            "Unidad": _s(item.get("unit_name")),
            "Descripcion": _s(item.get("description")) or "-",
            "ValorUnitario": _fmt_unit_value(amounts.unit_value),
            "Importe": _fmt2(amounts.importe),
            "Descuento": _fmt2(amounts.discount) if amounts.discount > 0 else None,
            "ObjetoImp": objeto,
        },
    )
    if taxes:
        imp = _sub(node, "Impuestos", {})
        for group, tag, wrapper in (
            (amounts.transfers, "Traslado", "Traslados"),
            (amounts.withholdings, "Retencion", "Retenciones"),
        ):
            if not group:
                continue
            holder = _sub(imp, wrapper, {})
            for line in group:
                exento = line.factor == "Exento"
                _sub(
                    holder,
                    tag,
                    {
                        "Base": _fmt2(line.base)
                        if line.factor != "Cuota"
                        else _fmt_upto6(line.base),
                        "Impuesto": line.sat_code,
                        "TipoFactor": line.factor,
                        "TasaOCuota": None if exento else _fmt6(line.rate),
                        "Importe": None if exento else _fmt2(line.amount),
                    },
                )
    third = item.get("third_party")
    if isinstance(third, dict) and third.get("tax_id"):
        _sub(
            node,
            "ACuentaTerceros",
            {
                "RfcACuentaTerceros": _s(third.get("tax_id")).upper(),
                "NombreACuentaTerceros": _s(third.get("legal_name")),
                "RegimenFiscalACuentaTerceros": _s(third.get("tax_system")),
                "DomicilioFiscalACuentaTerceros": _s(third.get("zip")),
            },
        )


def _document_taxes(root: ET.Element, totals: _TaxTotals) -> None:
    if not totals.transfers and not totals.withholdings:
        return
    has_rated = any(k[1] != "Exento" for k in totals.transfers)
    imp = _sub(
        root,
        "Impuestos",
        {
            "TotalImpuestosRetenidos": _fmt2(totals.withheld) if totals.withholdings else None,
            # SAT: omit the transferred total when every transfer is Exento.
            "TotalImpuestosTrasladados": _fmt2(totals.transferred) if has_rated else None,
        },
    )
    if totals.withholdings:
        holder = _sub(imp, "Retenciones", {})
        for code, amount in sorted(totals.withheld_by_tax().items()):
            _sub(holder, "Retencion", {"Impuesto": code, "Importe": _fmt2(amount)})
    if totals.transfers:
        holder = _sub(imp, "Traslados", {})
        for (code, factor, rate), (base, amount) in sorted(
            totals.transfers.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])
        ):
            exento = factor == "Exento"
            _sub(
                holder,
                "Traslado",
                {
                    "Base": _fmt2(base) if factor != "Cuota" else _fmt_upto6(base),
                    "Impuesto": code,
                    "TipoFactor": factor,
                    "TasaOCuota": None if exento else _fmt6(rate),
                    "Importe": None if exento else _fmt2(amount),
                },
            )


def _tax_nodes(parent: ET.Element, taxes: list[dict[str, Any]], suffix: str) -> None:
    """Retenciones then Traslados of Pagos 2.0 (``suffix`` DR for a paid invoice, P for the
    payment: the payment's withholdings carry only the tax and the amount)."""
    withheld = [t for t in taxes if t.get("withholding")]
    moved = [t for t in taxes if not t.get("withholding")]
    if withheld:
        holder = _sub(parent, f"Retenciones{suffix}", {}, PAGOS_NS)
        for tax in withheld:
            code = _tax_code(tax)
            attrs = {f"Impuesto{suffix}": code, f"Importe{suffix}": _fmt2(tax.get("amount"))}
            if suffix == "DR":
                attrs = {
                    "BaseDR": _fmt2(tax.get("base")),
                    "ImpuestoDR": code,
                    "TipoFactorDR": _s(tax.get("factor")) or "Tasa",
                    "TasaOCuotaDR": _fmt6(tax.get("rate")),
                    "ImporteDR": _fmt2(tax.get("amount")),
                }
            _sub(holder, f"Retencion{suffix}", attrs, PAGOS_NS)
    if moved:
        holder = _sub(parent, f"Traslados{suffix}", {}, PAGOS_NS)
        for tax in moved:
            exento = tax.get("factor") == "Exento"
            _sub(
                holder,
                f"Traslado{suffix}",
                {
                    f"Base{suffix}": _fmt2(tax.get("base")),
                    f"Impuesto{suffix}": _tax_code(tax),
                    f"TipoFactor{suffix}": _s(tax.get("factor")) or "Tasa",
                    f"TasaOCuota{suffix}": None if exento else _fmt6(tax.get("rate")),
                    f"Importe{suffix}": None if exento else _fmt2(tax.get("amount")),
                },
                PAGOS_NS,
            )


_TOTALES = {
    "TotalRetencionesIVA": "IVA retenido",
    "TotalRetencionesISR": "ISR retenido",
    "TotalRetencionesIEPS": "IEPS retenido",
    "TotalTrasladosBaseIVA16": "Base IVA 16%",
    "TotalTrasladosImpuestoIVA16": "IVA 16% trasladado",
    "TotalTrasladosBaseIVA8": "Base IVA 8%",
    "TotalTrasladosImpuestoIVA8": "IVA 8% trasladado",
    "TotalTrasladosBaseIVA0": "Base IVA 0%",
    "TotalTrasladosImpuestoIVA0": "IVA 0% trasladado",
    "TotalTrasladosBaseIVAExento": "Base IVA exento",
    "MontoTotalPagos": "Monto total de pagos",
}


def _pago_tax_label(tax: dict[str, Any]) -> str:
    """``IVA 16%``, ``Ret. ISR 10%``, ``IVA exento`` for a tax of a payment complement."""
    kind, factor = _s(tax.get("type")).upper(), _s(tax.get("factor")) or "Tasa"
    if factor == "Exento":
        return f"{kind} exento"
    rate = _dec(tax.get("rate"))
    shown = f"cuota {_fmt_upto6(rate)}" if factor == "Cuota" else f"{_fmt_upto6(rate * 100)}%"
    return f"{'Ret. ' if tax.get('withholding') else ''}{kind} {shown}"


def _tax_code(tax: dict[str, Any]) -> str:
    entry = catalogs.get("taxes", _s(tax.get("type")).upper())
    return entry["sat_code"] if entry else _s(tax.get("type"))


def _payment_taxes(related: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ImpuestosP: the paid invoices' taxes added up per tax, factor and rate."""
    sums: dict[tuple[str, str, float, bool], dict[str, Any]] = {}
    for row in related:
        for tax in row.get("taxes") or []:
            key = (
                tax.get("type"),
                tax.get("factor"),
                tax.get("rate"),
                bool(tax.get("withholding")),
            )
            entry = sums.setdefault(key, {**tax, "base": _ZERO, "amount": _ZERO})
            entry["base"] += _dec(tax.get("base"))
            entry["amount"] += _dec(tax.get("amount"))
    return list(sums.values())


def _payments_complement(parent: ET.Element, invoice: dict[str, Any]) -> None:
    """Pagos 2.0 for a type-P CFDI, from ``payment_complement`` (§12.3): each paid invoice
    with its share of taxes (ImpuestosDR), the payment's (ImpuestosP) and SAT's Totales."""
    pc = (
        invoice.get("payment_complement")
        if isinstance(invoice.get("payment_complement"), dict)
        else {}
    )
    currency = _s(pc.get("currency")) or "MXN"
    rate = _dec(pc.get("exchange_rate")) or Decimal(1)
    if currency == "MXN":
        rate = Decimal(1)
    amount = _dec(pc.get("amount"))
    related = [r for r in pc.get("related_invoices") or [] if isinstance(r, dict)]
    pagos = _sub(parent, "Pagos", {"Version": "2.0"}, PAGOS_NS)
    totals = pc.get("totals") if isinstance(pc.get("totals"), dict) else {}
    _sub(
        pagos,
        "Totales",
        {key: _fmt2(value) for key, value in totals.items()}
        | {"MontoTotalPagos": _fmt2(totals.get("MontoTotalPagos", amount * rate))},
        PAGOS_NS,
    )
    pago = _sub(
        pagos,
        "Pago",
        {
            "FechaPago": _sat_datetime(pc.get("paid_at") or _stamp_time(invoice)),
            "FormaDePagoP": _s(pc.get("payment_form")) or "99",
            "MonedaP": currency,
            "TipoCambioP": _fmt_upto6(rate),
            "Monto": _fmt2(amount),
        },
        PAGOS_NS,
    )
    for row in related:
        doc_currency = _s(row.get("currency")) or currency
        taxes = [t for t in row.get("taxes") or [] if isinstance(t, dict)]
        doc = _sub(
            pago,
            "DoctoRelacionado",
            {
                "IdDocumento": _s(row.get("uuid")).upper(),
                "Serie": _s(row.get("series")),
                "Folio": _s(row.get("folio_number")),
                "MonedaDR": doc_currency,
                "EquivalenciaDR": "1"
                if doc_currency == currency
                else _fmt_upto6(row.get("equivalence") or 1),
                "NumParcialidad": str(int(_dec(row.get("installment")) or 1)),
                "ImpSaldoAnt": _fmt2(row.get("previous_balance")),
                "ImpPagado": _fmt2(row.get("amount_paid")),
                "ImpSaldoInsoluto": _fmt2(row.get("outstanding_balance")),
                "ObjetoImpDR": "02" if taxes else "01",
            },
            PAGOS_NS,
        )
        if taxes:
            _tax_nodes(_sub(doc, "ImpuestosDR", {}, PAGOS_NS), taxes, "DR")
    paid = _payment_taxes(related)
    if paid:
        _tax_nodes(_sub(pago, "ImpuestosP", {}, PAGOS_NS), paid, "P")


def _sealed(invoice: dict[str, Any], team: dict[str, Any]) -> ET.Element:
    """The CFDI before its timbre, sealed: ``Sello`` signs SAT's cadena original."""
    kind = _invoice_type(invoice)
    issuer = _issuer(team, invoice)
    signer: Signer = issuer["signer"]
    receiver = _receiver(invoice, issuer["zip"])
    items = _items(invoice)
    computed = [compute_item(i) for i in items]
    fecha = _sat_datetime(_stamp_time(invoice), _place_zone(issuer["zip"]))
    currency = _s(invoice.get("currency")) or "MXN"
    is_payment = kind == "P"

    schema = f"{CFDI_NS} {CFDI_XSD}"
    if is_payment:
        schema += f" {PAGOS_NS} {PAGOS_XSD}"
    discount = _dec(invoice.get("discount"))
    root = ET.Element(
        _q(CFDI_NS, "Comprobante"), {_q(XSI_NS, "schemaLocation"): schema, "Version": "4.0"}
    )
    for key, value in {
        "Serie": _s(invoice.get("series")),
        "Folio": _s(invoice.get("folio_number")),
        "Fecha": fecha,
        "Sello": "-",  # its place among the attributes; signed below
        "FormaPago": None if is_payment else _s(invoice.get("payment_form")),
        "NoCertificado": signer.number,
        "Certificado": signer.certificate_base64,
        # SAT: a payment CFDI carries SubTotal/Total "0" and currency XXX.
        "SubTotal": "0" if is_payment else _fmt2(invoice.get("subtotal")),
        "Descuento": _fmt2(discount) if discount > 0 and not is_payment else None,
        "Moneda": "XXX" if is_payment else currency,
        "TipoCambio": None
        if is_payment or currency in ("MXN", "XXX")
        else _fmt_upto6(invoice.get("exchange_rate") or 1),
        "Total": "0" if is_payment else _fmt2(invoice.get("total")),
        "TipoDeComprobante": kind,
        "Exportacion": _s(invoice.get("exports")) or "01",
        "MetodoPago": None if is_payment else _s(invoice.get("payment_method")),
        "LugarExpedicion": issuer["zip"],
    }.items():
        if value not in (None, ""):
            root.set(key, value)

    global_info = invoice.get("global")
    if isinstance(global_info, dict) and global_info:
        _sub(
            root,
            "InformacionGlobal",
            {
                "Periodicidad": _s(global_info.get("periodicity")),
                "Meses": _s(global_info.get("months")),
                "Año": _s(global_info.get("year")),
            },
        )
    for related in invoice.get("related_documents") or []:
        if not isinstance(related, dict):
            continue
        group = _sub(root, "CfdiRelacionados", {"TipoRelacion": _s(related.get("relationship"))})
        for doc in related.get("documents") or []:
            _sub(group, "CfdiRelacionado", {"UUID": _s(doc).upper()})

    _sub(
        root,
        "Emisor",
        {"Rfc": issuer["rfc"], "Nombre": issuer["name"], "RegimenFiscal": issuer["regime"]},
    )
    _sub(
        root,
        "Receptor",
        {
            "Rfc": receiver["rfc"],
            "Nombre": receiver["name"],
            "DomicilioFiscalReceptor": receiver["zip"],
            "ResidenciaFiscal": receiver["country"] or None,
            "NumRegIdTrib": receiver["foreign_tax_id"] or None,
            "RegimenFiscalReceptor": receiver["regime"],
            "UsoCFDI": receiver["use"],
        },
    )

    conceptos = _sub(root, "Conceptos", {})
    if is_payment:
        # SAT fixes the single concept of a payment CFDI, whatever the stored item says.
        _sub(
            conceptos,
            "Concepto",
            {
                "ClaveProdServ": "84111506",
                "Cantidad": "1",
                "ClaveUnidad": "ACT",
                "Descripcion": "Pago",
                "ValorUnitario": "0",
                "Importe": "0",
                "ObjetoImp": "01",
            },
        )
    else:
        for item, amounts in zip(items, computed, strict=True):
            _concept(conceptos, item, amounts)
        _document_taxes(root, _tax_totals(computed))

    complemento = _sub(root, "Complemento", {})
    if is_payment:
        _payments_complement(complemento, invoice)
    root.set("Sello", signer.seal(cadena_original(root)))
    return root


def seal_of(invoice: dict[str, Any], team: dict[str, Any]) -> str:
    """The invoice's ``Sello`` (what the API calls ``stamp.sello``)."""
    return _sealed(invoice, team).get("Sello", "")


def _stamped(invoice: dict[str, Any], team: dict[str, Any]) -> ET.Element:
    """The sealed CFDI with the sandbox PAC's TimbreFiscalDigital, itself sealed."""
    root = _sealed(invoice, team)
    pac = sandbox_signer(RFC_PROV_CERTIF, PAC_NAME)
    timbre = _sub(
        root.find(_q(CFDI_NS, "Complemento")),  # type: ignore[arg-type]
        "TimbreFiscalDigital",
        {
            _q(XSI_NS, "schemaLocation"): f"{TFD_NS} {TFD_XSD}",
            "Version": "1.1",
            "UUID": _s(invoice.get("uuid")).upper(),
            # the PAC's clock (Mexico City), not the place of issue's local Fecha
            "FechaTimbrado": _sat_datetime(_stamp_time(invoice)),
            "RfcProvCertif": RFC_PROV_CERTIF,
            "SelloCFD": root.get("Sello"),
            "NoCertificadoSAT": pac.number,
            "SelloSAT": "-",
        },
        TFD_NS,
    )
    timbre.set("SelloSAT", pac.seal(tfd_cadena_original(timbre)))
    return root


def render_invoice_xml(invoice: dict[str, Any], team: dict[str, Any]) -> bytes:
    """The invoice as a stamped CFDI 4.0 document (UTF-8 bytes with declaration)."""
    root = _stamped(invoice, team)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


# --------------------------------------------------------------------------- PDF

_PAGE_MARGIN = 36.0
_BOTTOM = 60.0


def _latin(text: Any) -> str:
    """Text Helvetica can draw: reportlab's standard fonts cover cp1252, nothing beyond."""
    return _s(text).encode("cp1252", "replace").decode("cp1252")


def _tax_label(line: TaxLine) -> str:
    if line.factor == "Exento":
        return f"{line.kind} exento"
    if line.factor == "Cuota":
        rate = f"cuota {_fmt_upto6(line.rate)}"
    else:
        rate = f"{_fmt_upto6(line.rate * 100)}%"
    return f"{'Ret. ' if line.withholding else ''}{line.kind} {rate}"


@cache
def _page_count_canvas(canvas_cls: type) -> type:
    """A canvas that defers pages so the footer can say ``Página n de N`` (one pass, no guess)."""

    class _Numbered(canvas_cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []
            self._footer = footer

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                self.setFont("Helvetica", 7)
                self.setFillGray(0.35)
                width = self._pagesize[0]
                self.drawString(_PAGE_MARGIN, 24, _latin(self._footer))
                self.drawRightString(width - _PAGE_MARGIN, 24, f"Página {number} de {total}")
                canvas_cls.showPage(self)
            canvas_cls.save(self)

    return _Numbered


class _PdfWriter:
    """Flowing top-to-bottom layout on reportlab's canvas, with automatic page breaks."""

    def __init__(self, invoice: dict[str, Any], team: dict[str, Any]) -> None:
        from reportlab.lib.pagesizes import letter
        from reportlab.pdfgen import canvas

        self.invoice = invoice
        self.team = team
        self.kind = _invoice_type(invoice)
        self.issuer = _issuer(team, invoice)
        self.receiver = _receiver(invoice, self.issuer["zip"])
        self.cancelled = _s(invoice.get("status")).lower() in {"cancelled", "canceled"}
        self.width, self.height = letter
        self.buffer = io.BytesIO()
        footer = (
            f"Este documento es una representación impresa de un CFDI 4.0 · "
            f"{_series_folio(invoice)} · {_s(invoice.get('uuid')).upper()}"
        )
        cls = _page_count_canvas(canvas.Canvas)
        self.c = cls(self.buffer, pagesize=letter, invariant=1, pageCompression=1, footer=footer)
        title = f"{TITLES[self.kind]} {_series_folio(invoice)}".strip()
        self.c.setTitle(_latin(title))
        self.c.setAuthor(_latin(self.issuer["name"]))
        self.c.setSubject(_latin(f"CFDI 4.0 {_s(invoice.get('uuid')).upper()}"))
        self.c.setCreator("gigstack sandbox")
        self.y = 0.0
        self.left = _PAGE_MARGIN
        self.right = self.width - _PAGE_MARGIN
        self._new_page(first=True)

    # -- primitives --------------------------------------------------------------------

    def _new_page(self, first: bool = False) -> None:
        if not first:
            self.c.showPage()
        self.y = self.height - _PAGE_MARGIN
        if self.cancelled:
            when = _display_datetime(self.invoice.get("cancelled_at"))
            motive = _s(self.invoice.get("cancellation_motive"))
            detail = " · ".join(
                p
                for p in (
                    f"cancelado el {when}" if when else "",
                    f"motivo {motive}" if motive else "",
                )
                if p
            )
            self._frame((0.8, 0.1, 0.1))
            self._banner(f"CANCELADA  {detail}".strip(), (0.8, 0.1, 0.1))
        if self.invoice.get("livemode") is False or self.issuer["signer"].self_signed:
            self._banner(self._test_banner(), (0.5,) * 3)

    def _test_banner(self) -> str:
        """Why this document has no fiscal value: test mode, a sandbox certificate, or both."""
        reasons = []
        if self.invoice.get("livemode") is False:
            reasons.append("documento emitido en modo de pruebas")
        if self.issuer["signer"].self_signed:
            reasons.append("sellado con un certificado autofirmado del sandbox, no un CSD")
        return "SIN VALIDEZ FISCAL  " + "; ".join(reasons)

    def _frame(self, rgb: tuple[float, float, float]) -> None:
        """A coloured page border: visible at a glance, and (unlike a rotated watermark made of
        text) it never leaks stray letters into extracted text."""
        self.c.saveState()
        self.c.setStrokeColorRGB(*rgb)
        self.c.setLineWidth(3)
        self.c.rect(14, 14, self.width - 28, self.height - 28, stroke=1, fill=0)
        self.c.restoreState()

    def _banner(self, text: str, rgb: tuple[float, float, float]) -> None:
        """Full-width band at the top of every page, on its own line for clean extraction."""
        c = self.c
        c.saveState()
        c.setFillColorRGB(*rgb)
        c.rect(self.left, self.y - 5, self.right - self.left, 18, stroke=0, fill=1)
        c.setFillGray(1)
        size = 11.0
        while size > 6 and c.stringWidth(_latin(text), "Helvetica-Bold", size) > self.right - (
            self.left + 8
        ):
            size -= 0.5
        c.setFont("Helvetica-Bold", size)
        c.drawCentredString((self.left + self.right) / 2, self.y, _latin(text))
        c.restoreState()
        self.y -= 30

    def _need(self, height: float) -> None:
        if self.y - height < _BOTTOM:
            self._new_page()

    def text(
        self,
        x: float,
        text: Any,
        size: float = 9,
        bold: bool = False,
        right: bool = False,
        gray: float = 0.0,
    ) -> None:
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        self.c.setFillGray(gray)
        if right:
            self.c.drawRightString(x, self.y, _latin(text))
        else:
            self.c.drawString(x, self.y, _latin(text))

    def wrap(self, text: Any, width: float, size: float = 9, bold: bool = False) -> list[str]:
        from reportlab.lib.utils import simpleSplit

        font = "Helvetica-Bold" if bold else "Helvetica"
        return simpleSplit(_latin(text), font, size, width) or [""]

    def hard_wrap(self, text: str, width: float, size: float) -> list[str]:
        """Lines of at most ``width`` cut anywhere: a seal or a cadena has no spaces to break
        at, and SAT wants every character of it printed."""
        lines, line = [], ""
        for char in _latin(text):
            if line and self.c.stringWidth(line + char, "Helvetica", size) > width:
                lines.append(line)
                line = ""
            line += char
        return [*lines, line] if line else lines

    def long_value(self, title: str, text: str, x: float, size: float = 6.0) -> None:
        """A titled block of hard-wrapped text (seals, cadena original), kept on one page."""
        lines = self.hard_wrap(text, self.right - x, size)
        self._need(12 + len(lines) * (size + 1.5))
        self.text(x, title, 7.5, bold=True, gray=0.25)
        self.y -= 9
        for line in lines:
            self.text(x, line, size, gray=0.2)
            self.y -= size + 1.5
        self.y -= 3

    def paragraph(
        self,
        text: Any,
        size: float = 9,
        bold: bool = False,
        gray: float = 0.0,
        x: float | None = None,
    ) -> None:
        x = self.left if x is None else x
        for line in self.wrap(text, self.right - x, size, bold):
            self._need(size + 2)
            self.text(x, line, size, bold, gray=gray)
            self.y -= size + 2.5

    def rule(self, gap: float = 6) -> None:
        self.c.setStrokeGray(0.7)
        self.c.setLineWidth(0.5)
        self.c.line(self.left, self.y + gap / 2, self.right, self.y + gap / 2)
        self.y -= gap

    def heading(self, text: str) -> None:
        self._need(30)
        self.y -= 4
        self.text(self.left, text, 10, bold=True)
        self.y -= 5
        self.rule(6)

    def pairs(
        self, rows: list[tuple[str, Any]], x: float, width: float, label_width: float = 95
    ) -> float:
        """Label/value rows in a column; returns the y reached (columns are drawn side by side)."""
        y0 = self.y
        for label, value in rows:
            if value in (None, ""):
                continue
            lines = self.wrap(value, width - label_width, 8.5)
            self.text(x, label, 8.5, bold=True, gray=0.25)
            for line in lines:
                self.text(x + label_width, line, 8.5)
                self.y -= 11
        reached = self.y
        self.y = y0
        return reached

    # -- sections ----------------------------------------------------------------------

    def header(self) -> None:
        inv = self.invoice
        self.text(self.left, TITLES[self.kind], 18, bold=True)
        self.text(self.right, _series_folio(inv), 16, bold=True, right=True)
        self.y -= 16
        self.text(self.left, f"CFDI 4.0 · Tipo de comprobante {self.kind}", 8.5, gray=0.35)
        status = "CANCELADA" if self.cancelled else "Vigente"
        self.text(self.right, f"Estado: {status}", 9, bold=self.cancelled, right=True)
        self.y -= 16
        self.heading("Emisor y receptor")
        half = (self.right - self.left) / 2
        issuer_rows = [
            ("Emisor", self.issuer["name"]),
            ("RFC", self.issuer["rfc"]),
            ("Régimen fiscal", catalogs.label("tax_regimes", self.issuer["regime"])),
            ("Lugar expedición", self.issuer["zip"]),
        ]
        rec = self.receiver
        receiver_rows = [
            ("Receptor", rec["name"]),
            ("RFC", rec["rfc"]),
            ("Régimen fiscal", catalogs.label("tax_regimes", rec["regime"])),
            ("C.P.", rec["zip"]),
            ("Uso CFDI", catalogs.label("cfdi_uses", rec["use"])),
            ("Correo", rec["email"]),
        ]
        self._need(80)
        y1 = self.pairs(issuer_rows, self.left, half - 8)
        y2 = self.pairs(receiver_rows, self.left + half, half)
        self.y = min(y1, y2) - 4

    def fiscal(self) -> None:
        inv = self.invoice
        self.heading("Datos fiscales")
        half = (self.right - self.left) / 2
        stamp_at = _stamp_time(inv)
        currency = _s(inv.get("currency")) or "MXN"
        rate = _dec(inv.get("exchange_rate"))
        left_rows: list[tuple[str, Any]] = [
            ("Serie-Folio", _series_folio(inv)),
            ("Folio fiscal", _s(inv.get("uuid")).upper()),
            ("Fecha emisión", _display_datetime(inv.get("created_at") or stamp_at)),
            ("Fecha timbrado", _display_datetime(stamp_at)),
        ]
        if self.cancelled:
            left_rows += [
                ("Cancelada el", _display_datetime(inv.get("cancelled_at"))),
                (
                    "Motivo",
                    catalogs.label("cancellation_motives", _s(inv.get("cancellation_motive"))),
                ),
                ("Sustituida por", _s(inv.get("substitution_uuid")).upper()),
            ]
        right_rows: list[tuple[str, Any]] = [
            ("Método de pago", catalogs.label("payment_methods", _s(inv.get("payment_method")))),
            ("Forma de pago", catalogs.label("payment_forms", _s(inv.get("payment_form")))),
            ("Moneda", currency),
            ("Tipo de cambio", _fmt_upto6(rate) if currency != "MXN" and rate else ""),
            ("Exportación", _s(inv.get("exports")) or "01"),
            ("Modo", "Producción" if inv.get("livemode") else "Pruebas (sin validez fiscal)"),
        ]
        self._need(80)
        y1 = self.pairs(left_rows, self.left, half + 40, label_width=80)
        y2 = self.pairs(right_rows, self.left + half + 50, half - 50, label_width=80)
        self.y = min(y1, y2) - 4
        glob = inv.get("global")
        if isinstance(glob, dict) and glob:
            per = catalogs.label("periodicities", _s(glob.get("periodicity")))
            months = catalogs.label("months_bimesters", _s(glob.get("months")))
            self.paragraph(
                f"Información global: periodicidad {per}; meses {months}; "
                f"año {_s(glob.get('year'))}",
                8.5,
            )
        for rel in inv.get("related_documents") or []:
            if isinstance(rel, dict):
                kind = catalogs.label("invoice_relationships", _s(rel.get("relationship")))
                docs = ", ".join(_s(d).upper() for d in rel.get("documents") or [])
                self.paragraph(f"CFDI relacionados ({kind}): {docs}", 8.5)

    _COLS = (  # (title, width, align)
        ("Cant.", 42, "r"),
        ("Unidad", 58, "l"),
        ("Clave SAT", 52, "l"),
        ("Descripción", 228, "l"),
        ("P. unitario", 80, "r"),
        ("Importe", 80, "r"),
    )

    def _table_head(self) -> None:
        self._need(30)
        self.c.setFillGray(0.92)
        self.c.rect(self.left, self.y - 3, self.right - self.left, 13, stroke=0, fill=1)
        x = self.left
        for title, width, align in self._COLS:
            if align == "r":
                self.text(x + width - 3, title, 8, bold=True, right=True)
            else:
                self.text(x + 3, title, 8, bold=True)
            x += width
        self.y -= 15

    def items(self) -> None:
        self.heading("Conceptos")
        self._table_head()
        for item in _items(self.invoice):
            amounts = compute_item(item)
            desc = self.wrap(item.get("description") or "-", self._COLS[3][1] - 6, 8.5)
            extras = []
            if amounts.discount > 0:
                extras.append(f"Descuento {money(amounts.discount)}")
            extras += [f"{_tax_label(t)}: {money(t.amount)}" for t in amounts.taxes]
            extra_lines = self.wrap(" · ".join(extras), self._COLS[3][1] - 6, 7) if extras else []
            unit = " ".join(p for p in (_s(item.get("unit_key")), _s(item.get("unit_name"))) if p)
            height = 11 * len(desc) + 9 * len(extra_lines) + 4
            if self.y - height < _BOTTOM:
                self._new_page()
                self._table_head()
            cells = [
                _fmt_upto6(amounts.quantity),
                unit,
                _s(item.get("product_key")),
                None,
                money(amounts.unit_value),
                money(amounts.importe),
            ]
            x = self.left
            for (_title, width, align), cell in zip(self._COLS, cells, strict=True):
                if cell is not None:
                    if align == "r":
                        self.text(x + width - 3, cell, 8.5, right=True)
                    else:
                        self.text(x + 3, self.wrap(cell, width - 6, 8.5)[0], 8.5)
                x += width
            desc_x = self.left + sum(w for _t, w, _a in self._COLS[:3]) + 3
            for line in desc:
                self.text(desc_x, line, 8.5)
                self.y -= 11
            for line in extra_lines:
                self.text(desc_x, line, 7, gray=0.35)
                self.y -= 9
            self.c.setStrokeGray(0.85)
            self.c.line(self.left, self.y + 6, self.right, self.y + 6)
            self.y -= 4

    def payment(self) -> None:
        pc = self.invoice.get("payment_complement")
        if self.kind != "P" or not isinstance(pc, dict):
            return
        self.heading("Complemento de pago (Pagos 2.0)")
        currency = _s(pc.get("currency")) or "MXN"
        rows = [
            ("Fecha de pago", _display_datetime(pc.get("paid_at"))),
            ("Forma de pago", catalogs.label("payment_forms", _s(pc.get("payment_form")))),
            ("Moneda", currency),
            ("Tipo de cambio", _fmt_upto6(pc.get("exchange_rate") or 1)),
            ("Monto", money(pc.get("amount"), currency)),
        ]
        self._need(70)
        self.y = self.pairs(rows, self.left, self.right - self.left) - 4
        cols = (
            ("Documento relacionado", 200),
            ("Serie-Folio", 70),
            ("Parc.", 36),
            ("Saldo anterior", 78),
            ("Pagado", 78),
            ("Saldo insoluto", 78),
        )
        self._need(30)
        x = self.left
        for title, width in cols:
            self.text(
                x + (3 if x == self.left else width - 3), title, 8, bold=True, right=x != self.left
            )
            x += width
        self.y -= 13
        for rel in pc.get("related_invoices") or []:
            if not isinstance(rel, dict):
                continue
            self._need(14)
            sf = "-".join(p for p in (_s(rel.get("series")), _s(rel.get("folio_number"))) if p)
            cells = [
                _s(rel.get("uuid")).upper(),
                sf,
                _s(rel.get("installment")),
                money(rel.get("previous_balance")),
                money(rel.get("amount_paid")),
                money(rel.get("outstanding_balance")),
            ]
            x = self.left
            for (_title, width), cell in zip(cols, cells, strict=True):
                if x == self.left:
                    self.text(x + 3, cell, 7.5)
                else:
                    self.text(x + width - 3, cell, 8, right=True)
                x += width
            self.y -= 12
            taxes = [t for t in rel.get("taxes") or [] if isinstance(t, dict)]
            if taxes:
                self.paragraph(
                    "Impuestos del documento: "
                    + " · ".join(
                        f"{_pago_tax_label(t)} base {money(t.get('base'))} "
                        f"importe {money(t.get('amount'))}"
                        for t in taxes
                    ),
                    7,
                    gray=0.35,
                    x=self.left + 3,
                )
        self._payment_taxes(pc, currency)

    def _payment_taxes(self, pc: dict[str, Any], currency: str) -> None:
        """ImpuestosP (the paid share of every tax) and Pagos' Totales, as the XML has them."""
        related = [r for r in pc.get("related_invoices") or [] if isinstance(r, dict)]
        paid = _payment_taxes(related)
        totals = pc.get("totals") if isinstance(pc.get("totals"), dict) else {}
        if not paid and not totals:
            return
        self.y -= 4
        rows = [
            (f"{_pago_tax_label(t)}", f"base {money(t['base'])} · importe {money(t['amount'])}")
            for t in paid
        ]
        rows += [(_TOTALES.get(k, k), money(v, currency)) for k, v in totals.items()]
        self._need(12 * len(rows) + 14)
        self.text(self.left, "Impuestos del pago y totales", 8.5, bold=True)
        self.y -= 12
        self.y = self.pairs(rows, self.left, self.right - self.left, label_width=170) - 4

    def totals(self) -> None:
        inv = self.invoice
        currency = _s(inv.get("currency")) or "MXN"
        computed = [compute_item(i) for i in _items(inv)]
        lines: list[tuple[str, str]] = [("Subtotal", money(inv.get("subtotal")))]
        discount = _dec(inv.get("discount"))
        if discount > 0:
            lines.append(("Descuento", money(-discount)))
        breakdown: dict[str, Decimal] = {}
        for amounts in computed:
            for t in amounts.taxes:
                if t.factor != "Exento":
                    label = _tax_label(t)
                    breakdown[label] = breakdown.get(label, _ZERO) + (
                        -t.amount if t.withholding else t.amount
                    )
        if breakdown:
            lines += [(label, money(amount)) for label, amount in breakdown.items()]
        elif _dec(inv.get("taxes")):
            lines.append(("Impuestos", money(inv.get("taxes"))))
        self._need(16 * (len(lines) + 2))
        self.y -= 4
        label_x = self.right - 120
        for label, value in lines:
            self.text(label_x, label, 9, right=True, gray=0.25)
            self.text(self.right, value, 9, right=True)
            self.y -= 13
        self.c.setStrokeGray(0.3)
        self.c.line(label_x - 80, self.y + 9, self.right, self.y + 9)
        self.y -= 4
        self.text(label_x, "Total", 11, bold=True, right=True)
        self.text(self.right, money(inv.get("total"), currency), 11, bold=True, right=True)
        self.y -= 16
        self.paragraph(self._in_words(), 8.5, bold=True)
        self.y -= 4

    def _in_words(self) -> str:
        """SAT's "importe con letra": the total, or for a payment CFDI (total 0) the payment."""
        pc = self.invoice.get("payment_complement")
        if self.kind == "P" and isinstance(pc, dict):
            return amount_in_words(_dec(pc.get("amount")), _s(pc.get("currency")) or "MXN")
        currency = _s(self.invoice.get("currency")) or "MXN"
        return amount_in_words(_dec(self.invoice.get("total")), currency)

    def notes(self) -> None:
        meta = (
            self.invoice.get("metadata") if isinstance(self.invoice.get("metadata"), dict) else {}
        )
        settings = self.team.get("settings") if isinstance(self.team.get("settings"), dict) else {}
        note = (
            self.invoice.get("invoice_pdf_notes")
            or meta.get("invoice_pdf_notes")
            or settings.get("invoice_pdf_notes")
        )
        if isinstance(note, str) and note.strip():
            self.heading("Notas")
            self.paragraph(note, 8.5)

    def seals(self) -> None:
        """Anexo 20's printed elements: QR, certificate numbers, both seals in full and the
        cadena original of the timbre (complemento de certificación digital del SAT)."""
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing

        inv = self.invoice
        stamped = _stamped(inv, self.team)
        timbre = stamped.find(f"{_q(CFDI_NS, 'Complemento')}/{_q(TFD_NS, 'TimbreFiscalDigital')}")
        assert timbre is not None
        sello = stamped.get("Sello", "")
        url = _verification_url(inv, self.issuer, self.receiver["rfc"], sello)
        self.heading("Timbre fiscal digital")
        qr_size = 96.0
        self._need(qr_size + 10)
        top = self.y
        qr = QrCodeWidget(url).draw()  # encoded once (the widget's getBounds encodes again)
        x0, y0, x1, y1 = qr.getBounds()
        drawing = Drawing(
            qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
        )
        drawing.add(qr)
        renderPDF.draw(drawing, self.c, self.left, top - qr_size + 8)
        text_x = self.left + qr_size + 10
        rows = [
            ("Folio fiscal (UUID)", timbre.get("UUID")),
            ("No. certificado emisor", stamped.get("NoCertificado")),
            ("No. certificado SAT", timbre.get("NoCertificadoSAT")),
            ("RFC proveedor cert.", timbre.get("RfcProvCertif")),
            ("Fecha timbrado", _display_datetime(_stamp_time(inv))),
        ]
        self.y = self.pairs(rows, text_x, self.right - text_x, label_width=105)
        self.y = min(self.y, top - qr_size) - 6
        self.long_value("Sello digital del CFDI", sello, self.left)
        self.long_value("Sello digital del SAT", timbre.get("SelloSAT", ""), self.left)
        self.long_value(
            "Cadena original del complemento de certificación digital del SAT",
            tfd_cadena_original(timbre),
            self.left,
        )
        self._need(24)
        self.text(self.left, "Verifica este comprobante en el portal del SAT:", 8, bold=True)
        self.y -= 10
        size = 7.0
        while size > 4.5 and self.c.stringWidth(url, "Helvetica", size) > self.right - self.left:
            size -= 0.25
        for line in self.wrap(url, self.right - self.left, size):
            self.text(self.left, line, size, gray=0.1)
            width = self.c.stringWidth(line, "Helvetica", size)
            self.c.linkURL(
                url, (self.left, self.y - 2, self.left + width, self.y + size), relative=0
            )
            self.y -= size + 2

    def render(self) -> bytes:
        self.header()
        self.fiscal()
        self.items()
        self.payment()
        self.totals()
        self.notes()
        self.seals()
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def render_invoice_pdf(invoice: dict[str, Any], team: dict[str, Any]) -> bytes:
    """The printable representation of the CFDI (US Letter, deterministic bytes)."""
    return _PdfWriter(invoice, team).render()
