"""The cadena original of webapp/sat/cadena.py against SAT's own XSLT (from the satcfdi wheel).

The sandbox signs this string, so it must equal what ``cadenaoriginal_4_0.xslt`` (and, for the
timbre, ``cadenaoriginal_TFD_1_1.xslt``) make of the same XML, byte for byte.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.support.cfdi import sat_cadena, sat_tfd_cadena
from tests.unit.test_sandbox_documents import (
    TEAM,
    make_egress,
    make_global,
    make_invoice,
    make_item,
    make_payment,
)
from webapp.sandbox.documents import render_invoice_xml
from webapp.sat.cadena import cadena_original, tfd_cadena_original

CFDI = "{http://www.sat.gob.mx/cfd/4}"
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}"


def _odd_text() -> dict[str, Any]:
    """Spaces, tabs, new lines and a no-break space: only XML whitespace is collapsed."""
    return make_invoice(
        items=[
            make_item("  Servicio\t de\n  consultoría\u00a0 mensual  ", 1000),
            make_item("Caja | 12 piezas", 10.5, quantity=3),
        ]
    )


@pytest.mark.parametrize(
    "invoice",
    [make_invoice(), make_egress(), make_payment(), make_global(), _odd_text()],
    ids=["income", "egress", "payment", "global", "whitespace"],
)
def test_the_cadena_is_sats(invoice: dict[str, Any]) -> None:
    xml = render_invoice_xml(invoice, TEAM)
    assert cadena_original(xml) == sat_cadena(xml)
    timbre = ET.fromstring(xml).find(f"{CFDI}Complemento/{TFD}TimbreFiscalDigital")
    assert tfd_cadena_original(timbre) == sat_tfd_cadena(xml)


def test_attribute_order_is_the_xslts_and_absent_optionals_are_skipped() -> None:
    root = ET.fromstring(render_invoice_xml(make_invoice(), TEAM))
    for name in ("Serie", "Folio", "Descuento"):
        root.attrib.pop(name, None)
    # attributes written in another order must not change the string
    shuffled = ET.Element(root.tag, dict(reversed(list(root.attrib.items()))))
    shuffled.extend(list(root))
    xml = ET.tostring(shuffled)
    assert cadena_original(shuffled) == sat_cadena(xml)
    assert cadena_original(xml).startswith("||4.0|2024-05-01T10:00:00|")


def test_a_missing_required_attribute_still_takes_its_place() -> None:
    root = ET.fromstring(render_invoice_xml(make_invoice(), TEAM))
    del root.attrib["NoCertificado"]
    assert cadena_original(root) == sat_cadena(ET.tostring(root))


def test_an_unknown_complement_is_refused() -> None:
    root = ET.fromstring(render_invoice_xml(make_invoice(), TEAM))
    ET.SubElement(
        root.find(f"{CFDI}Complemento"), "{http://www.sat.gob.mx/implocal}ImpuestosLocales"
    )
    with pytest.raises(ValueError, match="ImpuestosLocales"):
        cadena_original(root)
