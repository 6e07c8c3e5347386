"""The back office's faster form markup writes exactly what WTForms would."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms import SelectChoice
from wtforms.fields.choices import Choice
from wtforms.widgets import Select as WTFormsSelect
from wtforms.widgets import core

from webapp.forms import WTFORMS_HTML_PARAMS, Select, html_params, select_choices

names = st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True)
values = st.one_of(
    st.booleans(), st.none(), st.integers(), st.text(max_size=20), st.sampled_from(['"', "<&>'"])
)


@contextmanager
def wtforms_own_markup():
    """WTForms' widgets with their own ``html_params`` for a moment (the app installs ours)."""
    installed = core.html_params
    core.html_params = WTFORMS_HTML_PARAMS
    core.Input.html_params = core.Button.html_params = staticmethod(WTFORMS_HTML_PARAMS)
    try:
        yield
    finally:
        core.html_params = installed
        core.Input.html_params = core.Button.html_params = staticmethod(installed)


@given(st.dictionaries(names, values, max_size=6))
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert html_params(**attributes) == WTFORMS_HTML_PARAMS(**attributes)


@given(
    st.one_of(st.text(max_size=10), st.booleans(), st.integers()),
    st.one_of(st.none(), st.text(max_size=10)),
    st.booleans(),
    st.one_of(st.none(), st.just({"disabled": True, "data_x": "y"})),
)
def test_options_are_written_as_wtforms_writes_them(value, label, selected, render_kw):
    choice = Choice(value, label, selected, render_kw)
    ours = Select.render_option(choice)
    with wtforms_own_markup():
        assert ours == WTFormsSelect.render_option(choice)


def test_inputs_and_buttons_use_ours_too():
    """They keep ``html_params`` as a class attribute, bound when WTForms was imported."""
    from webapp.forms import install_widgets

    install_widgets()
    assert core.Input.html_params is html_params
    assert core.Button.html_params is html_params


@pytest.fixture(scope="module")
def app():
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


@pytest.fixture(scope="module")
def declared_form():
    from wtforms import SelectField
    from wtforms.validators import DataRequired

    from webapp.forms import BackofficeForm
    from webapp.i18n import lazy_gettext as _l

    class Form(BackofficeForm):
        plain = SelectField(choices=[("", "—"), ("a", "A & B"), ("b", '"quoted"')])
        translated = SelectField(
            choices=[("valid", _l("Valid")), ("cancelled", _l("Cancelled"))],
            validators=[DataRequired()],
        )
        number = SelectField(coerce=int, choices=[(1, "one"), (2, "two")])
        grouped = SelectField(
            choices=[SelectChoice("x", "X", optgroup="G1"), SelectChoice("y", "Y", optgroup="G2")]
        )

    return Form


@settings(deadline=None)
@given(
    plain=st.sampled_from(["", "a", "b", "zz", "<x>"]),
    translated=st.sampled_from(["valid", "cancelled", "other"]),
    number=st.sampled_from(["1", "2", "x"]),
    locale=st.sampled_from(["es_MX", "en"]),
    dynamic=st.booleans(),
)
def test_kept_options_are_what_wtforms_writes(
    app, declared_form, plain, translated, number, locale, dynamic
):
    """The same field rendered by the kit (options kept across examples: one form class, the
    language and the values changing) and by WTForms' own select."""
    from flask_babel import force_locale

    data = {"plain": plain, "translated": translated, "number": number, "grouped": "y"}
    for _ in range(2):  # the second time from what was kept
        with app.test_request_context("/", method="POST", data=data), force_locale(locale):
            form = declared_form()
            form.validate()
            if dynamic:
                form.plain.choices = select_choices([("", "—"), ("b", "B"), (plain, "typed")])
            ours = {name: str(form[name]()) for name in data}
            with wtforms_own_markup():
                theirs = {name: str(WTFormsSelect()(form[name])) for name in data}
            assert ours == theirs
