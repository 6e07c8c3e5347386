"""The back office's faster form markup writes exactly what WTForms would."""

from __future__ import annotations

from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st
from wtforms.fields.choices import Choice
from wtforms.widgets import Select as WTFormsSelect
from wtforms.widgets import core

from webapp.forms import WTFORMS_HTML_PARAMS, Select, html_params

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
