"""SYNTHETIC Constancia de Situación Fiscal PDFs for the CSF tests (dashboard, sandbox, client).

No synthetic CSF exists publicly and a genuine one carries a real taxpayer's data, so we draw
our own after the layout of a real CSF (VALIDATION-NOTES sections 3.2 and 4): same labels, same
"two labels on one line" rows, same tables, cédula QR, Code 128 of the RFC, cadena original and
sello QR. Only SAT's fictitious test taxpayers are used, every page says it is synthetic, and
the PDF title is ``SYNTHETIC TEST CSF - NOT A SAT DOCUMENT``.

Output is deterministic (reportlab ``invariant`` mode, sello derived from a hash), so fixtures
are stable byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
from collections.abc import Callable, Sequence
from datetime import date
from urllib.parse import quote

from reportlab.graphics.barcode import code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "QR_URL",
    "SYNTHETIC_TITLE",
    "fisica_funk",
    "generic_pdf",
    "image_only_pdf",
    "make_csf_pdf",
    "moral_eku",
]

SYNTHETIC_TITLE = "SYNTHETIC TEST CSF - NOT A SAT DOCUMENT"
QR_URL = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf"

PAGE_W, PAGE_H = 612.0, 792.0  # US Letter, like SAT's CSF
_BOTTOM = 720.0  # flowing text stops here (top-based y); the footer lives below
_MONTHS = (
    "ENERO",
    "FEBRERO",
    "MARZO",
    "ABRIL",
    "MAYO",
    "JUNIO",
    "JULIO",
    "AGOSTO",
    "SEPTIEMBRE",
    "OCTUBRE",
    "NOVIEMBRE",
    "DICIEMBRE",
)

Regime = tuple[str, date, date | None]
"""(text as the CSF prints it, Fecha Inicio, Fecha Fin or None while active)."""

_Op = Callable[[Canvas], None]


def make_csf_pdf(
    *,
    rfc: str,
    name: str,
    persona: str,
    regimes: Sequence[Regime],
    zip: str,
    curp: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    second_last_name: str | None = None,
    capital_regime: str = "SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
    trade_name: str = "",
    status: str = "ACTIVO",
    issued_on: date = date(2026, 1, 15),
    operations_start: date = date(1990, 3, 17),
    last_status_change: date | None = None,
    id_cif: str = "25010000001",
    street_type: str = "CALLE",
    street: str = "AVENIDA DE PRUEBAS",
    exterior: str = "100",
    interior: str = "",
    neighborhood: str = "CENTRO",
    locality: str = "",
    municipality: str = "CUAUHTEMOC",
    state: str = "CIUDAD DE MEXICO",
    between_street: str = "CALLE PRIMERA",
    and_street: str = "CALLE SEGUNDA",
    activities: Sequence[tuple[str, int, date]] | None = None,
    obligations: Sequence[tuple[str, str, date]] | None = None,
    qr_rfc: str | None = None,
    pages: int = 2,
) -> bytes:
    """Draw a synthetic CSF and return the PDF bytes.

    ``persona`` is ``"moral"`` or ``"fisica"``; for a física the name parts default to the
    words of ``name`` (last two words are the surnames). ``qr_rfc`` puts a different RFC in the
    cédula QR to fake an altered document; ``pages`` is a minimum page count.
    """
    if persona not in ("moral", "fisica"):
        raise ValueError("persona must be 'moral' or 'fisica'")
    if persona == "fisica" and first_name is None:
        words = name.split()
        first_name = " ".join(words[:-2]) or name
        last_name = words[-2] if len(words) >= 2 else ""
        second_last_name = words[-1] if len(words) >= 3 else ""
    activities = activities if activities is not None else _default_activities(persona)
    obligations = obligations if obligations is not None else _default_obligations(persona)
    start_op = operations_start

    cadena = (
        f"||{issued_on:%Y/%m/%d}|{rfc}|CONSTANCIA DE SITUACIÓN FISCAL|{_folio(rfc, issued_on)}||"
    )
    sello = _sello(cadena)
    layout = _Layout()

    # --- page 1, fixed top block (cédula left, constancia right) ---------------------------
    layout.text(64, 91, "CÉDULA DE IDENTIFICACIÓN FISCAL", bold=True, size=10)
    layout.ops.append(
        _qr_op(
            f"{QR_URL}?D1=10&D2=1&D3={quote(f'{id_cif}_{qr_rfc or rfc}', encoding='latin-1')}",
            33,
            137,
            113,
        )
    )
    layout.text(160, 150, rfc, bold=True, size=9)
    layout.text(160, 162, "Registro Federal de Contribuyentes", size=7)
    layout.text(160, 190, name, bold=True, size=9)
    layout.text(160, 202, "Nombre, denominación o razón social", size=7)
    layout.text(160, 228, f"idCIF: {id_cif}", size=8)
    layout.text(42, 262, "VALIDA TU INFORMACIÓN FISCAL", bold=True, size=7)
    layout.text(339, 146, "CONSTANCIA DE SITUACIÓN FISCAL", bold=True, size=10)
    layout.text(339, 176, "Lugar y Fecha de Emisión", size=8)
    layout.text(339, 190, f"{municipality} , {state} A {_long_date(issued_on)}", size=8)
    layout.ops.append(_code128_op(rfc, 386, 233, 26))
    layout.text(420, 270, rfc, size=8)
    layout.y = 300

    # --- identification ---------------------------------------------------------------------
    layout.section("Datos de Identificación del Contribuyente:")
    layout.row([(36, f"RFC: {rfc}")])
    if persona == "moral":
        layout.row([(36, f"Denominación/Razón Social: {name}")])
        layout.row([(36, f"Régimen Capital: {capital_regime}")])
    else:
        layout.row([(36, f"CURP: {curp or ''}")])
        layout.row([(36, f"Nombre (s): {first_name or ''}")])
        layout.row([(36, f"Primer Apellido: {last_name or ''}")])
        layout.row([(36, f"Segundo Apellido: {second_last_name or ''}")])
    layout.row([(36, f"Fecha inicio de operaciones: {_long_date(start_op)}")])
    layout.row([(36, f"Estatus en el padrón: {status}")])
    layout.row(
        [(36, f"Fecha de último cambio de estado: {_long_date(last_status_change or start_op)}")]
    )
    layout.row([(36, f"Nombre Comercial: {trade_name}")])

    # --- address: two labels per line, exactly as SAT prints them --------------------------
    layout.section("Datos del domicilio registrado")
    layout.row([(36, f"Código Postal:{zip}"), (300, f"Tipo de Vialidad: {street_type}")])
    layout.row([(36, f"Nombre de Vialidad: {street}"), (300, f"Número Exterior: {exterior}")])
    layout.row(
        [(36, f"Número Interior: {interior}"), (300, f"Nombre de la Colonia: {neighborhood}")]
    )
    layout.row(
        [
            (36, f"Nombre de la Localidad: {locality}"),
            (300, f"Nombre del Municipio o Demarcación Territorial: {municipality}"),
        ]
    )
    layout.row(
        [(36, f"Nombre de la Entidad Federativa: {state}"), (300, f"Entre Calle: {between_street}")]
    )
    layout.row([(36, f"Y Calle: {and_street}")])

    # --- tables -----------------------------------------------------------------------------
    layout.section("Actividades Económicas:")
    layout.table(
        [(36, 30), (70, 300), (380, 60), (440, 60), (510, 60)],
        ["Orden", "Actividad Económica", "Porcentaje", "Fecha Inicio", "Fecha Fin"],
        [
            [str(i), text, str(pct), f"{start:%d/%m/%Y}", ""]
            for i, (text, pct, start) in enumerate(activities, 1)
        ],
    )
    layout.section("Regímenes:")
    layout.table(
        [(36, 280), (380, 60), (470, 60)],
        ["Régimen", "Fecha Inicio", "Fecha Fin"],
        [
            [text, f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}" if end else ""]
            for text, start, end in regimes
        ],
    )
    layout.section("Obligaciones:")
    layout.table(
        [(36, 190), (236, 200), (446, 60), (510, 60)],
        ["Descripción de la Obligación", "Descripción Vencimiento", "Fecha Inicio", "Fecha Fin"],
        [[text, due, f"{start:%d/%m/%Y}", ""] for text, due, start in obligations],
    )

    # --- notices, cadena original and sello -------------------------------------------------
    layout.y += 10
    for paragraph in (
        "Sus datos personales son incorporados y protegidos en los sistemas del SAT, de "
        "conformidad con los Lineamientos de Protección de Datos Personales y con diversas "
        "disposiciones fiscales y legales sobre confidencialidad y protección de datos.",
        "La corrupción tiene consecuencias ¡denúnciala! Si conoces algún posible acto de "
        "corrupción o delito presenta una queja o denuncia.",
    ):
        for line in _wrap(paragraph, 520, 7):
            layout.row([(36, line)], size=7, gap=10)
        layout.y += 6
    for line in _wrap(f"Cadena Original Sello: {cadena}", 430, 7, hard=True):
        layout.row([(36, line)], size=7, gap=10)
    for line in _wrap(f"Sello Digital: {sello}", 430, 7, hard=True):
        layout.row([(36, line)], size=7, gap=10)

    while len(layout.pages) < pages:
        layout.new_page()
    sello_url = f"{QR_URL}?D1=0&D2=1&D3={quote(f'{cadena}_{sello}', safe='', encoding='latin-1')}"
    layout.ops.append(_qr_op(sello_url, 482, 640, 96))
    return layout.render()


def moral_eku(**overrides: object) -> bytes:
    """CSF of SAT's test company ESCUELA KEMPER URGATE (EKU9003173C9), regime 601, CP 42501."""
    params: dict[str, object] = {
        "rfc": "EKU9003173C9",
        "name": "ESCUELA KEMPER URGATE",
        "persona": "moral",
        "regimes": [("Régimen General de Ley Personas Morales", date(1990, 3, 17), None)],
        "zip": "42501",
        "id_cif": "19010000001",
        "capital_regime": "SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
        "trade_name": "ESCUELA KEMPER URGATE",
        "operations_start": date(1990, 3, 17),
        "street_type": "CALLE",
        "street": "CALLE DE PRUEBA",
        "exterior": "12",
        "interior": "",
        "neighborhood": "CENTRO",
        "locality": "ACTOPAN",
        "municipality": "ACTOPAN",
        "state": "HIDALGO",
    }
    params.update(overrides)
    return make_csf_pdf(**params)  # type: ignore[arg-type]


