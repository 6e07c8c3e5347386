"""SAT's own rules for a CFDI, from the data files of the ``satcfdi`` wheel (a test dependency).

- :func:`schema_errors`: the XML against ``cfdv40.xsd`` with ``Pagos20.xsd`` and
  ``TimbreFiscalDigitalv11.xsd`` (their catalogues and data types imported as SAT wrote them);
- :func:`sat_cadena` / :func:`sat_tfd_cadena`: the cadena original by SAT's XSLT;
- :func:`seal_verifies`: ``Sello`` checked with the certificate the file carries.

Nothing here imports satcfdi's code: only its schemas and stylesheets are used, loaded once.
"""

from __future__ import annotations

import base64
import importlib.util
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS = {"cfdi": CFDI_NS, "tfd": TFD_NS, "pago20": "http://www.sat.gob.mx/Pagos20"}


def _sat_files() -> Path:
    spec = importlib.util.find_spec("satcfdi")
    assert spec and spec.submodule_search_locations, "satcfdi (dev dependency) is not installed"
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "transform" / "schemas" / "www.sat.gob.mx" / "sitio_internet" / "cfd"


@cache
def _schema() -> etree.XMLSchema:
    cfd = _sat_files()
    imports = {
        CFDI_NS: cfd / "4" / "cfdv40.xsd",
        NS["pago20"]: cfd / "Pagos" / "Pagos20.xsd",
        TFD_NS: cfd / "TimbreFiscalDigital" / "TimbreFiscalDigitalv11.xsd",
    }
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>'
            for ns, path in imports.items()
        )
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


@cache
def _xslt(relative: str) -> etree.XSLT:
    return etree.XSLT(etree.parse(str(_sat_files() / relative)))


def schema_errors(xml: bytes) -> list[str]:
    """SAT's XSD verdict: empty when the document is valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def sat_cadena(xml: bytes) -> str:
    """The CFDI's cadena original by ``cadenaoriginal_4_0.xslt``."""
    return str(_xslt("4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt")(etree.fromstring(xml)))


def sat_tfd_cadena(xml: bytes) -> str:
    """The timbre's cadena original by ``cadenaoriginal_TFD_1_1.xslt`` (on the TFD alone)."""
    timbre = etree.fromstring(xml).find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert timbre is not None
    return str(_xslt("TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt")(etree.ElementTree(timbre)))


def verifies(certificate: bytes, seal_b64: str, cadena: str) -> bool:
    """Whether ``seal_b64`` is the RSA-SHA256 signature of ``cadena`` by the certificate's key."""
    key = x509.load_der_x509_certificate(certificate).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(
            base64.b64decode(seal_b64, validate=True),
            cadena.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


def seal_verifies(xml: bytes) -> bool:
    """``Sello`` signs SAT's cadena original, with the key of the ``Certificado`` in the file,
    whose serial is ``NoCertificado``."""
    root = etree.fromstring(xml)
    certificate = base64.b64decode(root.get("Certificado"), validate=True)
    serial = x509.load_der_x509_certificate(certificate).serial_number
    number = serial.to_bytes((serial.bit_length() + 7) // 8, "big").decode("ascii")
    return number == root.get("NoCertificado") and verifies(
        certificate, root.get("Sello"), sat_cadena(xml)
    )
