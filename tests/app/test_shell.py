"""The frame around every page: navigation, mode banner, user menu, language, formats.

Everything runs against the real app and the session sandbox over HTTP; the Spanish words
checked here are the es_MX catalogue's (webapp/translations/es_MX/LC_MESSAGES/messages.po).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import render_template_string

from tests.app.conftest import add_staff, csrf_token, make_app, sign_in
from tests.app.helpers import home
from webapp.auth.models import Staff
from webapp.extensions import db
from webapp.formatting import local_date, local_datetime, money
from webapp.sandbox.keys import make_key

# (English msgid, Spanish catalogue text, endpoint) of every area, in navigation order
AREAS = [
    ("Teams", "Equipos", "teams.index"),
    ("Users", "Usuarios", "users.index"),
    ("Clients", "Clientes", "clients.index"),
    ("Services", "Servicios", "services.index"),
    ("Invoices", "Facturas", "invoices.index"),
    ("Payments", "Pagos", "payments.index"),
    ("Receipts", "Recibos", "receipts.index"),
    ("Webhooks", "Webhooks", "webhooks.index"),
    ("Audit", "Auditoría", "audit.index"),
]
SANDBOX_BANNER = "SANDBOX — datos de demostración, nada llega a gigstack ni al SAT"
TEST_BANNER = "MODO DE PRUEBA — las facturas no tienen validez fiscal"
SIGNED_IN_PAGES = ["/", "/teams/", "/audit/", "/no-such-page"]


def _mainnav(html: str) -> str:
    match = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
    assert match, "no main navigation on the page"
    return match.group(1)


def _nav_entries(html: str) -> list[tuple[str, str | None, str]]:
    """(tag, href, attributes, label) of each navigation entry, in order."""
    entries = []
    for tag, attrs, label in re.findall(r"<(a|span)\b([^>]*)>(.*?)</\1>", _mainnav(html), re.S):
        href = re.search(r'href="([^"]*)"', attrs)
        entries.append((tag, href.group(1) if href else None, attrs, label.strip()))
    return entries


def _area_labels(html: str, labels: list[str]) -> list[str]:
    """The navigation labels that name one of ``labels`` (other entries, e.g. admin-only
    areas added by later issues, are left out), in page order."""
    return [label for *_, label in _nav_entries(html) if label in labels]


def _mode_banner(html: str) -> str | None:
    match = re.search(r'<div class="mode-banner[^"]*"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else None


def _user_menu(html: str) -> str:
    match = re.search(r'<details class="menu user-menu">(.*?)</details>', html, re.S)
    assert match, "no user menu on the page"
    return match.group(1)


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


# -- navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "operator", "viewer"])
def test_every_signed_in_page_has_the_navigation_in_spanish(signed_in, app, role):
    browser = signed_in(role)
    spanish = [label for _, label, _ in AREAS]
    for path in SIGNED_IN_PAGES:
        html = browser.get(path, follow_redirects=True).get_data(as_text=True)
        assert _area_labels(html, spanish) == spanish, path
        entries = {label: (tag, href, attrs) for tag, href, attrs, label in _nav_entries(html)}
        for _, label, endpoint in AREAS:
            tag, href, attrs = entries[label]
            if endpoint in app.view_functions:
                assert tag == "a" and href and href.startswith("/"), (path, label)
            else:
                # not a dead link: a disabled entry that says it is coming
                assert tag == "span" and href is None, (path, label)
                assert 'aria-disabled="true"' in attrs and 'title="Próximamente"' in attrs


def test_navigation_links_lead_to_working_pages_and_mark_the_current_one(admin, app):
    html = admin.get("/teams/").get_data(as_text=True)
    areas = {spanish: endpoint for _, spanish, endpoint in AREAS}
    links = {
        label: (href, attrs)
        for tag, href, attrs, label in _nav_entries(html)
        if tag == "a" and label in areas
    }
    # the areas that exist today are real links; each answers 200
    assert links["Equipos"][0] == "/teams/" and links["Auditoría"][0] == "/audit/"
    for href, _attrs in links.values():
        assert admin.get(href).status_code == 200, href
    assert 'aria-current="page"' in links["Equipos"][1]
    assert "aria-current" not in links["Auditoría"][1]
    audit_links = {
        label: attrs
        for tag, _, attrs, label in _nav_entries(admin.get("/audit/").get_data(as_text=True))
        if tag == "a"
    }
    assert 'aria-current="page"' in audit_links["Auditoría"]
    # at this stage, areas whose issue has not landed are shown but disabled
    missing = [spanish for _, spanish, endpoint in AREAS if endpoint not in app.view_functions]
    disabled = [
        label for tag, _, _, label in _nav_entries(html) if tag == "span" and label in areas
    ]
    assert disabled == missing


def test_anonymous_pages_have_no_navigation_nor_menus(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert 'class="mainnav"' not in html
    assert "user-menu" not in html and "team-switcher" not in html
    assert _html_lang(html) == "es-MX"


# -- mode banner ---------------------------------------------------------------------------


def test_sandbox_banner_on_every_page(client, admin):
    assert _mode_banner(client.get("/sign-in").get_data(as_text=True)) == SANDBOX_BANNER
    for path in SIGNED_IN_PAGES:
        html = admin.get(path, follow_redirects=True).get_data(as_text=True)
        assert _mode_banner(html) == SANDBOX_BANNER, path
        assert "MODO DE PRUEBA" not in html


def _real_key_app(sandbox, key):
    """An app pointed at a non-sandbox upstream (GIGSTACK_API_KEY set): the sandbox's URL."""
    return make_app(
        sandbox.api_url,
        key,
        GIGSTACK_API_KEY=key,
        GIGSTACK_API_URL=sandbox.api_url,
        SECRET_KEY="a-real-secret-for-tests",
    )