def fisica_funk(**overrides: object) -> bytes:
    """CSF of SAT's test person KARLA FUENTE NOLASCO (FUNK671228PH6), regime 612, CP 01160.

    It also lists an ended regime (Incorporación Fiscal, 621) first, so a parser must skip
    regimes that have a Fecha Fin.
    """
    params: dict[str, object] = {
        "rfc": "FUNK671228PH6",
        "name": "KARLA FUENTE NOLASCO",
        "persona": "fisica",
        "curp": "FUNK671228MCLNLR05",
        "first_name": "KARLA",
        "last_name": "FUENTE",
        "second_last_name": "NOLASCO",
        "regimes": [
            ("Régimen de Incorporación Fiscal", date(2014, 1, 1), date(2021, 12, 31)),
            (
                "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
                date(2022, 1, 1),
                None,
            ),
        ],
        "zip": "01160",
        "id_cif": "19020000002",
        "operations_start": date(2014, 1, 1),
        "street_type": "AVENIDA",
        "street": "AVENIDA DE PRUEBA",
        "exterior": "45",
        "interior": "3",
        "neighborhood": "COLONIA DE PRUEBA",
        "locality": "",
        "municipality": "ALVARO OBREGON",
        "state": "CIUDAD DE MEXICO",
    }
    params.update(overrides)
    return make_csf_pdf(**params)  # type: ignore[arg-type]


