"""The sandbox's cross-cutting behaviour: auth, Connect, envelopes, JSON errors, paging."""

from __future__ import annotations

import pytest
import requests


def test_unknown_route_is_json_404(raw):
    response = raw.get("/nope")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Route not found", "error": "resource_not_found"}


def test_wrong_method_is_json_405(raw):
    response = raw.delete("/services")
    assert response.status_code == 405
    assert response.json()["error"] == "operation_not_allowed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/invoices/draft"),
        ("POST", "/invoices/draft"),
        ("GET", "/invoices/sat"),
        ("GET", "/invoices/sat/list"),
        ("GET", "/invoices/complements"),
        ("GET", "/invoices/download/abc"),
        ("POST", "/invoices/transfer"),
        ("POST", "/invoices/eom/run"),
        ("POST", "/invoices/payment"),
        ("POST", "/clients/cus_1/support-documents"),
        ("POST", "/teams/team_1/manifest/sign"),
        ("PATCH", "/teams/team_1/members/usr_1"),
        ("DELETE", "/teams/team_1/members/usr_1"),
        ("GET", "/teams/team_1/email-templates"),
        ("POST", "/receipts/rec_1/reopen"),
        ("GET", "/documents"),
        ("GET", "/api-keys"),
        ("POST", "/auth/signup"),
    ],
)
def test_routes_outside_the_contract_are_404_not_405(raw, method, path):
    """REFERENCE §1.14: routes gigstack has but the contract leaves out answer 404, also where
    their path looks like a contract route of another method (405 would say they exist)."""
    response = raw.request(method, path)
    assert response.status_code == 404, (method, path, response.text)
    assert response.json()["error"] == "resource_not_found"


def test_missing_key_is_401_unauthorized(raw):
    response = raw.get("/services", key="")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJrZXlfaWQiOiJ4In0."])
def test_unknown_key_is_401_invalid_token(raw, token):
    response = raw.get("/services", key=token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_bare_key_is_accepted(raw):
    response = raw.get("/services", headers={"Authorization": raw.key})
    assert response.status_code == 200


def test_connect_sub_team_outsider_and_unknown(raw, teams):
    assert raw.get("/services", params={"team": teams["subs"][0]}).status_code == 200
    outsider = raw.get("/services", params={"team": teams["outsider"]})
    assert outsider.status_code == 403
    assert outsider.json()["error"] == "forbidden"
    unknown = raw.get("/services", params={"team": "team_doesnotexist"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "resource_not_found"


def test_outsider_key_cannot_reach_partner(sandbox, keys, teams):
    from tests.conftest import RawAPI

    outsider = RawAPI(sandbox, keys["outsider_test"]["key"])
    assert outsider.get("/services", params={"team": teams["partner"]}).status_code == 403


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_limit_out_of_range_names_the_field(raw, limit):
    response = raw.get("/services", params={"limit": limit})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_field_value"
    assert body["details"][0]["field"] == "limit"


def test_cursor_pages_cover_everything_once(raw):
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"next": cursor} if cursor else {})}
        body = raw.get("/services", params=params).json()
        seen.extend(item["id"] for item in body["data"])
        if not body["has_more"]:
            assert "next" not in body
            break
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == body["total_results"]


def test_cursor_is_stable_under_inserts(raw):
    first = raw.get("/services", params={"limit": 2, "sort": "asc"}).json()
    raw.post(
        "/services",
        json={
            "description": "Nuevo",
            "unit_price": 1,
            "product_key": "84111506",
            "unit_key": "E48",
        },
    )
    second = raw.get("/services", params={"limit": 2, "sort": "asc", "next": first["next"]}).json()
    assert not {i["id"] for i in first["data"]} & {i["id"] for i in second["data"]}


def test_cursor_with_other_filters_is_rejected(raw):
    first = raw.get("/services", params={"limit": 1}).json()
    response = raw.get("/services", params={"limit": 1, "sort": "asc", "next": first["next"]})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "next"


def test_test_and_live_objects_are_apart(raw, raw_live):
    test_ids = {s["id"] for s in raw.get("/services", params={"limit": 100}).json()["data"]}
    live_ids = {s["id"] for s in raw_live.get("/services", params={"limit": 100}).json()["data"]}
    assert test_ids and live_ids and not test_ids & live_ids
    one = next(iter(live_ids))
    assert raw.get(f"/services/{one}").status_code == 404


def test_body_must_be_a_json_object(raw):
    response = raw.post("/services", data="[1]", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request_body"
    response = raw.post(
        "/services",
        data="description=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["error"] == "invalid_request_body"


def test_injected_fault_and_reset(raw, faults):
    faults(
        {
            "rules": [
                {"method": "GET", "path": "/services", "status": 503, "times": 1, "retry_after": 2}
            ]
        }
    )
    response = raw.get("/services")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error"] == "service_unavailable"
    assert raw.get("/services").status_code == 200


def test_requests_answered_are_counted(raw, sandbox):
    """Benches state their calls to "gigstack" from this count (``bench.month``)."""

    def answered() -> int:
        return requests.get(f"{sandbox.origin}/_sandbox/requests", timeout=5).json()["requests"]

    before = answered()
    raw.get("/services")
    raw.get("/services", params={"limit": 1})
    assert answered() == before + 2  # the control endpoint itself is not counted


def test_same_second_objects_list_newest_first(raw, frozen_clock):
    frozen_clock(1_785_000_000)
    made = [
        raw.post(
            "/services",
            json={
                "description": f"Mismo segundo {i}",
                "unit_price": 1,
                "product_key": "84111506",
                "unit_key": "E48",
            },
        ).json()["data"]["id"]
        for i in range(3)
    ]
    listed = [s["id"] for s in raw.get("/services", params={"limit": 100}).json()["data"]]
    assert [i for i in listed if i in made] == made[::-1]
