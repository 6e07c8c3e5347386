"""The Spanish catalogue covers every UI string, and the compiled .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SPANISH = ROOT / "webapp/translations/es_MX/LC_MESSAGES"


def _extracted(tmp_path: Path) -> set[str]:
    """Messages in the sources now (same options as ``make translations``)."""
    output = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--ignore-dirs",
            ".* node_modules",
            "-o",
            str(output),
            str(ROOT),
        ]
    )
    with output.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def _spanish():
    with (SPANISH / "messages.po").open("rb") as handle:
        return read_po(handle, locale="es_MX")


def test_every_ui_string_has_a_spanish_translation(tmp_path):
    catalog = _spanish()
    extracted = _extracted(tmp_path)
    assert len(extracted) > 100
    untranslated = sorted(
        message_id
        for message_id in extracted
        if not (catalog.get(message_id) and catalog.get(message_id).string)
    )
    assert not untranslated, "run `make translations` and translate: " + repr(untranslated)
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy


def _messages(catalog) -> dict:
    """id -> translation of every translated, non-fuzzy message (what gettext would serve)."""
    return {
        _key(message.id): _key(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def _key(value):
    """Plural messages come back as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _compiled(path: Path) -> dict:
    with path.open("rb") as handle:
        return _messages(read_mo(handle))


def test_compiled_catalogue_is_up_to_date():
    """Compares the messages, not the bytes: the .mo header names the Babel that wrote it."""
    assert _compiled(SPANISH / "messages.mo") == _messages(_spanish()), (
        "messages.mo is stale: run `make translations`"
    )


def test_a_stale_compiled_catalogue_is_caught(tmp_path):
    catalog = _spanish()
    message = next(m for m in catalog if m.id and m.string)
    message.string += " (changed)"
    stale = tmp_path / "messages.mo"
    with stale.open("wb") as handle:
        write_mo(handle, catalog)
    assert _compiled(stale) != _messages(_spanish())
