"""A field's message that repeats what was typed ("… is not a key of SAT's c_ClaveProdServ")
writes it as text: markup typed into a field is never markup on the page."""

from __future__ import annotations

import pytest

from tests.app.helpers import field_error, post_form

pytestmark = pytest.mark.databases

MARKUP = '<img src=x onerror="alert(1)">'
ESCAPED = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"


def _shown_as_text(answer, field: str) -> None:
    """Any case: a unit key is upper-cased before it is checked."""
    html = answer.get_data(as_text=True).lower()
    assert "<img src=x" not in html
    assert ESCAPED in html
    assert MARKUP in field_error(html, field)  # said, as text


def _service(**over: str) -> dict[str, str]:
    return {
        "description": "Consultoría",
        "product_key": "81111500",
        "unit_key": "E48",
        "unit_price": "100",
        "iva": "0.16",
        **over,
    }


@pytest.mark.parametrize("field", ["product_key", "unit_key"])
def test_a_sat_key_typed_as_markup_is_said_as_text(operator, teams, field):
    base = f"/teams/{teams['partner']}/services/"
    preview = operator.get(base + "new", query_string={**_service(), field: MARKUP})
    _shown_as_text(preview, field)
    created = post_form(operator, base + "new", _service(**{field: MARKUP}))
    assert created.status_code == 422
    _shown_as_text(created, field)


def test_a_sat_key_typed_as_markup_on_the_edit_form_is_said_as_text(operator, stored, teams):
    service = stored.one("services", teams["partner"])
    path = f"/teams/{teams['partner']}/services/{service['id']}/edit"
    answer = post_form(operator, path, _service(product_key=MARKUP))
    assert answer.status_code == 422
    _shown_as_text(answer, "product_key")


def test_a_regime_typed_as_markup_is_said_as_text_in_the_use_message(operator, teams):
    answer = post_form(
        operator,
        f"/teams/{teams['partner']}/clients/new",
        {"legal_name": "ACME", "tax_id": "", "tax_system": MARKUP, "use": "G03", "zip": "01000"},
    )
    assert answer.status_code == 422
    _shown_as_text(answer, "use")
