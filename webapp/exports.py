"""CSV exports: streamed row by row (never a whole list in memory), UTF-8 with a BOM so
spreadsheets read accents right, and every cell formula-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from flask import Response, current_app

from webapp.formatting import MEXICO_CITY

# a cell starting with one of these is text, not a formula, when the CSV opens in a spreadsheet
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell as text: empty for None, Mexico City ISO time for datetimes, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(MEXICO_CITY).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


# rows per chunk sent: a chunk per row cost an app context and a compression call per row
# (5,000 teams: most of the export's CPU); a few hundred still stream in small pieces
ROWS_PER_CHUNK = 200


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV's text a chunk of ``ROWS_PER_CHUNK`` rows at a time: the header after the
    BOM, every cell through :func:`safe_cell` (a response, or a file a job writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    written = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        written += 1
        if written == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            written = 0
    if written:
        yield buffer.getvalue()


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download named ``<name>-<YYYYmmdd-HHMM>.csv`` (Mexico City time), streamed: ``rows``
    may be a generator that pages through gigstack or the database as it is written.

    Each chunk is made under an app context of its own, pushed only while that chunk is being
    made and popped before it is handed on: nothing stays pushed between chunks, so a body
    read halfway or never (a client gone, a test that only looks at headers) leaks no context
    into whatever runs next on the thread. Anything a generator needs from the request must
    be taken before it is returned.
    """
    stamp = datetime.now(MEXICO_CITY).strftime("%Y%m%d-%H%M")
    app = current_app._get_current_object()
    lines = csv_lines(header, rows)

    def body() -> Iterator[str]:
        while True:
            with app.app_context():
                chunk = next(lines, None)
            if chunk is None:
                return
            yield chunk

    return Response(
        body(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
