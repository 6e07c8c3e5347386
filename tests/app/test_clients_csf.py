"""CSF upload: read locally first (each unusable file refused on its field, no call to
gigstack), the preview with warnings, the diff for an existing client, a blocked RFC
mismatch, the confirmation that uploads, a retry after gigstack failed without choosing the
file again, and one upload per double click."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest

from tests.app.conftest import add_staff, make_app, sign_in
from tests.app.helpers import audit_rows, field_error, input_value, post_form, text_of
from tests.support import synthetic_csf

TODAY = datetime(2026, 2, 1, 18, 0, tzinfo=UTC).timestamp()  # the app's clock in these tests


@pytest.fixture
def csf_app(sandbox, keys):
    application = make_app(sandbox.api_url, keys["partner_test"]["key"], CLOCK=lambda: TODAY)
    yield application
    application.extensions["gigstack"].close()


@pytest.fixture
def operator_on(csf_app):
    add_staff(csf_app, "csf@staff.test", "operator")
    browser = csf_app.test_client()
    assert sign_in(browser, "csf@staff.test").status_code == 302
    return browser


def _upload(browser, path: str, pdf: bytes, **kwargs):
    return post_form(
        browser,
        path,
        {"file": (io.BytesIO(pdf), "constancia.pdf")},
        content_type="multipart/form-data",
        **kwargs,
    )


def _base(teams) -> str:
    return f"/teams/{teams['partner']}/clients/"


@pytest.mark.parametrize(
    ("pdf", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "no es un PDF"),
        (synthetic_csf.image_only_pdf(), "no tiene texto"),
        (synthetic_csf.generic_pdf(), "no es una Constancia de Situación Fiscal"),
        (b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024), "pasa de 5 MiB"),
    ],
)
def test_unusable_files_are_refused_before_any_call(
    operator_on, teams, sandbox_requests, pdf, message
):
    sandbox_requests.clear()
    answer = _upload(operator_on, _base(teams) + "csf", pdf, htmx="csf-form")
    assert answer.status_code == 422 and answer.headers["HX-Retarget"] == "#csf-form"
    assert message in field_error(answer.get_data(as_text=True), "file")
    assert not [r for r in sandbox_requests if "csf" in r.path]


@pytest.mark.parametrize(
    ("pdf", "rfc", "regime"),
    [
        (synthetic_csf.moral_eku(issued_on=date(2026, 1, 20)), "EKU9003173C9", "601"),
        (synthetic_csf.fisica_funk(issued_on=date(2026, 1, 20)), "FUNK671228PH6", "612"),
    ],
)
def test_the_preview_says_what_the_csf_says(operator_on, teams, sandbox_requests, pdf, rfc, regime):
    sandbox_requests.clear()
    html = _upload(operator_on, _base(teams) + "csf", pdf, htmx="csf-page").get_data(as_text=True)
    assert 'id="csf-page"' in html  # what the upload form's hx-select takes
    facts = text_of(re.search(r'data-testid="csf-facts">(.*?)</dl>', html, re.S).group(1))
    assert rfc in facts and regime in facts and "ACTIVO" in facts and "20/01/2026" in facts
    assert "más de 3 meses" not in html
    assert not [r for r in sandbox_requests if "csf" in r.path]


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"issued_on": date(2025, 9, 1)}, "más de 3 meses"),
        ({"issued_on": date(2026, 1, 20), "status": "SUSPENDIDO"}, "SUSPENDIDO, no ACTIVO"),
    ],
)
def test_old_or_inactive_csfs_warn(operator_on, teams, overrides, warning):
    html = _upload(
        operator_on, _base(teams) + "csf", synthetic_csf.moral_eku(**overrides)
    ).get_data(as_text=True)
    assert warning in text_of(html)


def test_update_shows_the_diff_then_uploads_once(
    csf_app, operator_on, api, stored, teams, restore_sandbox
):
    client = api.clients.create(
        {
            "legal_name": "ESCUELA KEMPER",
            "tax_id": "EKU9003173C9",
            "tax_system": "603",
            "address": {"zip": "06600"},
        },
        team=teams["partner"],
    )
    path = f"{_base(teams)}{client['id']}/csf"
    html = _upload(
        operator_on, path, synthetic_csf.moral_eku(issued_on=date(2026, 1, 20))
    ).get_data(as_text=True)
    changes = dict(re.findall(r'<tr class="[^"]*" data-changes="(yes|no)"><td>([^<]+)</td>', html))
    assert {
        label for flag, label in re.findall(r'data-changes="(yes)"><td>([^<]+)</td>', html)
    } == {"Razón social", "Régimen fiscal", "Código postal fiscal"}
    assert changes  # the table is there
    token = input_value(html, "token")
    first = post_form(operator_on, _base(teams) + "csf/confirm", {"token": token})
    second = post_form(operator_on, _base(teams) + "csf/confirm", {"token": token})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    updated = stored.one("clients", teams["partner"], id=client["id"])
    assert updated["tax_system"] == "601" and updated["address"]["zip"] == "42501"
    assert [e.outcome for e in audit_rows(csf_app, "client.confirm_csf")] == ["ok"]


def test_a_csf_of_another_rfc_is_blocked(
    operator_on, api, teams, sandbox_requests, restore_sandbox
):
    client = api.clients.create(
        {"legal_name": "OTRA", "tax_id": "OTR150101AB1", "tax_system": "601"}, team=teams["partner"]
    )
    sandbox_requests.clear()
    answer = _upload(
        operator_on,
        f"{_base(teams)}{client['id']}/csf",
        synthetic_csf.moral_eku(issued_on=date(2026, 1, 20)),
    )
    assert answer.status_code == 422
    assert "Esta CSF es del RFC EKU9003173C9" in field_error(answer.get_data(as_text=True), "file")
    assert not [r for r in sandbox_requests if "csf" in r.path]


def test_a_failed_upload_keeps_the_preview_for_a_retry(
    operator_on, stored, teams, faults, restore_sandbox
):
    html = _upload(
        operator_on, _base(teams) + "csf", synthetic_csf.fisica_funk(issued_on=date(2026, 1, 20))
    ).get_data(as_text=True)
    token = input_value(html, "token")
    faults({"rules": [{"method": "POST", "path": "/clients/csf", "status": 503, "retry_after": 0}]})
    failed = post_form(
        operator_on, _base(teams) + "csf/confirm", {"token": token}, htmx="csf-preview"
    )
    assert failed.status_code == 422
    assert "FUNK671228PH6" in failed.get_data(as_text=True)  # the preview is still there
    assert 'class="banner banner-error"' in failed.get_data(as_text=True)
    faults({"rules": []})
    retried = post_form(operator_on, _base(teams) + "csf/confirm", {"token": token})
    assert retried.status_code == 302
    assert stored("clients", teams["partner"], tax_id="FUNK671228PH6")


def test_an_unknown_or_expired_token_asks_for_the_file_again(operator_on, teams):
    answer = post_form(operator_on, _base(teams) + "csf/confirm", {"token": "nope"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/clients/csf")


def test_viewers_may_not_upload(viewer, teams):
    assert viewer.get(_base(teams) + "csf").status_code == 403