def image_only_pdf() -> bytes:
    """A PDF with drawings and no text layer, standing in for a scanned/photographed CSF."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
    canvas.setTitle(SYNTHETIC_TITLE)
    canvas.setFillColor(Color(0.85, 0.85, 0.85))
    canvas.rect(40, 80, 532, 640, fill=1, stroke=0)
    canvas.setFillColor(Color(0.2, 0.2, 0.2))
    for i in range(30):
        canvas.rect(60, 680 - i * 20, 300 + (i * 37) % 180, 6, fill=1, stroke=0)
    canvas.circle(480, 660, 40, fill=0, stroke=1)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def generic_pdf() -> bytes:
    """A readable PDF that is not a CSF (it even mentions an RFC, to fool naive parsers)."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
    canvas.setTitle("Cotización de prueba")
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(50, 720, "Cotización de servicios")
    canvas.setFont("Helvetica", 10)
    for i, line in enumerate(
        [
            "Cliente: ESCUELA KEMPER URGATE",
            "RFC: EKU9003173C9",
            "Código Postal:42501",
            "Concepto: Mantenimiento de equipo de cómputo",
            "Importe: $1,000.00 MXN",
            "Este documento es un ejemplo para pruebas y no tiene validez fiscal.",
        ]
    ):
        canvas.drawString(50, 690 - 16 * i, line)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


