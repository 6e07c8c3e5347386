"""Sandbox clients (REFERENCE §2, except 2.9): CRUD, upsert, search, SAT check, portal, CSF."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

import pytest

from tests.conftest import FROZEN_NOW
from tests.sandbox.test_webhooks import Receiver
from tests.support import synthetic_csf

_rng = random.Random()


def _rfc(person: str = "moral") -> str:
    letters = "".join(
        _rng.choice("ABCDEFGHJKLMNPRSTUVWZ") for _ in range(3 if person == "moral" else 4)
    )
    suffix = "".join(_rng.choice(string.ascii_uppercase + string.digits) for _ in range(3))
    return (
        f"{letters}{_rng.randint(0, 99):02d}{_rng.randint(1, 12):02d}"
        f"{_rng.randint(1, 28):02d}{suffix}"
    )


def _valid_body(**extra: Any) -> dict[str, Any]:
    body = {
        "name": "Cliente Prueba",
        "legal_name": "CLIENTE PRUEBA",
        "tax_id": _rfc(),
        "tax_system": "601",
        "use": "G03",
        "email": "facturas@cliente.mx",
        "address": {"country": "MEX", "zip": "06600"},
    }
    body.update(extra)
    return body


def _create(raw, **extra: Any) -> dict[str, Any]:
    response = raw.post("/clients", json=_valid_body(**extra))
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _count(raw, text: str) -> int:
    return raw.get("/clients/search", params={"q": text}).json()["total_results"]


# --- list / get ---------------------------------------------------------------------------


def test_list_clients(raw):
    response = raw.get("/clients", params={"limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Clients retrieved successfully"
    assert len(body["data"]) == 5 and body["has_more"] is True and body["next"]
    created = [client["created_at"] for client in body["data"]]
    assert created == sorted(created, reverse=True)
    assert all(client["livemode"] is False for client in body["data"])


def test_list_ordered_by_name(raw, teams):
    params = {"team": teams["subs"][5], "order_by": "name", "sort": "asc", "limit": 100}
    names = [client["name"] for client in raw.get("/clients", params=params).json()["data"]]
    assert names == sorted(names, key=str.casefold)


def test_modes_are_separate(raw, raw_live):
    client = _create(raw)
    assert raw.get(f"/clients/{client['id']}").json()["data"] == client
    live = raw_live.get(f"/clients/{client['id']}")
    assert live.status_code == 404
    assert live.json() == {"message": "Client not found", "error": "resource_not_found"}
    assert _create(raw_live)["livemode"] is True


def test_clients_are_team_scoped(raw, teams):
    client = _create(raw)
    other = raw.get(f"/clients/{client['id']}", params={"team": teams["subs"][0]})
    assert other.status_code == 404


# --- create -------------------------------------------------------------------------------


def test_create_returns_the_full_client(raw, sandbox, teams, frozen_clock):
    rfc = _rfc()
    response = raw.post(
        "/clients",
        json={
            "name": "Grupo Altiplano",
            "legal_name": "GRUPO ALTIPLANO",
            "tax_id": rfc.lower(),
            "tax_system": "601",
            "use": "G03",
            "email": "pagos@altiplano.mx",
            "phone": "5550001111",
            "company": "Grupo Altiplano SA de CV",
            "bcc": ["conta@altiplano.mx"],
            "address": {
                "country": "Mexico",
                "street": "Reforma",
                "exterior": "10",
                "zip": "06600",
                "city": "CDMX",
            },
            "metadata": {"crm_id": 42},
            "defaults": {"issue_automatic_invoices": True},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Client created successfully"
    client = body["data"]
    assert client == {
        "id": client["id"],
        "name": "Grupo Altiplano",
        "legal_name": "GRUPO ALTIPLANO",
        "company": "Grupo Altiplano SA de CV",
        "email": "pagos@altiplano.mx",
        "phone": "5550001111",
        "bcc": ["conta@altiplano.mx"],
        "tax_id": rfc,
        "tax_system": "601",
        "use": "G03",
        "address": {
            "country": "MEX",
            "street": "Reforma",
            "exterior": "10",
            "city": "CDMX",
            "zip": "06600",
        },
        "metadata": {"crm_id": 42},
        "defaults": {
            "keep_full_legal_name": False,
            "issue_automatic_invoices": True,
            "issue_invoiceable_receipts": False,
        },
        "is_valid": True,
        "efos": {"is_valid": True},
        "livemode": False,
        "created_at": FROZEN_NOW,
        "team": teams["partner"],
        "owner": sandbox.store.teams[teams["partner"]]["owner"],
        "from": "api",
    }
    assert client["id"].startswith("client_")
    assert raw.get(f"/clients/{client['id']}").json() == {
        "message": "Client retrieved successfully",
        "data": client,
    }


def test_legal_name_alone_is_enough(raw):
    response = raw.post("/clients", json={"legal_name": "SOLO RAZON SOCIAL"})
    assert response.status_code == 201
    client = response.json()["data"]
    assert client["name"] == "SOLO RAZON SOCIAL"
    assert client["is_valid"] is False  # no RFC, regime or postal code yet
    assert client["address"] == {} and client["bcc"] == [] and client["metadata"] == {}


@pytest.mark.parametrize(
    ("rfc", "regime", "use", "valid"),
    [
        ("XAXX010101000", "616", "S01", True),
        ("XEXX010101000", "616", "S01", True),
        ("FUNK671228PH6", "612", "P01", True),  # P01 is accepted (REFERENCE §13 #41)
        ("EFO150101AB7", "601", "G03", True),  # made up: no check digit, still in the registry
        ("CBA991332AB1", "601", "G03", False),  # no 32 of month 13: in no registry
    ],
)
def test_fiscal_combinations_that_are_accepted(raw, rfc, regime, use, valid):
    client = _create(raw, tax_id=rfc, tax_system=regime, use=use)
    assert client["is_valid"] is valid
    assert client["efos"] == {"is_valid": rfc != "EFO150101AB7"}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"tax_id": "ABC"},
            "tax_id",
            "'ABC' is not a valid RFC (12 characters for a company, 13 for a person)",
        ),
        (
            {"tax_id": "FUNK671228PH6", "tax_system": "601"},
            "tax_system",
            "tax regime 601 does not apply to a person (persona física): RFC FUNK671228PH6 has 13 "
            "characters",
        ),
        (
            {"tax_id": "EKU9003173C9", "tax_system": "612"},
            "tax_system",
            "tax regime 612 does not apply to a company (persona moral): RFC EKU9003173C9 has 12 "
            "characters",
        ),
        (
            {"tax_id": "XAXX010101000", "tax_system": "601"},
            "tax_system",
            "the generic RFC XAXX010101000 must use tax regime 616 (Sin obligaciones fiscales), "
            "not 601",
        ),
        (
            {"tax_system": "999"},
            "tax_system",
            "'999' is not a valid tax regime (c_RegimenFiscal code)",
        ),
        ({"use": "Z99"}, "use", "'Z99' is not a valid CFDI use (c_UsoCFDI code)"),
        ({"use": "D01"}, "use", "CFDI use D01 is not allowed for tax regime 601"),
        ({"email": "not-an-email"}, "email", "'not-an-email' is not a valid e-mail address"),
        ({"bcc": ["ok@x.mx", "bad"]}, "bcc[1]", "'bad' is not a valid e-mail address"),
        ({"bcc": "ok@x.mx"}, "bcc", "must be a list of e-mail addresses"),
        (
            {"address": {"zip": "1234"}},
            "address.zip",
            "'1234' is not a valid postal code (5 digits)",
        ),
        (
            {"address": {"country": "Narnia"}},
            "address.country",
            "'Narnia' is not a country name or ISO-3 code (for example MEX)",
        ),
        ({"address": "Reforma 10"}, "address", "must be an object"),
        ({"metadata": ["x"]}, "metadata", "must be an object"),
        (
            {"defaults": {"keep_full_legal_name": "yes"}},
            "defaults.keep_full_legal_name",
            "must be true or false",
        ),
        ({"name": ""}, "name", "must not be empty"),
        ({"name": 5}, "name", "must be text"),
    ],
)
def test_create_validation(raw, extra, field, message):
    body = _valid_body(**extra)
    marker = uuid.uuid4().hex
    body["email"] = extra.get("email", f"{marker}@example.com")
    response = raw.post("/clients", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "invalid_field_value"
    assert payload["details"] == [{"field": field, "message": message}]
    assert payload["message"] == f"{field}: {message}"
    assert _count(raw, marker) == 0


def test_create_needs_name_or_legal_name(raw):
    response = raw.post("/clients", json={"email": "x@example.com"})
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "name", "message": "is required (send name or legal_name)"}
    ]


def test_several_problems_are_reported_together(raw):
    response = raw.post("/clients", json={"tax_id": "X", "email": "@", "address": {"zip": "1"}})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert [d["field"] for d in body["details"]] == ["name", "email", "tax_id", "address.zip"]


def test_create_rejects_a_non_object_body(raw):
    response = raw.post("/clients", data="[1]", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_body"


# --- upsert with search -------------------------------------------------------------------


def test_search_one_match_returns_it_unchanged(raw):
    original = _create(raw)
    response = raw.post(
        "/clients",
        json={"name": "Otro nombre", "tax_id": original["tax_id"], "search": {"on_key": "tax_id"}},
    )
    assert response.status_code == 200
    assert response.json()["data"] == original


def test_search_one_match_with_update(raw, teams, receiver_factory):
    team = {"team": teams["subs"][4]}
    original = raw.post("/clients", params=team, json=_valid_body()).json()["data"]
    receiver = receiver_factory(team["team"], ["customer.updated", "customer.created"])
    response = raw.post(
        "/clients",
        params=team,
        json={
            "name": "Nombre nuevo",
            "email": None,
            "tax_id": original["tax_id"].lower(),
            "address": {"city": "Monterrey"},
            "search": {"on_key": "tax_id", "update": True},
        },
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Client updated successfully"
    updated = response.json()["data"]
    assert updated["id"] == original["id"]
    assert updated["name"] == "Nombre nuevo"
    assert updated["email"] == original["email"]  # null means "not sent" on create
    assert updated["address"] == {**original["address"], "city": "Monterrey"}
    got = receiver.wait_for(lambda b: b["data"]["object"]["id"] == original["id"])
    assert [event["type"] for event in got] == ["customer.updated"]


def test_search_with_explicit_value_and_no_match_creates(raw):
    marker = uuid.uuid4().hex
    response = raw.post(
        "/clients",
        json={
            "name": f"Nuevo {marker}",
            "search": {"on_key": "email", "on_value": f"{marker}@example.com"},
        },
    )
    assert response.status_code == 201
    assert _count(raw, marker) == 1


def test_search_matching_several_is_409(raw):
    email = f"{uuid.uuid4().hex}@example.com"
    _create(raw, email=email)
    _create(raw, email=email.upper())
    response = raw.post(
        "/clients", json={"name": "Tercero", "email": email, "search": {"on_key": "email"}}
    )
    assert response.status_code == 409
    assert response.json() == {
        "message": f"search matched 2 clients with email '{email}': search on a key that is "
        "unique, such as tax_id, or use the client id",
        "error": "resource_conflict",
    }
    assert _count(raw, email) == 2


@pytest.mark.parametrize(
    ("search", "field", "code", "message"),
    [
        (
            {"on_key": "phone"},
            "search.on_key",
            "invalid_field_value",
            "must be one of tax_id, email, name, legal_name",
        ),
        ({}, "search.on_key", "missing_required_field", "is required"),
        (
            {"on_key": "tax_id"},
            "search.on_value",
            "missing_required_field",
            "is required when the body has no tax_id",
        ),
        (
            {"on_key": "name", "update": "yes"},
            "search.update",
            "invalid_field_value",
            "must be true or false",
        ),
        ("tax_id", "search", "invalid_field_value", "must be an object"),
    ],
)
def test_search_validation(raw, search, field, code, message):
    response = raw.post("/clients", json={"name": "Con búsqueda", "search": search})
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["details"] == [{"field": field, "message": message}]


# --- update -------------------------------------------------------------------------------


def test_update_is_partial_null_clears_address_merges(raw):
    client = _create(
        raw,
        phone="555",
        address={"country": "MEX", "zip": "06600", "city": "CDMX", "street": "Reforma"},
    )
    response = raw.put(
        f"/clients/{client['id']}",
        json={
            "email": None,
            "phone": "777",
            "address": {"street": None, "exterior": "5"},
            "metadata": {"a": 1},
            "defaults": {"keep_full_legal_name": True},
            "search": {"on_key": "tax_id"},
        },
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Client updated successfully"
    updated = response.json()["data"]
    assert updated == {
        **client,
        "email": None,
        "phone": "777",
        "address": {"country": "MEX", "zip": "06600", "city": "CDMX", "exterior": "5"},
        "metadata": {"a": 1},
        "defaults": {**client["defaults"], "keep_full_legal_name": True},
    }
    assert raw.get(f"/clients/{client['id']}").json()["data"] == updated


def test_update_reruns_the_sat_check_only_when_fiscal_data_change(raw, sandbox):
    client = _create(raw)
    assert client["is_valid"] is True
    with sandbox.store.lock:  # pretend SAT said no at the last check
        sandbox.store.objects["clients"][client["id"]]["is_valid"] = False
    same = raw.put(f"/clients/{client['id']}", json={"phone": "1"}).json()["data"]
    assert same["is_valid"] is False
    rerun = raw.put(f"/clients/{client['id']}", json={"address": {"zip": "06700"}}).json()
    assert rerun["data"]["is_valid"] is True
    cleared = raw.put(f"/clients/{client['id']}", json={"legal_name": None}).json()["data"]
    assert cleared["legal_name"] is None and cleared["is_valid"] is False
    efos = raw.put(
        f"/clients/{client['id']}", json={"tax_id": "EFO150101AB7", "legal_name": "EFECTIVO"}
    ).json()["data"]
    assert efos["is_valid"] is True and efos["efos"] == {"is_valid": False}


def test_update_checks_the_result_against_the_stored_client(raw):
    client = _create(raw)  # moral RFC, regime 601
    response = raw.put(f"/clients/{client['id']}", json={"tax_id": "FUNK671228PH6"})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {
            "field": "tax_id",
            "message": "tax regime 601 does not apply to a person (persona física): RFC "
            "FUNK671228PH6 has 13 characters",
        }
    ]
    use = raw.put(f"/clients/{client['id']}", json={"use": "D01"})
    assert use.json()["details"] == [
        {"field": "use", "message": "CFDI use D01 is not allowed for tax regime 601"}
    ]
    both = raw.put(
        f"/clients/{client['id']}", json={"tax_id": "FUNK671228PH6", "tax_system": "612"}
    )
    assert both.status_code == 200
    assert raw.get(f"/clients/{client['id']}").json()["data"]["tax_system"] == "612"


def test_update_cannot_clear_the_name(raw):
    client = _create(raw)
    response = raw.put(f"/clients/{client['id']}", json={"name": None, "phone": "9"})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"field": "name", "message": "cannot be cleared: every client needs a name"}
    ]
    assert raw.get(f"/clients/{client['id']}").json()["data"] == client


def test_update_unknown_is_404(raw):
    response = raw.put("/clients/client_nope", json={"phone": "1"})
    assert response.status_code == 404
    assert response.json()["message"] == "Client not found"


# --- delete -------------------------------------------------------------------------------


def test_delete(raw):
    client = _create(raw)
    response = raw.delete(f"/clients/{client['id']}")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Client deleted successfully",
        "data": {"id": client["id"], "deleted": True},
    }
    assert raw.get(f"/clients/{client['id']}").status_code == 404
    assert raw.delete(f"/clients/{client['id']}").status_code == 404


# --- search -------------------------------------------------------------------------------


def test_search_matches_substrings_case_insensitively(raw):
    marker = uuid.uuid4().hex[:12]
    by_name = _create(raw, name=f"Tienda {marker.upper()}")
    by_email = _create(raw, name="Otra", email=f"{marker}@shop.mx")
    by_rfc = _create(raw, name="Tercera", tax_id=_rfc())
    response = raw.get("/clients/search", params={"q": marker})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Clients retrieved successfully"
    assert [c["id"] for c in body["data"]] == [by_email["id"], by_name["id"]]  # newest first
    assert body["has_more"] is False and body["total_results"] == 2 and "next" not in body
    rfc = raw.get("/clients/search", params={"q": by_rfc["tax_id"][:9].lower()}).json()
    assert by_rfc["id"] in [c["id"] for c in rfc["data"]]


def test_search_has_more_but_never_next(raw):
    marker = uuid.uuid4().hex[:12]
    made = [_create(raw, name=f"Lote {marker} {i}") for i in range(3)]
    body = raw.get("/clients/search", params={"q": marker, "limit": 2}).json()
    assert [c["id"] for c in body["data"]] == [made[2]["id"], made[1]["id"]]
    assert body["has_more"] is True and body["total_results"] == 3
    assert "next" not in body


@pytest.mark.parametrize(
    ("params", "code", "field", "message"),
    [
        ({}, "missing_required_field", "q", "is required (the text to search for)"),
        ({"q": "  "}, "missing_required_field", "q", "is required (the text to search for)"),
        ({"q": "x" * 201}, "invalid_field_value", "q", "must be at most 200 characters"),
        ({"q": "a", "limit": "0"}, "invalid_field_value", "limit", "must be from 1 to 100"),
    ],
)
def test_search_parameters(raw, params, code, field, message):
    response = raw.get("/clients/search", params=params)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["details"] == [{"field": field, "message": message}]


# --- validate -----------------------------------------------------------------------------


def test_validate_refreshes_the_sat_check(raw, sandbox):
    client = _create(raw)
    with sandbox.store.lock:
        stored = sandbox.store.objects["clients"][client["id"]]
        stored["is_valid"] = False
        stored["efos"] = {"is_valid": False}
    response = raw.post(
        f"/clients/validate/{client['id']}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"] == client


def test_validate_unknown_is_404(raw):
    assert raw.post("/clients/validate/client_nope").status_code == 404


# --- customer portal ----------------------------------------------------------------------


def test_customer_portal_by_id_and_by_email(raw, sandbox, frozen_clock):
    email = f"{uuid.uuid4().hex}@portal.mx"
    client = _create(raw, email=email)
    for body in ({"id": client["id"]}, {"email": email.upper()}):
        response = raw.post("/clients/customerportal", json=body)
        assert response.status_code == 200
        payload = response.json()
        assert payload["message"] == "Operation completed successfully"
        assert payload["data"]["expires_at"] == FROZEN_NOW + 5 * 86400
        assert payload["data"]["url"].startswith(f"{sandbox.origin}/portal/{client['id']}?")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "missing_required_field"),
        ({"id": "client_nope"}, 404, "resource_not_found"),
        ({"email": "nobody-here@example.com"}, 404, "resource_not_found"),
        ({"email": "nope"}, 400, "invalid_field_value"),
    ],
)
def test_customer_portal_errors(raw, body, status, code):
    response = raw.post("/clients/customerportal", json=body)
    assert response.status_code == status
    assert response.json()["error"] == code
    if body == {}:
        assert response.json()["details"] == [
            {"field": "id", "message": "is required (send id or email)"}
        ]


# --- events -------------------------------------------------------------------------------


@pytest.fixture
def receiver_factory(raw):
    """Register a loopback webhook on a team; removed (and the receiver stopped) afterwards."""
    made: list[tuple[Receiver, str, str]] = []

    def make(team_id: str, events: list[str]) -> Receiver:
        receiver = Receiver()
        hook = raw.post(
            "/webhooks", params={"team": team_id}, json={"url": receiver.url, "events": events}
        ).json()["data"]
        made.append((receiver, team_id, hook["id"]))
        return receiver

    yield make
    for receiver, team_id, hook_id in made:
        raw.delete(f"/webhooks/{hook_id}", params={"team": team_id})
        receiver.close()


def test_customer_events(raw, teams, sandbox, receiver_factory):
    team = {"team": teams["subs"][3]}
    receiver = receiver_factory(
        team["team"], ["customer.created", "customer.updated", "customer.deleted"]
    )
    client = raw.post("/clients", params=team, json=_valid_body()).json()["data"]
    mine = lambda body: body["data"]["object"]["id"] == client["id"]  # noqa: E731
    assert [e["type"] for e in receiver.wait_for(mine)] == ["customer.created"]
    raw.post(f"/clients/validate/{client['id']}", params=team)  # nothing changed: no event
    updated = raw.put(f"/clients/{client['id']}", params=team, json={"phone": "1"}).json()
    receiver.wait_for(lambda b: mine(b) and b["type"] == "customer.updated")
    raw.delete(f"/clients/{client['id']}", params=team)
    receiver.wait_for(lambda b: mine(b) and b["type"] == "customer.deleted")
    got = sorted(receiver.wait_for(mine), key=lambda e: e["created"])
    assert sorted(e["type"] for e in got) == [
        "customer.created",
        "customer.deleted",
        "customer.updated",
    ]
    by_type = {e["type"]: e for e in got}
    assert by_type["customer.updated"]["data"]["object"] == updated["data"]
    assert by_type["customer.deleted"]["data"]["object"] == updated["data"]
    assert all(e["team"] == team["team"] and e["livemode"] is False for e in got)


def test_validate_fires_updated_when_the_result_changes(raw, teams, sandbox, receiver_factory):
    team = {"team": teams["subs"][3]}
    client = raw.post("/clients", params=team, json=_valid_body()).json()["data"]
    receiver = receiver_factory(team["team"], ["customer.updated"])
    with sandbox.store.lock:
        sandbox.store.objects["clients"][client["id"]]["is_valid"] = False
    raw.post(f"/clients/validate/{client['id']}", params=team)
    got = receiver.wait_for(lambda b: b["data"]["object"]["id"] == client["id"])
    assert [e["type"] for e in got] == ["customer.updated"]
    assert got[0]["data"]["object"]["is_valid"] is True


# --- CSF upload ---------------------------------------------------------------------------


def _upload(raw, data: bytes, *, params: dict[str, str] | None = None, part: str = "file"):
    return raw.post(
        "/clients/csf", params=params or {}, files={part: ("csf.pdf", data, "application/pdf")}
    )


def _purge_rfc(raw, team: dict[str, str], rfc: str) -> None:
    for client in raw.get("/clients/search", params={**team, "q": rfc, "limit": 100}).json()[
        "data"
    ]:
        raw.delete(f"/clients/{client['id']}", params=team)


def test_csf_creates_then_updates_by_rfc(raw, teams, receiver_factory):
    team = {"team": teams["subs"][1]}
    _purge_rfc(raw, team, "EKU9003173C9")
    receiver = receiver_factory(team["team"], ["customer.created", "customer.updated"])
    response = _upload(raw, synthetic_csf.moral_eku(), params=team)
    assert response.status_code == 201
    assert response.json()["message"] == "Client created successfully"
    client = response.json()["data"]
    assert {
        k: client[k]
        for k in ("name", "legal_name", "tax_id", "tax_system", "is_valid", "efos", "team")
    } == {
        "name": "ESCUELA KEMPER URGATE",
        "legal_name": "ESCUELA KEMPER URGATE",
        "tax_id": "EKU9003173C9",
        "tax_system": "601",
        "is_valid": True,
        "efos": {"is_valid": True},
        "team": team["team"],
    }
    assert client["address"] == {
        "country": "MEX",
        "street": "CALLE DE PRUEBA",
        "exterior": "12",
        "neighborhood": "CENTRO",
        "municipality": "ACTOPAN",
        "city": "ACTOPAN",
        "state": "HIDALGO",
        "zip": "42501",
    }
    raw.put(
        f"/clients/{client['id']}",
        params=team,
        json={"name": "Kemper", "tax_system": "603", "address": {"zip": "01000"}},
    )
    again = _upload(raw, synthetic_csf.moral_eku(), params=team)
    assert again.status_code == 200
    assert again.json()["message"] == "Client updated successfully"
    updated = again.json()["data"]
    assert updated["id"] == client["id"]
    assert (updated["name"], updated["tax_system"], updated["address"]["zip"]) == (
        "Kemper",
        "601",
        "42501",
    )  # the name is kept; fiscal data come from the CSF
    got = receiver.wait_for(
        lambda b: b["type"] == "customer.updated" and b["data"]["object"] == updated
    )
    assert len(got) == 1
    assert receiver.wait_for(
        lambda b: b["type"] == "customer.created" and b["data"]["object"]["id"] == client["id"]
    )


def test_csf_with_client_id_updates_that_client(raw):
    target = raw.post("/clients", json={"name": "Karla"}).json()["data"]
    response = _upload(raw, synthetic_csf.fisica_funk(), params={"client_id": target["id"]})
    assert response.status_code == 200
    assert response.json()["message"] == "Client updated successfully"
    client = response.json()["data"]
    assert client["id"] == target["id"]
    assert (client["name"], client["legal_name"], client["tax_id"], client["tax_system"]) == (
        "Karla",
        "KARLA FUENTE NOLASCO",
        "FUNK671228PH6",
        "612",
    )
    assert client["address"]["zip"] == "01160"
    assert client["address"]["interior"] == "3"
    assert client["is_valid"] is True


def test_csf_client_id_must_exist(raw):
    response = _upload(raw, synthetic_csf.fisica_funk(), params={"client_id": "client_nope"})
    assert response.status_code == 404
    assert response.json() == {"message": "Client not found", "error": "resource_not_found"}


def test_csf_needs_the_file_part(raw):
    response = _upload(raw, synthetic_csf.moral_eku(), part="document")
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "file", "message": "is required (the Constancia de Situación Fiscal PDF)"}
    ]
    as_json = raw.post("/clients/csf", json={"file": "x"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request_body"


@pytest.mark.parametrize(
    "data",
    [b"hello, I am not a PDF", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "generic", "image_only"],
    ids=["text", "png", "not-a-csf", "scanned"],
)
def test_csf_rejects_files_that_are_not_a_csf(raw, data):
    if data == "generic":
        data = synthetic_csf.generic_pdf()
    elif data == "image_only":
        data = synthetic_csf.image_only_pdf()
    before = raw.get("/clients").json()["total_results"]
    response = _upload(raw, data)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_file_format"
    assert [d["field"] for d in body["details"]] == ["file"]
    assert raw.get("/clients").json()["total_results"] == before


def test_csf_over_5_mib_is_413(raw):
    data = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    response = _upload(raw, data)
    assert response.status_code == 413
    assert response.json()["error"] == "file_upload_error"


def test_a_postal_code_sat_does_not_list_is_refused(raw):
    """Five digits are not enough: the code must be in c_CodigoPostal (00003 is not)."""
    response = raw.post(
        "/clients",
        json={
            "legal_name": "ACME",
            "tax_id": "ACM010101AB1",
            "tax_system": "601",
            "address": {"zip": "00003"},
        },
    )
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["details"]} == {"address.zip"}
    assert "c_CodigoPostal" in response.json()["details"][0]["message"]
