"""The Spanish catalogue covers every UI string, and the compiled .mo matches the .po."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "webapp/translations/es_MX/LC_MESSAGES"


def _extracted(tmp_path: Path) -> set[str]:
    """Messages in the sources now (same options as ``make translations``)."""
    output = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
        "-k", "lazy_gettext", "--no-location", "--ignore-dirs", ".* node_modules",
        "-o", str(output), str(ROOT)])
    with output.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _spanish():
    with (SPANISH / "messages.po").open("rb") as handle:
        return read_po(handle, locale="es_MX")


def test_every_ui_string_has_a_spanish_translation(tmp_path):
    catalog = _spanish()
    extracted = _extracted(tmp_path)
    assert len(extracted) > 100
    untranslated = sorted(message_id for message_id in extracted
                          if not (catalog.get(message_id) and catalog.get(message_id).string))
    assert not untranslated, "run `make translations` and translate: " + repr(untranslated)
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy


def test_compiled_catalogue_is_up_to_date():
    buffer = io.BytesIO()
    write_mo(buffer, _spanish())
    assert (SPANISH / "messages.mo").read_bytes() == buffer.getvalue(), \
        "messages.mo is stale: run `make translations`"
