"""Languages: Spanish (es-MX) by default, English per staff member; dates in Mexico City."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import support
from flask import Flask, current_app
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

from webapp.extensions import babel


def select_locale() -> str:
    """The signed-in staff member's language; Spanish for everyone else."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(locale: str) -> str:
    """``es_MX`` → ``es-MX`` for the ``<html lang>`` attribute."""
    return locale.replace("_", "-")


def request_translations() -> Any:
    """The request's catalogue, looked up once: Flask-Babel looks it up again for every
    string (three context lookups and the locale each time), and a page has hundreds. Kept
    on the app context's ``g``, reached through Flask's context variable rather than the
    ``g`` proxy (a page's 200 strings each paid the proxy's lookup)."""
    context = _cv_app.get(None)
    if context is None:
        return get_translations()
    found = context.g.__dict__.get("_translations")
    if found is None:
        found = context.g._translations = get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` through the request's catalogue (:func:`request_translations`)."""
    translated = request_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext`` through the request's catalogue; ``num`` is a variable too."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


class LazyText(LazyString):
    """A lazy translation that is text, escaped in a page like any ``str``: Flask-Babel's
    is markup (``__html__`` is the string as it is), so a value it interpolates — what was
    typed, in a field's message — would be shown as HTML."""

    def __html__(self) -> str:
        return escape(str(self))


def lazy_gettext(string: str, **variables: Any) -> LazyText:
    """A label translated when shown (declared at import, shown in the staff member's
    language), through the request's catalogue."""
    return LazyText(gettext, string, **variables)


def template_gettext(string: str, **variables: Any) -> Markup:
    """The templates' ``_()``: what Jinja's newstyle gettext does (the translation marked safe,
    its ``%(name)s`` variables escaped into it), in one call where Jinja's alias makes three
    through the context. Every template is HTML (autoescaped)."""
    return Markup(request_translations().ugettext(string)) % variables


def template_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """The templates' ``ngettext()``, as :func:`template_gettext`; ``num`` is a variable too."""
    variables.setdefault("num", num)
    return Markup(request_translations().ungettext(singular, plural, num)) % variables


@cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages ("Not a valid choice.") in the request's language, each
    catalogue read once per process: Flask-WTF reads it from disk on every request."""

    def gettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = WTFormsTranslations()


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    # the templates' _() and ngettext() through the request's catalogue (same newstyle
    # wrapping as Flask-Babel's: autoescaped, %(name)s variables)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=template_ngettext
    )
