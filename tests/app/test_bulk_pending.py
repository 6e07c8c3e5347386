"""A client's pending receipts as a job (``/teams/<team>/clients/<id>/stamp-pending-receipts``):
gigstack stamps at most 100 per call and says how many remain, so the job calls until none
remain, each receipt an item with its own result; a client gigstack refuses fails every item
with gigstack's message after one call."""

from __future__ import annotations

import random
import re
import string

import pytest

from tests.app.helpers import input_value, post_form, run_jobs, text_of

pytestmark = pytest.mark.databases

ITEM = {
    "description": "Café 1 kg",
    "unit_price": 400,
    "product_key": "50201706",
    "unit_key": "H87",
    "taxes": [{"type": "IVA", "rate": 0.16}],
}


def _rfc() -> str:
    pick = random.Random()
    letters = "".join(pick.choice(string.ascii_uppercase) for _ in range(3))
    return f"{letters}{pick.randint(10, 23)}0{pick.randint(1, 9)}1{pick.randint(0, 9)}A1B"


def client_with_receipts(api, count: int, **fiscal) -> dict:
    body = {
        "name": "Muchos recibos",
        "legal_name": "COMPRADOR DE MUCHOS RECIBOS",
        "tax_id": _rfc(),
        "tax_system": "601",
        "use": "G03",
        "address": {"country": "MEX", "zip": "91700"},
        **fiscal,
    }
    client = api.clients.create({k: v for k, v in body.items() if v is not None})
    for _ in range(count):
        api.receipts.create({"items": [ITEM], "client": {"id": client["id"]}})
    return client


def start(browser, team: str, client_id: str, count: int):
    path = f"/teams/{team}/clients/{client_id}/stamp-pending-receipts"
    confirm = browser.get(path).get_data(as_text=True)
    assert f"Timbrar {count} recibos pendientes" in confirm
    once = input_value(confirm, "once")
    answer = post_form(browser, path, {"once": once})
    assert answer.status_code == 302 and re.search(r"/jobs/\d+$", answer.location)
    return path, once, answer.location


def counts(page: str) -> str:
    return text_of(re.search(r'data-testid="job-counts">(.*?)</p>', page, re.S).group(1))


def test_more_than_a_hundred_pending_receipts_are_stamped_until_none_remain(
    app, operator, api, teams, restore_sandbox, sandbox_requests
):
    team = teams["partner"]
    client = client_with_receipts(api, 130)
    path, once, job_url = start(operator, team, client["id"], 130)
    sandbox_requests.clear()
    assert run_jobs(app) == 1
    calls = [r for r in sandbox_requests if r.path.endswith("/stamp-pending-receipts")]
    assert len(calls) == 2  # 100, then the 30 that remained
    page = operator.get(job_url).get_data(as_text=True)
    assert 'data-status="finished"' in page
    assert counts(page).startswith("130 de 130 hechos · 130 bien, 0 omitidos, 0 fallidos")
    left = api.receipts.list(status="pending", client_id=client["id"], limit=1)
    assert left.total_results == 0
    # the same form sent again is sent to the same job: nothing starts twice
    again = post_form(operator, path, {"once": once})
    assert again.status_code == 302 and again.location == job_url


def test_a_client_gigstack_refuses_fails_each_receipt_with_its_message_after_one_call(
    app, operator, api, teams, restore_sandbox, sandbox_requests
):
    team = teams["partner"]
    client = client_with_receipts(api, 3, address=None)
    _path, _once, job_url = start(operator, team, client["id"], 3)
    sandbox_requests.clear()
    run_jobs(app)
    calls = [r for r in sandbox_requests if r.path.endswith("/stamp-pending-receipts")]
    assert len(calls) == 1
    page = operator.get(job_url).get_data(as_text=True)
    assert counts(page).startswith("3 de 3 hechos · 0 bien, 0 omitidos, 3 fallidos")
    failed = re.findall(r'<tr data-item="[^"]+">.*?</tr>', page, re.S)
    assert len(failed) == 3 and all("zip" in text_of(row) for row in failed)
    assert "Reintentar" in page
