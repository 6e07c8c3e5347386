"""SAT's *cadena original* of a CFDI 4.0 (with Pagos 2.0) and of its TimbreFiscalDigital 1.1.

The seal (``Sello``) is the RSA-SHA256 signature of this string, so a byte of difference makes
the seal fail at the PAC. SAT defines it with XSLT (``cadenaoriginal_4_0.xslt``,
``Pagos20.xslt``, ``cadenaoriginal_TFD_1_1.xslt``); an XSLT engine is a heavy runtime
dependency for a dozen fixed templates, so the same rules are written here as data and checked
against SAT's own XSLT in the tests. Rules copied from those files:

- each template lists attributes in a fixed order (not the document's); a required one always
  prints ``|value`` (``|`` alone when missing), an optional one only when present;
- values go through XPath ``normalize-space`` (XML whitespace collapsed, ends trimmed);
- the whole string is ``||…||``; complements without rules here (other than the TFD, which
  the CFDI's cadena leaves out) are refused rather than silently skipped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

__all__ = ["cadena_original", "tfd_cadena_original"]

_NS = {
    "cfdi": "http://www.sat.gob.mx/cfd/4",
    "pago20": "http://www.sat.gob.mx/Pagos20",
    "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital",
}
_WHITESPACE = re.compile(r"[ \t\r\n]+")

# A template is a list of steps: "Name" a required attribute, "Name?" an optional one,
# ("path", "template") every element at the path (document order) through that template.
_Step = str | tuple[str, str]


def _attributes(names: str) -> list[str]:
    """Attribute steps written as one string, in the XSLT's order."""
    return names.split()


