"""Reading a CFDI 4.0 XML for the accountant's summary, and the months the form offers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from webapp.month import periods
from webapp.month.cfdi import UnreadableCfdi, read_cfdi

INCOME = b"""<?xml version="1.0" encoding="UTF-8"?>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4"
  xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" Version="4.0" Serie="A" Folio="12"
  Fecha="2026-05-05T22:48:14" FormaPago="03" SubTotal="1000.00" Descuento="100.00"
  Moneda="USD" TipoCambio="18.0913" Total="1018.00" TipoDeComprobante="I" MetodoPago="PUE">
  <cfdi:CfdiRelacionados TipoRelacion="04">
    <cfdi:CfdiRelacionado UUID="aaaaaaaa-1111-4111-8111-000000000001"/></cfdi:CfdiRelacionados>
  <cfdi:Emisor Rfc="OCD180312QX5" Nombre="OPERADORA" RegimenFiscal="601"/>
  <cfdi:Receptor Rfc="GUHN981224130" Nombre="NATALIA" UsoCFDI="G03"/>
  <cfdi:Conceptos><cfdi:Concepto Importe="1000.00"><cfdi:Impuestos><cfdi:Traslados>
    <cfdi:Traslado Impuesto="002" Importe="999.00"/></cfdi:Traslados></cfdi:Impuestos>
  </cfdi:Concepto></cfdi:Conceptos>
  <cfdi:Impuestos TotalImpuestosRetenidos="26.00" TotalImpuestosTrasladados="144.00">
    <cfdi:Retenciones><cfdi:Retencion Impuesto="001" Importe="10.00"/>
      <cfdi:Retencion Impuesto="002" Importe="16.00"/></cfdi:Retenciones>
    <cfdi:Traslados><cfdi:Traslado Impuesto="002" Importe="144.00"/></cfdi:Traslados>
  </cfdi:Impuestos>
  <cfdi:Complemento><tfd:TimbreFiscalDigital UUID="b42ebe68-0c3a-427a-a81b-990c2850c477"
    FechaTimbrado="2026-05-05T22:49:00"/></cfdi:Complemento>
</cfdi:Comprobante>"""


def test_the_summary_is_the_documents_own_amounts_and_only_the_document_level_taxes():
    summary = read_cfdi(INCOME)
    assert (summary.type, summary.series, summary.folio) == ("I", "A", "12")
    assert summary.uuid == "B42EBE68-0C3A-427A-A81B-990C2850C477"
    assert (summary.subtotal, summary.discount, summary.total) == ("1000.00", "100.00", "1018.00")
    assert (summary.currency, summary.exchange_rate) == ("USD", "18.0913")
    assert summary.taxes == {
        "iva_transferred": "144.00",
        "ieps_transferred": "",
        "isr_withheld": "10.00",
        "iva_withheld": "16.00",
        "ieps_withheld": "",
    }
    assert summary.related == ["AAAAAAAA-1111-4111-8111-000000000001"]
    assert (summary.receiver_rfc, summary.stamped_at) == ("GUHN981224130", "2026-05-05T22:49:00")


@pytest.mark.parametrize(
    "content", [b"not xml", b"<root/>", INCOME.replace(b"TimbreFiscalDigital UUID", b"Otro UUID")]
)
def test_what_is_not_a_stamped_cfdi_is_refused(content):
    with pytest.raises(UnreadableCfdi):
        read_cfdi(content)


def test_last_month_and_its_bounds_are_mexico_city_months():
    # 1 December 2026, 04:00 UTC is still 30 November in Mexico City: last month is October
    assert periods.last_month(datetime(2026, 12, 1, 4, 0, tzinfo=UTC)) == date(2026, 10, 1)
    assert periods.last_month(datetime(2026, 12, 1, 7, 0, tzinfo=UTC)) == date(2026, 11, 1)
    first, last = periods.bounds(date(2026, 2, 1))
    assert first.isoformat() == "2026-02-01T00:00:00-06:00"
    assert last.isoformat() == "2026-02-28T23:59:59-06:00"
    offered = periods.offered(datetime(2026, 1, 15, tzinfo=UTC))
    assert offered[0] == date(2025, 12, 1) and offered[-1] == date(2024, 1, 1)
    assert periods.parse("2026-13") is None and periods.parse("2026-05") == date(2026, 5, 1)
