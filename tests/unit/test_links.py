"""``row_link`` builds exactly what ``url_for`` builds, for any id a row may carry."""

from __future__ import annotations

import pytest
from flask import url_for
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp import create_app
from webapp.sandbox.keys import make_key

ids = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def app():
    return create_app(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": "sqlite://",
            "GIGSTACK_SANDBOX_URL": "http://127.0.0.1:9/v2",
            "GIGSTACK_SANDBOX_KEY": make_key("team_unit", False, "key_unit"),
        }
    )


@settings(max_examples=200, deadline=None)
@given(value=ids, kind=st.sampled_from([None, "income", "egress", "a b&c=d"]))
def test_row_link_is_url_for(app, value, kind):
    from webapp.links import row_link

    with app.test_request_context("/"):
        invoice_link = row_link("invoices.show", "uuid", team_id="team_1")
        assert invoice_link(value, type=kind) == url_for(
            "invoices.show", team_id="team_1", uuid=value, type=kind
        )
        team_link = row_link("team.show", "team_id")
        assert team_link(value) == url_for("team.show", team_id=value)
        payment_link = row_link("payments.show", "team_id", "payment_id")
        assert payment_link(value, kind or "p") == url_for(
            "payments.show", team_id=value, payment_id=kind or "p"
        )
        backwards = row_link("payments.show", "payment_id", "team_id")
        assert backwards(value, "team_2", tab=kind) == url_for(
            "payments.show", team_id="team_2", payment_id=value, tab=kind
        )
        new_payment = row_link("payments.new", team_id="team_1")
        assert new_payment(client_id=value, mode=kind) == url_for(
            "payments.new", team_id="team_1", client_id=value, mode=kind
        )


def test_a_key_that_is_not_in_the_path_is_refused(app):
    from webapp.links import row_link

    with app.test_request_context("/"), pytest.raises(ValueError):
        row_link("invoices.show", "type", team_id="team_1", uuid="u")
    with app.test_request_context("/"), pytest.raises(ValueError):
        row_link("invoices.show", "team_id", "type", uuid="u")
