"""Every page starts with a link past the header to its content, and the ids and UUIDs of
the detail pages carry a Copy button (issue 20, point 17)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.databases


def test_every_page_starts_with_a_link_to_its_content(viewer, teams):
    html = viewer.get(f"/teams/{teams['partner']}/").get_data(as_text=True)
    first_link = re.search(r"<a [^>]*>([^<]*)</a>", html[html.index("<body") :])
    assert 'class="skip-link" href="#main"' in first_link.group(0)
    assert first_link.group(1) == "Saltar al contenido"
    assert '<main class="content" id="main" tabindex="-1">' in html  # it takes the focus


def _details(stored, teams) -> list[tuple[str, str]]:
    team = teams["partner"]
    base = f"/teams/{team}"
    invoice = stored.one("invoices", team, invoice_type="I")
    client = stored.one("clients", team)
    payment = stored.one("payments", team)
    receipt = stored.one("receipts", team)
    user = stored.team(team)["members"][0]["id"]
    return [
        (f"{base}/invoices/{invoice['uuid']}?type=income", invoice["uuid"]),
        (f"{base}/clients/{client['id']}", client["id"]),
        (f"{base}/payments/{payment['id']}", payment["id"]),
        (f"{base}/receipts/{receipt['id']}", receipt["id"]),
        (f"{base}/users/{user}", user),
        (f"{base}/", team),
    ]


def test_ids_and_uuids_on_detail_pages_have_a_copy_button(viewer, stored, teams):
    for url, value in _details(stored, teams):
        html = viewer.get(url).get_data(as_text=True)
        button = re.search(rf'<button [^>]*data-copy-text="{re.escape(value)}"[^>]*>([^<]*)<', html)
        assert button, f"{url}: no Copy button for {value}"
        assert button.group(1) == "Copiar" and f'aria-label="Copiar {value}"' in button.group(0)
