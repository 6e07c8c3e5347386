"""Read a SAT Constancia de Situación Fiscal (CSF) PDF into plain data.

CFDI 4.0 requires the receiver's RFC, exact name, regime and postal code to match SAT's registry;
the CSF is where clients get them. The sandbox uses this to answer ``POST /clients/csf`` and the
dashboard to pre-check an upload. Layout facts: ``shared/sat-test-certs/VALIDATION-NOTES.md``
3.2–3.4; rules: section 5 (11–15).

Parsing is by labels on ``pypdf``'s text, tolerant of two labels sharing a line, missing accents
and glued words. Only what makes the document unusable raises :class:`CsfError`; anything else
missing is left ``None`` and explained in ``CsfData.warnings``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from webapp import catalogs
from webapp.domain.rfc import rfc_problem

__all__ = [
    "MAX_BYTES",
    "MAX_PAGES",
    "CsfData",
    "CsfError",
    "CsfRegime",
    "check_consistency",
    "is_valid_rfc",
    "parse_csf",
    "parse_csf_text",
    "regime_code_for",
]

MAX_BYTES = 5 * 1024 * 1024
"""gigstack's limit for ``POST /clients/csf`` (413 ``file_upload_error`` above it)."""
MAX_PAGES = 10
"""A CSF has 2–3 pages; far more means it is some other document (or a hostile one)."""

_CURP_RE = re.compile(r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z\d]\d$")
_DATE_ROW = re.compile(
    r"^(?P<text>.*?)\s*(?P<start>\d{2}/\d{2}/\d{4})(?:\s+(?P<end>\d{2}/\d{2}/\d{4}))?\s*$"
)
_PAGE_HEADER = re.compile(r"^PAGINA\s*\[?\d+\]?\s*DE\s*\[?\d+\]?$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("ENERO", "FEBRERO", "MARZO", "ABRIL", "MAYO", "JUNIO", "JULIO", "AGOSTO")
        + ("SEPTIEMBRE", "OCTUBRE", "NOVIEMBRE", "DICIEMBRE"),
        1,
    )
}

# Every label SAT prints in the identification and address blocks (and a few older ones), so
# that a value stops where the next label on the same line starts.
_LABELS: tuple[tuple[str, str], ...] = (
    ("rfc", "RFC:"),
    ("curp", "CURP:"),
    ("given_names", "Nombre (s):"),
    ("first_surname", "Primer Apellido:"),
    ("second_surname", "Segundo Apellido:"),
    ("legal_name", "Denominación/Razón Social:"),
    ("capital_regime", "Régimen Capital:"),
    ("trade_name", "Nombre Comercial:"),
    ("operations_start", "Fecha inicio de operaciones:"),
    ("status", "Estatus en el padrón:"),
    ("status_changed", "Fecha de último cambio de estado:"),
    ("zip", "Código Postal:"),
    ("street_type", "Tipo de Vialidad:"),
    ("street", "Nombre de Vialidad:"),
    ("exterior", "Número Exterior:"),
    ("interior", "Número Interior:"),
    ("neighborhood", "Nombre de la Colonia:"),
    ("city", "Nombre de la Localidad:"),
    ("municipality", "Nombre del Municipio o Demarcación Territorial:"),
    ("state", "Nombre de la Entidad Federativa:"),
    ("between_street", "Entre Calle:"),
    ("and_street", "Y Calle:"),
    ("email", "Correo Electrónico:"),
    ("phone_area", "Tel. Fijo Lada:"),
    ("phone", "Número:"),
    ("mobile_area", "Tel. Movil Lada:"),
    ("address_status", "Estado del domicilio:"),
    ("taxpayer_address_status", "Estado del contribuyente en el domicilio:"),
    ("id_cif", "idCIF:"),
)
# Labels whose value is never legitimately empty: if the line ends right after them, the value
# was pushed to the next line by the extractor (pdfminer does that).
_VALUE_ON_NEXT_LINE_OK = frozenset(
    {"rfc", "curp", "given_names", "first_surname", "legal_name", "zip", "status", "id_cif"}
)
_SECTION_ENDS = ("OBLIGACIONES:", "ACTIVIDADESECONOMICAS:", "SUSDATOSPERSONALES", "CADENAORIGINAL")