def test_test_key_on_a_real_upstream_shows_test_mode_banner(sandbox, teams):
    app = _real_key_app(sandbox, make_key(teams["partner"], False, "key_test_x"))
    try:
        upstream = app.extensions["gigstack"]
        assert not upstream.is_sandbox and not upstream.livemode
        html = app.test_client().get("/sign-in").get_data(as_text=True)
        assert _mode_banner(html) == TEST_BANNER
        assert "SANDBOX" not in html
    finally:
        app.extensions["gigstack"].close()


def test_test_key_banner_stays_on_signed_in_pages(sandbox, keys):
    """A working test key on a non-sandbox upstream: every signed-in page says MODO DE PRUEBA."""
    app = _real_key_app(sandbox, keys["partner_test"]["key"])
    try:
        add_staff(app, "ops@staff.test", "operator")
        browser = app.test_client()
        assert sign_in(browser, "ops@staff.test").status_code == 302
        for path in ["/", "/teams/", "/audit/"]:
            response = browser.get(path, follow_redirects=True)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, path
            assert _mode_banner(html) == TEST_BANNER, path
            assert "SANDBOX" not in html
    finally:
        app.extensions["gigstack"].close()


@pytest.mark.parametrize("kind", ["made", "sandbox"])
def test_live_key_shows_no_mode_banner(sandbox, keys, teams, kind):
    key = (
        make_key(teams["partner"], True, "key_live_x")
        if kind == "made"
        else keys["partner_live"]["key"]
    )
    app = _real_key_app(sandbox, key)
    try:
        assert app.extensions["gigstack"].livemode
        html = app.test_client().get("/sign-in").get_data(as_text=True)
        assert _mode_banner(html) is None
        assert "MODO DE PRUEBA" not in html and "SANDBOX" not in html
        if kind == "sandbox":
            add_staff(app, "viewer@staff.test")
            browser = app.test_client()
            assert sign_in(browser, "viewer@staff.test").status_code == 302
            response = home(browser)
            assert response.status_code == 200
            assert _mode_banner(response.get_data(as_text=True)) is None
    finally:
        app.extensions["gigstack"].close()


