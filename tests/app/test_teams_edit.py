"""Create, edit and delete teams: catalogue pickers, partial updates, typed confirmation,
field errors (the form's and gigstack's) on their fields, and a double submit that creates
one team."""

from __future__ import annotations

import re

import pytest

from tests.app.helpers import (
    audit_rows,
    field_error,
    htmx_headers,
    input_value,
    post_form,
    said,
    text_of,
)

pytestmark = pytest.mark.databases

NEW_TEAM = {
    "alias": "Panadería Lupita",
    "legal_name": "PANADERIA LUPITA",
    "tax_id": "PLU200101AB5",
    "tax_system": "601",
    "zip": "06700",
    "city": "Ciudad de México",
    "country": "MEX",
    "support_email": "hola@lupita.mx",
}


def _form(client, path: str) -> dict[str, str]:
    """The hidden one-time token of a create form, as the page hands it out."""
    return {"once": input_value(client.get(path).get_data(as_text=True), "once")}


def _teams_named(stored, legal_name: str) -> list[dict]:
    return stored.teams(legal_name=legal_name)


# -- create --------------------------------------------------------------------------------


def test_operator_creates_a_team_and_lands_on_its_overview(app, operator, stored, restore_sandbox):
    answer = post_form(operator, "/teams/new", {**_form(operator, "/teams/new"), **NEW_TEAM})
    assert answer.status_code == 302
    [team] = _teams_named(stored, "PANADERIA LUPITA")
    assert answer.headers["Location"] == f"/teams/{team['id']}/"
    assert team["tax_id"] == "PLU200101AB5" and team["address"]["zip"] == "06700"
    assert team["brand"]["alias"] == "Panadería Lupita"
    # the directory knows it at once (its copy was dropped)
    assert team["id"] in operator.get("/teams/?q=lupita").get_data(as_text=True)
    assert operator.get(answer.headers["Location"]).status_code == 200
    [entry] = audit_rows(app, "team.create")
    assert entry.outcome == "ok" and entry.object_id == team["id"]


def test_a_second_team_with_an_rfc_the_account_has_asks_first(
    app, operator, stored, teams, restore_sandbox, sandbox_requests
):
    kemper = stored.team(teams["eku"])  # EKU9003173C9, already a team of this account
    operator.get("/teams/")  # the shared team list at hand
    data = {**_form(operator, "/teams/new"), **NEW_TEAM, "tax_id": "EKU9003173C9"}
    sandbox_requests.clear()
    asked = post_form(operator, "/teams/new", data, htmx="team-form")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "Otro equipo de esta cuenta ya tiene el RFC EKU9003173C9" in text_of(html)
    assert f'href="/teams/{kemper["id"]}/"' in html
    assert not sandbox_requests  # the list at hand: no walk of gigstack, nothing created
    assert not _teams_named(stored, "PANADERIA LUPITA")
    made = post_form(operator, "/teams/new", {**data, "same_rfc": "EKU9003173C9"})
    assert made.status_code == 302
    [team] = _teams_named(stored, "PANADERIA LUPITA")
    assert team["tax_id"] == "EKU9003173C9"
    assert [e.object_id for e in audit_rows(app, "team.create")] == [team["id"]]


def test_double_submit_creates_one_team(operator, stored, restore_sandbox):
    data = {**_form(operator, "/teams/new"), **NEW_TEAM}
    first = post_form(operator, "/teams/new", data)
    second = post_form(operator, "/teams/new", data)
    assert len(_teams_named(stored, "PANADERIA LUPITA")) == 1
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]


def test_onboarding_link_on_create_is_shown_once_and_never_stored(app, operator, restore_sandbox):
    answer = post_form(
        operator,
        "/teams/new",
        {**_form(operator, "/teams/new"), **NEW_TEAM, "generate_onboarding_url": "y"},
        htmx="team-form",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    link = re.search(r'value="([^"]+)" id="onboarding-link-value"', html)
    assert link
    url = link.group(1)
    assert url.startswith("http")
    [entry] = audit_rows(app, "team.create")
    assert url not in (entry.reason or "") and said(app, entry) == "onboarding link generated"
    with operator.session_transaction() as session:
        assert url not in repr(dict(session))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_id", "ABC", "Un RFC tiene 12 caracteres"),
        ("tax_id", "PLU991332AB1", "no son una fecha real"),
        ("tax_id", "PLU200101AB1", "no es el dígito verificador del SAT"),
        ("zip", "0670", "El código postal tiene 5 dígitos."),
        ("zip", "00003", "00003 no es un código postal del catálogo del SAT."),
        ("tax_system", "612", "El régimen 612 no es para persona moral."),
        ("support_email", "no-es-correo", "Escribe un correo válido."),
        ("primary_color", "azul", "Un color se escribe #RRGGBB."),
    ],
)
def test_bad_input_is_said_on_its_field_with_no_upstream_call(
    operator, field, value, message, sandbox_requests
):
    data = {**_form(operator, "/teams/new"), **NEW_TEAM, field: value}
    sandbox_requests.clear()
    answer = post_form(operator, "/teams/new", data, htmx="team-form")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#team-form"
    assert message in field_error(html, field)
    assert input_value(html, "legal_name") == "PANADERIA LUPITA"  # the rest is kept
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_a_name_or_alias_is_required(operator):
    data = {**_form(operator, "/teams/new"), **NEW_TEAM, "alias": "", "legal_name": ""}
    html = post_form(operator, "/teams/new", data).get_data(as_text=True)
    assert "Escribe un nombre visible o una razón social." in field_error(html, "alias")


