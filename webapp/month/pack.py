"""One team's ZIP of the month, built in a temporary file a member at a time (the store's
staged copies streamed in, never the whole ZIP in memory), then handed to the file store.

Layout: ``XML/`` and ``PDF/`` (files named as the invoice downloads name them), ``resumen.csv``
(one row per CFDI) and ``LEEME.txt`` (what is in it, the totals, what is missing).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.exports import csv_lines
from webapp.formatting import MEXICO_CITY
from webapp.i18n import gettext as _

from . import resumen

COPY_CHUNK = 256 * 1024


@dataclass
class Contents:
    """What went into a team's ZIP, and what could not."""

    xml: int = 0
    pdf: int = 0
    rows: int = 0
    missing: list[str] = field(default_factory=list)
    without_pdf: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _member(archive: zipfile.ZipFile, name: str, chunks: Iterator[bytes]) -> None:
    with archive.open(name, "w", force_zip64=True) as member:
        for chunk in chunks:
            member.write(chunk)


def build(
    results: Callable[[], Iterator[dict[str, Any]]], store: Any, describe: dict[str, Any]
) -> tuple[str, Contents]:
    """Write the ZIP of one team to a temporary file; its path (the caller deletes it) and
    what it holds. ``results()`` walks the team's items in order (twice: the files, then the
    summary), so nothing of the month is held in memory at once."""
    contents = Contents()
    handle, path = tempfile.mkstemp(prefix="month-", suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for result in results():
                data = result.get("data") or {}
                label = f"{result['label'] or '—'} {result['key']}"
                if result["status"] == "failed":
                    contents.missing.append(f"{label}: {result.get('message') or ''}")
                    continue
                if result["status"] == "skipped":
                    contents.skipped.append(f"{label}: {result.get('message') or ''}")
                    continue
                if data.get("xml"):
                    _member(archive, f"XML/{data['xml']}", store.read(data["xml_key"]))
                    contents.xml += 1
                if data.get("pdf"):
                    _member(archive, f"PDF/{data['pdf']}", store.read(data["pdf_key"]))
                    contents.pdf += 1
                elif data.get("xml"):
                    contents.without_pdf.append(f"{label}: {data.get('pdf_missing') or ''}")
            totals = resumen.Totals()
            with archive.open("resumen.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                rows = resumen.rows(results(), totals)
                for chunk in csv_lines(resumen.header(), _counted(rows, contents)):
                    text.write(chunk)
                text.flush()
                text.detach()
            archive.writestr("LEEME.txt", note(describe, contents, totals))
    except BaseException:
        os.unlink(path)
        raise
    return path, contents


def _counted(rows: Iterator[list[Any]], contents: Contents) -> Iterator[list[Any]]:
    for row in rows:
        contents.rows += 1
        yield row


def note(describe: dict[str, Any], contents: Contents, totals: resumen.Totals) -> str:
    """``LEEME.txt``: what the ZIP holds and what it lacks, in the job's language
    (``describe``: its ``heading`` lines, and ``who`` asked)."""
    made = datetime.now(MEXICO_CITY).strftime("%Y-%m-%d %H:%M")
    lines = [
        *describe["heading"],
        _(
            "Made on %(when)s by %(who)s with the gigstack back office.",
            when=made,
            who=describe["who"],
        ),
        "",
        _("Contents:"),
        "  " + _("XML/: %(count)s files (the stamped CFDI)", count=contents.xml),
        "  " + _("PDF/: %(count)s files (their printed version)", count=contents.pdf),
        "  " + _("resumen.csv: one row per CFDI (%(count)s rows)", count=contents.rows),
        "",
        _("Totals of resumen.csv (from the XML files), by type and currency:"),
    ]
    totals_lines = list(totals.lines())
    lines += ["  " + line for line in totals_lines] or ["  " + _("No CFDI in this month.")]
    lines += ["", _("Missing:")]
    if not (contents.missing or contents.without_pdf or contents.skipped):
        lines.append("  " + _("Nothing: every CFDI of the month is here with its XML and PDF."))
    if contents.missing:
        lines.append("  " + _("Not included (gigstack did not hand them over):"))
        lines += ["    " + entry for entry in contents.missing]
    if contents.without_pdf:
        lines.append("  " + _("Included without their PDF:"))
        lines += ["    " + entry for entry in contents.without_pdf]
    if contents.skipped:
        lines.append("  " + _("Left out:"))
        lines += ["    " + entry for entry in contents.skipped]
    return "\r\n".join(lines) + "\r\n"
