"""CSF (Constancia de Situación Fiscal) parsing with synthetic PDFs (VALIDATION-NOTES 5, 11–15)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import asdict
from datetime import date

import pytest
from pypdf import PdfWriter

from tests.support import synthetic_csf
from webapp.sat.csf import (
    CsfError,
    CsfRegime,
    check_consistency,
    is_valid_rfc,
    parse_csf,
    parse_csf_text,
    regime_code_for,
)

MIB = 1024 * 1024
CADENA_RE = r"^\|\|2026/01/15\|{rfc}\|CONSTANCIA DE SITUACIÓN FISCAL\|\d{{21}}\|\|$"


@pytest.fixture(scope="module")
def moral_pdf() -> bytes:
    return synthetic_csf.moral_eku()


@pytest.fixture(scope="module")
def fisica_pdf() -> bytes:
    return synthetic_csf.fisica_funk()


def rejected(data: bytes, **kwargs: object) -> CsfError:
    with pytest.raises(CsfError) as caught:
        parse_csf(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the two presets parse to the expected data ---------------------------------------------


def test_moral_csf_parses_to_expected_dict(moral_pdf: bytes) -> None:
    data = asdict(parse_csf(moral_pdf))
    cadena = data.pop("cadena_original")
    assert data == {
        "rfc": "EKU9003173C9",
        "persona": "moral",
        "name": "ESCUELA KEMPER URGATE",
        "curp": None,
        "regime_code": "601",
        "regimes": [CsfRegime("601", "Régimen General de Ley Personas Morales", True)],
        "zip": "42501",
        "address": {
            "street": "CALLE DE PRUEBA",
            "exterior": "12",
            "neighborhood": "CENTRO",
            "city": "ACTOPAN",
            "municipality": "ACTOPAN",
            "state": "HIDALGO",
            "zip": "42501",
        },
        "id_cif": "19010000001",
        "status": "ACTIVO",
        "issued_on": date(2026, 1, 15),
        "trade_name": "ESCUELA KEMPER URGATE",
        "cedula_rfc": "EKU9003173C9",
        "warnings": [],
    }
    assert re.match(CADENA_RE.format(rfc="EKU9003173C9"), cadena)


def test_fisica_csf_parses_to_expected_dict(fisica_pdf: bytes) -> None:
    data = asdict(parse_csf(fisica_pdf))
    data.pop("cadena_original")
    assert data == {
        "rfc": "FUNK671228PH6",
        "persona": "fisica",
        "name": "KARLA FUENTE NOLASCO",
        "curp": "FUNK671228MCLNLR05",
        "regime_code": "612",
        "regimes": [
            CsfRegime("621", "Régimen de Incorporación Fiscal", False),
            CsfRegime(
                "612",
                "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
                True,
            ),
        ],
        "zip": "01160",
        "address": {
            "street": "AVENIDA DE PRUEBA",
            "exterior": "45",
            "interior": "3",
            "neighborhood": "COLONIA DE PRUEBA",
            "municipality": "ALVARO OBREGON",
            "state": "CIUDAD DE MEXICO",
            "zip": "01160",
        },
        "id_cif": "19020000002",
        "status": "ACTIVO",
        "issued_on": date(2026, 1, 15),
        "trade_name": None,
        "cedula_rfc": "FUNK671228PH6",
        "warnings": [],
    }


def test_rfc_with_enie() -> None:
    pdf = synthetic_csf.make_csf_pdf(
        rfc="ZUÑ920208KL4",
        name="ZAPATERIA URTADO ÑERI",
        persona="moral",
        regimes=[("Régimen General de Ley Personas Morales", date(1992, 2, 8), None)],
        zip="06000",
    )
    data = parse_csf(pdf)
    assert (data.rfc, data.name, data.regime_code) == (
        "ZUÑ920208KL4",
        "ZAPATERIA URTADO ÑERI",
        "601",
    )
    assert "|ZUÑ920208KL4|" in (data.cadena_original or "")


# --- regimes ------------------------------------------------------------------------------


def test_ended_regime_is_ignored_when_choosing_regime_code() -> None:
    pdf = synthetic_csf.moral_eku(
        regimes=[
            ("Régimen Simplificado de Confianza", date(2022, 1, 1), date(2023, 12, 31)),
            ("Régimen General de Ley Personas Morales", date(2024, 1, 1), None),
        ]
    )
    data = parse_csf(pdf)
    assert data.regime_code == "601"
    assert [(r.code, r.active) for r in data.regimes] == [("626", False), ("601", True)]


def test_only_ended_regimes_leave_no_code_and_warn() -> None:
    pdf = synthetic_csf.moral_eku(
        regimes=[("Régimen General de Ley Personas Morales", date(1990, 3, 17), date(2020, 1, 1))]
    )
    data = parse_csf(pdf)
    assert data.regime_code is None
    assert any("No active tax regime" in w for w in data.warnings)


def test_regime_of_the_other_persona_is_skipped() -> None:
    pdf = synthetic_csf.fisica_funk(
        regimes=[
            ("Régimen General de Ley Personas Morales", date(2020, 1, 1), None),
            ("Régimen Simplificado de Confianza", date(2022, 1, 1), None),
        ]
    )
    data = parse_csf(pdf)
    assert data.regime_code == "626"
    assert any("does not apply to a persona fisica" in w for w in data.warnings)


@pytest.mark.parametrize(
    ("text", "persona", "code"),
    [
        ("Régimen General de Ley Personas Morales", "moral", "601"),
        ("REGIMEN GENERAL DE LEY PERSONAS MORALES", None, "601"),
        ("Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios", "fisica", "605"),
        ("Régimen Simplificado de Confianza", "moral", "626"),
        ("Régimen Simplificado de Confianza", "fisica", "626"),
        ("Régimen de Incorporación Fiscal", "fisica", "621"),
        (
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
            "fisica",
            "612",
        ),
        ("Régimen de Arrendamiento", "fisica", "606"),
        ("Régimen de los ingresos por dividendos", "fisica", "611"),
        ("Régimen de las Personas Morales con Fines no Lucrativos", "moral", "603"),
        ("Régimen de Enajenación o Adquisición de Bienes", "fisica", "607"),
        ("Régimen de los demás ingresos", "fisica", "608"),
        ("Régimen de algo que no existe", "fisica", None),
        ("Profesionales", "fisica", None),
    ],
)
def test_regime_code_for(text: str, persona: str | None, code: str | None) -> None:
    assert regime_code_for(text, persona) == code


# --- rejections -----------------------------------------------------------------------------


def test_empty_upload() -> None:
    assert rejected(b"").code == "missing_required_field"


def test_over_five_mib() -> None:
    error = rejected(b"%PDF-1.4\n" + b"0" * (5 * MIB))
    assert (error.code, error.status) == ("file_upload_error", 413)
    assert "5 MiB" in error.message


def test_custom_size_limit(moral_pdf: bytes) -> None:
    assert rejected(moral_pdf, max_bytes=1000).code == "file_upload_error"


def test_png_renamed_to_pdf() -> None:
    error = rejected(_png())
    assert (error.code, error.status) == ("invalid_file_format", 400)
    assert "not a PDF" in error.message and "PNG" in error.message


def test_image_only_pdf_is_a_scanned_copy() -> None:
    error = rejected(synthetic_csf.image_only_pdf())
    assert error.code == "invalid_file_format"
    assert "scanned copy" in error.message and "downloaded from SAT" in error.message


def test_generic_pdf_is_not_a_csf() -> None:
    error = rejected(synthetic_csf.generic_pdf())
    assert error.code == "invalid_file_format"
    assert "not a Constancia de Situación Fiscal" in error.message


def test_encrypted_pdf(moral_pdf: bytes) -> None:
    error = rejected(_encrypted(moral_pdf, "1234"))
    assert error.code == "invalid_file_format"
    assert "password-protected" in error.message


def test_pdf_that_opens_without_a_password_is_read(moral_pdf: bytes) -> None:
    # Owner-password-only "protection" does not stop reading; real CSFs have none anyway.
    assert parse_csf(_encrypted(moral_pdf, "")).rfc == "EKU9003173C9"


def test_damaged_pdf(moral_pdf: bytes) -> None:
    error = rejected(moral_pdf[: len(moral_pdf) // 3])
    assert error.code == "invalid_file_format"


def test_too_many_pages() -> None:
    error = rejected(synthetic_csf.moral_eku(pages=11))
    assert error.code == "invalid_file_format" and "11 pages" in error.message


def test_malformed_rfc_in_pdf() -> None:
    error = rejected(synthetic_csf.moral_eku(rfc="EKU900317"))
    assert error.code == "invalid_file_format"
    assert "EKU900317" in error.message and "not a valid RFC" in error.message


# --- text-level robustness (other extractors, real-world quirks) ----------------------------

_HEAD = (
    "CONSTANCIA DE SITUACIÓN FISCAL\n"
    "Lugar y Fecha de Emisión\n"
    "ACTOPAN , HIDALGO A 15 DE ENERO DE 2026\n"
    "Datos de Identificación del Contribuyente:\n"
)


def test_no_rfc_found() -> None:
    with pytest.raises(CsfError, match="No RFC") as caught:
        parse_csf_text(_HEAD + "Denominación/Razón Social: ESCUELA KEMPER URGATE\n")
    assert caught.value.code == "invalid_file_format"


def test_rfc_falls_back_to_cadena_original() -> None:
    text = _HEAD + (
        "Denominación/Razón Social: ESCUELA KEMPER URGATE\n"
        "Cadena Original Sello: ||2026/01/15|EKU9003173C9|CONSTANCIA DE SITUACIÓN FISCAL|"
        "200001088888800000031||\n"
    )
    assert parse_csf_text(text).rfc == "EKU9003173C9"


def test_glued_words_and_missing_accents() -> None:
    # pdfplumber with x_tolerance=3 drops the narrow gaps; some tools lose accents.
    text = (
        "CONSTANCIADESITUACIONFISCAL\n"
        "DatosdeIdentificacióndelContribuyente:\n"
        "RFC:EKU9003173C9\n"
        "Denominacion/RazonSocial:ESCUELA KEMPER URGATE\n"
        "CodigoPostal:42501 TipodeVialidad:CALLE\n"
        "Regimenes:\n"
        "RegimenFechaInicioFechaFin\n"
        "Régimen General de Ley Personas Morales 17/03/1990\n"
        "Obligaciones:\n"
    )
    data = parse_csf_text(text)
    assert (data.rfc, data.name, data.zip, data.regime_code) == (
        "EKU9003173C9",
        "ESCUELA KEMPER URGATE",
        "42501",
        "601",
    )


def test_value_on_the_next_line_and_wrapped_regime_before_the_date() -> None:
    # pdfminer sometimes moves a value under its label; a wrapped cell may also end in the date.
    text = _HEAD + (
        "RFC:\nFUNK671228PH6\n"
        "CURP: FUNK671228MCLNLR05\n"
        "Nombre (s): KARLA\nPrimer Apellido: FUENTE\nSegundo Apellido:\n"
        "Estatus en el padrón: ACTIVO\n"
        "Código Postal:01160 Tipo de Vialidad: AVENIDA\n"
        "Número Interior: Nombre de la Colonia: CENTRO\n"
        "Regímenes:\nRégimen Fecha Inicio Fecha Fin\n"
        "Régimen de las Personas Físicas con Actividades\n"
        "Empresariales y Profesionales 01/01/2022\n"
        "Página [2] de [2]\n"
        "Régimen Fecha Inicio Fecha Fin\n"
        "Régimen de Incorporación Fiscal 01/01/2014 31/12/2021\n"
        "Obligaciones:\n"
    )
    data = parse_csf_text(text)
    assert data.rfc == "FUNK671228PH6"
    assert data.name == "KARLA FUENTE"
    assert data.address == {"neighborhood": "CENTRO", "zip": "01160"}
    assert data.regimes == [
        CsfRegime(
            "612",
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
            True,
        ),
        CsfRegime("621", "Régimen de Incorporación Fiscal", False),
    ]
    assert data.regime_code == "612"
    assert data.issued_on == date(2026, 1, 15)


def test_missing_soft_fields_are_warnings_not_errors() -> None:
    data = parse_csf_text(_HEAD + "RFC: EKU9003173C9\nCódigo Postal:4250\nidCIF: 12\n")
    assert (data.zip, data.id_cif, data.regime_code, data.name) == (None, None, None, None)
    assert len(data.warnings) == 4


def test_cedula_de_datos_fiscales_gets_its_own_message() -> None:
    with pytest.raises(CsfError, match="Cédula de Datos Fiscales"):
        parse_csf_text("CÉDULA DE DATOS FISCALES\nRFC: EKU9003173C9\n")


@pytest.mark.parametrize(
    ("rfc", "ok"),
    [
        ("EKU9003173C9", True),
        ("FUNK671228PH6", True),
        ("ZUÑ920208KL4", True),
        ("H&E951128469", True),
        ("EKU9013173C9", False),  # month 13
        ("EKU900317", False),
        ("eku9003173c9", False),
    ],
)
def test_is_valid_rfc(rfc: str, ok: bool) -> None:
    assert is_valid_rfc(rfc) is ok


# --- consistency / freshness warnings ---------------------------------------------------------


def test_consistent_fresh_csf_has_no_warnings(moral_pdf: bytes) -> None:
    assert check_consistency(parse_csf(moral_pdf), today=date(2026, 2, 1)) == []


def test_old_suspended_csf_warns() -> None:
    data = parse_csf(synthetic_csf.moral_eku(status="SUSPENDIDO", issued_on=date(2024, 1, 15)))
    warnings = check_consistency(data, today=date(2026, 2, 1))
    assert any("2024-01-15" in w and "90 days" in w for w in warnings)
    assert any("SUSPENDIDO" in w for w in warnings)


def test_future_issue_date_warns(moral_pdf: bytes) -> None:
    warnings = check_consistency(parse_csf(moral_pdf), today=date(2025, 12, 31))
    assert any("in the future" in w for w in warnings)


def test_rfc_differing_between_blocks_looks_altered() -> None:
    text = (
        "EKU9003173C9\nRegistro Federal de Contribuyentes\n" + _HEAD + "RFC: FUNK671228PH6\n"
        "Cadena Original Sello: ||2026/01/15|EKU9003173C9|CONSTANCIA DE SITUACIÓN FISCAL|"
        "200001088888800000031||\n"
    )
    warnings = check_consistency(parse_csf_text(text), today=date(2026, 2, 1))
    assert sum("looks altered" in w for w in warnings) == 2
