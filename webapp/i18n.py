"""Languages: Spanish (es-MX) by default, English per staff member; dates in Mexico City."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