# --- internals ------------------------------------------------------------------------------


class _Layout:
    """Flowing text on pages, positions given from the top like the notes describe them."""

    def __init__(self) -> None:
        self.pages: list[list[_Op]] = [[]]
        self.y = 0.0

    @property
    def ops(self) -> list[_Op]:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append([])
        self.y = 70.0

    def _room(self, height: float) -> None:
        if self.y + height > _BOTTOM:
            self.new_page()

    def text(self, x: float, y: float, text: str, *, bold: bool = False, size: float = 8) -> None:
        self.ops.append(_row_op([(x, text)], PAGE_H - y, bold, size))

    def section(self, title: str) -> None:
        self._room(44)
        self.y += 28
        self.ops.append(_row_op([(30, title)], PAGE_H - self.y, True, 10))

    def row(
        self,
        cells: list[tuple[float, str]],
        *,
        size: float = 8,
        gap: float = 22,
        bold: bool = False,
    ) -> None:
        self._room(gap)
        self.y += gap
        self.ops.append(_row_op(cells, PAGE_H - self.y, bold, size))

    def table(
        self, columns: list[tuple[float, float]], header: list[str], rows: list[list[str]]
    ) -> None:
        """Header plus rows; long cells wrap, the other cells sit on the first line (top)."""
        self.row([(x, h) for (x, _), h in zip(columns, header, strict=True)], gap=16, bold=True)
        for cells in rows:
            wrapped = [
                _wrap(c, w, 8) if c else [""] for (_, w), c in zip(columns, cells, strict=True)
            ]
            for i in range(max(len(w) for w in wrapped)):
                line = [
                    (x, w[i])
                    for (x, _), w in zip(columns, wrapped, strict=True)
                    if i < len(w) and w[i]
                ]
                if line:
                    self.row(line, gap=14 if i == 0 else 10)

    def render(self) -> bytes:
        buf = io.BytesIO()
        canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=True)
        canvas.setTitle(SYNTHETIC_TITLE)
        canvas.setAuthor("gigstack back office test fixtures")
        canvas.setSubject("Synthetic Constancia de Situación Fiscal for automated tests")
        canvas.setCreator(SYNTHETIC_TITLE)
        total = len(self.pages)
        for number, ops in enumerate(self.pages, 1):
            _row_op([(30, SYNTHETIC_TITLE)], PAGE_H - 22, True, 7)(canvas)
            _row_op([(470, f"Página  [{number}] de [{total}]")], PAGE_H - 40, False, 8)(canvas)
            for op in ops:
                op(canvas)
            canvas.setFillColor(Color(0.55, 0.1, 0.2))
            canvas.rect(30, 24, PAGE_W - 60, 18, fill=1, stroke=0)
            canvas.setFillColor(Color(0, 0, 0))
            canvas.showPage()
        canvas.save()
        return buf.getvalue()