class CsfError(ValueError):
    """A CSF upload that cannot be used, with the gigstack error code it maps to."""

    def __init__(self, code: str, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # which rule refused it (``not_pdf``, ``image_only``…), for translated messages
        self.reason = reason or code

    @property
    def status(self) -> int:
        """HTTP status gigstack answers with for this code."""
        return 413 if self.code == "file_upload_error" else 400


class CsfRegime(NamedTuple):
    """One row of the Regímenes table; ``code`` is None when the text is not in the catalogue."""

    code: str | None
    name: str
    active: bool


@dataclass
class CsfData:
    """What a CSF says about a taxpayer (the fields CFDI 4.0 needs, and context)."""

    rfc: str
    persona: str
    name: str | None
    curp: str | None = None
    regime_code: str | None = None
    regimes: list[CsfRegime] = field(default_factory=list)
    zip: str | None = None
    address: dict[str, str] = field(default_factory=dict)
    id_cif: str | None = None
    status: str | None = None
    issued_on: date | None = None
    trade_name: str | None = None
    cedula_rfc: str | None = None
    """RFC printed in the cédula block at the top of page 1 (for consistency checks)."""
    cadena_original: str | None = None
    """``||yyyy/mm/dd|RFC|CONSTANCIA DE SITUACIÓN FISCAL|number||`` when found."""
    warnings: list[str] = field(default_factory=list)
    """Soft problems found while reading (missing CP, unmapped regime…), in English."""


def is_valid_rfc(value: str) -> bool:
    """Whether ``value`` is a 12/13-character RFC with a real date (Ñ and & allowed). The check
    digit is not asked of it: an RFC SAT printed on its own CSF is taken as SAT wrote it (a
    few real RFCs do not carry SAT's check digit)."""
    return rfc_problem(value) in (None, "check_digit")


def parse_csf(data: bytes, *, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES) -> CsfData:
    """Read a CSF PDF or raise the :class:`CsfError` gigstack would answer with."""
    if not data:
        raise CsfError(
            "missing_required_field", "No file was uploaded: choose the CSF PDF.", "missing"
        )
    if len(data) > max_bytes:
        raise CsfError(
            "file_upload_error",
            f"The file ({len(data):,} bytes) is over the {max_bytes / (1024 * 1024):g} MiB limit. "
            f"A CSF downloaded from SAT is well under 1 MiB: check that the right file was chosen.",
            "too_large",
        )
    if not data.startswith(b"%PDF-"):
        raise CsfError("invalid_file_format", _not_a_pdf_message(data), "not_pdf")
    try:
        from pypdf import PdfReader  # only here: 10 MB of every worker otherwise

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CsfError(
                "invalid_file_format",
                "The PDF is password-protected. Upload the CSF exactly as downloaded from SAT, "
                "without a password.",
                "encrypted",
            )
        page_count = len(reader.pages)
        if page_count > max_pages:
            raise CsfError(
                "invalid_file_format",
                f"The PDF has {page_count} pages; a Constancia de Situación Fiscal has 2 or 3. "
                f"Upload only the CSF downloaded from SAT.",
                "too_many_pages",
            )
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except CsfError:
        raise
    except Exception as exc:  # any parser failure (malformed, hostile) means "unreadable"
        raise CsfError(
            "invalid_file_format",
            "The PDF is damaged or cannot be read. Download the CSF from SAT again and upload it.",
            "damaged",
        ) from exc
    if not any(ch.isalnum() for ch in text):
        raise CsfError(
            "invalid_file_format",
            "The PDF has no text: it looks like a scanned copy or a photo. Upload the PDF "
            "downloaded from SAT (sat.gob.mx → Constancia de Situación Fiscal).",
            "image_only",
        )
    return parse_csf_text(text)


def parse_csf_text(text: str) -> CsfData:
    """Parse the extracted text of a CSF; split out so other extractors can feed it."""
    lines = [" ".join(unicodedata.normalize("NFC", raw).split()) for raw in text.splitlines()]
    lines = [line for line in lines if line]
    folded = [_fold(line) for line in lines]
    compact = "".join(f.replace(" ", "") for f in folded)
    if "CONSTANCIADESITUACIONFISCAL" not in compact or (
        "DATOSDEIDENTIFICACIONDELCONTRIBUYENTE" not in compact
    ):
        raise CsfError(
            "invalid_file_format",
            _not_a_csf_message(compact),
            "cedula" if "CEDULADEDATOSFISCALES" in compact else "not_csf",
        )

    values = _label_values(lines, folded)
    cadena, cadena_rfc, cadena_date = _cadena(lines, folded)
    cedula_rfc = _line_before(lines, folded, "REGISTRO FEDERAL DE CONTRIBUYENTES")
    cedula_name = _line_before(lines, folded, "NOMBRE, DENOMINACION O RAZON SOCIAL")

    rfc = (values.get("rfc") or "").replace(" ", "").upper()
    if not rfc:
        rfc = cadena_rfc or (cedula_rfc or "").replace(" ", "").upper()
    if not rfc:
        raise CsfError(
            "invalid_file_format",
            "No RFC was found in the document. Upload the complete CSF PDF downloaded from SAT.",
            "no_rfc",
        )
    if not is_valid_rfc(rfc):
        raise CsfError(
            "invalid_file_format",
            f"The RFC in the document ({rfc[:20]}) is not a valid RFC (12 characters for a "
            f"company, 13 for a person).",
            "bad_rfc",
        )
    persona = "moral" if len(rfc) == 12 else "fisica"
    warnings: list[str] = []

    name = values.get("legal_name") or " ".join(
        v for v in (values.get(k) for k in ("given_names", "first_surname", "second_surname")) if v
    )
    name = name or cedula_name or None
    if not name:
        warnings.append("No name (Denominación/Razón Social or Nombre) was found.")

    curp = (values.get("curp") or "").replace(" ", "").upper() or None
    if curp and not _CURP_RE.match(curp):
        warnings.append(f"The CURP {curp[:20]} does not look valid.")

    regimes = _regimes(lines, folded, persona)
    regime_code = next(
        (
            r.code
            for r in regimes
            if r.active and r.code and catalogs.regime_fits_person(r.code, persona)
        ),
        None,
    )
    if not regimes:
        warnings.append("No tax regime (Regímenes table) was found.")
    elif regime_code is None:
        warnings.append(
            f"No active tax regime valid for a persona {persona} was recognised: "
            + "; ".join(f"{r.name} ({'active' if r.active else 'ended'})" for r in regimes)
        )
    for regime in regimes:
        if regime.code is None:
            warnings.append(f"Regime not in the SAT catalogue: {regime.name}")
        elif regime.active and not catalogs.regime_fits_person(regime.code, persona):
            warnings.append(
                f"Regime {regime.code} ({regime.name}) does not apply to a persona {persona}."
            )

    zip_match = re.match(r"(\d{5})(?!\d)", values.get("zip") or "")
    zip_code = zip_match.group(1) if zip_match else None
    if zip_code is None:
        warnings.append("No 5-digit Código Postal was found.")

    id_cif = (values.get("id_cif") or "").replace(" ", "")
    if not re.fullmatch(r"\d{8,13}", id_cif):
        if id_cif:
            warnings.append(f"The idCIF {id_cif[:20]} is not 8–13 digits.")
        id_cif = ""

    address = {
        key: values[key]
        for key in (
            "street",
            "exterior",
            "interior",
            "neighborhood",
            "city",
            "municipality",
            "state",
        )
        if values.get(key)
    }
    if zip_code:
        address["zip"] = zip_code

    return CsfData(
        rfc=rfc,
        persona=persona,
        name=name,
        curp=curp,
        regime_code=regime_code,
        regimes=regimes,
        zip=zip_code,
        address=address,
        id_cif=id_cif or None,
        status=(values.get("status") or "").upper() or None,
        issued_on=_issue_date(folded) or cadena_date,
        trade_name=values.get("trade_name") or None,
        cedula_rfc=(cedula_rfc or "").replace(" ", "").upper() or None,
        cadena_original=cadena,
        warnings=warnings,
    )


def regime_code_for(text: str, persona: str | None = None) -> str | None:
    """Catalogue code whose name ends the CSF's regime text (accent/case-insensitive).

    The CSF prefixes names ("Régimen de las Personas Físicas con Actividades Empresariales y
    Profesionales" is 612 "Personas Físicas con Actividades…"), so we match on the end and take
    the longest name, preferring codes that fit ``persona``.
    """
    wanted = _words(text)
    matches: list[tuple[bool, int, str]] = []
    for entry in catalogs.entries("tax_regimes"):
        for key in _regime_keys(entry["name"]):
            if wanted == key or wanted.endswith(" " + key):
                fits = persona is None or bool(entry.get(persona))
                matches.append((fits, len(key), entry["code"]))
    return max(matches)[2] if matches else None


def check_consistency(data: CsfData, *, today: date, max_age_days: int = 90) -> list[str]:
    """Warnings a reviewer should see: altered-looking, stale or inactive documents.

    Offline checks only (text RFC vs cédula RFC vs cadena original; issue date; status). QR and
    barcode contents need an image decoder and are not compared here.
    """
    problems: list[str] = []
    others = {"cédula block": data.cedula_rfc}
    if data.cadena_original:
        parts = data.cadena_original.strip("|").split("|")
        others["cadena original"] = parts[1] if len(parts) > 1 else None
    for where, other in others.items():
        if other and other != data.rfc:
            problems.append(
                f"The RFC in the {where} ({other}) differs from RFC {data.rfc}: "
                f"the document looks altered."
            )
    if data.issued_on is None:
        problems.append("The issue date was not found.")
    elif data.issued_on > today:
        problems.append(f"The issue date {data.issued_on:%Y-%m-%d} is in the future.")
    elif (today - data.issued_on).days > max_age_days:
        problems.append(
            f"The CSF was issued on {data.issued_on:%Y-%m-%d}, more than {max_age_days} days "
            f"ago; ask for a recent one."
        )
    if data.status and data.status != "ACTIVO":
        problems.append(f"The taxpayer's status in SAT's registry is {data.status}, not ACTIVO.")
    return problems


# --- internals ------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Upper-case without accents, one character per input character (spans stay aligned)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0].upper()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def _words(text: str) -> str:
    """Folded words only, for catalogue matching (punctuation dropped)."""
    return " ".join(re.sub(r"[^A-Z0-9Ñ]+", " ", _fold(text).replace("Ñ", "N")).split())


def _regime_keys(name: str) -> set[str]:
    keys = {_words(name)}
    without_note = re.sub(r"\([^)]*\)", " ", name)
    keys.add(_words(without_note))
    return {k for k in keys if k}


def _label_pattern() -> re.Pattern[str]:
    parts = []
    for key, label in sorted(_LABELS, key=lambda kv: -len(kv[1])):
        tokens = [re.escape(tok) for tok in _fold(label).split()]
        gap = r"\s*"
        parts.append(f"(?P<{key}>{gap.join(tokens)})")
    return re.compile(r"(?<![A-Z0-9])(?:" + "|".join(parts) + ")")


_LABEL_RE = _label_pattern()


def _label_values(lines: list[str], folded: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for index, (line, fline) in enumerate(zip(lines, folded, strict=True)):
        found = list(_LABEL_RE.finditer(fline))
        for pos, match in enumerate(found):
            key = match.lastgroup or ""
            end = found[pos + 1].start() if pos + 1 < len(found) else len(line)
            value = line[match.end() : end].strip()
            if (
                not value
                and pos + 1 == len(found)
                and key in _VALUE_ON_NEXT_LINE_OK
                and index + 1 < len(lines)
                and not _LABEL_RE.search(folded[index + 1])
                and not folded[index + 1].rstrip().endswith(":")
            ):
                value = lines[index + 1].strip()
            if value and not values.get(key):
                values[key] = value
            values.setdefault(key, value)
    return values


def _line_before(lines: list[str], folded: list[str], caption: str) -> str | None:
    for index, fline in enumerate(folded):
        if fline == caption and index > 0:
            return lines[index - 1]
    return None


def _cadena(lines: list[str], folded: list[str]) -> tuple[str | None, str | None, date | None]:
    joined, fjoined = " ".join(lines), " ".join(folded)
    match = re.search(
        r"\|\|\s*(\d{4})/(\d{2})/(\d{2})\s*\|\s*([A-Z0-9&Ñ]{12,13})\s*\|\s*CONSTANCIA\s*DE\s*"
        r"SITUACION\s*FISCAL\s*\|\s*([\d ]+?)\s*\|\|",
        fjoined,
    )
    if not match:
        return None, None, None
    cadena = re.sub(r"\s*\|\s*", "|", joined[match.start() : match.end()])
    rfc = joined[match.start(4) : match.end(4)]
    try:
        issued = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        issued = None
    return cadena, rfc, issued


def _issue_date(folded: list[str]) -> date | None:
    for index, fline in enumerate(folded):
        if "LUGAR Y FECHA DE EMISION" in fline:
            window = " ".join(folded[index : index + 4])
            match = re.search(r"\bA\s+(\d{1,2})\s+DE\s+([A-Z]+)\s+DE\s+(\d{4})", window)
            if match and match.group(2) in _MONTHS:
                try:
                    return date(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
                except ValueError:
                    return None
    return None


def _regimes(lines: list[str], folded: list[str], persona: str) -> list[CsfRegime]:
    """Rows of the Regímenes table; a row with a Fecha Fin is an ended regime.

    Long names wrap: the continuation may come after the dated line (cells are top-aligned) or
    before it, so an undated line is appended to the previous row when that completes a
    catalogue name, and otherwise kept as the start of the next row.
    """
    start = next(
        (i for i, f in enumerate(folded) if f.replace(" ", "").startswith("REGIMENES:")), None
    )
    if start is None:
        return []
    rows: list[list[str | bool]] = []  # [text, active]
    pending: list[str] = []
    for line, fline in zip(lines[start + 1 :], folded[start + 1 :], strict=True):
        compact = fline.replace(" ", "")
        if compact.startswith(_SECTION_ENDS):
            break
        if _PAGE_HEADER.match(fline) or compact.startswith("REGIMENFECHAINICIO"):
            pending = []
            continue
        match = _DATE_ROW.match(line)
        if match:
            text = " ".join([*pending, match.group("text")]).strip()
            pending = []
            rows.append([text, match.group("end") is None])
            continue
        if rows and regime_code_for(str(rows[-1][0]), persona) is None:
            joined = f"{rows[-1][0]} {line}"
            if regime_code_for(joined, persona) is not None:
                rows[-1][0] = joined
                continue
        pending.append(line)
    return [
        CsfRegime(regime_code_for(str(text), persona), str(text), bool(active))
        for text, active in rows
        if text
    ]


def _not_a_pdf_message(data: bytes) -> str:
    kinds = {
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
        b"PK\x03\x04": "a ZIP/Office file",
        b"II*\x00": "a TIFF image",
        b"MM\x00*": "a TIFF image",
    }
    kind = next((k for magic, k in kinds.items() if data.startswith(magic)), None)
    found = f" (it is {kind})" if kind else ""
    return (
        f"The file is not a PDF{found}. Upload the Constancia de Situación Fiscal PDF "
        f"downloaded from SAT; photos and scans are not accepted."
    )


def _not_a_csf_message(compact: str) -> str:
    if "CEDULADEDATOSFISCALES" in compact:
        return (
            "This is a Cédula de Datos Fiscales, not a Constancia de Situación Fiscal. "
            "Upload the CSF PDF downloaded from SAT."
        )
    return (
        "The PDF is not a Constancia de Situación Fiscal (no 'CONSTANCIA DE SITUACIÓN FISCAL' / "
        "'Datos de Identificación del Contribuyente' found). Upload the CSF downloaded from SAT."
    )
