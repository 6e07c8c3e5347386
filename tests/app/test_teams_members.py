"""Members: list with catalogue roles, add by e-mail or id (once per double submit), change a
role, remove with a reason; gigstack refuses removing the owner and says why."""

from __future__ import annotations

import pytest

from tests.app.helpers import audit_rows, field_error, input_value, post_form, said

pytestmark = pytest.mark.databases


def _members(stored, team_id: str) -> dict[str, str]:
    return {m["id"]: m["role"] for m in stored.team(team_id)["members"]}


def _user(stored, email: str) -> dict:
    [user] = stored.users(email=email)
    return user


def _once(browser, team_id: str) -> str:
    return input_value(browser.get(f"/teams/{team_id}/members/").get_data(as_text=True), "once")


def test_list_names_roles_from_the_catalogue_and_marks_the_owner(viewer, stored, teams):
    html = viewer.get(f"/teams/{teams['eku']}/members/").get_data(as_text=True)
    for member in stored.team(teams["eku"])["members"]:
        assert f'data-member="{member["id"]}"' in html
    assert "Administrador" in html and "Lector" in html
    assert "Propietario" in html
    assert 'id="member-form"' not in html  # viewers do not add


def test_add_by_email_once_then_change_role_then_remove(
    app, operator, stored, teams, restore_sandbox
):
    team = teams["eku"]
    diego = _user(stored, "diego.salas@nubenorte.mx")
    assert diego["id"] not in _members(stored, team)
    data = {"once": _once(operator, team), "user": "Diego.Salas@nubenorte.mx", "role": "editor"}
    first = post_form(operator, f"/teams/{team}/members/new", data, htmx="member-form")
    second = post_form(operator, f"/teams/{team}/members/new", data, htmx="member-form")
    assert first.status_code == second.status_code == 204
    assert _members(stored, team)[diego["id"]] == "editor"
    [create] = audit_rows(app, "member.create")
    assert (create.object_type, create.object_id) == ("member", diego["id"])

    changed = post_form(operator, f"/teams/{team}/members/{diego['id']}/edit", {"role": "admin"})
    assert changed.status_code == 302
    assert _members(stored, team)[diego["id"]] == "admin"
    [update] = audit_rows(app, "member.update")
    assert said(app, update) == "role: Editor → Administrator"

    no_reason = post_form(operator, f"/teams/{team}/members/{diego['id']}/delete", {"reason": ""})
    assert no_reason.status_code == 422
    assert "Explica por qué" in field_error(no_reason.get_data(as_text=True), "reason")
    removed = post_form(
        operator, f"/teams/{team}/members/{diego['id']}/delete", {"reason": "dejó la empresa"}
    )
    assert removed.status_code == 302
    assert diego["id"] not in _members(stored, team)
    [delete] = audit_rows(app, "member.delete")
    assert delete.reason == "dejó la empresa" and delete.object_id == diego["id"]
    assert {row.object_type for row in (update, delete)} == {"member"}


def test_add_by_id_and_unknown_users_are_said_on_the_field(
    operator, stored, teams, restore_sandbox
):
    team = teams["eku"]
    unknown = post_form(
        operator,
        f"/teams/{team}/members/new",
        {"once": _once(operator, team), "user": "nadie@ejemplo.mx", "role": "viewer"},
    )
    assert unknown.status_code == 422
    assert "no ve ningún usuario con este correo" in field_error(
        unknown.get_data(as_text=True), "user"
    )
    bad_id = post_form(
        operator,
        f"/teams/{team}/members/new",
        {"once": _once(operator, team), "user": "user_doesnotexist", "role": "viewer"},
    )
    assert bad_id.status_code == 422
    assert "gigstack no conoce ningún usuario con este id." in field_error(
        bad_id.get_data(as_text=True), "user"
    )
    pedro = _user(stored, "pedro.lozano@pacificosur.mx")
    by_id = post_form(
        operator,
        f"/teams/{team}/members/new",
        {"once": _once(operator, team), "user": pedro["id"], "role": "viewer"},
    )
    assert by_id.status_code == 302 and _members(stored, team)[pedro["id"]] == "viewer"


def test_removing_the_owner_shows_gigstacks_refusal(app, operator, stored, teams):
    team = teams["eku"]
    owner = stored.team(team)["owner"]
    answer = post_form(operator, f"/teams/{team}/members/{owner}/delete", {"reason": "prueba"})
    assert answer.status_code == 422
    assert 'class="banner banner-error"' in answer.get_data(as_text=True)
    assert owner in _members(stored, team)
    assert audit_rows(app, "member.delete")[-1].outcome == "operation_not_allowed"


def test_viewer_may_not_change_members(viewer, stored, teams):
    team = teams["eku"]
    member = next(iter(_members(stored, team)))
    assert post_form(viewer, f"/teams/{team}/members/new", {"user": "x@y.mx"}).status_code == 403
    assert (
        post_form(viewer, f"/teams/{team}/members/{member}/edit", {"role": "admin"}).status_code
        == 403
    )
    assert viewer.get(f"/teams/{team}/members/{member}/delete").status_code == 403