def _row_op(cells: list[tuple[float, str]], baseline: float, bold: bool, size: float) -> _Op:
    """One text object per visual line, so extractors see the cells on one line like SAT's."""

    def draw(canvas: Canvas) -> None:
        text = canvas.beginText()
        text.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        text.setTextOrigin(cells[0][0], baseline)
        previous = cells[0][0]
        for x, value in cells:
            if x != previous:
                text.moveCursor(x - previous, 0)
                previous = x
            text.textOut(value)
        canvas.drawText(text)

    return draw


def _qr_op(value: str, x: float, y_top: float, size: float) -> _Op:
    """reportlab's QR widget encodes; we paint its module matrix as one path (4x faster)."""

    def draw(canvas: Canvas) -> None:
        widget = QrCodeWidget(value, barBorder=0, barWidth=size, barHeight=size)
        widget.qr.make()
        count = widget.qr.getModuleCount()
        box = size / count
        top = PAGE_H - y_top
        path = canvas.beginPath()
        for r, row in enumerate(widget.qr.modules):
            c = 0
            for dark, run in itertools.groupby(bool(m) for m in row):
                length = len(list(run))
                if dark:
                    path.rect(x + c * box, top - (r + 1) * box, length * box, box)
                c += length
        canvas.drawPath(path, stroke=0, fill=1)

    return draw


def _code128_op(value: str, x: float, y_top: float, height: float) -> _Op:
    def draw(canvas: Canvas) -> None:
        barcode = code128.Code128(value, barHeight=height, barWidth=0.8, quiet=False)
        barcode.drawOn(canvas, x, PAGE_H - y_top - height)

    return draw


def _wrap(text: str, width: float, size: float, *, hard: bool = False) -> list[str]:
    """Greedy word wrap in Helvetica; ``hard`` also splits long words (base64 sellos)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, "Helvetica", size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while hard and stringWidth(current, "Helvetica", size) > width:
            cut = len(current)
            while cut > 1 and stringWidth(current[:cut], "Helvetica", size) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _long_date(day: date) -> str:
    return f"{day.day:02d} DE {_MONTHS[day.month - 1]} DE {day.year}"


def _folio(rfc: str, issued_on: date) -> str:
    digest = hashlib.sha256(f"{rfc}|{issued_on}".encode()).hexdigest()
    return "2000010" + f"{int(digest, 16) % 10**14:014d}"


def _sello(cadena: str) -> str:
    seed = cadena.encode("utf-8")
    raw = b"".join(hashlib.sha512(seed + bytes([i])).digest() for i in range(4))
    return base64.b64encode(raw).decode("ascii")


def _default_activities(persona: str) -> list[tuple[str, int, date]]:
    if persona == "moral":
        return [
            (
                "Otros servicios educativos proporcionados por el sector privado",
                100,
                date(1990, 3, 17),
            )
        ]
    return [("Servicios de consultoría en computación", 100, date(2014, 1, 1))]


def _default_obligations(persona: str) -> list[tuple[str, str, date]]:
    who = "Personas Morales" if persona == "moral" else "Personas Físicas"
    start = date(1990, 3, 17) if persona == "moral" else date(2014, 1, 1)
    return [
        (
            f"Declaración anual de ISR. {who}.",
            "A más tardar el 31 de marzo del ejercicio siguiente.",
            start,
        ),
        (
            "Pago definitivo mensual de IVA.",
            "A más tardar el día 17 del mes inmediato posterior al periodo que corresponda.",
            start,
        ),
    ]
