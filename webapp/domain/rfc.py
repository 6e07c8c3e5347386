"""RFC rules (SAT): 12 characters for a persona moral, 13 for a persona física, a real date
in the middle, SAT's check digit at the end, and the two generic RFCs. Shared by the
dashboard's forms and the sandbox so both refuse the same."""

from __future__ import annotations

import re
from datetime import date

RFC_MORAL = re.compile(r"^[A-ZÑ&]{3}[0-9]{6}[A-Z0-9]{3}$")
RFC_FISICA = re.compile(r"^[A-ZÑ&]{4}[0-9]{6}[A-Z0-9]{3}$")
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})
# SAT's check-digit alphabet: each character weighs its position here
CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def rfc_person(rfc: str) -> str | None:
    """``moral`` (12 chars), ``fisica`` (13) or None when the RFC is not well formed."""
    if RFC_MORAL.match(rfc):
        return "moral"
    if RFC_FISICA.match(rfc):
        return "fisica"
    return None


def is_generic_rfc(rfc: str | None) -> bool:
    return bool(rfc) and rfc in GENERIC_RFCS


def check_digit(rfc: str) -> str:
    """SAT's check digit for a well-formed RFC (what its last character must be): the first
    11 or 12 characters weighed 13 down to 2 (a persona moral's behind one space), modulo 11."""
    body = rfc[:-1].rjust(12)
    total = sum(CHECK_ALPHABET.index(c) * (13 - at) for at, c in enumerate(body))
    return CHECK_ALPHABET[-total % 11]


def _real_day(digits: str) -> bool:
    """Whether ``YYMMDD`` is a day of either century (000229: 2000 was a leap year)."""
    year, month, day = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    for century in (2000, 1900):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def rfc_problem(rfc: str) -> str | None:
    """Why ``rfc`` cannot be one SAT issued: ``shape``, ``date`` (no such day) or
    ``check_digit``; None for a good one and for the generic RFCs (SAT's fixed values, whose
    XAXX010101000 does not carry the check digit)."""
    if rfc in GENERIC_RFCS:
        return None
    person = rfc_person(rfc)
    if person is None:
        return "shape"
    start = 3 if person == "moral" else 4
    if not _real_day(rfc[start : start + 6]):
        return "date"
    if rfc[-1] != check_digit(rfc):
        return "check_digit"
    return None
