"""Staff management in the dashboard: admins list, create, edit and reset; nobody else may.

Real app, real database, the sandbox over HTTP (the team names come from it). Pages are read
in English (the admin switches language through the real form) so the assertions do not
depend on the Spanish catalogue.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.app.conftest import PASSWORD, add_staff, csrf_token, sign_in
from tests.app.helpers import audit_rows as audit
from tests.app.helpers import said
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.staff.routes import protection_errors
from webapp.teams.team_list import team_choice

pytestmark = pytest.mark.databases  # and on PostgreSQL

NEW_PASSWORD = "a brand new passphrase 42"
HTMX_FORM = {"HX-Request": "true", "HX-Target": "staff-form"}


# -- helpers ------------------------------------------------------------------------------


def english(client) -> None:
    """Switch the signed-in staff member to English with the language form."""
    token = csrf_token(client, "/audit/")
    response = client.post(
        "/account/language", data={"csrf_token": token, "locale": "en", "next": "/staff/"}
    )
    assert response.status_code == 302


def post(client, path: str, data: dict, token_page: str = "/staff/new", **kwargs):
    """Post a form the way a browser does: with the CSRF token read from a page."""
    token = csrf_token(client, token_page)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def staff_of(app, email: str) -> Staff | None:
    with app.app_context():
        staff = Staff.by_email(email)
        if staff is not None:
            db.session.expunge(staff)
        return staff


def staff_id(app, email: str) -> int:
    staff = staff_of(app, email)
    assert staff is not None
    return staff.id


def password_works(app, email: str, password: str) -> bool:
    with app.app_context():
        return Staff.by_email(email).check_password(password)


def staff_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Staff))


def creation(**overrides) -> dict:
    data = {
        "email": "nueva@staff.test",
        "name": "Nueva Persona",
        "role": "operator",
        "teams_mode": "all",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def edit_data(staff: Staff, **overrides) -> dict:
    """The edit form as the page fills it for ``staff`` (a browser omits unchecked boxes)."""
    data = {
        "name": staff.name,
        "role": staff.role,
        "teams_mode": "all" if staff.team_ids is None else "some",
        "teams": list(staff.team_ids or []),
    }
    if staff.active:
        data["active"] = "y"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def set_demo(app, email: str) -> None:
    with app.app_context():
        Staff.by_email(email).is_demo = True
        db.session.commit()


# -- the list -----------------------------------------------------------------------------


def test_admin_lists_staff_with_roles_team_names_and_last_sign_in(app, admin, stored, teams):
    english(admin)
    first, second = teams["subs"][0], teams["subs"][1]
    add_staff(
        app,
        "limitada@staff.test",
        "operator",
        name="Lucía Limitada",
        team_ids=[first, second, "team_gone_away"],
    )
    add_staff(app, "baja@staff.test", "viewer", name="Bruno Baja", active=False)
    with app.app_context():
        Staff.by_email("limitada@staff.test").last_sign_in_at = datetime(
            2026, 1, 15, 18, 30, tzinfo=UTC
        )
        db.session.commit()

    response = admin.get("/staff/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lucía Limitada" in html and "limitada@staff.test" in html
    assert "Operator" in html and "Viewer" in html and "Administrator" in html
    # team limits by name where the key reaches the team, by id where it does not
    assert team_choice(stored.team(first)).name in html
    assert team_choice(stored.team(second)).name in html
    assert "team_gone_away" in html
    assert first not in html.split('id="staff-table"')[1]
    assert "All teams" in html
    # 18:30 UTC is 12:30 in Mexico City (UTC-6, no daylight saving time)
    assert "15/01/2026 12:30" in html
    assert "Inactive" in html and "Never" in html
    assert f'href="/staff/{staff_id(app, "baja@staff.test")}/edit"' in html


def test_list_filters_live_in_the_url_and_htmx_gets_only_the_rows(app, admin):
    add_staff(app, "zoe@staff.test", "viewer", name="Zoe Zamora")
    add_staff(app, "omar@staff.test", "operator", name="Omar Ortiz")
    response = admin.get(
        "/staff/?q=zamora", headers={"HX-Request": "true", "HX-Target": "staff-list"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="staff-table"' in html
    assert "zoe@staff.test" in html and "omar@staff.test" not in html

    by_role = admin.get("/staff/?role=operator").get_data(as_text=True)
    assert "<html" in by_role
    assert "omar@staff.test" in by_role and "zoe@staff.test" not in by_role


def test_list_works_while_gigstack_is_down_showing_team_ids(app, admin, teams, faults):
    limited = teams["subs"][4]
    add_staff(app, "sin-red@staff.test", "viewer", team_ids=[limited])
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    response = admin.get("/staff/", headers={"HX-Request": "true", "HX-Target": "staff-list"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "sin-red@staff.test" in html
    assert f'<span class="mono">{limited}</span>' in html
    assert 'class="banner banner-info"' in html


def test_navigation_shows_staff_to_admins_only(admin, operator, viewer):
    assert 'href="/staff/"' in admin.get("/audit/").get_data(as_text=True)
    for client in (operator, viewer):
        html = client.get("/audit/").get_data(as_text=True)
        assert 'href="/audit/"' in html
        assert 'href="/staff/"' not in html


# -- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_non_admins_get_403_on_every_staff_route(app, signed_in, role):
    client = signed_in(role)
    target = add_staff(app, "objetivo@staff.test", "viewer", name="Objetivo")
    for path in ("/staff/", "/staff/new", f"/staff/{target}/edit"):
        assert client.get(path).status_code == 403, path
    posts = {
        "/staff/new": creation(email="intruso@staff.test", role="admin"),
        f"/staff/{target}/edit": {
            "name": "Cambiado",
            "role": "admin",
            "teams_mode": "all",
            "active": "y",
        },
        f"/staff/{target}/password": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    }
    for path, data in posts.items():
        response = post(client, path, data, token_page="/audit/")
        assert response.status_code == 403, path
    unchanged = staff_of(app, "objetivo@staff.test")
    assert (unchanged.name, unchanged.role) == ("Objetivo", "viewer")
    assert password_works(app, "objetivo@staff.test", PASSWORD)
    assert staff_of(app, "intruso@staff.test") is None
    assert not [e for e in audit(app) if e.action.startswith("staff.")]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_unknown_staff_member_is_404(admin):
    assert admin.get("/staff/9999/edit").status_code == 404


# -- create -------------------------------------------------------------------------------


def test_admin_creates_a_staff_member_who_can_sign_in(app, admin, teams, caplog):
    caplog.set_level(logging.DEBUG)
    english(admin)
    page = admin.get("/staff/new").get_data(as_text=True)
    assert 'hx-sync="this:drop"' in page and "hx-disabled-elt=" in page
    chosen = [teams["subs"][2], teams["partner"]]

    response = post(
        admin, "/staff/new", creation(email=" Nueva@Staff.TEST ", teams_mode="some", teams=chosen)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    created = staff_of(app, "nueva@staff.test")
    assert (created.name, created.role, created.active) == ("Nueva Persona", "operator", True)
    assert created.team_ids == chosen
    listing = admin.get("/staff/").get_data(as_text=True)
    assert "nueva@staff.test can now sign in." in listing

    [entry] = audit(app, "staff.create")
    assert entry.object_type == "staff" and entry.object_id == "nueva@staff.test"
    assert entry.actor == admin.staff_email
    assert said(app, entry) == f"role: Operator; teams: {', '.join(chosen)}"

    browser = app.test_client()
    assert sign_in(browser, "nueva@staff.test", NEW_PASSWORD).status_code == 302
    assert NEW_PASSWORD not in page + listing
    assert NEW_PASSWORD not in caplog.text
    assert all(NEW_PASSWORD not in str(vars(e)) for e in audit(app))


def test_team_picker_finds_teams_and_adds_each_one_box(admin, stored, teams):
    """The form never lists every team the key reaches: a search finds them (accents and
    case aside), and a pick adds the team's box once."""
    eku = teams["eku"]
    found = admin.get("/staff/teams?team_search=ESCUELA KÉMPER", headers={"HX-Request": "true"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "<html" not in html
    assert f"pick={eku}" in html and html.count('class="pick"') == 1
    assert "Ningún equipo coincide" in admin.get("/staff/teams?team_search=zzz").text
    assert stored.team(teams["outsider"])["tax_id"] not in admin.get(
        "/staff/teams?team_search=a"
    ).get_data(as_text=True)

    box = admin.get(f"/staff/teams?pick={eku}").get_data(as_text=True)
    assert f'name="teams" value="{eku}" checked' in box
    assert "EKU9003173C9" in box
    assert admin.get(f"/staff/teams?pick={eku}&teams={eku}").status_code == 204  # has it
    assert admin.get("/staff/teams?pick=team_nosuchteam000").status_code == 404


def test_the_form_shows_only_the_accounts_teams_as_boxes(app, admin, stored, teams):
    limited = add_staff(app, "cajas@staff.test", "viewer", team_ids=[teams["eku"], "team_gone"])
    html = admin.get(f"/staff/{limited}/edit").get_data(as_text=True)
    boxes = re.findall(r'name="teams" value="([^"]+)" checked', html)
    assert boxes == [teams["eku"], "team_gone"]
    for team_id in teams["subs"]:  # (the key's own is the frame's current team)
        if team_id != teams["eku"]:
            assert stored.team(team_id)["tax_id"] not in html
    assert 'hx-get="/staff/teams"' in html
    assert not re.findall(r'name="teams" value=', admin.get("/staff/new").get_data(as_text=True))


def test_a_team_the_key_does_not_reach_cannot_be_chosen(app, admin, teams):
    english(admin)
    response = post(
        admin,
        "/staff/new",
        creation(email="fuera@staff.test", teams_mode="some", teams=[teams["outsider"]]),
    )
    assert response.status_code == 422
    assert 'id="teams-errors"' in response.get_data(as_text=True)
    assert staff_of(app, "fuera@staff.test") is None


def test_only_admins_use_the_team_picker(viewer, operator):
    for browser in (viewer, operator):
        assert browser.get("/staff/teams?team_search=a").status_code == 403


def test_create_errors_sit_next_to_fields_and_keep_the_input_but_never_the_password(app, admin):
    english(admin)
    response = post(
        admin,
        "/staff/new",
        creation(
            email="datos@staff.test",
            name="   ",
            teams_mode="some",
            password="too short",
            confirm="another secret",
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-errors"' in html and "Type the staff member" in html
    assert 'id="teams-errors"' in html and "Choose at least one team" in html
    assert 'id="password-errors"' in html and "at least 12 characters" in html
    assert 'id="confirm-errors"' in html and "do not match" in html
    assert 'value="datos@staff.test"' in html
    assert '<option selected value="operator">' in html
    assert 'checked id="teams_mode-1"' in html
    assert "too short" not in html and "another secret" not in html
    assert staff_of(app, "datos@staff.test") is None
    assert not audit(app, "staff.create")


def test_password_that_is_the_email_is_refused(app, admin):
    english(admin)
    email = "mismo-correo@staff.test"
    response = post(admin, "/staff/new", creation(email=email, password=email, confirm=email))
    assert response.status_code == 422
    assert "The password cannot be the email." in response.get_data(as_text=True)
    assert staff_of(app, email) is None


def test_duplicate_email_is_a_field_error_and_a_double_submit_creates_once(app, admin):
    english(admin)
    add_staff(app, "ocupado@staff.test", "viewer", name="Ya Existe")
    taken = post(admin, "/staff/new", creation(email="OCUPADO@staff.test"))
    html = taken.get_data(as_text=True)
    assert taken.status_code == 422
    assert 'id="email-errors"' in html and "already exists" in html
    assert staff_of(app, "ocupado@staff.test").name == "Ya Existe"

    before = staff_count(app)
    first = post(admin, "/staff/new", creation(email="doble@staff.test"))
    second = post(admin, "/staff/new", creation(email="doble@staff.test"))
    assert (first.status_code, second.status_code) == (302, 422)
    assert staff_count(app) == before + 1
    assert len(audit(app, "staff.create")) == 1


def test_htmx_create_swaps_the_form_on_error_and_redirects_on_success(app, admin):
    bad = post(admin, "/staff/new", creation(confirm="not the same"), headers=HTMX_FORM)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert bad.headers["HX-Retarget"] == "#staff-form"
    assert "<html" not in html and html.lstrip().startswith("<form")
    assert 'id="confirm-errors"' in html

    good = post(admin, "/staff/new", creation(), headers=HTMX_FORM)
    assert good.status_code == 204
    assert good.headers["HX-Redirect"] == "/staff/"
    assert staff_of(app, "nueva@staff.test") is not None


# -- edit ---------------------------------------------------------------------------------


def test_admin_edits_name_role_and_team_limits(app, admin, teams):
    english(admin)
    target = add_staff(app, "editar@staff.test", "viewer", name="Antes")
    page = admin.get(f"/staff/{target}/edit").get_data(as_text=True)
    assert 'value="Antes"' in page and '<option selected value="viewer">' in page
    assert 'hx-sync="this:drop"' in page

    staff = staff_of(app, "editar@staff.test")
    limited = [teams["subs"][3]]
    response = post(
        admin,
        f"/staff/{target}/edit",
        edit_data(staff, name="Después", role="operator", teams_mode="some", teams=limited),
    )
    assert response.status_code == 302
    changed = staff_of(app, "editar@staff.test")
    assert (changed.name, changed.role, changed.team_ids) == ("Después", "operator", limited)
    [entry] = audit(app, "staff.update")
    assert entry.object_id == "editar@staff.test"
    assert said(app, entry) == (
        f"changed: name: Antes → Después; role: Reader → Operator; teams: all teams → {limited[0]}"
    )

    back = post(admin, f"/staff/{target}/edit", edit_data(changed, teams_mode="all"))
    assert back.status_code == 302
    assert staff_of(app, "editar@staff.test").team_ids is None
    assert said(app, audit(app, "staff.update")[-1]) == f"changed: teams: {limited[0]} → all teams"


def test_saving_without_changes_records_nothing(app, admin, teams):
    limits = [teams["subs"][5], teams["subs"][0]]
    target = add_staff(app, "igual@staff.test", "operator", team_ids=limits)
    same = edit_data(staff_of(app, "igual@staff.test"), teams=list(reversed(limits)))
    response = post(admin, f"/staff/{target}/edit", same)
    assert response.status_code == 302
    assert staff_of(app, "igual@staff.test").team_ids == limits
    assert not audit(app, "staff.update")


def test_edit_errors_keep_the_input(app, admin):
    english(admin)
    target = add_staff(app, "errores@staff.test", "viewer", name="Original")
    staff = staff_of(app, "errores@staff.test")
    response = post(
        admin,
        f"/staff/{target}/edit",
        edit_data(staff, name="", role="operator", teams_mode="some"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-errors"' in html and 'id="teams-errors"' in html
    assert '<option selected value="operator">' in html
    assert staff_of(app, "errores@staff.test").role == "viewer"


def test_demo_accounts_are_edited_like_others(app, admin):
    target = add_staff(app, "demo@staff.test", "admin", name="Demo")
    set_demo(app, "demo@staff.test")
    assert "Demo" in admin.get("/staff/").get_data(as_text=True)
    staff = staff_of(app, "demo@staff.test")
    response = post(admin, f"/staff/{target}/edit", edit_data(staff, role="viewer"))
    assert response.status_code == 302
    assert staff_of(app, "demo@staff.test").role == "viewer"
    assert said(app, audit(app, "staff.update")[-1]) == "changed: role: Administrator → Reader"


def test_admin_cannot_demote_or_deactivate_themselves(app, admin):
    english(admin)
    add_staff(app, "otra-admin@staff.test", "admin")  # so only the self rule applies
    me = staff_of(app, admin.staff_email)
    demote = post(admin, f"/staff/{me.id}/edit", edit_data(me, role="operator"))
    html = demote.get_data(as_text=True)
    assert demote.status_code == 422
    assert 'id="role-errors"' in html
    assert "You cannot remove your own administrator role." in html
    assert "last active administrator" not in html

    deactivate = post(admin, f"/staff/{me.id}/edit", edit_data(me, active=None))
    html = deactivate.get_data(as_text=True)
    assert deactivate.status_code == 422
    assert 'id="active-errors"' in html and "You cannot deactivate your own account." in html
    still = staff_of(app, admin.staff_email)
    assert (still.role, still.active) == ("admin", True)
    assert admin.get("/staff/").status_code == 200
    assert not audit(app, "staff.update")


def test_the_last_active_admin_is_protected(app, admin):
    english(admin)
    me = staff_of(app, admin.staff_email)
    response = post(admin, f"/staff/{me.id}/edit", edit_data(me, role="viewer"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This is the last active administrator." in html
    assert staff_of(app, admin.staff_email).role == "admin"


def test_last_admin_rule_counts_active_admins_only(app):
    """The rule itself, for a change made by someone else (e.g. two admins at once)."""
    only = add_staff(app, "unica@staff.test", "admin")
    add_staff(app, "inactiva@staff.test", "admin", active=False)
    viewer = add_staff(app, "consulta@staff.test", "viewer")
    with app.test_request_context():
        staff = db.session.get(Staff, only)
        assert set(protection_errors(staff, "viewer", True, actor_id=viewer)) == {"role"}
        assert set(protection_errors(staff, "admin", False, actor_id=viewer)) == {"active"}
        assert protection_errors(staff, "admin", True, actor_id=viewer) == {}
        inactive = Staff.by_email("inactiva@staff.test")
        assert protection_errors(inactive, "viewer", False, actor_id=viewer) == {}
        add_staff(app, "segunda@staff.test", "admin")
        assert protection_errors(staff, "viewer", False, actor_id=viewer) == {}


def test_another_admin_can_be_demoted(app, admin):
    other = add_staff(app, "colega@staff.test", "admin")
    response = post(
        admin,
        f"/staff/{other}/edit",
        edit_data(staff_of(app, "colega@staff.test"), role="operator"),
    )
    assert response.status_code == 302
    assert staff_of(app, "colega@staff.test").role == "operator"


def test_deactivation_ends_the_live_session_and_blocks_sign_in(app, admin, signed_in):
    victim = signed_in("viewer", name="Vera Viewer")
    assert victim.get("/audit/").status_code == 200
    target = staff_of(app, victim.staff_email)

    response = post(admin, f"/staff/{target.id}/edit", edit_data(target, active=None))
    assert response.status_code == 302
    after = victim.get("/audit/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/sign-in")
    assert sign_in(app.test_client(), victim.staff_email).status_code == 403
    [entry] = audit(app, "staff.update")
    assert said(app, entry) == "changed: active: Yes → No; sessions ended"

    back = post(
        admin, f"/staff/{target.id}/edit", edit_data(staff_of(app, victim.staff_email), active="y")
    )
    assert back.status_code == 302
    assert said(app, audit(app, "staff.update")[-1]) == "changed: active: No → Yes"
    assert sign_in(app.test_client(), victim.staff_email).status_code == 302


# -- password -----------------------------------------------------------------------------


def test_password_reset_ends_sessions_and_the_new_password_works(app, admin, signed_in, caplog):
    caplog.set_level(logging.DEBUG)
    english(admin)
    victim = signed_in("operator")
    assert victim.get("/audit/").status_code == 200
    target = staff_id(app, victim.staff_email)

    response = post(
        admin, f"/staff/{target}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert victim.get("/audit/").headers["Location"].startswith("/sign-in")
    assert sign_in(app.test_client(), victim.staff_email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), victim.staff_email, NEW_PASSWORD).status_code == 302

    [entry] = audit(app, "staff.reset_password")
    assert entry.object_id == victim.staff_email and entry.actor == admin.staff_email
    assert said(app, entry) == "sessions ended"
    listing = admin.get("/staff/").get_data(as_text=True)
    assert "their sessions were ended" in listing
    assert NEW_PASSWORD not in listing + response.get_data(as_text=True)
    assert NEW_PASSWORD not in caplog.text
    assert all(NEW_PASSWORD not in str(vars(e)) for e in audit(app))


def test_password_errors_keep_the_old_password(app, admin, signed_in):
    english(admin)
    victim = signed_in("viewer")
    target = staff_id(app, victim.staff_email)
    response = post(
        admin,
        f"/staff/{target}/password",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="confirm-errors"' in html and "do not match" in html
    assert NEW_PASSWORD not in html
    assert victim.get("/audit/").status_code == 200
    assert password_works(app, victim.staff_email, PASSWORD)
    assert not audit(app, "staff.reset_password")

    htmx = post(
        admin,
        f"/staff/{target}/password",
        {"password": "short", "confirm": "short"},
        headers={"HX-Request": "true", "HX-Target": "password-form"},
    )
    fragment = htmx.get_data(as_text=True)
    assert htmx.status_code == 422 and htmx.headers["HX-Retarget"] == "#password-form"
    assert "<html" not in fragment and 'id="password-errors"' in fragment
