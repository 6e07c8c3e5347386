"""Error answers: a full Spanish page with a title, an explanation and a way forward for
browsers; only the banner fragment (plus ``X-Backoffice-Error``) for htmx; never a trace."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator

import pytest
from flask import Flask, abort

from tests.app.conftest import add_staff, csrf_token, make_app, sign_in
from webapp.api import api
from webapp.auth.access import requires
from webapp.auth.roles import Role
from webapp.extensions import limiter

HTMX = {
    "HX-Request": "true",
    "HX-Target": "main",
    "HX-Current-URL": "http://localhost/teams/?next=abc",
}
LEAKS = ("Traceback", 'File "', "RuntimeError", "werkzeug", "secret-detail")


def _full_page(response, status: int, title: str, detail: str) -> str:
    """The page checks every error shares; returns the HTML for more specific ones."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:500]
    assert response.mimetype == "text/html"
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<html lang="es-MX">' in html
    assert f"<title>{title} · Back office de gigstack</title>" in html
    assert f"<h1>{status} · {title}</h1>" in html
    assert detail in html
    assert 'role="alert"' in html
    assert '<a class="button" href="/">Volver al inicio</a>' in html
    for leak in LEAKS:
        assert leak not in html, leak
    assert "X-Backoffice-Error" not in response.headers
    return html


def _fragment(response, status: int, title: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:500]
    assert response.headers["X-Backoffice-Error"] == str(status)
    assert "<html" not in html and "<body" not in html and "<nav" not in html
    assert html.strip().startswith('<div class="banner banner-error" role="alert"')
    assert f'data-error-status="{status}"' in html
    assert f"<strong>{title}.</strong>" in html
    for leak in LEAKS:
        assert leak not in html, leak
    return html


def _button(html: str, label: str) -> str | None:
    match = re.search(rf'<a class="button" href="([^"]*)">{label}</a>', html)
    return match.group(1) if match else None


@pytest.fixture
def test_app(sandbox, keys) -> Iterator[Flask]:
    """A fresh app with extra routes that fail on purpose (added before any request)."""
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])

    @app.get("/test/admin-only")
    @requires(Role.ADMIN)
    def admin_only():
        return "never for viewers"

    @app.get("/test/undeclared")
    def undeclared():
        return "no access declared: refused"

    @app.get("/test/boom")
    @requires(Role.VIEWER)
    def boom():
        raise RuntimeError("secret-detail of the crash")

    @app.get("/test/slow-down")
    @requires(Role.VIEWER)
    def slow_down():
        abort(429)

    @app.get("/test/missing-client")
    @requires(Role.VIEWER)
    def missing_client():
        return api().clients.get("client_doesnotexist")

    add_staff(app, "viewer@errors.test", "viewer")
    yield app
    app.extensions["gigstack"].close()


@pytest.fixture
def browser(test_app):
    client = test_app.test_client()
    assert sign_in(client, "viewer@errors.test").status_code == 302
    return client


# -- 403 -----------------------------------------------------------------------------------


def test_403_role_too_low(browser):
    response = browser.get("/test/admin-only", headers={"Referer": "http://localhost/teams/"})
    html = _full_page(
        response,
        403,
        "Acceso denegado",
        "Tu rol no permite esta acción. Pídeselo a un administrador si la necesitas.",
    )
    assert _button(html, "Regresar") == "/teams/"
    assert "never for viewers" not in html


def test_403_never_offers_a_way_back_to_another_site(browser):
    response = browser.get("/test/admin-only", headers={"Referer": "https://evil.example/x"})
    html = _full_page(response, 403, "Acceso denegado", "Tu rol no permite esta acción.")
    assert _button(html, "Regresar") is None
    assert "evil.example" not in html


def test_403_for_a_view_that_declares_no_access(browser):
    response = browser.get("/test/undeclared")
    html = _full_page(response, 403, "Acceso denegado", "Tu rol no permite esta acción.")
    assert "no access declared" not in html


def test_403_team_out_of_scope(browser, teams):
    token = csrf_token(browser, "/audit/")
    response = browser.post(
        "/team",
        data={"csrf_token": token, "team": teams["outsider"]},
        headers={"Referer": "http://localhost/audit/"},
    )
    html = _full_page(
        response, 403, "Acceso denegado", "Ese equipo no está entre los que tu cuenta puede usar."
    )
    assert _button(html, "Regresar") == "/audit/"


