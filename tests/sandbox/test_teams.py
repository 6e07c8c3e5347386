"""Sandbox teams (REFERENCE §7.1–7.12, 7.16): list, CRUD, integrations, members, series,
onboarding links. Settings live in test_settings.py, the CSD upload in test_csd_upload.py.

Tests create their own teams (the session sandbox is shared) and only read seeded ones, except
for rejected requests, which must change nothing.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import RawAPI
from webapp.sandbox.teams_logic import ONBOARDING_TTL, onboarding_url_is_valid

_counter = itertools.count(1)


def _name(prefix: str = "Equipo prueba") -> str:
    return f"{prefix} {next(_counter)} {time.time_ns() % 10**8}"


@pytest.fixture
def make_team(raw: RawAPI) -> Callable[..., dict[str, Any]]:
    """POST /teams with the partner key; returns the created Team."""

    def make(**body: Any) -> dict[str, Any]:
        if "brand" not in body and "legal_name" not in body:
            body["brand"] = {"alias": _name()}
        response = raw.post("/teams", json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    return make


@pytest.fixture
def team(make_team) -> dict[str, Any]:
    return make_team()


def _team_ids(raw: RawAPI, **params: Any) -> list[str]:
    body = raw.get("/teams", params={"limit": 100, **params}).json()
    return [item["id"] for item in body["data"]]


def _owner_and_others(sandbox, team_id: str) -> tuple[str, list[str]]:
    team = sandbox.store.teams[team_id]
    members = [m["id"] for m in team["members"]]
    return team["owner"], [u for u in sandbox.store.users if u not in members]


@pytest.fixture
def webhook_on(sandbox) -> Iterator[Callable[[str, list[str]], str]]:
    """Subscribe a team to events with a loopback URL nobody listens on (attempts recorded)."""
    created: list[str] = []

    def subscribe(team_id: str, events: list[str]) -> str:
        store = sandbox.store
        with store.lock:
            hook_id = store.new_id("wh_", 8)
            store.add(
                "webhooks",
                hook_id,
                {
                    "id": hook_id,
                    "url": "http://127.0.0.1:9/hook",
                    "events": events,
                    "status": "active",
                    "description": "teams test",
                    "owner": store.teams[team_id]["owner"],
                    "created_at": store.clock.now_ms(),
                    "_team": team_id,
                },
            )
        created.append(hook_id)
        return hook_id

    yield subscribe
    with sandbox.store.lock:
        for hook_id in created:
            sandbox.store.remove("webhooks", hook_id)


def wait_for_delivery(sandbox, hook_id: str, event_type: str) -> dict[str, Any]:
    """The recorded delivery attempt of ``event_type`` to ``hook_id`` (deliveries are async)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sandbox.store.lock:
            found = [
                d
                for d in sandbox.store.deliveries
                if d["webhook"] == hook_id and d["type"] == event_type
            ]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {event_type} delivery to {hook_id}")


# --------------------------------------------------------------------------------- 7.1 list
def test_list_is_style_b_with_the_billing_account_teams(raw, teams):
    response = raw.get("/teams", params={"limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Teams retrieved successfully"
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 10**12
    ids = [item["id"] for item in body["data"]]
    assert teams["partner"] in ids
    assert set(teams["subs"][:6]) <= set(ids)
    assert teams["outsider"] not in ids
    assert body["total_results"] == len(ids)
    assert body["has_more"] is False and "next" not in body


def test_list_without_connect_shows_only_the_keys_team(sandbox, keys, teams):
    outsider = RawAPI(sandbox, keys["outsider_test"]["key"])
    assert _team_ids(outsider) == [teams["outsider"]]


def test_list_ignores_the_team_query(raw, teams):
    assert _team_ids(raw, team=teams["outsider"]) == _team_ids(raw)


def test_list_order_by_name_uses_alias_then_legal_name(raw, make_team):
    make_team(legal_name="AAAA SIN ALIAS SA DE CV")
    make_team(brand={"alias": "aaab con alias"}, legal_name="ZZZ RAZON SOCIAL")
    data = raw.get("/teams", params={"limit": 100, "order_by": "name", "sort": "asc"}).json()
    names = [
        (t["brand"].get("alias") or t["legal_name"] or t["id"]).casefold() for t in data["data"]
    ]
    assert names == sorted(names)
    assert names.index("aaaa sin alias sa de cv") < names.index("aaab con alias")


def test_list_pages_cover_every_team_once(raw, make_team):
    make_team()
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"next": cursor} if cursor else {})}
        body = raw.get("/teams", params=params).json()
        assert body["success"] is True
        seen.extend(item["id"] for item in body["data"])
        if not body["has_more"]:
            break
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == body["total_results"]


