"""Routes gigstack has but this contract leaves out (REFERENCE §1.14): the sandbox answers 404.

Most already miss every rule and get the plain 404; the ones listed here share a path with a
contract route (``GET /invoices/draft`` looks like ``DELETE /invoices/{uuid}``) and would be
answered 405 ``operation_not_allowed``, which tells a client the route exists.
"""

from __future__ import annotations

import re

__all__ = ["outside_contract"]

_ANY = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_ROUTES = [
    (_ANY, r"/invoices/(draft|sat|download|complements|transfer|eom)(/.*)?"),
    (_ANY, r"/(clients|payments|invoices)/[^/]+/support-documents(/.*)?"),
    ({"POST"}, r"/invoices/payment"),
    (_ANY, r"/teams/[^/]+/(manifest|invitations|email-templates)(/.*)?"),
    ({"PATCH", "DELETE"}, r"/teams/[^/]+/members/[^/]+"),
    ({"POST"}, r"/receipts/[^/]+/reopen"),
    ({"GET"}, r"/(payments|receipts)/search"),
    (_ANY, r"/(documents|api-keys)(/.*)?"),
    (_ANY, r"/auth/signup"),
]
_COMPILED = [(methods, re.compile(rf"/v2{pattern}/?")) for methods, pattern in _ROUTES]


def outside_contract(method: str, path: str) -> bool:
    """Whether ``method path`` is one of §1.14's routes (answered 404, never 405)."""
    return any(method in methods and rx.fullmatch(path) for methods, rx in _COMPILED)