# -- user menu -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "label"),
    [("admin", "Administrador"), ("operator", "Operador"), ("viewer", "Consulta")],
)
def test_user_menu_shows_name_role_languages_and_sign_out(signed_in, role, label):
    browser = signed_in(role, name="Lucía Pérez")
    menu = _user_menu(home(browser).get_data(as_text=True))
    assert re.search(r'<strong data-testid="user-name">Lucía Pérez</strong>', menu)
    assert f'<span class="menu-label">{label}</span>' in menu
    assert browser.staff_email in menu
    buttons = re.findall(r'<button type="submit" name="locale" value="([^"]+)"[^>]*>([^<]+)<', menu)
    assert buttons == [("es_MX", "Español"), ("en", "English")]
    assert re.search(r'value="es_MX"[^>]*aria-pressed="true"', menu)
    sign_out = re.search(r'<form method="post" action="/sign-out">(.*?)</form>', menu, re.S)
    assert sign_out and "Cerrar sesión" in sign_out.group(1)
    assert 'name="csrf_token"' in sign_out.group(1)


def test_sign_out_button_ends_the_session(viewer):
    token = csrf_token(viewer, "/audit/")
    response = viewer.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    again = viewer.get("/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/sign-in")


# -- language ------------------------------------------------------------------------------


def _set_language(browser, locale: str, next_path: str = "/audit/", **headers: str):
    token = csrf_token(browser, "/audit/")
    return browser.post(
        "/account/language",
        headers=headers,
        data={"csrf_token": token, "locale": locale, "next": next_path},
    )


def test_switching_to_english_changes_the_page_and_persists_across_sessions(app, signed_in):
    browser = signed_in("operator", email="lang@staff.test")
    spanish = browser.get("/teams/").get_data(as_text=True)
    assert _html_lang(spanish) == "es-MX"
    assert "Cerrar sesión" in spanish and "Equipos" in spanish

    response = _set_language(browser, "en", next_path="/teams/")
    assert response.status_code == 302 and response.headers["Location"] == "/teams/"
    english = browser.get("/teams/").get_data(as_text=True)
    assert _html_lang(english) == "en"
    english_labels = [en for en, _, _ in AREAS]
    assert _area_labels(english, english_labels) == english_labels
    assert "Sign out" in english and "Cerrar sesión" not in english
    assert "Operator" in _user_menu(english)
    assert re.search(r'value="en"[^>]*aria-pressed="true"', _user_menu(english))
    with app.app_context():
        assert Staff.by_email("lang@staff.test").locale == "en"

    # a new browser, a new session: still English
    other = app.test_client()
    assert sign_in(other, "lang@staff.test").status_code == 302
    html = home(other).get_data(as_text=True)
    assert _html_lang(html) == "en" and "Fiscal data" in html
    # other staff members keep Spanish
    assert _html_lang(home(signed_in("viewer")).get_data(as_text=True)) == "es-MX"

    # and back to Spanish
    assert _set_language(other, "es_MX").status_code == 302
    assert _html_lang(home(other).get_data(as_text=True)) == "es-MX"
    with app.app_context():
        assert Staff.by_email("lang@staff.test").locale == "es_MX"