def test_list_rejects_a_bad_limit_in_style_b(raw):
    response = raw.get("/teams", params={"limit": 0})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"] == "invalid_field_value"
    assert body["details"][0]["field"] == "limit"


# ------------------------------------------------------------------------------- 7.2 create
def test_create_team_joins_the_billing_account(raw, sandbox, teams):
    alias = _name("Nueva marca")
    response = raw.post(
        "/teams",
        json={
            "brand": {"alias": alias, "primary_color": "#112233"},
            "legal_name": "NUEVA MARCA SA DE CV",
            "tax_id": "nma200101ab1",
            "tax_system": "601",
            "support_email": "soporte@nueva.mx",
            "address": {"country": "Mexico", "zip": "06600", "city": "Ciudad de México"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Team created successfully"
    team = body["data"]
    assert team["id"].startswith("team_")
    assert team["brand"]["alias"] == alias and team["brand"]["primary_color"] == "#112233"
    assert team["tax_id"] == "NMA200101AB1" and team["tax_system"] == "601"
    assert team["address"] == {"country": "MEX", "zip": "06600", "city": "Ciudad de México"}
    assert team["sat"] == {"completed": False, "connected_at": None, "csd_expires_at": None}
    assert team["integrations"]["sat"] == team["sat"]
    assert "onboarding_url" not in team
    partner = sandbox.store.teams[teams["partner"]]
    assert team["owner"] == partner["owner"]
    assert team["members"] == [
        {
            "id": partner["owner"],
            "email": sandbox.store.users[partner["owner"]]["email"],
            "role": "admin",
        }
    ]
    # joined the partner's billing account: listed, and reachable through Connect
    assert team["id"] in _team_ids(raw)
    assert raw.get("/services", params={"team": team["id"]}).status_code == 200
    assert raw.get(f"/teams/{team['id']}").json()["data"] == team
    # no series until one is created
    series = raw.get(f"/teams/{team['id']}/series").json()
    assert series["data"] == [] and series["total_results"] == 0


def test_create_with_legal_name_only_has_no_alias(make_team):
    team = make_team(legal_name="SOLO RAZON SOCIAL SA")
    assert "alias" not in team["brand"]
    assert team["legal_name"] == "SOLO RAZON SOCIAL SA"


def test_create_needs_alias_or_legal_name(raw):
    response = raw.post("/teams", json={"tax_id": "NMA200101AB1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "missing_required_field"
    assert body["details"] == [
        {"field": "legal_name", "message": "is required when brand.alias is not sent"}
    ]


def test_create_brand_without_alias_is_rejected(raw):
    response = raw.post(
        "/teams", json={"brand": {"primary_color": "#000000"}, "legal_name": "CON RAZON SA"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "brand.alias", "message": "is required whenever brand is sent"}
    ]


def test_create_address_without_country_is_rejected(raw):
    response = raw.post("/teams", json={"legal_name": "SIN PAIS SA", "address": {"zip": "06600"}})
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    assert response.json()["details"] == [
        {"field": "address.country", "message": "is required whenever address is sent"}
    ]


def test_create_checks_rfc_and_regime(raw):
    response = raw.post("/teams", json={"legal_name": "RFC MALO", "tax_id": "ABC"})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {
            "field": "tax_id",
            "message": "'ABC' is not a valid RFC (12 characters for a company, 13 for a person)",
        }
    ]
    response = raw.post(
        "/teams", json={"legal_name": "REGIMEN MALO", "tax_id": "EKU9003173C9", "tax_system": "612"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field_value"
    assert body["details"][0]["field"] == "tax_system"
    assert "612" in body["details"][0]["message"]
    response = raw.post("/teams", json={"legal_name": "REGIMEN X", "tax_system": "999"})
    assert response.json()["details"][0]["field"] == "tax_system"


def test_create_collects_every_problem(raw):
    response = raw.post(
        "/teams",
        json={
            "brand": {"alias": "x", "primary_color": "red"},
            "support_email": "nope",
            "address": {"country": "MEX", "zip": "1"},
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert {d["field"] for d in body["details"]} == {
        "brand.primary_color",
        "support_email",
        "address.zip",
    }


def test_create_with_unknown_member_names_the_item_and_creates_nothing(raw, sandbox, teams):
    owner, others = _owner_and_others(sandbox, teams["partner"])
    alias = _name("No debe existir")
    before = len(sandbox.store.teams)
    response = raw.post(
        "/teams",
        json={
            "brand": {"alias": alias},
            "add_members": [{"id": others[0], "role": "editor"}, {"id": "user_nobody"}],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field_value"
    assert body["details"] == [
        {"field": "add_members[1].id", "message": "'user_nobody' is not an existing user"}
    ]
    assert len(sandbox.store.teams) == before
    response = raw.post(
        "/teams", json={"brand": {"alias": alias}, "add_members": [{"id": owner, "role": "boss"}]}
    )
    assert response.json()["details"][0]["field"] == "add_members[0].role"


def test_create_with_members(make_team, sandbox, teams):
    owner, others = _owner_and_others(sandbox, teams["partner"])
    team = make_team(add_members=[{"id": others[0], "role": "editor"}, {"id": others[1]}])
    roles = {m["id"]: m["role"] for m in team["members"]}
    assert roles == {owner: "admin", others[0]: "editor", others[1]: "viewer"}


def test_create_copies_the_master_team_members(make_team, sandbox, teams):
    team = make_team(add_master_team_members=True)
    partner = sandbox.store.teams[teams["partner"]]
    assert {(m["id"], m["role"]) for m in team["members"]} == {
        (m["id"], m["role"]) for m in partner["members"]
    }


def test_create_with_onboarding_url(make_team):
    team = make_team(generate_onboarding_url=True)
    assert team["onboarding_url"].startswith(f"https://onboarding.gigstack.pro/{team['id']}")


def test_create_fires_teams_created_on_the_callers_team(make_team, webhook_on, sandbox, teams):
    hook = webhook_on(teams["partner"], ["teams.created"])
    team = make_team()
    delivery = wait_for_delivery(sandbox, hook, "teams.created")
    assert delivery["url"] == "http://127.0.0.1:9/hook"
    assert team["id"]


def test_create_body_must_be_json(raw):
    response = raw.post(
        "/teams", data="legal_name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_body"


# ---------------------------------------------------------------------------------- 7.3 get
def test_get_team_own_sub_outsider_unknown(raw, teams):
    own = raw.get(f"/teams/{teams['partner']}")
    assert own.status_code == 200
    assert own.json()["message"] == "Team retrieved successfully"
    assert own.json()["data"]["id"] == teams["partner"]
    assert "success" not in own.json()
    assert raw.get(f"/teams/{teams['eku']}").json()["data"]["tax_id"] == "EKU9003173C9"
    outsider = raw.get(f"/teams/{teams['outsider']}")
    assert outsider.status_code == 403 and outsider.json()["error"] == "forbidden"
    unknown = raw.get("/teams/team_doesnotexist")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Team not found", "error": "resource_not_found"}


def test_get_team_ignores_the_team_query(raw, teams):
    response = raw.get(f"/teams/{teams['eku']}", params={"team": teams["outsider"]})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == teams["eku"]


# ------------------------------------------------------------------------------- 7.4 update
def test_update_is_partial_and_merges_brand_and_address(raw, make_team):
    team = make_team(
        brand={
            "alias": "Antes",
            "primary_color": "#111111",
            "logo": "https://cdn.example.com/logo.png",
        },
        legal_name="ANTES SA",
        support_phone="5512345678",
        support_email="a@antes.mx",
        address={"country": "MEX", "zip": "06600", "city": "CDMX"},
    )
    response = raw.put(
        f"/teams/{team['id']}",
        json={
            "brand": {"alias": "Después", "secondary_color": "#222222"},
            "address": {"country": "MEX", "city": "Puebla", "zip": None},
            "support_email": None,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Team updated successfully"
    updated = body["data"]
    assert updated["brand"] == {
        "alias": "Después",
        "primary_color": "#111111",
        "secondary_color": "#222222",
        "logo": "https://cdn.example.com/logo.png",
    }
    assert updated["address"] == {"country": "MEX", "city": "Puebla"}
    assert updated["support_email"] is None
    assert updated["support_phone"] == "5512345678" and updated["legal_name"] == "ANTES SA"
    assert "onboarding_url" not in updated
    assert raw.get(f"/teams/{team['id']}").json()["data"] == updated


def test_update_null_clears_logo_and_address(raw, make_team):
    team = make_team(
        brand={"alias": "Logo", "logo": "https://cdn.example.com/l.png"},
        address={"country": "MEX", "zip": "06600"},
    )
    updated = raw.put(
        f"/teams/{team['id']}", json={"brand": {"alias": "Logo", "logo": None}, "address": None}
    ).json()["data"]
    assert updated["brand"]["logo"] is None
    assert updated["address"] == {}


def test_update_rejections_change_nothing(raw, make_team):
    team = make_team(legal_name=None, brand={"alias": "Intacto"})
    cases = [
        ({"brand": {"primary_color": "#000000"}}, "brand.alias", "missing_required_field"),
        ({"address": {"zip": "06600"}}, "address.country", "missing_required_field"),
        ({"brand": None}, "brand", "invalid_field_value"),
        ({"tax_id": "FUNK671228PH6", "tax_system": "601"}, "tax_system", "invalid_field_value"),
        ({"legal_name": "X", "brand": {"alias": ""}}, "brand.alias", "missing_required_field"),
    ]
    for body, field, code in cases:
        response = raw.put(f"/teams/{team['id']}", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == code, body
        assert [d["field"] for d in response.json()["details"]] == [field], body
    assert raw.get(f"/teams/{team['id']}").json()["data"] == team


def test_update_regime_checked_against_the_stored_rfc(raw, make_team):
    team = make_team(legal_name="MORAL SA", tax_id="MOR200101AB1", tax_system="601")
    response = raw.put(f"/teams/{team['id']}", json={"tax_system": "612"})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "tax_system"
    response = raw.put(f"/teams/{team['id']}", json={"tax_id": "FUNK671228PH6"})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "tax_id"
    ok = raw.put(f"/teams/{team['id']}", json={"tax_id": "FUNK671228PH6", "tax_system": "612"})
    assert ok.status_code == 200 and ok.json()["data"]["tax_system"] == "612"


def test_update_cannot_leave_the_team_without_a_name(raw, make_team):
    team = make_team(legal_name="SOLO RAZON SA")
    response = raw.put(f"/teams/{team['id']}", json={"legal_name": None})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "legal_name"


def test_update_with_onboarding_url(raw, team):
    response = raw.put(f"/teams/{team['id']}", json={"generate_onboarding_url": True})
    assert response.status_code == 200
    assert response.json()["data"]["onboarding_url"].startswith("https://onboarding.gigstack.pro/")


def test_update_unknown_and_outside_teams(raw, teams):
    assert raw.put("/teams/team_nope", json={"legal_name": "X"}).status_code == 404
    response = raw.put(f"/teams/{teams['outsider']}", json={"legal_name": "X"})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


# ------------------------------------------------------------------------------- 7.5 delete
def test_delete_is_soft_and_hides_the_team_everywhere(raw, team):
    response = raw.delete(f"/teams/{team['id']}")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Team deleted successfully",
        "data": {"id": team["id"], "deleted": True},
    }
    for method, path in [
        ("GET", f"/teams/{team['id']}"),
        ("PUT", f"/teams/{team['id']}"),
        ("DELETE", f"/teams/{team['id']}"),
        ("GET", f"/teams/{team['id']}/members"),
        ("GET", f"/teams/{team['id']}/series"),
        ("GET", f"/teams/{team['id']}/settings"),
        ("GET", f"/teams/{team['id']}/onboarding-url"),
    ]:
        gone = raw.request(method, path, json={"legal_name": "X"} if method == "PUT" else None)
        assert gone.status_code == 404, path
        assert gone.json()["error"] == "resource_not_found"
    assert raw.get("/services", params={"team": team["id"]}).status_code == 404
    assert raw.get("/teams/integrations", params={"team": team["id"]}).status_code == 404
    assert team["id"] not in _team_ids(raw)


def test_delete_own_team_is_not_allowed(raw, teams):
    response = raw.delete(f"/teams/{teams['partner']}")
    assert response.status_code == 403
    assert response.json()["error"] == "operation_not_allowed"
    assert raw.get(f"/teams/{teams['partner']}").status_code == 200


def test_delete_outside_and_unknown(raw, teams):
    response = raw.delete(f"/teams/{teams['outsider']}")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert raw.delete("/teams/team_nope").status_code == 404


# ------------------------------------------------------------------------- 7.6 integrations
def test_integrations_of_the_keys_team_and_of_a_connect_target(raw, team, teams):
    own = raw.get("/teams/integrations")
    assert own.status_code == 200
    data = own.json()["data"]
    assert own.json()["message"] == "Integrations retrieved successfully"
    assert data["sat"]["completed"] is True
    assert set(data) >= {"sat", "stripe", "openpay"}
    assert data["stripe"] == {"completed": False}
    fresh = raw.get("/teams/integrations", params={"team": team["id"]}).json()["data"]
    assert fresh["sat"] == {"completed": False, "connected_at": None, "csd_expires_at": None}
    outsider = raw.get("/teams/integrations", params={"team": teams["outsider"]})
    assert outsider.status_code == 403


# ----------------------------------------------------------------------------- 7.7 members
def test_members_in_one_page(raw, sandbox, teams):
    response = raw.get(f"/teams/{teams['partner']}/members", params={"limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Members retrieved successfully"
    assert body["has_more"] is False and "next" not in body
    assert body["total_results"] == len(body["data"]) >= 3
    stored = sandbox.store.teams[teams["partner"]]["members"]
    assert body["data"] == stored
    assert all(set(m) == {"id", "email", "role"} for m in body["data"])


# ------------------------------------------------------------------------- 7.8 add-member
def test_add_member_default_role_then_re_role(raw, sandbox, team):
    _, others = _owner_and_others(sandbox, team["id"])
    user = sandbox.store.users[others[0]]
    response = raw.post(f"/teams/{team['id']}/add-member", json={"id": user["id"]})
    assert response.status_code == 200
    assert response.json() == {"message": "Operation completed successfully", "data": {}}
    members = raw.get(f"/teams/{team['id']}/members").json()["data"]
    assert {"id": user["id"], "email": user["email"], "role": "viewer"} in members
    raw.post(f"/teams/{team['id']}/add-member", json={"id": user["id"], "role": "editor"})
    members = raw.get(f"/teams/{team['id']}/members").json()["data"]
    assert [m["role"] for m in members if m["id"] == user["id"]] == ["editor"]


def test_add_member_errors(raw, sandbox, team):
    _, others = _owner_and_others(sandbox, team["id"])
    bad_role = raw.post(f"/teams/{team['id']}/add-member", json={"id": others[0], "role": "owner"})
    assert bad_role.status_code == 400
    assert bad_role.json()["details"] == [
        {"field": "role", "message": "'owner' is not a valid role (admin, editor or viewer)"}
    ]
    missing = raw.post(f"/teams/{team['id']}/add-member", json={})
    assert missing.status_code == 400
    assert missing.json()["error"] == "missing_required_field"
    assert missing.json()["details"][0]["field"] == "id"
    unknown = raw.post(f"/teams/{team['id']}/add-member", json={"id": "user_nobody"})
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "User not found", "error": "resource_not_found"}
    assert raw.post("/teams/team_nope/add-member", json={"id": others[0]}).status_code == 404
    assert raw.get(f"/teams/{team['id']}/members").json()["data"] == team["members"]


# ---------------------------------------------------------------------- 7.9 remove-member
def test_remove_member_keeps_the_user(raw, sandbox, team):
    _, others = _owner_and_others(sandbox, team["id"])
    raw.post(f"/teams/{team['id']}/add-member", json={"id": others[0]})
    response = raw.post(f"/teams/{team['id']}/remove-member", json={"id": others[0]})
    assert response.status_code == 200
    assert response.json() == {"message": "Operation completed successfully", "data": {}}
    members = raw.get(f"/teams/{team['id']}/members").json()["data"]
    assert others[0] not in [m["id"] for m in members]
    assert others[0] in sandbox.store.users
    again = raw.post(f"/teams/{team['id']}/remove-member", json={"id": others[0]})
    assert again.status_code == 404
    assert again.json()["error"] == "resource_not_found"


def test_remove_owner_is_not_allowed(raw, team):
    response = raw.post(f"/teams/{team['id']}/remove-member", json={"id": team["owner"]})
    assert response.status_code == 403
    assert response.json()["error"] == "operation_not_allowed"
    assert raw.get(f"/teams/{team['id']}/members").json()["data"] == team["members"]


# ------------------------------------------------------------------------------ 7.10 series
def test_series_list_in_one_page(raw, sandbox, teams):
    response = raw.get(f"/teams/{teams['partner']}/series", params={"limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Series retrieved successfully"
    assert body["has_more"] is False and "next" not in body
    names = [s["series"] for s in body["data"]]
    assert {"A", "B", "NC"} <= set(names)
    assert body["total_results"] == len(names)
    assert all(s["id"].startswith("ser_") for s in body["data"])


# ---------------------------------------------------------------------- 7.11 create series
def test_create_series(raw, team):
    response = raw.post(f"/teams/{team['id']}/series", json={"series": " F ", "live": 10})
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Series created successfully"
    series = body["data"]
    assert series["series"] == "F" and series["live"] == 10 and series["test"] == 0
    assert series["id"].startswith("ser_") and isinstance(series["created_at"], int)
    assert raw.get(f"/teams/{team['id']}/series").json()["data"] == [series]


def test_create_series_name_taken_case_insensitive(raw, team):
    raw.post(f"/teams/{team['id']}/series", json={"series": "Fac"})
    response = raw.post(f"/teams/{team['id']}/series", json={"series": "FAC"})
    assert response.status_code == 409
    assert response.json() == {
        "message": "Series 'Fac' already exists in this team",
        "error": "resource_already_exists",
    }
    assert len(raw.get(f"/teams/{team['id']}/series").json()["data"]) == 1


@pytest.mark.parametrize(
    ("body", "field", "code", "message"),
    [
        ({}, "series", "missing_required_field", "is required"),
        ({"series": "  "}, "series", "missing_required_field", "is required"),
        (
            {"series": "X" * 26},
            "series",
            "invalid_field_value",
            "must be 1 to 25 characters (got 26)",
        ),
        ({"series": "A|B"}, "series", "invalid_field_value", "must not contain '|'"),
        ({"series": 7}, "series", "invalid_field_value", "must be text"),
        ({"series": "OK", "live": -1}, "live", "invalid_field_value", "must be >= 0"),
        ({"series": "OK", "test": 1.5}, "test", "invalid_field_value", "must be a whole number"),
    ],
)
def test_create_series_validation(raw, team, body, field, code, message):
    response = raw.post(f"/teams/{team['id']}/series", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["details"] == [{"field": field, "message": message}]
    assert raw.get(f"/teams/{team['id']}/series").json()["data"] == []


def test_create_series_25_chars_is_fine(raw, team):
    response = raw.post(f"/teams/{team['id']}/series", json={"series": "Y" * 25})
    assert response.status_code == 201


# ---------------------------------------------------------------------- 7.12 update series
def test_update_series_counters(raw, team):
    series = raw.post(f"/teams/{team['id']}/series", json={"series": "U"}).json()["data"]
    response = raw.put(f"/teams/{team['id']}/series/{series['id']}", json={"test": 5})
    assert response.status_code == 200
    assert response.json()["message"] == "Series updated successfully"
    assert response.json()["data"] == {**series, "test": 5}
    both = raw.put(f"/teams/{team['id']}/series/{series['id']}", json={"live": 3, "test": 0})
    assert both.json()["data"] == {**series, "live": 3, "test": 0}


def test_update_series_needs_a_counter(raw, team):
    series = raw.post(f"/teams/{team['id']}/series", json={"series": "U"}).json()["data"]
    response = raw.put(f"/teams/{team['id']}/series/{series['id']}", json={"series": "V"})
    assert response.status_code == 400
    assert response.json()["error"] == "missing_required_field"
    negative = raw.put(f"/teams/{team['id']}/series/{series['id']}", json={"live": -2})
    assert negative.status_code == 400
    assert negative.json()["details"] == [{"field": "live", "message": "must be >= 0"}]
    assert raw.get(f"/teams/{team['id']}/series").json()["data"] == [series]


def test_update_series_not_below_the_highest_issued_folio(raw, sandbox, teams):
    """EKU has test invoices in series A but no live ones (no CSD): modes are apart."""
    eku = teams["eku"]
    store = sandbox.store
    with store.lock:
        highest = max(
            inv["folio_number"] for inv in store.all("invoices", eku, False) if inv["series"] == "A"
        )
        assert not [inv for inv in store.all("invoices", eku, True) if inv["series"] == "A"]
    series = next(s for s in raw.get(f"/teams/{eku}/series").json()["data"] if s["series"] == "A")
    response = raw.put(f"/teams/{eku}/series/{series['id']}", json={"test": highest - 1})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "business_rule_violation"
    assert body["details"] == [
        {
            "field": "test",
            "message": f"folio {highest} was already issued in series A (test mode); the counter "
            f"cannot go below {highest}",
        }
    ]
    after = next(s for s in raw.get(f"/teams/{eku}/series").json()["data"] if s["series"] == "A")
    assert after == series
    same = raw.put(f"/teams/{eku}/series/{series['id']}", json={"live": series["live"]})
    assert same.status_code == 200


def test_update_series_unknown_or_of_another_team(raw, team, teams):
    other = raw.get(f"/teams/{teams['partner']}/series").json()["data"][0]
    response = raw.put(f"/teams/{team['id']}/series/{other['id']}", json={"live": 1})
    assert response.status_code == 404
    assert response.json() == {"message": "Series not found", "error": "resource_not_found"}
    assert raw.put(f"/teams/{team['id']}/series/ser_nope", json={"live": 1}).status_code == 404


# ------------------------------------------------------------------------- 7.16 onboarding
def test_onboarding_url_is_a_fresh_string_each_call(raw, sandbox, team):
    first = raw.get(f"/teams/{team['id']}/onboarding-url")
    assert first.status_code == 200
    body = first.json()
    assert body["message"] == "Onboarding URL generated successfully"
    url = body["data"]
    assert isinstance(url, str)
    assert url.startswith(f"https://onboarding.gigstack.pro/{team['id']}?token=")
    store_team = sandbox.store.teams[team["id"]]
    assert onboarding_url_is_valid(sandbox.store, store_team, url)
    second = raw.get(f"/teams/{team['id']}/onboarding-url").json()["data"]
    assert second != url
    assert not onboarding_url_is_valid(sandbox.store, store_team, url)
    assert onboarding_url_is_valid(sandbox.store, store_team, second)
    assert "onboarding_url" not in raw.get(f"/teams/{team['id']}").json()["data"]


def test_onboarding_url_lives_seven_days(raw, sandbox, team, frozen_clock):
    start = frozen_clock()
    url = raw.get(f"/teams/{team['id']}/onboarding-url").json()["data"]
    store_team = sandbox.store.teams[team["id"]]
    frozen_clock(start + ONBOARDING_TTL)
    assert onboarding_url_is_valid(sandbox.store, store_team, url)
    frozen_clock(start + ONBOARDING_TTL + 1)
    assert not onboarding_url_is_valid(sandbox.store, store_team, url)


def test_onboarding_url_unknown_or_outside(raw, teams):
    assert raw.get("/teams/team_nope/onboarding-url").status_code == 404
    assert raw.get(f"/teams/{teams['outsider']}/onboarding-url").status_code == 403
