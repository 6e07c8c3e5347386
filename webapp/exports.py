"""CSV exports: streamed row by row (never a whole list in memory), UTF-8 with a BOM so
spreadsheets read accents right, and every cell formula-safe.

The first row is read before the answer starts, so an upstream failure on the first page is
an error page (banner, retry) rather than a broken download; a failure later, once the 200
has gone out, ends the file with a last line that says it is incomplete.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from flask import Response, current_app

from webapp.formatting import MEXICO_CITY
from webapp.i18n import gettext as _

log = logging.getLogger(__name__)

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


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], incomplete: str | None = None
) -> Iterator[str]:
    """The CSV's text a chunk of ``ROWS_PER_CHUNK`` rows at a time: the header after the
    BOM, every cell through :func:`safe_cell` (a response, or a file a job writes). With
    ``incomplete``, a failure of ``rows`` ends the file with that line (a download whose 200
    is out); without it, the failure is raised (a job's file is not kept half-written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    written = 0
    try:
        for row in rows:
            writer.writerow([safe_cell(cell) for cell in row])
            written += 1
            if written == ROWS_PER_CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                written = 0
    except Exception as exc:  # the 200 is out: say so in the file itself
        if incomplete is None:
            raise
        log.warning("CSV export cut short after it started: %s", type(exc).__name__)
        writer.writerow([safe_cell(incomplete)])
        written += 1
    if written:
        yield buffer.getvalue()


def _first_read(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """``rows`` with its first row already read (a failure here is raised to the view)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return iter(())
    return itertools.chain((first,), rows)


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download named ``<name>-<YYYYmmdd-HHMM>.csv`` (Mexico City time), streamed: ``rows``
    may be a generator that pages through gigstack or the database as it is written. Its first
    row is read here, before the answer starts: a failure then goes to the error pages.

    Each chunk is made under an app context of its own, pushed only while that chunk is being
    made and popped before it is handed on: nothing stays pushed between chunks, so a body
    read halfway or never (a client gone, a test that only looks at headers) leaks no context
    into whatever runs next on the thread. Anything a generator needs from the request must
    be taken before it is returned.
    """
    stamp = datetime.now(MEXICO_CITY).strftime("%Y%m%d-%H%M")
    app = current_app._get_current_object()
    incomplete = _("INCOMPLETE EXPORT: the download stopped before the end. Export again.")
    lines = csv_lines(header, _first_read(rows), incomplete)

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
