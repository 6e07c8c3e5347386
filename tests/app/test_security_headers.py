"""Response headers, cookies and the front end's script policy.

The CSP forbids inline script and style, so the templates must not need them: every
template file and every page the tests render is scanned for inline code.
"""

from __future__ import annotations

import html as html_module
import json
import re
from pathlib import Path

import pytest

from tests.app.conftest import PASSWORD, add_staff, csrf_token, make_app
from tests.app.test_security import HTMX

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
HTMX_FILE = "htmx-2.0.11.min.js"

CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS_MIN_SECONDS = 365 * 24 * 3600

INLINE_CODE = {
    "inline <script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "style= attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "on*= event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "hx-on handler (needs eval)": re.compile(r"<[^>]*\s(?:data-)?hx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(text: str) -> list[str]:
    return [name for name, pattern in INLINE_CODE.items() if pattern.search(text)]


def _cookie_attributes(set_cookie: str) -> tuple[str, set[str], dict[str, str]]:
    """(name, flags, key=value attributes) of one Set-Cookie header, names lower-cased."""
    name, *attributes = [part.strip() for part in set_cookie.split(";")]
    flags = {a.lower() for a in attributes if "=" not in a}
    values = {a.split("=", 1)[0].lower(): a.split("=", 1)[1] for a in attributes if "=" in a}
    return name.split("=", 1)[0], flags, values


def _session_cookie(response, name: str = "backoffice_session") -> tuple[set[str], dict]:
    for header in response.headers.getlist("Set-Cookie"):
        cookie, flags, values = _cookie_attributes(header)
        if cookie == name:
            return flags, values
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


def _post_sign_in(client, email: str, *, https: bool = False, **kwargs):
    """Sign in the way a browser does, every request with the same ``kwargs`` (URL, headers).

    Over HTTPS the browser's Referer goes along: Flask-WTF's strict SSL check wants it.
    """
    token = _token(client, **kwargs)
    headers = dict(kwargs.pop("headers", {}))
    if https:
        headers["Referer"] = "https://localhost/sign-in"
    return client.post(
        "/sign-in",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        headers=headers,
        **kwargs,
    )


def _token(client, **kwargs) -> str:
    page = client.get("/sign-in", **kwargs).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _hsts_seconds(response) -> int | None:
    value = response.headers.get("Strict-Transport-Security")
    if value is None:
        return None
    match = re.match(r"max-age=(\d+)", value)
    assert match, value
    return int(match.group(1))


def test_security_headers_on_every_kind_of_response(app, client, admin, teams):
    token = csrf_token(admin, "/audit/")
    anonymous = {
        "sign-in page": client.get("/sign-in"),
        "redirect to sign-in": client.get("/teams/"),
        "htmx 401": client.get("/teams/", headers=HTMX),
        "CSRF refusal": client.post("/sign-in", data={"email": "a@b.c"}),
        "static css": client.get("/static/css/app.css"),
        "static js": client.get(f"/static/js/{HTMX_FILE}"),
        "favicon": client.get("/favicon.ico"),
        "health": client.get("/healthz"),
        "404": client.get("/no-such-page"),
    }
    signed_in = {
        "home": admin.get("/", follow_redirects=True),
        "teams": admin.get("/teams/"),
        "audit": admin.get("/audit/"),
        "teams fragment": admin.get("/teams/", headers={**HTMX, "HX-Target": "teams-list"}),
        "switcher fragment": admin.get("/team/options?q=a", headers=HTMX),
        "csv export": admin.get("/audit/export.csv"),
        "redirect after switch": admin.post(
            "/team", data={"csrf_token": token, "team": teams["subs"][0]}
        ),
        "htmx redirect after switch": admin.post(
            "/team", data={"csrf_token": token, "team": teams["partner"]}, headers=HTMX
        ),
        "403": admin.post("/team", data={"csrf_token": token, "team": teams["outsider"]}),
        "403 banner": admin.post(
            "/team", data={"csrf_token": token, "team": teams["outsider"]}, headers=HTMX
        ),
        "404": admin.get("/no-such-page"),
        "404 banner": admin.get("/no-such-page", headers=HTMX),
        "405": admin.get("/sign-out"),
        "CSRF refusal": admin.post("/team", data={"team": teams["partner"]}),
        "redirect away from sign-in": admin.get("/sign-in"),
    }
    signed_in_static = {
        "static css": admin.get("/static/css/app.css"),
        "favicon": admin.get("/favicon.ico"),
    }
    assert signed_in["home"].status_code == 200
    assert signed_in["teams fragment"].status_code == 200
    assert signed_in["403 banner"].status_code == 403
    assert anonymous["static css"].status_code == 200

    everything = {
        **{f"anonymous {k}": v for k, v in anonymous.items()},
        **{f"signed-in {k}": v for k, v in signed_in.items()},
        **{f"signed-in {k}": v for k, v in signed_in_static.items()},
    }
    for name, response in everything.items():
        headers = response.headers
        assert headers.get("Content-Security-Policy") == CSP, name
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert "Strict-Transport-Security" not in headers, f"{name}: HSTS over plain http"
        if response.mimetype == "text/html":
            assert inline_code(response.get_data(as_text=True)) == [], name
    for name, response in signed_in.items():
        assert "no-store" in response.headers.get("Cache-Control", ""), name
    for name in ("sign-in page", "404"):
        assert "no-store" not in anonymous[name].headers.get("Cache-Control", ""), name


def test_injected_markup_can_neither_post_elsewhere_nor_rebase_links(admin):
    """default-src does not cover forms or <base>: a fake form slipped into a page would send
    what is typed to another site unless the policy says so itself."""
    policy = admin.get("/teams/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"


def test_hsts_only_over_https(client):
    assert _hsts_seconds(client.get("/sign-in")) is None
    for path in ("/sign-in", "/teams/", "/no-such-page", "/static/css/app.css"):
        seconds = _hsts_seconds(client.get(path, base_url="https://localhost"))
        assert seconds is not None and seconds >= HSTS_MIN_SECONDS, path
        seconds = _hsts_seconds(client.get(path, environ_overrides={"wsgi.url_scheme": "https"}))
        assert seconds is not None and seconds >= HSTS_MIN_SECONDS, path


def test_session_cookie_is_httponly_lax_and_secure_over_https(app):
    add_staff(app, "admin@staff.test", "admin")
    plain = _post_sign_in(app.test_client(), "admin@staff.test")
    assert plain.status_code == 302
    flags, values = _session_cookie(plain)
    assert "httponly" in flags
    assert values.get("samesite") == "Lax"
    assert "secure" not in flags
    secure = _post_sign_in(
        app.test_client(), "admin@staff.test", https=True, base_url="https://localhost"
    )
    assert secure.status_code == 302
    flags, values = _session_cookie(secure)
    assert {"httponly", "secure"} <= flags and values.get("samesite") == "Lax"


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_proto_counts_only_behind_a_trusted_proxy(sandbox, keys, trusted):
    settings = {"TRUST_PROXY_HOPS": 1} if trusted else {}
    app = make_app(sandbox.api_url, keys["partner_test"]["key"], **settings)
    add_staff(app, "admin@staff.test", "admin")
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"}
    http = {"X-Forwarded-Proto": "http", "X-Forwarded-For": "198.51.100.4"}
    try:
        forwarded = _post_sign_in(
            app.test_client(), "admin@staff.test", https=trusted, headers=https
        )
        assert forwarded.status_code == 302
        flags, _ = _session_cookie(forwarded)
        assert ("secure" in flags) is trusted
        assert (_hsts_seconds(forwarded) is not None) is trusted
        assert (
            _hsts_seconds(app.test_client().get("/sign-in", headers=https)) is not None
        ) is trusted

        plain = _post_sign_in(app.test_client(), "admin@staff.test", headers=http)
        assert plain.status_code == 302
        flags, _ = _session_cookie(plain)
        assert "secure" not in flags and "httponly" in flags
        assert _hsts_seconds(plain) is None
    finally:
        app.extensions["gigstack"].close()


def test_favicon_is_served_as_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


def test_templates_have_no_inline_code():
    files = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    assert len(files) >= 10 and any(path.name == "base.html" for path in files)
    found = {
        str(path.relative_to(ROOT)): inline_code(path.read_text(encoding="utf-8")) for path in files
    }
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_scan_would_notice_inline_code():
    assert inline_code('<script src="/static/js/app.js" defer></script>') == []
    assert inline_code('<a hx-get="/x" data-on="1">') == []
    assert inline_code("<script>alert(1)</script>") == ["inline <script> without src"]
    assert inline_code('<p style="color: red">') == ["style= attribute"]
    assert inline_code('<button\n  onclick="go()">') == ["on*= event handler"]
    assert inline_code('<div hx-on:click="go()">') == ["hx-on handler (needs eval)"]


def test_htmx_is_vendored_pinned_and_locked_down(client):
    scripts = sorted(path.name for path in (STATIC / "js").glob("*.js"))
    assert [name for name in scripts if name.startswith("htmx")] == [HTMX_FILE]
    assert 'version:"2.0.11"' in (STATIC / "js" / HTMX_FILE).read_text(encoding="utf-8")

    page = client.get("/sign-in").get_data(as_text=True)
    sources = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', page)
    # served under its content-hashed name (webapp.static_files)
    assert any(
        re.fullmatch(r"/static/js/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js", src) for src in sources
    ), sources
    assert all(src.startswith("/static/") for src in sources), sources  # nothing from a CDN
    for text in (page, (TEMPLATES / "base.html").read_text(encoding="utf-8")):
        match = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", text)
        assert match, "htmx-config meta missing"
        config = json.loads(html_module.unescape(match.group(1)))
        assert config["allowEval"] is False
        assert config["allowScriptTags"] is False
        assert config["selfRequestsOnly"] is True
        assert config["includeIndicatorStyles"] is False


def test_indicator_styles_live_in_the_stylesheet(client):
    css = (STATIC / "css" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.htmx-indicator\s*\{[^}]*opacity:\s*0\b", css)
    assert re.search(r"\.htmx-request\s+\.htmx-indicator[^{]*\{[^}]*opacity:\s*1\b", css)
    assert re.search(r"\.htmx-request\.htmx-indicator", css)
    served = client.get("/static/css/app.css")
    assert served.status_code == 200 and ".htmx-indicator" in served.get_data(as_text=True)