def test_language_switch_from_htmx_asks_for_a_full_reload(app, signed_in):
    browser = signed_in("viewer", email="htmx-lang@staff.test")
    response = _set_language(browser, "en", next_path="/teams/", **{"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/teams/"
    with app.app_context():
        assert Staff.by_email("htmx-lang@staff.test").locale == "en"


def test_unknown_language_or_foreign_next_is_refused(app, signed_in):
    browser = signed_in("viewer", email="bad-lang@staff.test")
    assert _set_language(browser, "fr").status_code == 400
    with app.app_context():
        assert Staff.by_email("bad-lang@staff.test").locale == "es_MX"
    response = _set_language(browser, "en", next_path="https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_language_switch_needs_the_csrf_token(app, signed_in):
    browser = signed_in("viewer", email="csrf-lang@staff.test")
    response = browser.post("/account/language", data={"locale": "en"})
    assert response.status_code == 400
    with app.app_context():
        assert Staff.by_email("csrf-lang@staff.test").locale == "es_MX"


# -- money and dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "$0.00 MXN"),
        (1234.5, "$1,234.50 MXN"),
        (Decimal("1234567.891"), "$1,234,567.89 MXN"),
        ("99.995", "$100.00 MXN"),  # half up, never banker's rounding
        (-1500, "-$1,500.00 MXN"),
        (None, ""),
    ],
)
def test_money_is_mxn_in_es_mx_style(value, shown):
    assert money(value) == shown


def test_money_keeps_another_currency_code():
    assert money(10, "USD") == "$10.00 USD"


def test_dates_are_mexico_city_dates():
    just_after_midnight_utc = datetime(2026, 5, 29, 0, 30, tzinfo=UTC)
    assert local_date(just_after_midnight_utc) == "28/05/2026"
    assert local_datetime(just_after_midnight_utc) == "28/05/2026 18:30"
    # epoch seconds and milliseconds (the API sends both)
    assert local_datetime(1780000000) == "28/05/2026 14:26"
    assert local_datetime(1780000000 * 1000) == "28/05/2026 14:26"
    # winter too (Mexico City has kept UTC-6 all year since 2022)
    assert local_datetime(datetime(2026, 1, 15, 5, 59, tzinfo=UTC)) == "14/01/2026 23:59"
    assert local_date(None) == "" and local_datetime("") == ""


def test_filters_are_registered_in_templates(app):
    instant = datetime(2026, 5, 29, 0, 30, tzinfo=UTC)
    with app.test_request_context():
        rendered = render_template_string(
            "{{ amount|money }} | {{ at|date }} | {{ at|datetime }}", amount=98765.4, at=instant
        )
    assert rendered == "$98,765.40 MXN | 28/05/2026 | 28/05/2026 18:30"


def test_directory_shows_dates_in_mexican_format(admin, stored, teams):
    html = admin.get("/teams/?sort=created").get_data(as_text=True)
    table = re.search(r'<table class="table" id="teams-table">(.*?)</table>', html, re.S)
    assert table
    days = re.findall(r"<td>(\d{2}/\d{2}/\d{4})</td>\s*</tr>", table.group(1))
    expected = [
        local_date(datetime.fromtimestamp(stored.team(t)["created_at"], UTC))
        for t in [teams["partner"], *teams["subs"]]
    ]
    assert sorted(days) == sorted(expected)


def test_staff_locale_column_defaults_to_spanish(app):
    staff_id = add_staff(app, "default-locale@staff.test")
    with app.app_context():
        assert db.session.get(Staff, staff_id).locale == "es_MX"


def test_team_details_are_reused_briefly_and_per_team(app, admin, teams, sandbox_requests):
    from webapp.teams.details import forget_team

    def details_calls() -> list[str]:
        return [
            r.path.rsplit("/", 1)[-1]
            for r in sandbox_requests
            if r.method == "GET" and r.path.rsplit("/", 1)[-1].startswith("team_")
        ]

    home(admin)
    home(admin)
    assert details_calls() == [teams["partner"]]
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', admin.get("/audit/").get_data(as_text=True)
    ).group(1)
    admin.post("/team", data={"csrf_token": token, "team": teams["subs"][0]})
    home(admin)
    assert details_calls() == [teams["partner"], teams["subs"][0]]
    with app.app_context():
        forget_team(teams["subs"][0])  # what the dashboard's own edit of a team does
    home(admin)
    assert details_calls() == [teams["partner"], teams["subs"][0], teams["subs"][0]]
