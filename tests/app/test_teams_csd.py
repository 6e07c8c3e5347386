"""The CSD screen: every local check refuses before anything is sent (proved on the sandbox's
side), each on its field in Spanish; a good pair is uploaded and the checklist turns green;
the password and the key never reach a log, the audit, a page or a cookie."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import audit_rows, field_error, post_form, text_of
from tests.conftest import FROZEN_NOW

CERTS = Path(__file__).resolve().parents[3] / "shared" / "sat-test-certs"
PASSWORD = (CERTS / "password.txt").read_text().strip()


def _file(name: str) -> bytes:
    return (CERTS / name).read_bytes()


@pytest.fixture
def csd_app(sandbox, keys, frozen_clock):
    """The dashboard on a clock within the valid test CSD's life, like the sandbox's."""
    application = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: FROZEN_NOW)
    yield application
    application.extensions["gigstack"].close()


@pytest.fixture
def operator_on(csd_app):
    add_staff(csd_app, "csd@staff.test", "operator")
    browser = csd_app.test_client()
    assert sign_in(browser, "csd@staff.test").status_code == 302
    return browser


def _upload(browser, team_id: str, cer: bytes | None, key: bytes | None, password: str, **kwargs):
    data = {"password": password}
    if cer is not None:
        data["certificate"] = (io.BytesIO(cer), "certificado.cer")
    if key is not None:
        data["private_key"] = (io.BytesIO(key), "llave.key")
    return post_form(
        browser, f"/teams/{team_id}/csd", data, content_type="multipart/form-data", **kwargs
    )


VALID = ("csd_moral_EKU9003173C9_valid.cer", "csd_moral_EKU9003173C9_valid.key")


@pytest.mark.parametrize(
    ("files", "password", "field", "message"),
    [
        (
            ("fiel_moral_EKU9003173C9_valid.cer", "fiel_moral_EKU9003173C9_valid.key"),
            PASSWORD,
            "certificate",
            "Esta es una e.firma (FIEL), no un CSD.",
        ),
        (VALID, "wrong-password", "password", "La contraseña no abre esta llave privada."),
        (
            (VALID[0], "csd_moral_EKU9003173C9_expired.key"),
            PASSWORD,
            "private_key",
            "Esta llave privada no corresponde a este certificado.",
        ),
        (
            ("csd_moral_EKU9003173C9_expired.cer", "csd_moral_EKU9003173C9_expired.key"),
            PASSWORD,
            "certificate",
            "El certificado venció el 17/06/2023.",
        ),
        (
            ("csd_fisica_FUNK671228PH6_expired.cer", "csd_fisica_FUNK671228PH6_expired.key"),
            PASSWORD,
            "certificate",
            "El certificado",
        ),
        ((VALID[1], VALID[0]), PASSWORD, "certificate", "Este no es un certificado del SAT"),
    ],
)
def test_bad_pairs_are_refused_on_their_field_before_any_call(
    csd_app, operator_on, stored, teams, sandbox_requests, files, password, field, message
):
    sandbox_requests.clear()
    answer = _upload(
        operator_on, teams["eku"], _file(files[0]), _file(files[1]), password, htmx="csd-form"
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#csd-form"
    assert message in field_error(html, field)
    assert "Los archivos no se guardan" in html  # files are not kept: say so
    assert not [r for r in sandbox_requests if "sat-connection" in r.path]
    assert stored.team(teams["eku"])["sat"]["completed"] is False
    assert audit_rows(csd_app, "team.upload_csd")[-1].outcome.startswith("refused_locally:")


def test_certificate_of_another_rfc_is_refused_for_this_team(operator_on, teams, sandbox_requests):
    sandbox_requests.clear()
    answer = _upload(operator_on, teams["subs"][2], _file(VALID[0]), _file(VALID[1]), PASSWORD)
    assert answer.status_code == 422
    assert "El certificado es del RFC EKU9003173C9" in field_error(
        answer.get_data(as_text=True), "certificate"
    )
    assert not [r for r in sandbox_requests if "sat-connection" in r.path]


def test_another_taxpayers_expired_csd_is_told_both_the_rfc_first(
    csd_app, operator_on, teams, sandbox_requests
):
    sandbox_requests.clear()
    answer = _upload(
        operator_on,
        teams["eku"],
        _file("csd_fisica_FUNK671228PH6_expired.cer"),
        _file("csd_fisica_FUNK671228PH6_expired.key"),
        PASSWORD,
        htmx="csd-form",
    )
    said = field_error(answer.get_data(as_text=True), "certificate")
    assert answer.status_code == 422
    other = said.index("El certificado es del RFC FUNK671228PH6")
    assert other < said.index("El certificado venció el")
    assert not [r for r in sandbox_requests if "sat-connection" in r.path]
    outcome = audit_rows(csd_app, "team.upload_csd")[-1].outcome
    assert outcome == "refused_locally:other_rfc,expired"


def test_missing_files_and_password_are_each_said(operator_on, teams):
    html = _upload(operator_on, teams["eku"], None, None, "").get_data(as_text=True)
    assert "Elige el archivo del certificado (.cer)." in field_error(html, "certificate")
    assert "Elige el archivo de la llave privada (.key)." in field_error(html, "private_key")
    assert "Escribe la contraseña de la llave privada." in field_error(html, "password")


def test_a_file_over_1_mib_is_refused_without_a_call(operator_on, teams, sandbox_requests):
    sandbox_requests.clear()
    answer = _upload(
        operator_on,
        teams["eku"],
        _file(VALID[0]) + b"\0" * (1024 * 1024),
        _file(VALID[1]),
        PASSWORD,
    )
    assert answer.status_code == 422
    assert "el límite es 1.0 MiB" in field_error(answer.get_data(as_text=True), "certificate")
    assert not [r for r in sandbox_requests if "sat-connection" in r.path]


def test_the_valid_csd_is_uploaded_and_the_checklist_turns_green(
    csd_app, operator_on, stored, teams, restore_sandbox, caplog
):
    before = operator_on.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    assert 'data-check="csd" data-done="no"' in before
    with caplog.at_level(logging.DEBUG):
        answer = _upload(operator_on, teams["eku"], _file(VALID[0]), _file(VALID[1]), PASSWORD)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "gigstack aceptó el CSD" in html
    assert re.search(r"<dt>Número de certificado</dt><dd>\d{20}</dd>", html)
    assert stored.team(teams["eku"])["sat"]["completed"] is True
    after = operator_on.get(f"/teams/{teams['eku']}/").get_data(as_text=True)
    assert 'data-check="csd" data-done="yes"' in after and "Listo para facturar" in after
    # after a reload gigstack tells only the expiry: said once, no empty facts
    reloaded = operator_on.get(f"/teams/{teams['eku']}/csd").get_data(as_text=True)
    facts = re.search(r'data-testid="csd-facts">(.*?)</dl>', reloaded, re.S).group(1)
    assert "Número de certificado" not in facts and "Válido desde" not in facts
    assert "<dd>—</dd>" not in facts
    assert "gigstack solo guarda el vencimiento del certificado" in text_of(reloaded)
    # the secret never travels further than the upload itself
    [entry] = [e for e in audit_rows(csd_app, "team.upload_csd") if e.outcome == "ok"]
    key_bytes = _file(VALID[1])
    for place in (caplog.text, repr(entry.__dict__), html, after):
        assert PASSWORD not in place
        assert key_bytes.hex()[:64] not in place
    with operator_on.session_transaction() as session:
        assert PASSWORD not in repr(dict(session))
    assert 'type="password"' in html and f'value="{PASSWORD}"' not in html


def test_viewer_reads_but_may_not_upload(csd_app, teams):
    add_staff(csd_app, "look@staff.test", "viewer")
    browser = csd_app.test_client()
    assert sign_in(browser, "look@staff.test").status_code == 302
    page = browser.get(f"/teams/{teams['eku']}/csd")
    assert page.status_code == 200 and 'id="csd-form"' not in page.get_data(as_text=True)
    assert (
        _upload(browser, teams["eku"], _file(VALID[0]), _file(VALID[1]), PASSWORD).status_code
        == 403
    )


def test_the_expiry_warning_grows_louder(sandbox, keys, teams, stored):
    expires = stored.team(teams["partner"])["sat"]["csd_expires_at"]
    for days, kind in [(25, "banner-info"), (6, "banner-error")]:
        app = make_app(
            sandbox.api_url,
            keys["partner_test"]["key"],
            CLOCK=lambda days=days: expires - days * 86400 - 60,
        )
        try:
            add_staff(app, "warn@staff.test", "viewer")
            browser = app.test_client()
            assert sign_in(browser, "warn@staff.test").status_code == 302
            html = browser.get(f"/teams/{teams['partner']}/csd").get_data(as_text=True)
            assert f"El CSD vence en {days} días." in html
            assert f'class="banner {kind}"' in html
        finally:
            app.extensions["gigstack"].close()