def test_gigstacks_refusal_lands_on_the_field(app, operator, stored, restore_sandbox):
    data = {
        **_form(operator, "/teams/new"),
        **NEW_TEAM,
        "tax_id": "XAXX010101000",
        "tax_system": "616",
    }
    answer = post_form(operator, "/teams/new", data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "generic RFC" in field_error(html, "tax_id")
    assert _teams_named(stored, "PANADERIA LUPITA") == []
    assert audit_rows(app, "team.create")[-1].outcome != "ok"
    # the same form can be corrected and sent again (the token was released)
    retry = post_form(
        operator, "/teams/new", {**data, "tax_id": "PLU200101AB5", "tax_system": "601"}
    )
    assert retry.status_code == 302


def test_regime_picker_follows_the_rfc(viewer):
    moral = viewer.get("/teams/regimes?tax_id=PLU200101AB5").get_data(as_text=True)
    fisica = viewer.get("/teams/regimes?tax_id=FUNK671228PH6").get_data(as_text=True)
    assert 'value="601"' in moral and 'value="612"' not in moral
    assert 'value="612"' in fisica and 'value="601"' not in fisica


def test_viewer_may_not_create(viewer, client):
    assert viewer.get("/teams/new").status_code == 403
    assert post_form(viewer, "/teams/new", NEW_TEAM).status_code == 403
    assert client.get("/teams/new").status_code == 302


# -- edit ----------------------------------------------------------------------------------


def test_edit_sends_only_what_changed(
    app, operator, stored, teams, restore_sandbox, sandbox_requests
):
    path = f"/teams/{teams['subs'][2]}/edit"
    page = operator.get(path).get_data(as_text=True)
    current = {
        name: input_value(page, name) or ""
        for name in (
            "alias",
            "legal_name",
            "tax_id",
            "zip",
            "street",
            "exterior",
            "interior",
            "neighborhood",
            "municipality",
            "city",
            "state",
            "country",
            "support_email",
            "support_phone",
            "primary_color",
            "secondary_color",
        )
    }
    current["tax_system"] = stored.team(teams["subs"][2])["tax_system"]
    sandbox_requests.clear()
    answer = post_form(operator, path, {**current, "support_phone": "33 1234 5678"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/teams/{teams['subs'][2]}/"
    assert stored.team(teams["subs"][2])["support_phone"] == "33 1234 5678"
    [entry] = audit_rows(app, "team.update")
    assert said(app, entry) == "changed: support phone"
    # nothing changed: nothing sent
    sandbox_requests.clear()
    again = post_form(operator, path, {**current, "support_phone": "33 1234 5678"})
    assert again.status_code == 302
    assert not [r for r in sandbox_requests if r.method == "PUT"]


def test_edit_regime_that_does_not_fit_the_rfc_is_refused_locally(operator, stored, teams):
    path = f"/teams/{teams['partner']}/edit"
    team = stored.team(teams["partner"])
    answer = post_form(
        operator,
        path,
        {
            "legal_name": team["legal_name"],
            "tax_id": team["tax_id"],
            "tax_system": "612",
            "country": "MEX",
        },
    )
    assert answer.status_code == 422
    assert "no es para persona moral" in field_error(answer.get_data(as_text=True), "tax_system")
    assert stored.team(teams["partner"])["tax_system"] == "601"  # unchanged


# -- delete --------------------------------------------------------------------------------


def test_delete_is_for_admins_with_the_rfc_typed_and_a_reason(
    app, admin, operator, stored, teams, restore_sandbox
):
    victim = teams["subs"][4]
    rfc = stored.team(victim)["tax_id"]
    path = f"/teams/{victim}/delete"
    assert operator.get(path).status_code == 403
    wrong = post_form(admin, path, {"confirm_rfc": "AAA010101AAA", "reason": "duplicado"})
    assert wrong.status_code == 422
    assert "Este no es el RFC del equipo" in field_error(
        wrong.get_data(as_text=True), "confirm_rfc"
    )
    no_reason = post_form(admin, path, {"confirm_rfc": rfc, "reason": ""})
    assert "Explica por qué" in field_error(no_reason.get_data(as_text=True), "reason")
    done = post_form(
        admin, path, {"confirm_rfc": rfc.lower(), "reason": "equipo duplicado"}, htmx="team-delete"
    )
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/teams/"
    assert victim not in admin.get("/teams/").get_data(as_text=True)
    assert admin.get(f"/teams/{victim}/").status_code == 404
    [entry] = audit_rows(app, "team.delete")
    assert entry.reason == "equipo duplicado" and entry.object_id == victim


def test_deleting_the_keys_own_team_shows_gigstacks_refusal(app, admin, teams, stored):
    rfc = stored.team(teams["partner"])["tax_id"]
    answer = post_form(
        admin,
        f"/teams/{teams['partner']}/delete",
        {"confirm_rfc": rfc, "reason": "prueba"},
        headers=htmx_headers(),
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'class="banner banner-error"' in html
    assert stored.has_team(teams["partner"])
    assert audit_rows(app, "team.delete")[-1].outcome == "operation_not_allowed"
