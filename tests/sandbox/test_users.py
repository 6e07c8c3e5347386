"""Sandbox users (REFERENCE §8): visibility by team membership, create, update, links."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import FROZEN_NOW, RawAPI

ANA = "ana.torres@cumbredigital.mx"
JORGE = "jorge.castillo@ekemper.edu.mx"
PEDRO = "pedro.lozano@pacificosur.mx"


def _user_id(sandbox, email: str) -> str:
    return next(u["id"] for u in sandbox.store.users.values() if u["email"] == email)


def _email() -> str:
    return f"nuevo.{uuid.uuid4().hex[:10]}@example.com"


def _create(raw, **body: Any) -> dict[str, Any]:
    body.setdefault("email", _email())
    response = raw.post("/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


# --- list / get ---------------------------------------------------------------------------


def test_list_shows_members_of_the_key_team_with_their_role(raw, sandbox):
    outside = _create(raw)  # not a member of any team
    response = raw.get("/users", params={"limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Users retrieved successfully"
    by_email = {item["email"]: item for item in body["data"]}
    assert by_email[ANA] == {
        "id": _user_id(sandbox, ANA),
        "email": ANA,
        "name": "Ana Torres Medina",
        "role": "admin",
        "created_at": sandbox.store.users[_user_id(sandbox, ANA)]["created_at"],
    }
    assert by_email["luis.herrera@cumbredigital.mx"]["role"] == "editor"
    assert outside["email"] not in by_email and PEDRO not in by_email


def test_list_follows_the_team_parameter(raw, teams):
    body = raw.get("/users", params={"team": teams["eku"], "limit": 100}).json()
    roles = {item["email"]: item["role"] for item in body["data"]}
    assert roles[JORGE] == "admin"
    assert roles[ANA] == "admin"
    assert roles["sofia.mendez@cumbredigital.mx"] == "viewer"


def test_list_pages_and_sorts_by_name(raw, teams):
    params = {"team": teams["eku"], "order_by": "name", "sort": "asc", "limit": 2}
    seen, cursor = [], None
    while True:
        body = raw.get("/users", params={**params, **({"next": cursor} if cursor else {})}).json()
        seen.extend(body["data"])
        if not body["has_more"]:
            break
        cursor = body["next"]
    names = [item["name"] for item in seen]
    assert names == sorted(names, key=str.casefold)
    assert len(seen) == body["total_results"]


def test_get_user_has_profile_and_reachable_teams(raw, sandbox, teams):
    user_id = _user_id(sandbox, JORGE)
    response = raw.get(f"/users/{user_id}", params={"team": teams["eku"]})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User retrieved successfully"
    user = body["data"]
    assert user["email"] == JORGE
    assert (user["firstName"], user["lastName"], user["name"]) == (
        "Jorge",
        "Castillo Peña",
        "Jorge Castillo Peña",
    )
    assert user["role"] == "admin"
    assert user["company_role"] == "Administrador"
    assert user["last_login"] is None
    assert {"team_id": teams["eku"], "team_name": "Escuela Kemper", "role": "admin"} in user[
        "teams"
    ]
    assert teams["outsider"] not in {team["team_id"] for team in user["teams"]}


def test_get_user_lists_every_partner_team_but_not_outsiders(raw, sandbox, teams):
    user = raw.get(f"/users/{_user_id(sandbox, ANA)}").json()["data"]
    listed = {team["team_id"]: team for team in user["teams"]}
    assert set(listed) >= {teams["partner"], *teams["subs"][:6]}  # the seeded sub-teams
    assert teams["outsider"] not in listed
    assert listed[teams["partner"]] == {
        "team_id": teams["partner"],
        "team_name": "Cumbre Digital",
        "role": "admin",
    }


def test_outsider_key_cannot_see_partner_staff(sandbox, keys):
    outsider = RawAPI(sandbox, keys["outsider_test"]["key"])
    assert outsider.get(f"/users/{_user_id(sandbox, ANA)}").status_code == 404
    pedro = outsider.get(f"/users/{_user_id(sandbox, PEDRO)}").json()["data"]
    assert pedro["teams"] == [
        {"team_id": keys["outsider_test"]["team"], "team_name": "Pacífico Sur", "role": "admin"}
    ]


def test_unknown_user_is_404(raw):
    response = raw.get("/users/user_doesnotexist")
    assert response.status_code == 404
    assert response.json() == {"message": "User not found", "error": "resource_not_found"}


# --- create -------------------------------------------------------------------------------


def test_create_without_auto_join(raw, frozen_clock):
    email = _email()
    response = raw.post(
        "/users",
        json={"email": email, "first_name": "Marta", "lastName": "Quiroga", "phone": "5512345678"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "User created successfully"
    data = body["data"]
    assert data == {
        "id": data["id"],
        "email": email,
        "name": "Marta Quiroga",
        "role": None,
        "created_at": FROZEN_NOW,
        "invitation_sent": True,
    }
    assert data["id"].startswith("user_")
    # not a member of any team: invisible through the API
    assert raw.get(f"/users/{data['id']}").status_code == 404


def test_create_with_auto_join_defaults_to_viewer(raw, teams):
    team = {"team": teams["subs"][4]}
    made = raw.post(
        "/users", params=team, json={"email": _email(), "firstName": "Iván", "auto_join": True}
    ).json()["data"]
    assert made["role"] == "viewer"
    assert made["name"] == "Iván"
    user = raw.get(f"/users/{made['id']}", params=team).json()["data"]
    assert user["role"] == "viewer"
    assert user["lastName"] is None
    assert user["teams"] == [
        {"team_id": teams["subs"][4], "team_name": "Nube Norte", "role": "viewer"}
    ]
    listed = raw.get("/users", params={**team, "limit": 100}).json()["data"]
    assert {
        "id": made["id"],
        "email": made["email"],
        "name": "Iván",
        "role": "viewer",
        "created_at": made["created_at"],
    } in listed


def test_create_with_auto_join_and_role(raw, teams):
    made = _create(
        raw,
        auto_join=True,
        role="editor",
        address={"city": "León", "zip": "37000", "municipality": "León"},
    )
    assert made["role"] == "editor"
    user = raw.get(f"/users/{made['id']}").json()["data"]
    assert user["address"] == {"city": "León", "zip": "37000"}  # municipality not returned


def test_role_is_ignored_without_auto_join(raw):
    assert _create(raw, role="admin")["role"] is None


def test_create_rejects_a_registered_email(raw, sandbox, teams):
    before = len(sandbox.store.users)
    response = raw.post("/users", json={"email": JORGE.upper()})
    assert response.status_code == 409
    assert response.json() == {
        "message": f"A user with the e-mail {JORGE.upper()} already exists",
        "error": "resource_already_exists",
    }
    assert len(sandbox.store.users) == before


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        ({}, "missing_required_field", [{"field": "email", "message": "is required"}]),
        (
            {"email": "   "},
            "missing_required_field",
            [{"field": "email", "message": "is required"}],
        ),
        (
            {"email": "no-at-sign"},
            "invalid_field_value",
            [{"field": "email", "message": "'no-at-sign' is not a valid e-mail address"}],
        ),
        (
            {"email": "ok@example.com", "role": "owner", "auto_join": "yes"},
            "validation_failed",
            [
                {"field": "auto_join", "message": "must be true or false"},
                {
                    "field": "role",
                    "message": "'owner' is not a valid role (admin, editor or viewer)",
                },
            ],
        ),
        (
            {"email": "ok@example.com", "firstName": "Ana", "first_name": "Anna"},
            "invalid_field_value",
            [{"field": "first_name", "message": "differs from firstName: send one spelling"}],
        ),
        (
            {"email": "ok@example.com", "address": {"zip": "123"}},
            "invalid_field_value",
            [{"field": "address.zip", "message": "'123' is not a valid postal code (5 digits)"}],
        ),
    ],
)
def test_create_validation(raw, sandbox, body, code, details):
    before = len(sandbox.store.users)
    response = raw.post("/users", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["details"] == details
    assert len(sandbox.store.users) == before


def test_both_name_spellings_with_the_same_value_are_fine(raw):
    made = _create(raw, firstName="Eva", first_name="Eva", last_name="Ruiz", lastName="Ruiz")
    assert made["name"] == "Eva Ruiz"


# --- update -------------------------------------------------------------------------------


def test_update_is_partial_and_recomputes_name(raw):
    made = _create(
        raw,
        first_name="Paco",
        last_name="Díaz",
        phone="551",
        company_role="Ventas",
        auto_join=True,
        address={"city": "Puebla", "zip": "72000"},
    )
    response = raw.put(
        f"/users/{made['id']}",
        json={"first_name": "Francisco", "company_role": None, "address": {"zip": "72010"}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User updated successfully"
    user = body["data"]
    assert (user["firstName"], user["lastName"], user["name"]) == (
        "Francisco",
        "Díaz",
        "Francisco Díaz",
    )
    assert user["phone"] == "551"
    assert user["company_role"] is None
    assert user["address"] == {"city": "Puebla", "zip": "72010"}
    assert user["email"] == made["email"]
    assert user["role"] == "viewer"
    assert raw.get(f"/users/{made['id']}").json()["data"] == user


def test_update_cannot_change_email_or_role(raw):
    made = _create(raw, first_name="Rita", auto_join=True)
    response = raw.put(
        f"/users/{made['id']}",
        json={"email": "other@example.com", "role": "admin", "first_name": "Rosa"},
    )
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"field": "email", "message": "cannot be changed here"},
        {"field": "role", "message": "cannot be changed here: use POST /teams/{id}/add-member"},
    ]
    assert raw.get(f"/users/{made['id']}").json()["data"]["firstName"] == "Rita"
    same = raw.put(f"/users/{made['id']}", json={"email": made["email"].upper(), "role": "viewer"})
    assert same.status_code == 200


def test_update_of_an_invisible_user_is_404(raw, sandbox):
    outside = _create(raw)
    response = raw.put(f"/users/{outside['id']}", json={"phone": "1"})
    assert response.status_code == 404
    assert response.json()["message"] == "User not found"
    assert sandbox.store.users[outside["id"]]["phone"] is None


# --- reset password / login link ----------------------------------------------------------


def test_reset_password_for_a_visible_user(raw):
    response = raw.post("/users/reset-password", json={"email": ANA.upper()})
    assert response.status_code == 200
    assert response.json() == {"message": "Password reset email sent", "data": {"email": ANA}}


@pytest.mark.parametrize("email", [PEDRO, "outside", "nadie@example.com"])
def test_reset_password_unknown_or_invisible_is_404(raw, email):
    if email == "outside":
        email = _create(raw)["email"]  # exists, but belongs to no team
    response = raw.post("/users/reset-password", json={"email": email})
    assert response.status_code == 404
    assert response.json()["error"] == "resource_not_found"


def test_reset_password_needs_an_email(raw):
    response = raw.post("/users/reset-password", json={})
    assert response.status_code == 400
    assert response.json()["details"] == [{"field": "email", "message": "is required"}]


def test_login_link(raw, sandbox, frozen_clock):
    user_id = _user_id(sandbox, ANA)
    response = raw.post("/users/login-link", json={"user_id": user_id})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["url"].startswith(sandbox.origin + "/login/")
    assert data["expires_at"] == FROZEN_NOW + 3600
    again = raw.post("/users/login-link", json={"user_id": user_id}).json()["data"]
    assert again["url"] != data["url"]


def test_login_link_errors(raw, sandbox):
    missing = raw.post("/users/login-link", json={})
    assert missing.status_code == 400
    assert missing.json()["error"] == "missing_required_field"
    assert missing.json()["details"] == [{"field": "user_id", "message": "is required"}]
    invisible = raw.post("/users/login-link", json={"user_id": _user_id(sandbox, PEDRO)})
    assert invisible.status_code == 404
