"""Webhooks: list by status, create with events grouped by object ("all of this object" works
without JavaScript), the URL checked as gigstack checks it and for places it could never reach,
edit changed fields only, delete with a reason; once per click."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import audit_rows, field_error, input_value, post_form, said, text_of

pytestmark = pytest.mark.databases


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/webhooks/"


def _hooks(api, teams) -> list[dict]:
    return list(api.webhooks.iter(team=teams["partner"]))


@pytest.fixture
def hook(api, teams, restore_sandbox) -> dict:
    """A webhook of the partner's team (the seed gives webhooks to another team)."""
    return api.webhooks.create(
        {
            "url": "https://crm.example.mx/hooks",
            "description": "CRM",
            "events": ["customer.created", "customer.updated"],
        },
        team=teams["partner"],
    )


def test_list_shows_the_teams_webhooks_by_status(viewer, api, teams, hook):
    api.webhooks.update(hook["id"], {"status": "inactive"}, team=teams["partner"])
    api.webhooks.create(
        {"url": "https://erp.example.mx/live", "events": ["invoice.created"]}, team=teams["partner"]
    )
    hooks = _hooks(api, teams)
    assert {h["status"] for h in hooks} == {"active", "inactive"}
    html = viewer.get(_base(teams)).get_data(as_text=True)
    assert all(h["url"] in html for h in hooks)
    paused = viewer.get(_base(teams), query_string={"status": "inactive"}).get_data(as_text=True)
    assert all((h["url"] in paused) == (h["status"] == "inactive") for h in hooks)
    assert viewer.get(f"/teams/{teams['outsider']}/webhooks/").status_code == 404


def test_create_a_webhook_for_all_invoice_events_once(app, operator, api, teams, restore_sandbox):
    page = operator.get(f"{_base(teams)}new").get_data(as_text=True)
    assert 'name="all_invoice"' in page and 'data-toggle-group="payment"' in page
    data = {
        "once": input_value(page, "once"),
        "url": "https://erp.example.mx/hooks/gigstack",
        "description": "ERP",
        "status": "active",
        "all_invoice": "y",
    }
    before = len(_hooks(api, teams))
    first = post_form(operator, f"{_base(teams)}new", data)
    second = post_form(operator, f"{_base(teams)}new", data)
    assert first.status_code == second.status_code == 302
    hooks = _hooks(api, teams)
    assert len(hooks) == before + 1
    made = next(h for h in hooks if h["url"] == data["url"])
    assert set(made["events"]) == {"invoice.created", "invoice.canceled", "invoice.failed"} | {
        e for e in made["events"] if e.startswith("invoice.")
    }
    assert all(e.startswith("invoice.") for e in made["events"]) and len(made["events"]) >= 3
    assert audit_rows(app, "webhook.create")[-1].object_id == made["id"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://erp.example.mx/hook", "Usa https://"),
        ("https://127.0.0.1/hook", "privada o reservada"),  # the hint says public: so is it
        ("http://127.0.0.1:8085/hook", "Usa https://"),
        ("https://localhost/hook", "es esta máquina"),
        ("https://[::1]/hook", "privada o reservada"),
        ("https://[::ffff:10.0.0.5]/hook", "privada o reservada"),
        ("https://169.254.169.254/latest", "privada o reservada"),  # link-local
        ("https://127.1/hook", "no es un dominio público"),
        ("ftp://erp.example.mx/hook", "https://"),
        ("https://user:pw@erp.example.mx/hook", "usuario ni contraseña"),
        ("https://erp.example.mx/hook#x", "#fragmento"),
        ("https://10.0.0.5/hook", "privada o reservada"),
        ("https://intranet/hook", "no es un dominio público"),
        ("https://erp.local/hook", "red privada"),
        ("", "Escribe la dirección"),
    ],
)
def test_a_url_gigstack_refuses_or_cannot_reach_is_refused_on_its_field(
    operator, api, teams, url, message, sandbox_requests
):
    answer = post_form(
        operator,
        f"{_base(teams)}new",
        {"url": url, "events": ["payment.created"], "status": "active"},
        htmx="webhook-form",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in (field_error(html, "url") or ""), text_of(html)[:400]
    assert re.search(r'value="payment.created"[^>]*checked', html)  # the events chosen stay
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_the_hint_says_what_the_rule_refuses_and_the_list_heads_its_column_url(operator, teams):
    form = operator.get(f"{_base(teams)}new").get_data(as_text=True)
    assert "https:// en internet pública (no localhost ni una red privada)" in text_of(form)
    listing = operator.get(_base(teams)).get_data(as_text=True)
    assert re.search(r'<th scope="col">URL</th>', listing)


def test_no_events_chosen_is_refused(operator, teams):
    answer = post_form(
        operator, f"{_base(teams)}new", {"url": "https://erp.example.mx/hook", "status": "active"}
    )
    assert answer.status_code == 422
    assert "Elige al menos un evento" in text_of(answer.get_data(as_text=True))


def test_edit_sends_only_what_changed(app, operator, api, teams, hook):
    path = f"{_base(teams)}{hook['id']}/edit"
    page = operator.get(path).get_data(as_text=True)
    assert input_value(page, "url") == hook["url"]
    answer = post_form(
        operator,
        path,
        {
            "url": hook["url"],
            "description": hook.get("description") or "",
            "status": "inactive",
            "events": list(reversed(hook["events"])),
        },
    )
    assert answer.status_code == 302
    assert said(app, audit_rows(app, "webhook.update")[-1]) == "changed: status"
    stored = api.webhooks.get(hook["id"], team=teams["partner"])
    assert stored["status"] == "inactive" and stored["events"] == hook["events"]


def test_delete_asks_for_a_reason_and_a_confirmation(app, operator, api, teams, hook):
    path = f"{_base(teams)}{hook['id']}/delete"
    refused = post_form(operator, path, {"reason": ""})
    html = refused.get_data(as_text=True)
    assert "Explica por qué" in field_error(html, "reason") and field_error(html, "confirm")
    done = post_form(operator, path, {"reason": "el ERP cambió de dirección", "confirm": "y"})
    assert done.status_code == 302
    assert hook["id"] not in {h["id"] for h in _hooks(api, teams)}
    assert audit_rows(app, "webhook.delete")[-1].object_id == hook["id"]


def test_viewers_read_only(viewer, api, teams, hook):
    html = viewer.get(_base(teams)).get_data(as_text=True)
    assert "/edit" not in html
    for path in ("new", f"{hook['id']}/edit", f"{hook['id']}/delete"):
        assert viewer.get(f"{_base(teams)}{path}").status_code == 403