# -- 404, 405 ------------------------------------------------------------------------------


def test_404_unknown_address(browser):
    _full_page(
        browser.get("/no/such/page"),
        404,
        "Página no encontrada",
        "La dirección no existe o ya no está disponible.",
    )


def test_404_for_anonymous_visitors_too(test_app):
    html = _full_page(
        test_app.test_client().get("/no/such/page"),
        404,
        "Página no encontrada",
        "La dirección no existe",
    )
    assert 'class="mainnav"' not in html  # no signed-in frame for anonymous visitors


def test_404_when_gigstack_does_not_find_the_object(browser):
    html = _full_page(
        browser.get("/test/missing-client"),
        404,
        "No encontrado",
        "gigstack no encontró lo que buscas.",
    )
    assert "resource_not_found" in html
    assert _button(html, "Reintentar") == "/test/missing-client"


@pytest.mark.parametrize("path", ["/sign-out", "/team", "/account/language"])
def test_405_wrong_method(browser, path):
    _full_page(
        browser.get(path),
        405,
        "Método no permitido",
        "Esta dirección no acepta ese tipo de solicitud.",
    )


# -- 429 -----------------------------------------------------------------------------------


def test_429_from_the_rate_limiter(sandbox, keys):
    """A real Flask-Limiter limit on a route (registered once, on its own app)."""
    app = make_app(sandbox.api_url, keys["partner_test"]["key"])

    @app.get("/test/limited")
    @requires(Role.VIEWER)
    @limiter.limit("2 per minute", key_func=lambda: "error-pages-limited")
    def limited():
        return "within the limit"

    try:
        add_staff(app, "viewer@errors.test", "viewer")
        browser = app.test_client()
        assert sign_in(browser, "viewer@errors.test").status_code == 302
        assert browser.get("/test/limited").status_code == 200
        assert browser.get("/test/limited").status_code == 200
        html = _full_page(
            browser.get("/test/limited"),
            429,
            "Demasiados intentos",
            "Hiciste demasiadas solicitudes en poco tiempo. Espera un minuto y "
            "vuelve a intentarlo.",
        )
        assert _button(html, "Reintentar") == "/test/limited"
    finally:
        app.extensions["gigstack"].close()


def test_429_raised_by_a_view(browser):
    html = _full_page(
        browser.get("/test/slow-down"), 429, "Demasiados intentos", "Hiciste demasiadas solicitudes"
    )
    assert _button(html, "Reintentar") == "/test/slow-down"


def test_429_from_gigstack_says_how_long_to_wait(browser, faults):
    # longer than the client's time budget: no silent retry, the page says to wait
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 429, "retry_after": 60}]})
    html = _full_page(
        browser.get("/", follow_redirects=True),
        429,
        "Demasiadas solicitudes",
        "gigstack pidió que esperemos. Vuelve a intentarlo en 60 s.",
    )
    assert _button(html, "Reintentar") == "/"


# -- 500 -----------------------------------------------------------------------------------


def test_500_logs_the_exception_but_shows_no_trace(browser, caplog):
    with caplog.at_level(logging.ERROR, logger="webapp.errors"):
        response = browser.get("/test/boom")
    html = _full_page(
        response,
        500,
        "Algo salió mal",
        "Ocurrió un error inesperado. Quedó registrado; vuelve a intentarlo en un momento.",
    )
    assert _button(html, "Reintentar") == "/test/boom"
    logged = [r for r in caplog.records if r.name == "webapp.errors"]
    assert len(logged) == 1
    assert "GET /test/boom" in logged[0].getMessage()
    assert logged[0].exc_info and logged[0].exc_info[0] is RuntimeError
    assert "secret-detail of the crash" in caplog.text  # the log has it, the page has not


# -- gigstack unreachable ------------------------------------------------------------------


def test_gigstack_5xx_shows_unreachable_page_with_retry(app, browser, faults, sandbox_requests):
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    app.extensions["team_directory"].forget()
    html = _full_page(
        browser.get("/?from=menu"),
        502,
        "gigstack no está disponible",
        "No pudimos conectar con gigstack. Puede ser algo momentáneo.",
    )
    assert _button(html, "Reintentar") == "/?from=menu"
    assert "service_unavailable" in html
    # the frame still renders without asking gigstack again: the switcher's options load
    # when its menu is opened
    assert 'hx-trigger="toggle once from:#team-switcher"' in html
    assert "Cargando equipos…" in html
    # the view's one call (retried by the client, GET being safe); none by the frame
    api_calls = [r for r in sandbox_requests if r.path.startswith("/v2/")]
    assert all(r.is_team_listing for r in api_calls) and len(api_calls) == 4
    assert len({r.request_id for r in api_calls}) == 1


