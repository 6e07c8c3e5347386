"""Sandbox team settings (REFERENCE §7.13, §7.14, §12.6, §13 #35).

Update semantics under test: omitted = unchanged; null clears (a group set to null resets its
leaves); {} leaves a group unchanged; arrays replace the whole array; "" clears a string;
unknown field → 400 naming it; bad enum → 400; default_series must name the team's series.
Every test works on a team it creates (the session sandbox is shared).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from webapp.sandbox.builders import default_settings


@pytest.fixture
def team(raw) -> dict[str, Any]:
    response = raw.post("/teams", json={"brand": {"alias": f"Ajustes {time.time_ns()}"}})
    assert response.status_code == 201
    return response.json()["data"]


def _settings(raw, team_id: str) -> dict[str, Any]:
    response = raw.get(f"/teams/{team_id}/settings")
    assert response.status_code == 200
    return response.json()["data"]


def _put(raw, team_id: str, body: Any):
    return raw.put(f"/teams/{team_id}/settings", json=body)


def test_get_settings_is_team_settings(raw, team, teams):
    response = raw.get(f"/teams/{team['id']}/settings")
    assert response.json()["message"] == "Settings retrieved successfully"
    assert response.json()["data"] == team["settings"] == default_settings()
    assert response.json()["data"]["periodicity"] == {"label": "Mes", "value": "month"}
    seeded = _settings(raw, teams["partner"])
    assert seeded["default_series"]["income"] == {"serie": "A"}
    assert raw.get(f"/teams/{teams['outsider']}/settings").status_code == 403
    assert raw.get("/teams/team_nope/settings").status_code == 404


def test_omitted_fields_are_unchanged(raw, team):
    response = _put(
        raw,
        team["id"],
        {"global_invoice_disabled": True, "default_description": "Servicios profesionales"},
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Settings updated successfully"
    expected = {
        **default_settings(),
        "global_invoice_disabled": True,
        "default_description": "Servicios profesionales",
    }
    assert response.json()["data"] == expected
    assert _settings(raw, team["id"]) == expected
    assert raw.get(f"/teams/{team['id']}").json()["data"]["settings"] == expected
    assert _put(raw, team["id"], {}).json()["data"] == expected


def test_new_fields_are_stored_and_emitted(raw, team):
    body = {
        "pdf_language": "en",
        "global_invoicing_monthly_cuts": 3,
        "eom_ppd_threshold_days": 31,
        "limit_days_to_pay": 0,
        "sku": "SKU-1",
        "payment_reminders": {"days": 3, "enabled": True, "before_subject": "Pronto"},
        "reinvoice": {"window_days": 10, "handler": "credit_note"},
        "refunds": {"automatic_refunds": False, "current_month_handler": "cancel_resources"},
        "allowed_product_codes": [{"key": "84111506", "description": "Honorarios"}],
        "complements": [{"type": "iedu", "data": "{}", "description": "Educación"}],
        "concepts_catalog": ["Colegiatura"],
        "local_taxes": [{"name": "ISH", "rate": 0.03}],
        "email_templates": {"invoices": {"es": {"subject": "Tu factura"}}},
        "avoid_legal_name_replacer": True,
        "keep_full_legal_name": False,
    }
    data = _put(raw, team["id"], body).json()["data"]
    for key, value in body.items():
        assert data[key] == value, key


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("day", "Día"),
        ("week", "Semana"),
        ("two_weeks", "Quincena"),
        ("month", "Mes"),
        ("two_months", "Bimestre"),
    ],
)
def test_periodicity_comes_back_as_label_and_value(raw, team, value, label):
    data = _put(raw, team["id"], {"periodicity": value}).json()["data"]
    assert data["periodicity"] == {"label": label, "value": value}


def test_null_and_empty_string_clear(raw, team):
    _put(
        raw,
        team["id"],
        {
            "default_description": "Algo",
            "invoice_pdf_notes": "Notas",
            "product_key": "84111506",
            "use": "G01",
            "periodicity": "week",
            "global_invoice_disabled": True,
            "force_series": "A",
            "avoid_automations_on_currencies": ["USD"],
        },
    )
    data = _put(
        raw,
        team["id"],
        {
            "default_description": None,
            "invoice_pdf_notes": "",
            "product_key": "",
            "use": None,
            "periodicity": None,
            "global_invoice_disabled": None,
            "force_series": None,
            "avoid_automations_on_currencies": None,
        },
    ).json()["data"]
    defaults = default_settings()
    assert data["default_description"] is None and data["invoice_pdf_notes"] is None
    assert data["product_key"] is None
    # cleared = back to a new team's value
    assert data["use"] == defaults["use"]
    assert data["periodicity"] == defaults["periodicity"]
    assert data["global_invoice_disabled"] is False
    assert data["avoid_automations_on_currencies"] == []
    assert "force_series" not in data
    assert data == defaults


def test_groups_merge_key_by_key_and_empty_object_leaves_them(raw, team):
    data = _put(
        raw,
        team["id"],
        {"emails": {"avoid_invoice_emails": True, "invoice_subject": "Factura {folio}"}},
    ).json()["data"]
    assert data["emails"] == {
        **default_settings()["emails"],
        "avoid_invoice_emails": True,
        "invoice_subject": "Factura {folio}",
    }
    before = data["emails"]
    assert _put(raw, team["id"], {"emails": {}}).json()["data"]["emails"] == before
    data = _put(raw, team["id"], {"emails": {"invoice_subject": None}}).json()["data"]
    assert "invoice_subject" not in data["emails"]
    assert data["emails"]["avoid_invoice_emails"] is True


def test_group_set_to_null_resets_its_leaves(raw, team):
    _put(
        raw,
        team["id"],
        {
            "emails": {"avoid_test_invoice_emails": False, "invoices_bcc": ["conta@empresa.mx"]},
            "payment_reminders": {"days": 2},
        },
    )
    data = _put(raw, team["id"], {"emails": None, "payment_reminders": None}).json()["data"]
    assert data["emails"] == default_settings()["emails"]
    assert "payment_reminders" not in data


def test_nested_templates_merge(raw, team):
    _put(raw, team["id"], {"email_templates": {"invoices": {"es": {"subject": "Factura"}}}})
    data = _put(
        raw,
        team["id"],
        {"email_templates": {"invoices": {"es": {"body": "Hola"}, "en": {"subject": "Invoice"}}}},
    ).json()["data"]
    assert data["email_templates"] == {
        "invoices": {"es": {"subject": "Factura", "body": "Hola"}, "en": {"subject": "Invoice"}}
    }


def test_arrays_replace_the_whole_array(raw, team):
    _put(
        raw,
        team["id"],
        {
            "taxes": [{"type": "IVA", "rate": 0.16}, {"type": "IEPS", "rate": 0.08}],
            "uses_on_self_invoice_portal": ["G01", "G03"],
        },
    )
    data = _put(
        raw,
        team["id"],
        {"taxes": [{"type": "IVA", "rate": 0.08}], "uses_on_self_invoice_portal": ["S01"]},
    ).json()["data"]
    assert data["taxes"] == [{"type": "IVA", "rate": 0.08}]
    assert data["uses_on_self_invoice_portal"] == ["S01"]
    assert _put(raw, team["id"], {"taxes": []}).json()["data"]["taxes"] == []


def test_currency_codes_are_upper_cased(raw, team):
    data = _put(raw, team["id"], {"avoid_automations_on_currencies": ["usd", "EUR"]}).json()
    assert data["data"]["avoid_automations_on_currencies"] == ["USD", "EUR"]


def test_default_series_must_be_a_series_of_the_team(raw, team):
    raw.post(f"/teams/{team['id']}/series", json={"series": "Fac"})
    response = _put(raw, team["id"], {"default_series": {"income": {"serie": "Z"}}})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field_value"
    assert body["details"] == [
        {
            "field": "default_series.income.serie",
            "message": "'Z' is not a series of this team (series: Fac)",
        }
    ]
    data = _put(
        raw,
        team["id"],
        {"default_series": {"income": {"serie": "fac"}, "credit_note": {"serie": "FAC"}}},
    ).json()
    assert data["data"]["default_series"] == {
        "income": {"serie": "Fac"},
        "credit_note": {"serie": "Fac"},
    }
    data = _put(raw, team["id"], {"default_series": {"credit_note": None}}).json()["data"]
    assert data["default_series"] == {"income": {"serie": "Fac"}}
    assert _put(raw, team["id"], {"default_series": None}).json()["data"]["default_series"] == {}


def test_seeded_series_accepted_for_seeded_team(raw, teams):
    current = _settings(raw, teams["partner"])
    response = _put(raw, teams["partner"], {"default_series": {"income": {"serie": "A"}}})
    assert response.status_code == 200
    assert response.json()["data"] == current


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unknown_setting": True}, "unknown_setting"),
        ({"emails": {"cc": []}}, "emails.cc"),
        ({"emails": {"invoice_footer": "x"}}, "emails.invoice_footer"),
        ({"reinvoice": {"days": 1}}, "reinvoice.days"),
        ({"default_series": {"payments": {"serie": "A"}}}, "default_series.payments"),
        ({"email_templates": {"invoices": {"fr": {}}}}, "email_templates.invoices.fr"),
        (
            {"allowed_product_codes": [{"key": "1", "description": "d", "x": 1}]},
            "allowed_product_codes[0].x",
        ),
    ],
)
def test_unknown_field_is_rejected_by_name(raw, team, body, field):
    response = _put(raw, team["id"], body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_field_value"
    assert response.json()["details"] == [
        {"field": field, "message": "is not a known setting"}
        if "[" not in field
        else {"field": field, "message": "is not a known field"}
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"periodicity": "monthly"},
            "periodicity",
            "'monthly' is not a valid periodicity (day, week, two_weeks, month, two_months)",
        ),
        (
            {"periodicity": {"label": "Mes", "value": "month"}},
            "periodicity",
            '{"label": "Mes", "value": "month"} is not a valid periodicity (day, week, two_weeks, '
            "month, two_months)",
        ),
        ({"pdf_language": "fr"}, "pdf_language", "'fr' is not a valid PDF language (en, es)"),
        (
            {"global_invoicing_monthly_cuts": 6},
            "global_invoicing_monthly_cuts",
            "6 is not a valid number of monthly cuts (2, 3, 4, 5)",
        ),
        (
            {"reinvoice": {"handler": "refund"}},
            "reinvoice.handler",
            "'refund' is not a valid handler (credit_note, cancel_resources)",
        ),
        (
            {"refunds": {"current_month_handler": "x"}},
            "refunds.current_month_handler",
            "'x' is not a valid handler (credit_note, cancel_resources)",
        ),
        ({"eom_ppd_threshold_days": 32}, "eom_ppd_threshold_days", "must be <= 31"),
        ({"limit_days_to_pay": -1}, "limit_days_to_pay", "must be >= 0"),
        ({"payment_reminders": {"days": 1.5}}, "payment_reminders.days", "must be a whole number"),
        ({"global_invoice_disabled": "yes"}, "global_invoice_disabled", "must be true or false"),
        ({"default_description": 5}, "default_description", "must be text"),
        ({"product_key": "123"}, "product_key", "'123' is not a valid SAT product key (8 digits)"),
        ({"use": "Z99"}, "use", "'Z99' is not a valid CFDI use (c_UsoCFDI)"),
        (
            {"uses_on_self_invoice_portal": ["G01", "nope"]},
            "uses_on_self_invoice_portal[1]",
            "'nope' is not a valid CFDI use (c_UsoCFDI)",
        ),
        (
            {"avoid_automations_on_currencies": ["DOLLAR"]},
            "avoid_automations_on_currencies[0]",
            "'DOLLAR' is not an ISO 4217 currency code (for example USD)",
        ),
        (
            {"emails": {"invoices_bcc": ["ok@mail.mx", "bad"]}},
            "emails.invoices_bcc[1]",
            "'bad' is not a valid e-mail address",
        ),
        ({"emails": "all"}, "emails", "must be an object"),
        ({"taxes": {"type": "IVA"}}, "taxes", "must be a list"),
        ({"taxes": ["IVA"]}, "taxes[0]", "must be an object"),
        (
            {"allowed_product_codes": [{"key": "84111506"}]},
            "allowed_product_codes[0].description",
            "is required",
        ),
    ],
)
def test_bad_values_are_rejected(raw, team, body, field, message):
    response = _put(raw, team["id"], body)
    assert response.status_code == 400
    details = response.json()["details"]
    assert details == [{"field": field, "message": message}]
    assert response.json()["error"] in ("invalid_field_value", "missing_required_field")
    assert _settings(raw, team["id"]) == default_settings()


def test_several_problems_and_nothing_changes(raw, team):
    response = _put(
        raw,
        team["id"],
        {"avoid_receipts": True, "periodicity": "yearly", "pdf_language": "de", "mystery": 1},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert {d["field"] for d in body["details"]} == {"periodicity", "pdf_language", "mystery"}
    assert _settings(raw, team["id"]) == default_settings()


def test_body_must_be_a_json_object(raw, team):
    response = raw.put(
        f"/teams/{team['id']}/settings", data="[]", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_body"


def test_settings_of_unknown_or_outside_team(raw, teams):
    assert _put(raw, "team_nope", {}).status_code == 404
    response = _put(raw, teams["outsider"], {"avoid_receipts": True})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
