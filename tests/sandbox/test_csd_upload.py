"""CSD upload ``POST /teams/{id}/sat-connection`` with SAT's real test certificates (§7.15).

The clock is frozen (2026-05-28) so the valid EKU CSD (until 2027-05-18) stays valid. The
success case uses a team created here (tax_id EKU9003173C9), so no other test depends on the
order; every rejection is sent to a seeded team and must leave its ``sat`` untouched.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import RawAPI
from tests.sandbox.test_teams import wait_for_delivery, webhook_on  # noqa: F401 (fixture)
from tests.support.paths import cert_bytes, cert_password

VALID_CER = "csd_moral_EKU9003173C9_valid.cer"
VALID_KEY = "csd_moral_EKU9003173C9_valid.key"
VALID_NOT_AFTER = int(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC).timestamp())
EKU_NAME = "ESCUELA KEMPER URGATE SA DE CV"


def _upload(
    raw: RawAPI,
    team_id: str,
    cer: bytes | None = None,
    key: bytes | None = None,
    password: str | None = None,
    *,
    password_part: str = "keyPass",
    **kwargs: Any,
):
    files = {}
    if cer is not None:
        files["cert"] = ("certificado.cer", cer, "application/octet-stream")
    if key is not None:
        files["key"] = ("llave.key", key, "application/octet-stream")
    data = {password_part: password} if password is not None else {}
    return raw.post(f"/teams/{team_id}/sat-connection", files=files, data=data, **kwargs)


def _valid() -> tuple[bytes, bytes, str]:
    return cert_bytes(VALID_CER), cert_bytes(VALID_KEY), cert_password()


@pytest.fixture
def eku_team(raw: RawAPI) -> dict[str, Any]:
    """A fresh team of the SAT test taxpayer (the seeded one stays without CSD)."""
    response = raw.post(
        "/teams",
        json={
            "brand": {"alias": f"EKU {time.time_ns()}"},
            "legal_name": "EKU PRUEBA",
            "tax_id": "EKU9003173C9",
            "tax_system": "601",
        },
    )
    assert response.status_code == 201
    return response.json()["data"]


def _sat(raw: RawAPI, team_id: str) -> dict[str, Any]:
    return raw.get(f"/teams/{team_id}").json()["data"]["sat"]


def test_valid_csd_completes_the_sat_connection(raw, eku_team, frozen_clock, sandbox, webhook_on):  # noqa: F811
    now = frozen_clock()
    hook = webhook_on(eku_team["id"], ["teams.sat.completed"])
    response = _upload(raw, eku_team["id"], *_valid())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "message": "CSD uploaded successfully",
        "data": {"completed": True, "connected_at": now, "csd_expires_at": VALID_NOT_AFTER},
    }
    team = raw.get(f"/teams/{eku_team['id']}").json()["data"]
    assert team["sat"] == body["data"]
    assert team["integrations"]["sat"] == body["data"]
    integrations = raw.get("/teams/integrations", params={"team": eku_team["id"]}).json()
    assert integrations["data"]["sat"] == body["data"]
    assert team["legal_name"] == "EKU PRUEBA"  # filled from the certificate only when empty
    assert wait_for_delivery(sandbox, hook, "teams.sat.completed")
    stored = sandbox.store.teams[eku_team["id"]]
    assert stored["integrations"]["sat"] is stored["sat"]
    assert cert_password() not in repr(stored)


def test_password_alias_and_fill_from_certificate(raw, frozen_clock):
    frozen_clock()
    alias = f"Sin RFC {time.time_ns()}"
    team = raw.post("/teams", json={"brand": {"alias": alias}}).json()["data"]
    assert team["tax_id"] is None
    response = _upload(raw, team["id"], *_valid(), password_part="password")
    assert response.status_code == 200
    after = raw.get(f"/teams/{team['id']}").json()["data"]
    assert after["tax_id"] == "EKU9003173C9"
    assert after["legal_name"] == EKU_NAME
    assert after["brand"]["alias"] == alias
    assert after["sat"]["completed"] is True


@pytest.mark.parametrize(
    ("parts", "field", "code", "fragment"),
    [
        (
            ("fiel_moral_EKU9003173C9_valid.cer", "fiel_moral_EKU9003173C9_valid.key", None),
            "cert",
            "invalid_field_value",
            "e.firma (FIEL) certificate, not a CSD",
        ),
        (
            (VALID_CER, VALID_KEY, "12345678A"),
            "keyPass",
            "invalid_field_value",
            "The password does not open this private key",
        ),
        (
            (VALID_CER, "fiel_moral_EKU9003173C9_valid.key", None),
            "key",
            "invalid_field_value",
            "does not belong to the certificate",
        ),
        (
            (VALID_CER, "csd_moral_EKU9003173C9_expired.key", None),
            "key",
            "invalid_field_value",
            "does not belong to the certificate",
        ),
        (
            ("csd_moral_EKU9003173C9_expired.cer", "csd_moral_EKU9003173C9_expired.key", None),
            "cert",
            "invalid_field_value",
            "The certificate expired on 2023-06-17",
        ),
        (
            (VALID_KEY, VALID_KEY, None),
            "cert",
            "invalid_file_format",
            "it looks like the private key (.key)",
        ),
        ((VALID_CER, VALID_CER, None), "key", "invalid_file_format", "it is a certificate (.cer)"),
    ],
)
def test_rejected_pairs_change_nothing(raw, teams, frozen_clock, parts, field, code, fragment):
    frozen_clock()
    cer_name, key_name, password = parts
    before = raw.get(f"/teams/{teams['eku']}").json()["data"]
    response = _upload(
        raw, teams["eku"], cert_bytes(cer_name), cert_bytes(key_name), password or cert_password()
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == code
    assert [d["field"] for d in body["details"]] == [field]
    assert fragment in body["details"][0]["message"]
    assert body["message"] == body["details"][0]["message"]
    assert cert_password() not in response.text
    assert raw.get(f"/teams/{teams['eku']}").json()["data"] == before


def test_garbage_certificate(raw, teams, frozen_clock):
    frozen_clock()
    before = _sat(raw, teams["eku"])
    response = _upload(
        raw, teams["eku"], b"not a certificate at all", cert_bytes(VALID_KEY), cert_password()
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_file_format"
    assert body["details"] == [
        {
            "field": "cert",
            "message": "The certificate (.cer) is not a DER X.509 certificate. "
            "Upload the .cer file exactly as SAT issued it.",
        }
    ]
    assert _sat(raw, teams["eku"]) == before


def test_certificate_of_another_rfc_names_both(raw, teams, frozen_clock):
    frozen_clock()
    funk = next(
        t
        for t in teams["subs"]
        if raw.get(f"/teams/{t}").json()["data"]["tax_id"] == "FUNK671228PH6"
    )
    before = _sat(raw, funk)
    response = _upload(raw, funk, *_valid())
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field_value"
    assert body["details"] == [
        {
            "field": "cert",
            "message": "The certificate belongs to RFC EKU9003173C9, but this team's RFC is "
            "FUNK671228PH6. Upload the CSD of FUNK671228PH6.",
        }
    ]
    assert _sat(raw, funk) == before


@pytest.mark.parametrize(
    ("drop", "field"), [("cert", "cert"), ("key", "key"), ("keyPass", "keyPass")]
)
def test_missing_part(raw, teams, frozen_clock, drop, field):
    frozen_clock()
    before = _sat(raw, teams["eku"])
    cer, key, password = _valid()
    response = _upload(
        raw,
        teams["eku"],
        None if drop == "cert" else cer,
        None if drop == "key" else key,
        None if drop == "keyPass" else password,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "missing_required_field"
    assert [d["field"] for d in body["details"]] == [field]
    assert _sat(raw, teams["eku"]) == before


def test_empty_password_is_missing(raw, teams, frozen_clock):
    frozen_clock()
    cer, key, _ = _valid()
    response = _upload(raw, teams["eku"], cer, key, "")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "keyPass"


def test_file_over_one_mib_is_413(raw, teams, frozen_clock):
    frozen_clock()
    before = _sat(raw, teams["eku"])
    big = cert_bytes(VALID_CER) + b"\0" * (1024 * 1024)
    response = _upload(raw, teams["eku"], big, cert_bytes(VALID_KEY), cert_password())
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "file_upload_error"
    assert body["details"][0]["field"] == "cert"
    assert "the limit is 1.0 MiB" in body["message"]
    assert _sat(raw, teams["eku"]) == before


def test_upload_must_be_multipart(raw, teams):
    response = raw.post(
        f"/teams/{teams['eku']}/sat-connection", json={"cert": "x", "key": "y", "keyPass": "z"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_body"


def test_upload_unknown_or_outside_team(raw, teams, frozen_clock):
    frozen_clock()
    assert _upload(raw, "team_nope", *_valid()).status_code == 404
    response = _upload(raw, teams["outsider"], *_valid())
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