@pytest.fixture
def unreachable_app(keys) -> Iterator[Flask]:
    """An app whose upstream port refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(f"http://127.0.0.1:{port}/v2", keys["partner_test"]["key"])
    add_staff(app, "viewer@errors.test", "viewer")
    yield app
    app.extensions["gigstack"].close()


def test_refused_connection_shows_unreachable_page(unreachable_app):
    browser = unreachable_app.test_client()
    assert sign_in(browser, "viewer@errors.test").status_code == 302
    html = _full_page(
        browser.get("/", follow_redirects=True),
        502,
        "gigstack no está disponible",
        "No pudimos conectar con gigstack. Puede ser algo momentáneo.",
    )
    assert "connection_failed" in html
    assert _button(html, "Reintentar") == "/"
    # pages that need nothing from gigstack stay usable; the switcher loads when opened
    audit = browser.get("/audit/")
    assert audit.status_code == 200
    assert "Cargando equipos…" in audit.get_data(as_text=True)
    options = browser.get("/team/options", headers={"HX-Request": "true"})
    # refused again (or by the open circuit breaker), as a banner fragment
    assert options.status_code in (502, 503) and options.headers["X-Backoffice-Error"]


def test_refused_connection_on_htmx_is_a_banner(unreachable_app):
    browser = unreachable_app.test_client()
    sign_in(browser, "viewer@errors.test")
    html = _fragment(browser.get("/teams/", headers=HTMX), 502, "gigstack no está disponible")
    assert _button(html, "Reintentar") == "/teams/?next=abc"


# -- the same errors for htmx --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/test/admin-only", 403, "Acceso denegado"),
        ("GET", "/no/such/page", 404, "Página no encontrada"),
        ("GET", "/test/missing-client", 404, "No encontrado"),
        ("GET", "/sign-out", 405, "Método no permitido"),
        ("GET", "/test/slow-down", 429, "Demasiados intentos"),
        ("GET", "/test/boom", 500, "Algo salió mal"),
    ],
)
def test_htmx_errors_are_banner_fragments(browser, method, path, status, title):
    html = _fragment(browser.open(path, method=method, headers=HTMX), status, title)
    if status in (429, 500) or path == "/test/missing-client":
        # retrying repeats the page the user is on, not the fragment's own URL
        assert _button(html, "Reintentar") == "/teams/?next=abc"


def test_htmx_gigstack_unreachable_is_a_banner(browser, faults):
    faults({"rules": [{"method": "GET", "path": "/teams", "status": 503}]})
    html = _fragment(browser.get("/teams/", headers=HTMX), 502, "gigstack no está disponible")
    assert "No pudimos conectar con gigstack." in html
    assert _button(html, "Reintentar") == "/teams/?next=abc"


def test_htmx_form_with_expired_token_is_a_banner(browser, teams):
    html = _fragment(
        browser.post(
            "/team",
            data={"team": teams["subs"][0]},
            headers={**HTMX, "Referer": "http://localhost/teams/"},
        ),
        400,
        "Este formulario expiró",
    )
    assert _button(html, "Regresar") == "/teams/"


def test_expired_form_token_is_a_full_page(browser, teams):
    html = _full_page(
        browser.post(
            "/team", data={"team": teams["subs"][0]}, headers={"Referer": "http://localhost/teams/"}
        ),
        400,
        "Este formulario expiró",
        "La página estuvo abierta demasiado tiempo o le falta su token de seguridad.",
    )
    assert _button(html, "Regresar") == "/teams/"


def test_a_bad_list_cursor_is_the_visitors_input_not_gigstacks_failure(admin, teams):
    users = f"/teams/{teams['partner']}/users/"
    answer = admin.get(f"{users}?next=not-a-cursor&limit=5")
    html = _full_page(
        answer,
        400,
        "Esta página de la lista ya no es válida",
        "El marcador de página de la dirección no es válido",
    )
    assert _button(html, "Reintentar") == f"{users}?limit=5"
    banner = admin.get(f"{users}?next=not-a-cursor", headers={"HX-Request": "true"})
    assert banner.status_code == 400 and banner.headers["X-Backoffice-Error"]