_TRASLADO = ["Base", "Impuesto", "TipoFactor", "TasaOCuota?", "Importe?"]
_TEMPLATES: dict[str, list[_Step]] = {
    "cfdi:Comprobante": [
        *_attributes(
            "Version Serie? Folio? Fecha FormaPago? NoCertificado CondicionesDePago? SubTotal "
            "Descuento? Moneda TipoCambio? Total TipoDeComprobante Exportacion MetodoPago? "
            "LugarExpedicion Confirmacion?"
        ),
        ("cfdi:InformacionGlobal", "cfdi:InformacionGlobal"),
        ("cfdi:CfdiRelacionados", "cfdi:CfdiRelacionados"),
        ("cfdi:Emisor", "cfdi:Emisor"),
        ("cfdi:Receptor", "cfdi:Receptor"),
        ("cfdi:Conceptos/cfdi:Concepto", "cfdi:Concepto"),
        ("cfdi:Impuestos", "cfdi:Impuestos"),
        ("cfdi:Complemento/*", "*"),
    ],
    "cfdi:InformacionGlobal": ["Periodicidad", "Meses", "Año"],
    "cfdi:CfdiRelacionados": ["TipoRelacion", ("cfdi:CfdiRelacionado", "UUID")],
    "UUID": ["UUID"],
    "cfdi:Emisor": ["Rfc", "Nombre", "RegimenFiscal", "FacAtrAdquirente?"],
    "cfdi:Receptor": [
        *_attributes(
            "Rfc Nombre DomicilioFiscalReceptor ResidenciaFiscal? NumRegIdTrib? "
            "RegimenFiscalReceptor UsoCFDI"
        )
    ],
    "cfdi:Concepto": [
        *_attributes(
            "ClaveProdServ NoIdentificacion? Cantidad ClaveUnidad Unidad? Descripcion "
            "ValorUnitario Importe Descuento? ObjetoImp"
        ),
        ("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", "Traslado"),
        ("cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion", "Retencion"),
        ("cfdi:ACuentaTerceros", "cfdi:ACuentaTerceros"),
        ("cfdi:InformacionAduanera", "NumeroPedimento"),
        ("cfdi:CuentaPredial", "Numero"),
        ("cfdi:ComplementoConcepto/*", "*"),
        (".//cfdi:Parte", "cfdi:Parte"),
    ],
    "Traslado": _TRASLADO,
    "Retencion": ["Base", "Impuesto", "TipoFactor", "TasaOCuota", "Importe"],
    "cfdi:ACuentaTerceros": [
        "RfcACuentaTerceros",
        "NombreACuentaTerceros",
        "RegimenFiscalACuentaTerceros",
        "DomicilioFiscalACuentaTerceros",
    ],
    "NumeroPedimento": ["NumeroPedimento"],
    "Numero": ["Numero"],
    "cfdi:Parte": [
        *_attributes(
            "ClaveProdServ NoIdentificacion? Cantidad Unidad? Descripcion ValorUnitario? Importe?"
        ),
        (".//cfdi:InformacionAduanera", "NumeroPedimento"),
    ],
    "cfdi:Impuestos": [
        ("cfdi:Retenciones/cfdi:Retencion", "ImpuestoImporte"),
        "TotalImpuestosRetenidos?",
        ("cfdi:Traslados/cfdi:Traslado", "Traslado"),
        "TotalImpuestosTrasladados?",
    ],
    "ImpuestoImporte": ["Impuesto", "Importe"],
    # Pagos 2.0 (Pagos20.xslt)
    "pago20:Pagos": [
        "Version",
        ("pago20:Totales", "pago20:Totales"),
        ("pago20:Pago", "pago20:Pago"),
    ],
    "pago20:Totales": [
        *_attributes(
            "TotalRetencionesIVA? TotalRetencionesISR? TotalRetencionesIEPS? "
            "TotalTrasladosBaseIVA16? TotalTrasladosImpuestoIVA16? TotalTrasladosBaseIVA8? "
            "TotalTrasladosImpuestoIVA8? TotalTrasladosBaseIVA0? TotalTrasladosImpuestoIVA0? "
            "TotalTrasladosBaseIVAExento? MontoTotalPagos"
        )
    ],
    "pago20:Pago": [
        *_attributes(
            "FechaPago FormaDePagoP MonedaP TipoCambioP? Monto NumOperacion? RfcEmisorCtaOrd? "
            "NomBancoOrdExt? CtaOrdenante? RfcEmisorCtaBen? CtaBeneficiario? TipoCadPago? "
            "CertPago? CadPago? SelloPago?"
        ),
        ("pago20:DoctoRelacionado", "pago20:DoctoRelacionado"),
        ("pago20:ImpuestosP/pago20:RetencionesP/pago20:RetencionP", "RetencionP"),
        ("pago20:ImpuestosP/pago20:TrasladosP/pago20:TrasladoP", "TrasladoP"),
    ],
    "pago20:DoctoRelacionado": [
        *_attributes(
            "IdDocumento Serie? Folio? MonedaDR EquivalenciaDR? NumParcialidad ImpSaldoAnt "
            "ImpPagado ImpSaldoInsoluto ObjetoImpDR"
        ),
        ("pago20:ImpuestosDR/pago20:RetencionesDR/pago20:RetencionDR", "RetencionDR"),
        ("pago20:ImpuestosDR/pago20:TrasladosDR/pago20:TrasladoDR", "TrasladoDR"),
    ],
    "RetencionDR": ["BaseDR", "ImpuestoDR", "TipoFactorDR", "TasaOCuotaDR", "ImporteDR"],
    "TrasladoDR": ["BaseDR", "ImpuestoDR", "TipoFactorDR", "TasaOCuotaDR?", "ImporteDR?"],
    "RetencionP": ["ImpuestoP", "ImporteP"],
    "TrasladoP": ["BaseP", "ImpuestoP", "TipoFactorP", "TasaOCuotaP?", "ImporteP?"],
    # cadenaoriginal_TFD_1_1.xslt
    "tfd:TimbreFiscalDigital": [
        *_attributes("Version UUID FechaTimbrado RfcProvCertif Leyenda? SelloCFD NoCertificadoSAT")
    ],
}
# complements by their element: the TFD is sealed after the CFDI, so the CFDI's cadena skips it
_COMPLEMENTS = {"pago20:Pagos": "pago20:Pagos", "tfd:TimbreFiscalDigital": None}
_BY_TAG = {f"{{{_NS[name.split(':')[0]]}}}{name.split(':')[1]}": name for name in _COMPLEMENTS}


def _normalize(value: str) -> str:
    """XPath ``normalize-space``: only XML whitespace counts (a no-break space stays)."""
    return _WHITESPACE.sub(" ", value).strip(" \t\r\n")


def _fields(element: ET.Element, template: str) -> Iterator[str]:
    for step in _TEMPLATES[template]:
        if isinstance(step, tuple):
            path, inner = step
            for child in element.findall(path, _NS):
                if inner == "*":
                    name = _BY_TAG.get(child.tag, "")
                    if not name:
                        raise ValueError(f"no cadena original rules for complement {child.tag}")
                    if _COMPLEMENTS[name]:
                        yield from _fields(child, name)
                else:
                    yield from _fields(child, inner)
            continue
        optional = step.endswith("?")
        value = element.get(step.rstrip("?"))
        if value is not None or not optional:
            yield _normalize(value or "")


def _root(document: ET.Element | bytes) -> ET.Element:
    return ET.fromstring(document) if isinstance(document, bytes) else document


def cadena_original(document: ET.Element | bytes) -> str:
    """``||…||`` of a CFDI 4.0 ``Comprobante`` (an element or the XML bytes)."""
    return "||" + "|".join(_fields(_root(document), "cfdi:Comprobante")) + "||"


def tfd_cadena_original(timbre: ET.Element | bytes) -> str:
    """``||1.1|UUID|…||``: the *cadena original del complemento de certificación digital del
    SAT*, which the PAC signs (``SelloSAT``) and the printed CFDI shows."""
    return "||" + "|".join(_fields(_root(timbre), "tfd:TimbreFiscalDigital")) + "||"
