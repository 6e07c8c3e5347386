"""RFC shapes (SAT): 12 characters for a persona moral, 13 for a persona física, and the two
generic RFCs. Shared by the dashboard's forms and the sandbox so both refuse the same."""

from __future__ import annotations

import re

RFC_MORAL = re.compile(r"^[A-ZÑ&]{3}[0-9]{6}[A-Z0-9]{3}$")
RFC_FISICA = re.compile(r"^[A-ZÑ&]{4}[0-9]{6}[A-Z0-9]{3}$")
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})


def rfc_person(rfc: str) -> str | None:
    """``moral`` (12 chars), ``fisica`` (13) or None when the RFC is not well formed."""
    if RFC_MORAL.match(rfc):
        return "moral"
    if RFC_FISICA.match(rfc):
        return "fisica"
    return None


def is_generic_rfc(rfc: str | None) -> bool:
    return bool(rfc) and rfc in GENERIC_RFCS
