"""The money filter writes any amount gigstack or a form hands it, and never raises: a page
that shows a value it cannot read is still a page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.formatting import money, number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1234.5, "$1,234.50 MXN"),
        ("0.125", "$0.13 MXN"),  # half-up, as SAT rounds
        (2.675, "$2.68 MXN"),
        (-50, "-$50.00 MXN"),
        ("-0.001", "$0.00 MXN"),  # no "-$0.00"
        (Decimal("1e12"), "$1,000,000,000,000.00 MXN"),
        ("1e29", f"${10**29:,}.00 MXN"),  # past Decimal's 28 digits
        (None, ""),
        ("", ""),
    ],
)
def test_money_writes_amounts_in_es_mx_style(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize("value", ["aaaa", "a" * 5000, "NaN", "Infinity", "-inf", "1e309", 1e308])
def test_money_shows_what_is_no_sane_amount_as_it_came(value):
    assert money(value) == str(value)


@pytest.mark.parametrize(("value", "shown"), [(7, "7"), (1000, "1,000"), (10_000, "10,000")])
def test_number_writes_a_count_as_es_mx_does(value, shown):
    """The bound a page names when it counted no further ("Más de 10,000 …")."""
    assert number(value) == shown
