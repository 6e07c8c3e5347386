"""An object id in a URL that is no id — blank, a dot, a slash, a control character, too long
— is the not-found page before any call about it: ``/clients/.`` would otherwise reach
gigstack as ``/clients``, the list, and a blank id was a server error."""

from __future__ import annotations

import pytest

from tests.app.helpers import post_form

pytestmark = pytest.mark.databases

NOT_IDS = ["%20", "%2e", "%2e%2e", "a%2Fb", "a%00b", "x" * 200, "%C3%A9"]

# (method, path after the team with {id} for the id, the API collection asked about it)
ROUTES = [
    ("GET", "invoices/{id}", "invoices"),
    ("GET", "invoices/{id}/pdf", "invoices"),
    ("GET", "invoices/{id}/xml", "invoices"),
    ("GET", "invoices/{id}/zip", "invoices"),
    ("POST", "invoices/{id}/cancel", "invoices"),
    ("POST", "invoices/{id}/send", "invoices"),
    ("POST", "invoices/{id}/credit-note", "invoices"),
    ("GET", "payments/{id}", "payments"),
    ("POST", "payments/{id}/refund", "payments"),
    ("POST", "payments/{id}/cancel", "payments"),
    ("GET", "receipts/{id}", "receipts"),
    ("POST", "receipts/{id}/stamp", "receipts"),
    ("GET", "users/{id}", "users"),
    ("POST", "users/{id}/edit", "users"),
    ("POST", "users/{id}/login-link", "users"),
    ("GET", "clients/{id}", "clients"),
    ("GET", "clients/{id}/edit", "clients"),
    ("POST", "clients/{id}/validate", "clients"),
    ("GET", "services/{id}/edit", "services"),
    ("POST", "services/{id}/delete", "services"),
    ("GET", "webhooks/{id}/edit", "webhooks"),
]


@pytest.mark.parametrize(("method", "path", "collection"), ROUTES)
def test_an_id_that_is_no_id_is_not_found_before_any_call(
    admin, teams, sandbox_requests, method, path, collection
):
    base = f"/teams/{teams['partner']}/"
    for not_an_id in NOT_IDS:
        url = base + path.format(id=not_an_id)
        sandbox_requests.clear()
        if method == "GET":
            answer = admin.get(url)
        else:
            answer = post_form(admin, url, {"reason": "prueba", "emails": "a@b.mx"})
        assert answer.status_code == 404, f"{method} {url}: {answer.status_code}"
        asked = [r.path for r in sandbox_requests if f"/v2/{collection}" in r.path]
        assert asked == [], f"{method} {url} asked gigstack {asked}"
