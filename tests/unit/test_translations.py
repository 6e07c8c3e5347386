"""The Spanish catalogue covers every UI string, and the compiled .mo matches the .po."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
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


@cache
def _app():
    from webapp import create_app
    from webapp.sandbox.keys import make_key

    return create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": "sqlite://",
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
            "WTF_CSRF_ENABLED": False,
        }
    )


def test_wtforms_own_messages_follow_the_language_from_a_catalogue_read_once():
    from flask_babel import force_locale
    from wtforms import IntegerField, SelectField

    from webapp.forms import BackofficeForm
    from webapp.i18n import _wtforms_catalogue

    app = _app()

    class Form(BackofficeForm):
        choice = SelectField(choices=[("a", "A")])
        number = IntegerField()

    errors = {}
    for locale in ("es_MX", "en", "es_MX"):
        with (
            app.test_request_context("/", method="POST", data={"choice": "z", "number": "x"}),
            force_locale(locale),
        ):
            form = Form()
            form.validate()
            errors[locale] = form.errors
    assert errors["es_MX"] == {
        "choice": ["Opción inválida."],
        "number": ["No es un valor entero válido."],
    }
    assert errors["en"] == {
        "choice": ["Not a valid choice."],
        "number": ["Not a valid integer value."],
    }
    assert _wtforms_catalogue.cache_info().currsize >= 2


TEMPLATE_STRINGS = [
    '{{ _("Dismiss") }}',
    '{{ _("The request failed (status %(status)s). Try again.", status=value) }}',
    '{{ _("%(count)s in total", count=value) }}',
    '{{ ngettext("%(num)d complement", "%(num)d complements", number) }}',
    '{{ ngettext("%(num)d day late", "%(num)d days late", number) }}',
    '{{ gettext("Valid") }}',
]


@pytest.mark.parametrize("source", TEMPLATE_STRINGS)
@pytest.mark.parametrize("locale", ["es_MX", "en"])
@pytest.mark.parametrize("value", ["plain", "<b>&amp;", 7])
@pytest.mark.parametrize("number", [0, 1, 5])
def test_template_gettext_writes_what_jinjas_newstyle_gettext_writes(source, locale, value, number):
    from flask import render_template_string
    from flask_babel import force_locale
    from jinja2 import Environment

    from webapp.i18n import request_translations

    app = _app()
    with app.test_request_context("/"), force_locale(locale):
        ours = render_template_string(source, value=value, number=number)
        jinja = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        jinja.install_gettext_callables(
            gettext=lambda s: request_translations().ugettext(s),
            ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
            newstyle=True,
        )
        assert ours == jinja.from_string(source).render(value=value, number=number)
