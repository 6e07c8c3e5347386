"""The RFC rule (webapp.domain.rfc): shape, a real date and SAT's check digit; SAT's own test
taxpayers pass it, the generic RFCs are exempt."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from webapp.domain.rfc import CHECK_ALPHABET, GENERIC_RFCS, check_digit, rfc_problem


@pytest.mark.parametrize(
    "rfc",
    [
        "EKU9003173C9",  # SAT's test persona moral (its CSD is in shared/sat-test-certs)
        "FUNK671228PH6",  # SAT's test persona física
        "ZUÑ920208KL4",  # Ñ weighs 38
        "VADA800927DJ3",  # EKU's legal representative
        "H&E951128469",  # & weighs 24
        "GODE561231GR8",
        "XAXX010101000",  # generic: its last 0 is not the check digit (4), SAT fixes it
        "XEXX010101000",
    ],
)
def test_sat_test_taxpayers_and_the_generic_rfcs_pass(rfc):
    assert rfc_problem(rfc) is None


@pytest.mark.parametrize(
    ("rfc", "problem"),
    [
        ("CBA991332AB1", "date"),  # month 13, day 32: its check digit happens to fit
        ("EKU9002303C9", "date"),  # 30 February
        ("FUNK670229PH6", "date"),  # 29 February 1967 / 2067
        ("EKU9003173C8", "check_digit"),
        ("AAA010101AAA", "check_digit"),
        ("EKU900317", "shape"),
        ("eku9003173c9", "shape"),
        ("", "shape"),
    ],
)
def test_impossible_dates_and_mistyped_characters_are_found(rfc, problem):
    assert rfc_problem(rfc) == problem


def test_29_february_of_a_leap_year_is_a_day():
    assert rfc_problem("ABC000229" + "AB" + check_digit("ABC000229AB?")) is None


letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZÑ&")
homoclave = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2)


@given(
    st.integers(min_value=3, max_value=4).flatmap(
        lambda n: st.lists(letters, min_size=n, max_size=n)
    ),
    st.dates(),
    homoclave,
)
def test_exactly_one_last_character_passes(start, day, middle):
    body = "".join(start) + day.strftime("%y%m%d") + middle
    assume(body + "0" not in GENERIC_RFCS)
    passing = [c for c in CHECK_ALPHABET[:11] if rfc_problem(body + c) is None]
    assert passing == [check_digit(body + "?")]
