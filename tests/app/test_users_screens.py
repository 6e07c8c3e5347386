"""Users of a team: list (search, role filter, cursor pages), detail with teams and roles,
create (once per double submit), edit (changed fields only), password reset and login link
(shown once, audited without the URL)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.app.helpers import audit_rows, field_error, htmx_headers, input_value, post_form, said

pytestmark = pytest.mark.databases


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-user="([^"]+)">', html)


def _by_email(stored, email: str) -> dict | None:
    return next(iter(stored.users(email=email)), None)


def test_list_search_and_role_filter(viewer, stored, teams):
    base = f"/teams/{teams['eku']}/users/"
    members = {m["id"]: m["role"] for m in stored.team(teams["eku"])["members"]}
    assert set(_rows(viewer.get(base).get_data(as_text=True))) == set(members)
    found = _rows(viewer.get(base, query_string={"q": "jorge"}).get_data(as_text=True))
    assert found == [_by_email(stored, "jorge.castillo@ekemper.edu.mx")["id"]]
    for accents_aside in ("castillo pena", "PEÑA"):  # Jorge Castillo Peña
        assert found == _rows(
            viewer.get(base, query_string={"q": accents_aside}).get_data(as_text=True)
        )
    admins = _rows(viewer.get(base, query_string={"role": "admin"}).get_data(as_text=True))
    assert set(admins) == {uid for uid, role in members.items() if role == "admin"}
    fragment = viewer.get(base, query_string={"q": "jorge"}, headers=htmx_headers("users-list"))
    assert "<html" not in fragment.get_data(as_text=True)


def test_cursor_pages_keep_the_query(app, viewer, teams, monkeypatch):
    import webapp.users.routes as routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    base = f"/teams/{teams['eku']}/users/"
    first = viewer.get(base).get_data(as_text=True)
    next_link = re.search(r'href="([^"]+next=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = viewer.get(next_link).get_data(as_text=True)
    assert set(_rows(first)).isdisjoint(_rows(second))


def test_detail_shows_teams_and_roles(viewer, stored, teams):
    ana = _by_email(stored, "ana.torres@cumbredigital.mx")
    html = viewer.get(f"/teams/{teams['eku']}/users/{ana['id']}").get_data(as_text=True)
    assert "ana.torres@cumbredigital.mx" in html
    assert html.count("<tr><td>") >= 7  # a member of every partner team
    assert viewer.get(f"/teams/{teams['eku']}/users/user_nope").status_code == 404


def test_create_once_then_edit_only_what_changed(
    app, operator, stored, teams, restore_sandbox, sandbox_requests
):
    base = f"/teams/{teams['eku']}/users/"
    once = input_value(operator.get(base + "new").get_data(as_text=True), "once")
    data = {
        "once": once,
        "email": "nueva.persona@ekemper.edu.mx",
        "first_name": "Nueva",
        "last_name": "Persona",
        "auto_join": "y",
        "role": "editor",
    }
    first = post_form(operator, base + "new", data)
    second = post_form(operator, base + "new", data)
    assert first.status_code == second.status_code == 302
    user = _by_email(stored, "nueva.persona@ekemper.edu.mx")
    assert first.headers["Location"] == f"{base}{user['id']}"
    assert len(audit_rows(app, "user.create")) == 1
    members = {m["id"]: m["role"] for m in stored.team(teams["eku"])["members"]}
    assert members[user["id"]] == "editor"

    sandbox_requests.clear()
    edit = post_form(
        operator,
        f"{base}{user['id']}/edit",
        {
            "first_name": "Nueva",
            "last_name": "Persona",
            "phone": "55 5555 5555",
            "company_role": "",
        },
    )
    assert edit.status_code == 302
    assert _by_email(stored, "nueva.persona@ekemper.edu.mx")["phone"] == "55 5555 5555"
    [update] = audit_rows(app, "user.update")
    assert said(app, update) == "changed: phone"


def test_a_registered_email_is_said_on_its_field(operator, teams):
    base = f"/teams/{teams['eku']}/users/"
    answer = post_form(
        operator,
        base + "new",
        {"once": "t1", "email": "ana.torres@cumbredigital.mx"},
        htmx="user-form",
    )
    assert answer.status_code == 422
    assert "Ya existe un usuario de gigstack con este correo." in field_error(
        answer.get_data(as_text=True), "email"
    )
    assert input_value(answer.get_data(as_text=True), "email") == "ana.torres@cumbredigital.mx"


def test_bad_email_stays_local(operator, teams, sandbox_requests):
    sandbox_requests.clear()
    answer = post_form(operator, f"/teams/{teams['eku']}/users/new", {"email": "sin-arroba"})
    assert answer.status_code == 422
    assert "Escribe un correo válido." in field_error(answer.get_data(as_text=True), "email")
    assert not [r for r in sandbox_requests if r.method == "POST"]


def test_reset_password_says_only_that_the_email_was_sent(app, operator, stored, teams):
    jorge = _by_email(stored, "jorge.castillo@ekemper.edu.mx")
    answer = post_form(
        operator, f"/teams/{teams['eku']}/users/{jorge['id']}/reset-password", htmx="user-notice"
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert "jorge.castillo@ekemper.edu.mx</a> un correo para restablecer" in html
    assert audit_rows(app, "user.reset_password")[-1].outcome == "ok"


def test_login_link_is_shown_once_and_never_kept(app, operator, stored, teams, caplog):
    jorge = _by_email(stored, "jorge.castillo@ekemper.edu.mx")
    with caplog.at_level(logging.DEBUG):
        answer = post_form(
            operator, f"/teams/{teams['eku']}/users/{jorge['id']}/login-link", htmx="user-notice"
        )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    link = re.search(r'value="([^"]+)" id="login-link-value"', html).group(1)
    assert link.startswith("http") and "Vence el" in html
    [entry] = audit_rows(app, "user.login_link")
    assert link not in (entry.reason or "") and link not in caplog.text
    with operator.session_transaction() as session:
        assert link not in repr(dict(session))


def test_viewers_read_but_do_not_act(viewer, stored, teams):
    jorge = _by_email(stored, "jorge.castillo@ekemper.edu.mx")
    base = f"/teams/{teams['eku']}/users/"
    html = viewer.get(f"{base}{jorge['id']}").get_data(as_text=True)
    assert "login-link" not in html and "reset-password" not in html
    for path in (
        f"{base}{jorge['id']}/login-link",
        f"{base}{jorge['id']}/reset-password",
        base + "new",
        f"{base}{jorge['id']}/edit",
    ):
        assert post_form(viewer, path, {}).status_code == 403, path


def test_a_users_teams_start_with_this_one_and_count_the_rest(
    viewer, api, stored, teams, monkeypatch
):
    """A partner's owner belongs to thousands of teams: this team first, then the first
    others gigstack lists, then how many more (no sort of the whole list)."""
    from webapp.users import routes

    monkeypatch.setattr(routes, "MEMBERSHIPS_SHOWN", 2)
    members = [m["id"] for m in stored.team(teams["partner"])["members"]]
    found = (api.users.get(uid, team=teams["partner"]) for uid in members)
    user = next(u for u in found if len(u.get("teams") or []) >= 4)
    listed = [m["team_id"] for m in user["teams"]]
    team = listed[-1]  # the last gigstack lists
    html = viewer.get(f"/teams/{team}/users/{user['id']}").get_data(as_text=True)
    assert re.findall(r'<span class="mono muted">([^<]+)</span></td>', html) == [team, listed[0]]
    more = re.search(r'id="user-more-teams">([^<]+)<', html).group(1)
    assert str(len(listed) - 2) in more
